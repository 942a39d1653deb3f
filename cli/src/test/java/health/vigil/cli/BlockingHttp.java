package health.vigil.cli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The integration tests' HTTP calls, sent as the CLI sends its own ({@link ControlClient}, a blocking connection
 * that reads each answer on the calling thread). Java 17's {@code java.net.http.HttpClient} can hand the answer to a
 * request on a reused keep-alive connection to that connection's idle watcher, which closes it (ADR 0028); a test
 * would read that as the platform failing. The requests are still built with the JDK's builder.
 */
public final class BlockingHttp {
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    /** Methods whose requests carry no body here (a connection would turn a GET with one into a POST). */
    private static final Set<String> BODILESS = Set.of("GET", "HEAD", "DELETE", "OPTIONS");

    private BlockingHttp() {}

    /** Sends the request and reads the whole answer as UTF-8 text (an empty body reads as ""). */
    public static HttpResponse<String> send(HttpRequest request) throws IOException {
        Map<String, List<String>> headers = new LinkedHashMap<>(request.headers().map());
        if (request.headers().firstValue("Accept").isEmpty()) {
            // The JDK client sends none (anything is acceptable); the connection's own default prefers HTML.
            headers.put("Accept", List.of("*/*"));
        }
        byte[] body = BODILESS.contains(request.method()) ? null : body(request);
        return ControlClient.call(request.uri(), request.method(), headers, body,
                request.timeout().orElse(DEFAULT_TIMEOUT));
    }

    /** The bytes the request's body publisher gives (empty when it has none). */
    private static byte[] body(HttpRequest request) throws IOException {
        if (request.bodyPublisher().isEmpty()) {
            return new byte[0];
        }
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CompletableFuture<Void> done = new CompletableFuture<>();
        request.bodyPublisher().get().subscribe(new Flow.Subscriber<ByteBuffer>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ByteBuffer item) {
                byte[] chunk = new byte[item.remaining()];
                item.get(chunk);
                bytes.write(chunk, 0, chunk.length);
            }

            @Override
            public void onError(Throwable failure) {
                done.completeExceptionally(failure);
            }

            @Override
            public void onComplete() {
                done.complete(null);
            }
        });
        try {
            done.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException("could not read the request body to send", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading the request body to send", e);
        }
        return bytes.toByteArray();
    }
}
