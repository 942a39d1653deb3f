package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.net.URI;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil models gate-policy NAME} against a server on loopback that answers as the platform's
 * {@code GET} and {@code PUT /models/{name}/gate-policy}: the policy shown with the operator's key, a change read and
 * stored with the data steward's and its reason, and the platform's refusal as its code and message.
 */
class ModelsGatePolicyCommandTest {
    private static final String OPERATOR_KEY = "k-operator-0123456789abcdef0123456789";
    private static final String STEWARD_KEY = "k-steward-0123456789abcdef0123456789";
    /** A name typed one letter short: no model is registered under it. */
    private static final String NO_MODEL = "readmision";
    private static final String POLICY = "{\"version\": 3, \"aurocFloor\": 0.65, \"minSegmentSize\": 100,"
            + " \"requiredCardFields\": [\"intendedUse\", \"outOfScopeUse\"], \"requireCanary\": false,"
            + " \"maxFirstCanaryStep\": 2500,"
            + " \"changedBy\": \"data-steward\", \"changedAt\": \"2026-12-01T08:00:00Z\","
            + " \"reason\": \"smaller sites\"}";
    private final Server server = new Server();
    /** Method, path and key of each request the server received. */
    private final List<String> asked = new CopyOnWriteArrayList<>();
    /** The body of each PUT the server received. */
    private final List<JsonNode> changes = new CopyOnWriteArrayList<>();
    /** The answer to a PUT: status and body (the stored policy, or a refusal). */
    private final AtomicReference<String> putAnswer = new AtomicReference<>();
    private final AtomicReference<Integer> putStatus = new AtomicReference<>(200);
    private final java.util.concurrent.atomic.AtomicBoolean platformGoesAfterTheChange =
            new java.util.concurrent.atomic.AtomicBoolean();
    private URI base;

    @TempDir
    Path home;

    @BeforeEach
    void start() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"operator\", \"key\": \"" + OPERATOR_KEY
                + "\", \"roles\": [\"Deployments.Operate\"]}, {\"id\": \"data-steward\", \"key\": \"" + STEWARD_KEY
                + "\", \"roles\": [\"Datasets.Register\"]}]}");
        putAnswer.set(POLICY.replace("\"version\": 3", "\"version\": 4").replace("\"requireCanary\": false",
                "\"requireCanary\": true").replace("smaller sites", "new versions by canary"));
        base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                asked.add(request.getMethod() + " " + request.getHttpURI().getPath() + " "
                        + request.getHeaders().get("x-api-key"));
                if (request.getHttpURI().getPath().startsWith("/models/" + NO_MODEL)) {
                    noModel(request, response, callback);
                } else if (!request.getHttpURI().getPath().equals("/models/readmission/gate-policy")) {
                    LoopbackServer.noRoute(response, callback);
                } else if (request.getMethod().equals("GET")) {
                    LoopbackServer.answer(response, callback, 200, "{\"current\": " + POLICY + ", \"history\": ["
                            + POLICY + ", {}, {}]}");
                } else {
                    changes.add(Json.mapper().readTree(Content.Source.asString(request, StandardCharsets.UTF_8)));
                    LoopbackServer.answer(response, callback, putStatus.get(), putAnswer.get());
                }
                return true;
            }
        });
    }

    /**
     * A name no model is registered under, answered as the platform answers it: its gate policy is the defaults until
     * one is stored (version 1 next), and the registry does not know it.
     */
    private void noModel(Request request, Response response, Callback callback) {
        if (platformGoesAfterTheChange.get()) {
            // The platform stops taking connections once it has stored the change, and keeps none open: the look-up
            // that follows is refused.
            response.getHeaders().put(org.eclipse.jetty.http.HttpHeader.CONNECTION, "close");
            if (request.getMethod().equals("PUT")) {
                ((org.eclipse.jetty.server.ServerConnector) server.getConnectors()[0]).close();
            }
        }
        if (request.getHttpURI().getPath().equals("/models/" + NO_MODEL)) {
            LoopbackServer.answer(response, callback, 404, "{\"error\": {\"code\": \"MODEL_NOT_FOUND\", \"message\":"
                    + " \"model `" + NO_MODEL + "` is not registered (registered models: readmission)\"}}");
        } else {
            int version = request.getMethod().equals("PUT") ? 1 : 0;
            String policy = "{\"version\": " + version + ", \"aurocFloor\": 0.6, \"requireCanary\": " + (version == 1)
                    + (version == 1 ? ", \"changedBy\": \"data-steward\", \"changedAt\": \"2026-12-01T08:00:00Z\","
                            + " \"reason\": \"canary first\"" : "") + "}";
            LoopbackServer.answer(response, callback, 200, version == 1 ? policy
                    : "{\"current\": " + policy + ", \"history\": []}");
        }
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void theOperatorReadsTheModelsGatePolicyOneFieldALineOrAsTheApisJson() throws Exception {
        CommandRun shown = CommandRun.at(base, home, "models", "gate-policy", "readmission");
        CommandRun json = CommandRun.at(base, home, "models", "gate-policy", "readmission", "--json");

        assertThat(shown.exit()).isZero();
        assertThat(asked).containsExactly("GET /models/readmission/gate-policy " + OPERATOR_KEY,
                "GET /models/readmission/gate-policy " + OPERATOR_KEY);
        assertThat(shown.out()).isEqualTo("gate policy version 3, changed by data-steward at 2026-12-01 08:00:00 UTC"
                + " because \"smaller sites\"\n"
                + "  requireCanary              false (an approved version may be deployed directly)\n"
                + "  maxFirstCanaryStep         2500 (25 %: the largest first step of a new version's canary, read only"
                + " with requireCanary)\n"
                + "  aurocFloor                 0.65\n"
                + "  minSegmentSize             100\n"
                + "  requiredCardFields         intendedUse, outOfScopeUse\n"
                + "3 stored versions (--json shows each)\n");
        assertThat(json.exit()).isZero();
        assertThat(Json.mapper().readTree(json.out()).path("current").path("aurocFloor").asDouble()).isEqualTo(0.65);
        assertThat(changes).isEmpty();
    }

    @Test
    void requiringACanaryStoresThePolicyInForceWithOnlyThatChangedAsTheDataStewardWithTheReason() {
        CommandRun run = CommandRun.at(base, home, "models", "gate-policy", "readmission", "--require-canary", "true",
                "--reason", "new versions by canary");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(asked).containsExactly("GET /models/readmission/gate-policy " + STEWARD_KEY,
                "PUT /models/readmission/gate-policy " + STEWARD_KEY);
        JsonNode sent = changes.get(0);
        assertThat(sent.path("reason").asText()).isEqualTo("new versions by canary");
        assertThat(sent.path("policy").path("requireCanary").asBoolean()).isTrue();
        assertThat(sent.path("policy").path("aurocFloor").asDouble()).isEqualTo(0.65);
        assertThat(sent.path("policy").path("minSegmentSize").asInt()).isEqualTo(100);
        assertThat(sent.path("policy").path("requiredCardFields")).hasSize(2);
        assertThat(run.out()).startsWith("stored: gate policy version 4, changed by data-steward at 2026-12-01"
                + " 08:00:00 UTC because \"new versions by canary\"\n  requireCanary              true (a version"
                + " that has never been stable goes live only through a canary the analysis judged)\n");
        assertThat(run.err()).isEmpty();
    }

    /**
     * Any authenticated caller may read a policy: the data steward's change reads the policy it changes with the key
     * it writes with, so a home holding only the steward's key changes it, and no other persona's key is used.
     */
    @Test
    void aChangeOfOneSettingNeedsOnlyTheDataStewardsKey() throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": [{\"id\": \"data-steward\", \"key\": \""
                + STEWARD_KEY + "\", \"roles\": [\"Datasets.Register\"]}]}");

        CommandRun run = CommandRun.at(base, home, "models", "gate-policy", "readmission", "--require-canary", "true",
                "--reason", "new versions by canary");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(asked).containsExactly("GET /models/readmission/gate-policy " + STEWARD_KEY,
                "PUT /models/readmission/gate-policy " + STEWARD_KEY);
        assertThat(run.out()).startsWith("stored: gate policy version 4,");
    }

    @Test
    void cappingTheFirstCanaryStepStoresThePolicyInForceWithOnlyThatChanged() {
        CommandRun run = CommandRun.at(base, home, "models", "gate-policy", "readmission", "--max-first-canary-step",
                "100", "--reason", "new versions start on 1 % of patients");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(asked).containsExactly("GET /models/readmission/gate-policy " + STEWARD_KEY,
                "PUT /models/readmission/gate-policy " + STEWARD_KEY);
        JsonNode sent = changes.get(0).path("policy");
        assertThat(sent.path("maxFirstCanaryStep").asInt()).isEqualTo(100);
        assertThat(sent.path("requireCanary").asBoolean()).isFalse();
        assertThat(sent.path("aurocFloor").asDouble()).isEqualTo(0.65);
        assertThat(changes.get(0).path("reason").asText()).isEqualTo("new versions start on 1 % of patients");
    }

    /** The route does not make a change conditional on the version read: another change stored between is told. */
    @Test
    void aChangeOfRequireCanarySaysWhenAnotherChangeWasStoredBetweenItsReadAndItsWrite() {
        putAnswer.set(putAnswer.get().replace("\"version\": 4", "\"version\": 5"));

        CommandRun run = CommandRun.at(base, home, "models", "gate-policy", "readmission", "--require-canary", "true",
                "--reason", "new versions by canary");

        assertThat(run.exit()).isZero();
        assertThat(run.out()).startsWith("stored: gate policy version 5,");
        assertThat(run.err()).isEqualTo("vigil: another change of the policy was stored between version 3, which this"
                + " one was made from, and version 5; check what it changed with vigil models gate-policy readmission"
                + " --json (its history)\n");
    }

    /**
     * The platform keeps a policy for a name before its model's first upload, so a name typed wrong is answered as any
     * other: the defaults shown, a first version stored. The command says on standard error that no model has the name.
     */
    @Test
    void aNameNoModelIsRegisteredUnderIsSaidWhenItsPolicyIsShownOrFirstStored() {
        CommandRun shown = CommandRun.at(base, home, "models", "gate-policy", NO_MODEL);
        CommandRun stored = CommandRun.at(base, home, "models", "gate-policy", NO_MODEL, "--require-canary", "true",
                "--reason", "canary first");

        assertThat(shown.exit()).as(shown.err()).isZero();
        assertThat(shown.out()).startsWith("gate policy version 0: the platform's defaults\n");
        assertThat(shown.err()).isEqualTo("vigil: no model '" + NO_MODEL + "' is registered: this is the policy a first"
                + " version of that name would be judged by; vigil models list names the registered models\n");
        assertThat(stored.exit()).as(stored.err()).isZero();
        assertThat(stored.out()).startsWith("stored: gate policy version 1, changed by data-steward");
        assertThat(stored.err()).isEqualTo("vigil: no model '" + NO_MODEL + "' is registered: the policy was stored"
                + " for a model of that name uploaded later; if another was meant, vigil models list names the"
                + " registered models\n");
    }

    /**
     * The look-up of the model behind the name is a hint after the change was stored: a look-up that reaches no
     * platform says nothing, and the command still reports the stored change with exit 0.
     */
    @Test
    void aChangeStoredIsReportedWhenTheLookUpOfItsModelReachesNoPlatform() {
        platformGoesAfterTheChange.set(true);

        CommandRun stored = CommandRun.at(base, home, "models", "gate-policy", NO_MODEL, "--require-canary", "true",
                "--reason", "canary first");

        assertThat(stored.exit()).as(stored.err()).isZero();
        assertThat(stored.out()).startsWith("stored: gate policy version 1, changed by data-steward");
        assertThat(stored.err()).isEmpty();
    }

    @Test
    void aPolicyFromAFileIsStoredAsWrittenAndTheSavedAnswerOfJsonIsReadToo() throws Exception {
        Path file = home.resolve("policy.json");
        Files.writeString(file, "{\"current\": {\"aurocFloor\": 0.7, \"requireCanary\": true}, \"history\": []}");

        CommandRun run = CommandRun.at(base, home, "models", "gate-policy", "readmission", "--set", file.toString(),
                "--reason", "a higher floor");

        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(asked).containsExactly("PUT /models/readmission/gate-policy " + STEWARD_KEY);
        assertThat(changes.get(0)).isEqualTo(Json.mapper().readTree("{\"policy\": {\"aurocFloor\": 0.7,"
                + " \"requireCanary\": true}, \"reason\": \"a higher floor\"}"));
    }

    @Test
    void thePlatformsRefusalIsPrintedAsItsCodeAndMessageAndExitsOne() {
        putStatus.set(403);
        putAnswer.set("{\"error\": {\"code\": \"SEPARATION_OF_DUTIES\", \"message\": \"data-steward uploaded version 2"
                + " of `readmission`, so cannot change its gate policy\"}}");

        CommandRun run = CommandRun.at(base, home, "models", "gate-policy", "readmission", "--require-canary", "false",
                "--reason", "direct deploys again");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("403 SEPARATION_OF_DUTIES: data-steward uploaded version 2 of `readmission`,"
                + " so cannot change its gate policy\n");
        assertThat(run.out()).isEmpty();
    }

    @Test
    void aChangeWithoutAReasonOrWithBothWaysOfChangingIsRefusedBeforeAnythingIsSent() throws Exception {
        Path file = home.resolve("policy.json");
        Files.writeString(file, POLICY);

        CommandRun noReason = CommandRun.at(base, home, "models", "gate-policy", "readmission", "--require-canary",
                "true");
        CommandRun both = CommandRun.at(base, home, "models", "gate-policy", "readmission", "--require-canary", "true",
                "--set", file.toString(), "--reason", "both");
        CommandRun reasonAlone = CommandRun.at(base, home, "models", "gate-policy", "readmission", "--reason", "why");
        CommandRun notJson = CommandRun.at(base, home, "models", "gate-policy", "readmission", "--set",
                home.resolve("keys.json").resolveSibling("missing.json").toString(), "--reason", "why");

        assertThat(noReason.exit()).isEqualTo(2);
        assertThat(noReason.err()).contains("needs --reason");
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("not both");
        assertThat(reasonAlone.exit()).isEqualTo(2);
        assertThat(reasonAlone.err()).contains("nothing to change");
        assertThat(notJson.exit()).isEqualTo(2);
        assertThat(notJson.err()).contains("is not a file");
        assertThat(asked).isEmpty();
    }
}
