package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@code vigil batch submit} against a real server on loopback that is busy (503) or drops the connection without an
 * answer: the submission is sent again under the same {@code Idempotency-Key}, at most {@link BatchCommand#SUBMIT_TRIES}
 * times, and any other answer is taken at once.
 */
class BatchSubmitRetryTest {
    private final Server server = new Server();
    /** The Idempotency-Key of each request the server received, in order. */
    private final List<String> keys = new CopyOnWriteArrayList<>();
    private final AtomicInteger received = new AtomicInteger();

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    /** Hangs up without an answer, then stops listening: every later try is refused at connect. */
    private static final int GONE = -1;
    /** Answers 503 (busy) and closes the connection, then stops listening: every later try is refused at connect. */
    private static final int BUSY_THEN_GONE = -2;

    /** A server that answers the n-th request (from 1) with {@code answers[n - 1]}: a status, or 0 to hang up. */
    private ControlClient serving(int... answers) throws Exception {
        URI base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                Content.Source.asString(request, StandardCharsets.UTF_8);
                keys.add(request.getHeaders().get("Idempotency-Key"));
                int n = received.incrementAndGet();
                int status = answers[Math.min(n, answers.length) - 1];
                if (status == GONE || status == BUSY_THEN_GONE) {
                    ((org.eclipse.jetty.server.ServerConnector) server.getConnectors()[0]).close();
                }
                if (status == BUSY_THEN_GONE) {
                    status = 503;
                    response.getHeaders().put("Connection", "close");
                }
                if (status <= 0) {
                    request.getConnectionMetaData().getConnection().getEndPoint().close();
                    callback.succeeded();
                    return true;
                }
                byte[] bytes = ("{\"attempt\":" + n + "}").getBytes(StandardCharsets.UTF_8);
                response.setStatus(status);
                response.getHeaders().put("Content-Type", "application/json");
                response.getHeaders().put("Content-Length", bytes.length);
                response.write(true, ByteBuffer.wrap(bytes), callback);
                return true;
            }
        });
        return new ControlClient(base, "analyst-key");
    }

    @Test
    void aBusyPlatformAndALostAnswerAreSentAgainUnderTheSameKeyUntilAnAnswerComes() throws Exception {
        ControlClient client = serving(503, 0, 202);

        HttpResponse<String> answer = BatchCommand.submit(client, Map.of("model", "readmission"), "key-1");

        assertThat(answer.statusCode()).isEqualTo(202);
        assertThat(answer.body()).isEqualTo("{\"attempt\":3}");
        assertThat(keys).containsExactly("key-1", "key-1", "key-1");
    }

    @Test
    void anAnswerOtherThanBusyIsTakenAtOnce() throws Exception {
        ControlClient client = serving(409);

        assertThat(BatchCommand.submit(client, Map.of("model", "readmission"), "key-2").statusCode()).isEqualTo(409);
        assertThat(keys).containsExactly("key-2");
    }

    @Test
    void aPlatformThatStaysBusyIsAskedAtMostTheTriesAndItsLastAnswerReturned() throws Exception {
        ControlClient client = serving(503);

        assertThat(BatchCommand.submit(client, Map.of("model", "readmission"), "key-3").statusCode()).isEqualTo(503);
        assertThat(keys).hasSize(BatchCommand.SUBMIT_TRIES).containsOnly("key-3");
    }

    @Test
    void aPlatformThatNeverAnswersEndsInTheLastTrysError() throws Exception {
        ControlClient client = serving(0);

        assertThatThrownBy(() -> BatchCommand.submit(client, Map.of("model", "readmission"), "key-4"))
                .isInstanceOf(IOException.class);
        assertThat(keys).hasSize(BatchCommand.SUBMIT_TRIES).containsOnly("key-4");
    }

    /** Unreachable would say nothing took the request; the first try's may have been taken (its answer lost). */
    @Test
    void aTryWhoseAnswerWasLostIsWhatTheSubmitEndsInThoughLaterTriesWereRefused() throws Exception {
        ControlClient client = serving(GONE);

        assertThatThrownBy(() -> BatchCommand.submit(client, Map.of("model", "readmission"), "key-5"))
                .isInstanceOf(IOException.class).isNotInstanceOf(ControlClient.Unreachable.class);
        assertThat(keys).containsExactly("key-5");
    }

    /**
     * A busy platform may have done part of the request (its plan stored): a submit answered 503 and then refused ends
     * in that answer, not in Unreachable, which would say nothing took it (and let the command remove its file).
     */
    @Test
    void aBusyAnswerIsWhatTheSubmitEndsInThoughLaterTriesWereRefused() throws Exception {
        ControlClient client = serving(BUSY_THEN_GONE);

        HttpResponse<String> answer = BatchCommand.submit(client, Map.of("model", "readmission"), "key-6");

        assertThat(answer.statusCode()).isEqualTo(503);
        assertThat(keys).containsExactly("key-6");
    }
}
