package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.json.Json;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * {@code vigil batch status --wait} against a platform on loopback that is away for a while (503 while it restarts or a
 * store is briefly unavailable, a 500, a connection dropped without an answer, a request taken and never answered):
 * the wait asks again, saying so on standard error, and ends as the job ends; answers that stay away end it with exit 1
 * and the last answer once they have lasted the wait's bound in a row (shortened here, as is a poll's time to answer).
 */
class BatchStatusWaitThroughOutageTest {
    private static final String ID = "3f1c2a4e-9b7d-4c21-8e5f-0a6b7c8d9e10";
    private static final String BUSY = Json.write(Map.of("error", Map.of("code", "STORE_UNAVAILABLE", "message",
            "the registry store did not answer; try again shortly")));
    private static final String COMPLETED = Json.write(Map.of("id", ID, "model", "readmission", "version", 2,
            "state", "COMPLETED", "rows", 10, "rowsDone", 10, "scored", 10, "refused", 0,
            "results", "batch-output/" + ID + "/results.jsonl"));
    /** Hangs up without an answer. */
    private static final int NO_ANSWER = 0;
    /** Takes the request and never answers it (until the test ends). */
    private static final int NEVER = -1;
    /** Answers 503 and stops listening: every later connection is refused, as by a platform that has stopped. */
    private static final int GONE = -2;
    private static final String ACCEPTED = Json.write(Map.of("id", ID, "model", "readmission", "version", 2,
            "state", "RUNNING", "rows", 10, "rowsDone", 0, "scored", 0, "refused", 0));

    private final Server server = new Server();
    private final AtomicInteger asked = new AtomicInteger();
    /** The requests taken and never answered. */
    private final List<Callback> held = new CopyOnWriteArrayList<>();
    /** The status the n-th ask (from 1) is answered with; past the end, the last one, and 200 is the completed job. */
    private volatile int[] answers;

    @TempDir
    Path home;

    private URI base;

    @BeforeEach
    void aPlatformThatIsAwayForAWhile() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"population-health\", \"key\":"
                + " \"k-population-health\", \"roles\": [\"Batches.Submit\"]}]}");
        base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                if (request.getMethod().equals("POST") && request.getHttpURI().getPathQuery().equals("/batches")) {
                    // A submission is accepted, and then nothing listens any more.
                    stopListening(response);
                    LoopbackServer.answer(response, callback, 202, ACCEPTED);
                    return true;
                }
                if (!request.getHttpURI().getPathQuery().equals("/batches/" + ID)) {
                    LoopbackServer.noRoute(response, callback);
                    return true;
                }
                int n = asked.incrementAndGet();
                int status = answers[Math.min(n, answers.length) - 1];
                if (status == GONE) {
                    stopListening(response);
                    LoopbackServer.answer(response, callback, 503, BUSY);
                } else if (status == NEVER) {
                    held.add(callback);
                } else if (status == NO_ANSWER) {
                    request.getConnectionMetaData().getConnection().getEndPoint().close();
                    callback.succeeded();
                } else {
                    LoopbackServer.answer(response, callback, status, status == 200 ? COMPLETED : BUSY);
                }
                return true;
            }
        });
    }

    /** Closes the server's port, and the connection {@code response} goes out on once it has been sent. */
    private void stopListening(Response response) {
        ((ServerConnector) server.getConnectors()[0]).close();
        response.getHeaders().put("Connection", "close");
    }

    @AfterEach
    void stop() throws Exception {
        held.forEach(callback -> callback.failed(new IllegalStateException("the test has ended")));
        server.stop();
    }

    @Test
    void twoAnswersOf503ThenTheFinishedJobExitZero() {
        answers = new int[] {503, 503, 200};

        CommandRun run = CommandRun.at(base, home, waitingThroughOutagesOf(Duration.ofSeconds(60)), "batch", "status",
                ID, "--wait");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(asked).hasValue(3);
        assertThat(run.out()).contains("batch " + ID + " completed: readmission version 2, 10 of 10 rows");
        assertThat(run.err().lines().filter(line -> line.contains("asking again")))
                .containsExactly("vigil: the platform answered 503 (STORE_UNAVAILABLE: the registry store did not"
                        + " answer; try again shortly); asking again, for up to 60 s of such answers in a row",
                        "vigil: the platform answered 503 (STORE_UNAVAILABLE: the registry store did not"
                        + " answer; try again shortly); asking again, for up to 60 s of such answers in a row");
    }

    @Test
    void aConnectionDroppedWithoutAnAnswerAndA500AreWaitedThroughToo() {
        // Twice: a GET whose connection closed unanswered is sent once more by the JDK's connection itself.
        answers = new int[] {NO_ANSWER, NO_ANSWER, 500, 200};

        CommandRun run = CommandRun.at(base, home, waitingThroughOutagesOf(Duration.ofSeconds(60)), "batch", "status",
                ID, "--wait", "--json");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(asked).hasValue(4);
        assertThat(Json.readTree("standard output", run.out().getBytes(java.nio.charset.StandardCharsets.UTF_8))
                .path("state").asText()).isEqualTo("COMPLETED");
        assertThat(run.err()).contains("vigil: no answer from the platform (")
                .contains("vigil: the platform answered 500");
    }

    @Test
    void answersThatStayAwayEndTheWaitWithTheLastOneOnceTheyLastedTheBound() {
        answers = new int[] {503};

        CommandRun run = CommandRun.at(base, home, waitingThroughOutagesOf(Duration.ofSeconds(1)), "batch", "status",
                ID, "--wait");

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(asked.get()).isGreaterThan(1);
        assertThat(run.err()).contains("vigil: batch " + ID + ": the platform has given no status for 1 s in a row;"
                + " giving up waiting").endsWith("503 STORE_UNAVAILABLE: the registry store did not answer; try again"
                + " shortly" + System.lineSeparator());
        assertThat(run.out()).isEmpty();
    }

    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aPollTakenAndNeverAnsweredIsNoAnswerOnceItsTimeIsUp() {
        answers = new int[] {NEVER, 200};

        CommandRun run = CommandRun.at(base, home, waitingThroughOutagesOf(Duration.ofSeconds(60),
                Duration.ofMillis(200)), "batch", "status", ID, "--wait");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(asked).hasValue(2);
        assertThat(run.out()).contains("batch " + ID + " completed: readmission version 2, 10 of 10 rows");
        assertThat(run.err()).contains("vigil: no answer from the platform (SocketTimeoutException); asking again, for"
                + " up to 60 s of such answers in a row");
    }

    @Test
    void aPollNeverAnsweredCountsTowardsTheBoundFromWhenItWasAsked() {
        // The poll's time to answer outlasts the bound: the one unanswered poll has lasted it.
        answers = new int[] {NEVER};

        CommandRun run = CommandRun.at(base, home, waitingThroughOutagesOf(Duration.ofSeconds(1),
                Duration.ofMillis(1_500)), "batch", "status", ID, "--wait");

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(asked).hasValue(1);
        assertThat(run.err()).contains("vigil: batch " + ID + ": the platform has given no status for 1 s in a row;"
                + " giving up waiting");
        assertThat(run.out()).isEmpty();
    }

    /**
     * Polls taken and never answered until the wait gives up: its output ends with one line saying it gave up, after
     * how long, and what the last poll got, in words (not the connection's "Read timed out").
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aWaitThatGivesUpOnUnansweredPollsEndsWithOneLineSayingWhyInWords() {
        answers = new int[] {NEVER};

        CommandRun run = CommandRun.at(base, home, waitingThroughOutagesOf(Duration.ofSeconds(1),
                Duration.ofMillis(200)), "batch", "status", ID, "--wait");

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(lastLine(run.err())).isEqualTo("vigil: batch " + ID + ": the platform has given no status for 1 s"
                + " in a row; giving up waiting: the last poll was not answered within 200 ms (the job may still be"
                + " running: ask again with vigil batch status " + ID + " --wait)");
        assertThat(run.out()).isEmpty();
    }

    /**
     * A wrong --url: nothing listens at the port, or the host is not known. No platform has answered, so there is none
     * to wait for: the wait ends at once, as any command that reaches no platform, naming the address.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aWaitWhoseFirstPollFindsNoPlatformEndsAtOnceNamingTheAddress() throws Exception {
        for (URI wrong : List.of(LoopbackServer.aPortNothingListensAt(), URI.create("https://platform.invalid:7071"))) {
            CommandRun run = CommandRun.at(wrong, home, "batch", "status", ID, "--wait");

            assertThat(run.exit()).as(run.err()).isEqualTo(1);
            assertThat(run.err()).as(wrong.toString()).startsWith("vigil: the platform did not answer at " + wrong)
                    .contains("is it running (vigil up), and is --url its address?").hasLineCount(1);
            assertThat(run.out()).isEmpty();
        }
    }

    /**
     * A listener that never accepts (its queue full, as at an address whose packets are dropped): the connection is not
     * accepted within the connect timeout, which is no platform there, as a refused connection is, not a poll the
     * platform took and did not answer.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aWaitWhoseFirstConnectionIsNeverAcceptedEndsAtOnceNamingTheAddress() throws Exception {
        try (java.net.ServerSocket deaf = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            URI wrong = URI.create("http://127.0.0.1:" + deaf.getLocalPort());
            List<java.net.Socket> queued = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    java.net.Socket socket = new java.net.Socket();
                    try {
                        socket.connect(new java.net.InetSocketAddress("127.0.0.1", deaf.getLocalPort()), 200);
                    } catch (java.net.SocketTimeoutException full) {
                        socket.close();
                        break; // the queue is full: a next connection is not accepted either
                    }
                    queued.add(socket);
                }

                CommandRun run = CommandRun.at(wrong, home, "batch", "status", ID, "--wait");

                assertThat(run.exit()).as(run.err()).isEqualTo(1);
                assertThat(run.err())
                        .startsWith("vigil: the platform did not answer at " + wrong + " (ConnectException)")
                        .contains("is it running (vigil up), and is --url its address?").hasLineCount(1);
            } finally {
                for (java.net.Socket socket : queued) {
                    socket.close();
                }
            }
        }
    }

    /**
     * An HTTPS address whose listener accepts and never completes the handshake: the connection was taken, so this is a
     * platform that does not answer (waited through to the bound), not an address where nothing listens.
     */
    @Test
    @Timeout(value = 30, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void aHandshakeNeverCompletedIsAPollNotAnsweredNotNoPlatform() throws Exception {
        java.net.InetAddress loopback = java.net.InetAddress.getLoopbackAddress();
        try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, loopback)) {
            List<java.net.Socket> accepted = new CopyOnWriteArrayList<>();
            Thread acceptor = new Thread(() -> {
                try {
                    while (true) {
                        accepted.add(silent.accept());
                    }
                } catch (java.io.IOException closed) {
                    // the test is over
                }
            });
            acceptor.setDaemon(true);
            acceptor.start();
            URI https = URI.create("https://127.0.0.1:" + silent.getLocalPort());

            CommandRun run = CommandRun.at(https, home, waitingThroughOutagesOf(Duration.ofSeconds(1),
                    Duration.ofMillis(300)), "batch", "status", ID, "--wait");

            assertThat(run.exit()).as(run.err()).isEqualTo(1);
            assertThat(run.err()).doesNotContain("did not answer at");
            assertThat(lastLine(run.err())).startsWith("vigil: batch " + ID + ": the platform has given no status for"
                    + " 1 s in a row; giving up waiting: the last poll was not answered within 300 ms");
            assertThat(accepted).isNotEmpty();
            for (java.net.Socket socket : accepted) {
                socket.close();
            }
        }
    }

    /** Once the platform has answered, a refused connection is a platform restarting: waited through to the bound. */
    @Test
    void refusedConnectionsAfterTheFirstAnswerAreWaitedThroughUpToTheBound() {
        answers = new int[] {GONE};

        CommandRun run = CommandRun.at(base, home, waitingThroughOutagesOf(Duration.ofSeconds(1)), "batch", "status",
                ID, "--wait");

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(asked).hasValue(1);
        assertThat(run.err()).contains("vigil: the platform answered 503")
                .contains("vigil: no answer from the platform (ConnectException); asking again");
        assertThat(lastLine(run.err())).isEqualTo("vigil: batch " + ID + ": the platform has given no status for 1 s"
                + " in a row; giving up waiting: the last poll's connection was refused (the job may still be running:"
                + " ask again with vigil batch status " + ID + " --wait)");
    }

    /** The submission was answered: the wait after it waits through refused connections as status --wait does. */
    @Test
    void aSubmitWaitsThroughRefusedConnectionsAfterItsSubmissionWasAnswered() {
        CommandRun run = CommandRun.at(base, home, line -> ((BatchCommand.Submit) line.getSubcommands().get("batch")
                .getSubcommands().get("submit").getCommand()).patience = shortened(Duration.ofSeconds(1),
                        BatchCommand.Patience.THROUGH_A_RESTART.answerWithin()),
                "batch", "submit", "--input", "nightly/patients.csv", "--model", "readmission");

        assertThat(run.exit()).as(run.err()).isEqualTo(1);
        assertThat(run.out()).contains("batch " + ID + " submitted");
        assertThat(run.err()).contains("vigil: no answer from the platform (ConnectException); asking again")
                .contains("vigil: batch " + ID + ": the platform has given no status for 1 s in a row; giving up"
                        + " waiting");
    }

    private static String lastLine(String text) {
        List<String> lines = text.lines().toList();
        return lines.isEmpty() ? "" : lines.get(lines.size() - 1);
    }

    /** An address on loopback where nothing listens: a port that was free a moment ago. */
    /** The status command's wait, asking every 10 ms and through outages of up to {@code bound} in a row. */
    private static Consumer<CommandLine> waitingThroughOutagesOf(Duration bound) {
        return waitingThroughOutagesOf(bound, BatchCommand.Patience.THROUGH_A_RESTART.answerWithin());
    }

    /** {@link #waitingThroughOutagesOf(Duration)}, each poll answered within {@code answerWithin} or not at all. */
    private static Consumer<CommandLine> waitingThroughOutagesOf(Duration bound, Duration answerWithin) {
        return line -> ((BatchCommand.Status) line.getSubcommands().get("batch").getSubcommands().get("status")
                .getCommand()).patience = shortened(bound, answerWithin);
    }

    /** A wait asking every 10 ms, through outages of up to {@code bound}, each poll given {@code answerWithin}. */
    private static BatchCommand.Patience shortened(Duration bound, Duration answerWithin) {
        return new BatchCommand.Patience(Duration.ofMillis(10), bound, answerWithin);
    }
}
