package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.functions.testing.TestRecorder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Warm-up triggers run once at start, before HTTP opens, and a failing one does not stop the start. */
class LocalHostWarmupIT {

    @TempDir
    Path home;

    @Test
    void everyWarmupRunsOnceBeforeTheFirstRequestIsServedAndAFailingOneDoesNotStopTheStart() throws Exception {
        TestRecorder recorder = new TestRecorder();
        try (LocalHost host = LocalHost.builder()
                .home(home)
                .port(0)
                .packages("health.vigil.functions.testing.warmup")
                .instanceInjector(new TestInjector(recorder))
                .subscriptions(List.of())
                .build()
                .start()) {
            HttpResponse<String> first = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    host.baseUri().resolve("/warmed-up")).timeout(Duration.ofSeconds(30)).build(),
                    HttpResponse.BodyHandlers.ofString());

            assertThat(first.statusCode()).isEqualTo(200);
            // Both warm-ups had run, once each, when the very first request arrived.
            assertThat(first.body()).isEqualTo("1,1");
            assertThat(recorder.calls("SlowWarmup")).containsExactly("{}");
            assertThat(host.functions()).filteredOn(f -> f.kind() == LocalFunction.Kind.WARMUP)
                    .extracting(LocalFunction::name).containsExactlyInAnyOrder("SlowWarmup", "FailingWarmup");
        }
    }
}
