package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.json.Json;
import health.vigil.model.CanaryStatus;
import health.vigil.testing.samples.SampleModels;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * A canary ramp, its promotion and a rollback on the local platform while clients keep scoring over HTTP: no request
 * fails, and every answer comes from a version that was in the deployment's slots while the request was in flight.
 * The ramp is moved by the controller's event triggers, as on the platform, so the test need not wait for the minute.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class CanaryUnderLoadIT {
    private static final String MODEL = SampleModels.READMISSION_NAME;
    private static final int CLIENTS = 4;

    private Path home;
    private LocalPlatform platform;
    private ControlClient operator;
    private String clinicalApp;

    private record Answer(long sent, long received, int status, int version, String body) {}

    @BeforeAll
    void start() throws Exception {
        home = Files.createTempDirectory("vigil-canary-it-");
        platform = GovernedPath.startWithStableAndApprovedCandidate(home);
        operator = new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "operator"));
        clinicalApp = LocalAdapters.apiKey(home, "clinical-app");
    }

    @AfterAll
    void stop() throws Exception {
        GovernedPath.stopAndDelete(platform, home);
    }

    @Test
    void rampPromoteAndRollbackUnderLoadFailNoRequestAndServeOnlyDeployedVersions() throws Exception {
        ConcurrentLinkedQueue<Answer> answers = new ConcurrentLinkedQueue<>();
        AtomicBoolean running = new AtomicBoolean(true);
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        List<Future<?>> load = new ArrayList<>();
        List<Map<String, Object>> records = SampleModels.readmissionCohort(200, 31).records();
        for (int c = 0; c < CLIENTS; c++) {
            int client = c;
            load.add(clients.submit(() -> {
                for (int i = 0; running.get(); i++) {
                    answers.add(score("load-" + client + "-" + (i % 500), records.get(i % records.size())));
                }
                return null;
            }));
        }
        Thread.sleep(1_000);
        for (Future<?> f : load) {
            if (f.isDone()) {
                f.get();
            }
        }
        assertThat(answers).as("scoring before the canary").isNotEmpty()
                .allSatisfy(a -> assertThat(a.status()).as(a.body()).isEqualTo(200));

        Map<String, Object> start = new LinkedHashMap<>();
        start.put("version", 2);
        start.put("steps", List.of(2_500, 5_000, 10_000));
        start.put("bakeTime", "PT1S");
        // A policy every canary passes: this test is about traffic, not about the analysis.
        start.put("policy", Map.of("minSamplePerSlot", 20, "flagRateMargin", 0.99, "missingRateMargin", 0.99,
                "psiLimit", 9.99, "errorRateMargin", 0.99, "refusedRateMargin", 0.99, "latencyMargin", 0.99,
                "latencyRatioLimit", 100, "scoreMeanMargin", 0.99));
        long[] revision = new long[1];
        change(() -> {
            JsonNode started = operator.send("POST", "/models/" + MODEL + "/canary", start, 201);
            revision[0] = started.path("revision").asLong();
            return versions(started.path("slots"));
        });
        // No tick is called here: the controller's event triggers (AdvanceCanary and its wake-ups) move the ramp. The
        // test watches the deployment; a change it sees may have been visible since the poll before.
        long previousPoll = System.nanoTime();
        java.time.Instant deadline = java.time.Instant.now().plusSeconds(90);
        while (java.time.Instant.now().isBefore(deadline)) {
            long polled = System.nanoTime();
            JsonNode seen = operator.send("GET", "/models/" + MODEL + "/canary", null, 200);
            if (seen.path("revision").asLong() != revision[0]) {
                revision[0] = seen.path("revision").asLong();
                changeStarts.add(previousPoll);
                changeEnds.add(System.nanoTime());
                stateVersions.add(versions(seen.path("slots")));
            }
            previousPoll = polled;
            if (!seen.at("/canary/status").asText().matches("running|paused")) {
                break;
            }
            Thread.sleep(100);
        }
        JsonNode ramp = operator.send("GET", "/models/" + MODEL + "/canary", null, 200);
        assertThat(ramp.at("/canary/status").asText()).as(ramp.toString()).isEqualTo(CanaryStatus.PROMOTED.wireName());
        assertThat(stateVersions).as("25 %, 50 %, then promoted").contains(Set.of(1, 2), Set.of(2));
        // Version 1 is retired just after the promoted deployment is saved (its stage follows the deployment); the
        // rollback goes back to the most recently retired version, so it waits for that, not for a fixed time.
        java.time.Instant retiredBy = java.time.Instant.now().plusSeconds(30);
        String stage = "";
        while (!stage.equals("RETIRED") && java.time.Instant.now().isBefore(retiredBy)) {
            Thread.sleep(50);
            stage = operator.send("GET", "/models/" + MODEL + "/versions/1", null, 200).get("stage").asText();
        }
        assertThat(stage).as("version 1 after the promotion").isEqualTo("RETIRED");
        JsonNode[] rollback = new JsonNode[1];
        change(() -> {
            rollback[0] = operator.send("POST", "/models/" + MODEL + "/rollback", Map.of(), 200);
            return versions(rollback[0].path("slots"));
        });
        long rolledBack = changeEnds.get(changeEnds.size() - 1);
        Thread.sleep(500);
        running.set(false);
        for (Future<?> f : load) {
            f.get(60, TimeUnit.SECONDS);
        }
        clients.shutdown();

        assertThat(answers).hasSizeGreaterThan(100);
        assertThat(answers).allSatisfy(a -> assertThat(a.status()).as(a.body()).isEqualTo(200));
        for (Answer a : answers) {
            assertThat(allowed(a)).as("versions deployed while the request was in flight").contains(a.version());
        }
        assertThat(answers).extracting(Answer::version).contains(1, 2);
        assertThat(answers).filteredOn(a -> a.sent() > rolledBack).isNotEmpty()
                .allSatisfy(a -> assertThat(a.version()).isEqualTo(1));

        // The rollback answer names the model as the canary's answers do, and keeps modelName for one release.
        assertThat(ramp.path("model").asText()).isEqualTo(MODEL);
        assertThat(rollback[0].path("model").asText()).as(rollback[0].toString()).isEqualTo(MODEL);
        assertThat(rollback[0].path("modelName").asText()).isEqualTo(MODEL);
        assertThat(CanaryCommand.statusLines(rollback[0])).startsWith(MODEL + " revision ");
    }

    /** The deployment's versions after each change, and when each change started and returned. */
    private final List<Set<Integer>> stateVersions = new ArrayList<>(List.of(Set.of(1)));
    private final List<Long> changeStarts = new ArrayList<>(List.of(Long.MIN_VALUE));
    private final List<Long> changeEnds = new ArrayList<>(List.of(Long.MIN_VALUE));

    private void change(java.util.concurrent.Callable<Set<Integer>> action) throws Exception {
        long started = System.nanoTime();
        Set<Integer> versions = action.call();
        if (versions == null) {
            return;
        }
        changeEnds.add(System.nanoTime());
        changeStarts.add(started);
        stateVersions.add(versions);
    }

    /**
     * State j may be seen from the moment the change that made it started until the next change returned; a request
     * may be answered by any version of any state it overlapped.
     */
    private Set<Integer> allowed(Answer a) {
        Set<Integer> allowed = new HashSet<>();
        for (int j = 0; j < stateVersions.size(); j++) {
            long from = changeStarts.get(j);
            long until = j + 1 < stateVersions.size() ? changeEnds.get(j + 1) : Long.MAX_VALUE;
            if (from <= a.received() && a.sent() <= until) {
                allowed.addAll(stateVersions.get(j));
            }
        }
        return allowed;
    }

    private static Set<Integer> versions(JsonNode slots) {
        Set<Integer> versions = new HashSet<>();
        slots.forEach(s -> versions.add(s.path("version").asInt()));
        return versions;
    }

    private Answer score(String patient, Map<String, Object> features) throws Exception {
        long sent = System.nanoTime();
        HttpResponse<String> response = GovernedPath.score(platform, clinicalApp, patient, features);
        long received = System.nanoTime();
        int version = -1;
        if (response.statusCode() == 200) {
            version = Json.readTree("answer", response.body().getBytes(StandardCharsets.UTF_8)).path("version").asInt();
        }
        return new Answer(sent, received, response.statusCode(), version, response.body());
    }
}
