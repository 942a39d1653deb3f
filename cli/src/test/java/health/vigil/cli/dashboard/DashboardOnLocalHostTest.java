package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.config.VigilConfig;
import health.vigil.functions.common.VigilInstanceInjector;
import health.vigil.host.LocalHost;
import health.vigil.platform.VigilPlatform;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The dashboard as {@code vigil up} serves it, on a real local host with a small pool: sign-in forms that trickle in
 * are cut off by the host's minimum data rate and take only the workers the functions share, so the health probes
 * answer while they are open.
 */
class DashboardOnLocalHostTest {
    private static final String KEY = "k-operator-0123456789abcdef0123456789";
    private static final HttpClient CLIENT = HttpClient.newHttpClient();

    @TempDir
    Path home;

    private VigilPlatform platform;
    private LocalHost host;

    @BeforeEach
    void start() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"operator\", \"name\": \"Operator\","
                + " \"key\": \"" + KEY + "\", \"roles\": [\"Deployments.Operate\"]}]}");
        AtomicReference<VigilPlatform> current = new AtomicReference<>();
        host = LocalHost.builder()
                .home(home)
                .port(0)
                .packages("health.vigil.functions.scoring")
                .instanceInjector(new VigilInstanceInjector(current::get))
                .subscriptions(List.of())
                .watchDropFolder(false)
                .probeFunctions(Set.of("HealthLive", "HealthReady"))
                .pages(new Dashboard(current::get, home.resolve("deadletter"), Clock.systemUTC()), Dashboard::serves)
                .httpThreads(8)
                .minRequestBytesPerSecond(1024)
                // Longer than the test: only the minimum data rate may cut the forms off.
                .idleTimeout(Duration.ofMinutes(2))
                .build();
        platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(host.eventPublisher()).build();
        current.set(platform);
        host.start();
    }

    @AfterEach
    void stop() {
        host.close();
        platform.close();
    }

    @Test
    void signInFormsTricklingInAreCutOffWith408AndTheProbesAnswerWhileTheyAreOpen() throws Exception {
        List<Socket> forms = new ArrayList<>();
        try {
            // More sign-in forms than the pool has workers, each declaring 4 kB and sending nothing yet.
            for (int i = 0; i < 8; i++) {
                Socket socket = new Socket("127.0.0.1", host.port());
                socket.setSoTimeout(30_000);
                socket.getOutputStream().write(("POST /login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type:"
                        + " application/x-www-form-urlencoded\r\nContent-Length: 4096\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                forms.add(socket);
            }
            // Those beyond the shared workers are told at once that the host is busy.
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (forms.stream().noneMatch(DashboardOnLocalHostTest::answered) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(forms).anyMatch(DashboardOnLocalHostTest::answered);

            HttpResponse<String> live = CLIENT.send(HttpRequest.newBuilder(host.baseUri().resolve("/v2/health/live"))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(live.statusCode()).isEqualTo(200);

            // A byte every 100 ms: never silent, far below 1,024 bytes a second.
            deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (!forms.stream().allMatch(DashboardOnLocalHostTest::answered) && System.nanoTime() < deadline) {
                for (Socket socket : forms) {
                    if (!answered(socket)) {
                        try {
                            socket.getOutputStream().write('k');
                        } catch (IOException closed) {
                            // the host answered and closed while this byte was on its way
                        }
                    }
                }
                Thread.sleep(100);
            }
            int cutOff = 0;
            for (Socket socket : forms) {
                String head = head(socket.getInputStream());
                assertThat(head).matches("(?s)HTTP/1\\.1 (408|503) .*");
                assertThat(head.toLowerCase(Locale.ROOT)).contains("connection: close");
                if (head.startsWith("HTTP/1.1 503")) {
                    assertThat(head.toLowerCase(Locale.ROOT)).contains("retry-after: 1");
                } else {
                    cutOff++;
                }
            }
            assertThat(cutOff).isPositive();
        } finally {
            for (Socket socket : forms) {
                socket.close();
            }
        }
        // Every worker is free again: a sign-in that sends its form at once is let in.
        HttpResponse<String> signIn = CLIENT.send(HttpRequest.newBuilder(host.baseUri().resolve("/login"))
                .header("Content-Type", "application/x-www-form-urlencoded").timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString("key=" + KEY)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(signIn.statusCode()).isEqualTo(303);
    }

    private static boolean answered(Socket socket) {
        try {
            return socket.getInputStream().available() > 0;
        } catch (IOException e) {
            return true;
        }
    }

    /** The response's status line and headers. */
    private static String head(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }
}
