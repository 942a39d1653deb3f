package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.eclipse.jetty.http.HttpTester;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What an inline request's body costs while it arrives ({@link RequestBody.Collector}), on an in-memory connector. */
class RequestBodyCollectorTest {
    private static final int MAX_BYTES = 4 * 1024 * 1024;

    private Server server;
    private LocalConnector connector;
    /** The collector's buffer when the headers were in, then after each step that took bytes. */
    private final BlockingQueue<Integer> capacities = new LinkedBlockingQueue<>();

    @BeforeEach
    void start() throws Exception {
        server = new Server();
        connector = new LocalConnector(server);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract.NonBlocking() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                RequestBody.Collector body = new RequestBody.Collector(request, MAX_BYTES);
                capacities.add(body.capacity());
                new Runnable() {
                    @Override
                    public void run() {
                        RequestBody.Progress progress = body.collect();
                        capacities.add(body.capacity());
                        if (progress == RequestBody.Progress.WAITING) {
                            request.demand(this);
                            return;
                        }
                        // The length and the bytes' sum: enough to see the body came whole and in order.
                        byte[] bytes = body.bytes();
                        HttpFunctionHandler.write(request, response, callback, new HostReply(200,
                                java.util.Map.of("Content-Type", "text/plain"), (progress + " " + bytes.length + " "
                                        + Arrays.hashCode(bytes)).getBytes(StandardCharsets.US_ASCII)));
                    }
                }.run();
                return true;
            }
        });
        server.start();
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void headersDeclaringTheLimitPinOnlyASmallBufferUntilBytesArrive() throws Exception {
        LocalConnector.LocalEndPoint client = connector.executeRequest("POST /score/readmission HTTP/1.1\r\n"
                + "Host: localhost\r\nContent-Length: " + MAX_BYTES + "\r\n\r\n");

        Integer first = capacities.poll(10, TimeUnit.SECONDS);
        assertThat(first).as("the handler saw the headers").isNotNull();
        assertThat(first).isLessThanOrEqualTo(RequestBody.Collector.FIRST_BUFFER);
        // Asked for its body, the request has none yet, and still holds no more.
        Integer waiting = capacities.poll(10, TimeUnit.SECONDS);
        assertThat(waiting).isNotNull().isLessThanOrEqualTo(RequestBody.Collector.FIRST_BUFFER);
        client.close();
    }

    @Test
    void aBodyArrivingInPiecesGrowsItsBufferToItsLengthAndArrivesWhole() throws Exception {
        int length = 300_000;
        byte[] content = new byte[length];
        for (int i = 0; i < length; i++) {
            content[i] = (byte) ('a' + i % 26);
        }
        LocalConnector.LocalEndPoint client = connector.executeRequest("POST /score/readmission HTTP/1.1\r\n"
                + "Host: localhost\r\nContent-Type: text/plain\r\nContent-Length: " + length + "\r\n\r\n");
        assertThat(capacities.poll(10, TimeUnit.SECONDS)).isLessThanOrEqualTo(RequestBody.Collector.FIRST_BUFFER);
        for (int from = 0; from < length; from += 70_000) {
            client.addInput(ByteBuffer.wrap(content, from, Math.min(70_000, length - from)));
        }

        HttpTester.Response response = HttpTester.parseResponse(client.waitForResponse(false, 10, TimeUnit.SECONDS));
        assertThat(response.getStatus()).isEqualTo(200);
        assertThat(response.getContent()).isEqualTo("COMPLETE " + length + " " + Arrays.hashCode(content));
        // Never more than the declared length: the last step fits it exactly.
        assertThat(capacities).allSatisfy(capacity -> assertThat(capacity).isLessThanOrEqualTo(length));
    }
}
