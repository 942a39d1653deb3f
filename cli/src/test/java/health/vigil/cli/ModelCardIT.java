package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.testing.samples.SampleModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The model card of a version that went the governed way (dataset, upload, gates, signed approval, deployment) on a
 * running local platform, in each representation the route offers; the HTML card rendered by headless Chromium
 * (Debian's {@code chromium}, which {@code ./test} installs), its screenshot kept under {@code target/model-card/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ModelCardIT {
    private static final String MODEL = SampleModels.READMISSION_NAME;
    private static final String CARD = "/models/" + MODEL + "/versions/1/card";
    private static final Path OUTPUT = Path.of("target", "model-card");
    /** Headless Chromium as root, with nothing reaching the network on its own. */
    private static final List<String> CHROMIUM = List.of("chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
            "--disable-background-networking", "--disable-component-update", "--no-first-run");
    private static final List<String> HEADINGS = List.of(
            "developer", "funding", "outputValue", "outputType", "intendedUse", "patientPopulation", "intendedUsers",
            "decisionRole", "outOfScope", "risksAndLimitations", "trainingCriteria", "inputVariables",
            "trainingRepresentativeness", "trainingRelevance", "fairnessApproach", "biasManagement", "externalSource",
            "externalParty", "externalRepresentativeness", "externalProcess", "testValidity", "testFairness",
            "externalValidity", "externalFairness", "outcomeEvaluations", "updateSchedule", "localValidity",
            "localFairness");

    private Path home;
    private LocalPlatform platform;
    private String approver;

    @BeforeAll
    void start() throws Exception {
        home = Files.createTempDirectory("vigil-card-");
        platform = LocalPlatform.start(home, 0);
        approver = LocalAdapters.apiKey(home, "approver");
        Path zip = home.resolve("readmission.zip");
        Files.write(zip, SampleModels.readmissionLogistic().zip());
        GovernedPath.deployReadmission(platform, home, zip, "readmission.zip");
        Files.createDirectories(OUTPUT);
    }

    @AfterAll
    void stop() throws Exception {
        GovernedPath.stopAndDelete(platform, home);
    }

    private HttpResponse<String> get(String path, String accept, String key) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(platform.baseUri().resolve(path)).GET();
        if (accept != null) {
            request.header("Accept", accept);
        }
        if (key != null) {
            request.header("x-api-key", key);
        }
        return BlockingHttp.send(request.build());
    }

    @Test
    void theJsonCardCoversEveryHti1AttributeFromTheRegistryTheGateReportAndTheSignature() throws Exception {
        HttpResponse<String> response = get(CARD, null, approver);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("content-type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/json"));
        JsonNode card = ControlClient.parse(response.body());
        JsonNode gates = ControlClient.parse(get("/models/" + MODEL + "/versions/1/gates", null, approver).body());

        assertThat(card.path("hti1")).hasSize(8);
        List<String> keys = new ArrayList<>();
        card.path("hti1").forEach(s -> s.path("attributes").forEach(a -> keys.add(a.path("key").asText())));
        assertThat(keys).containsExactlyElementsOf(HEADINGS);
        JsonNode summary = card.path("summary");
        assertThat(summary.path("gatesPassed").asBoolean()).isTrue();
        JsonNode auroc = null;
        for (JsonNode check : gates.path("checks")) {
            auroc = check.path("check").asText().equals("auroc") ? check : auroc;
        }
        assertThat(summary.path("auroc").asDouble()).isEqualTo(auroc.path("value").asDouble());
        assertThat(summary.path("signedBy").get(0).asText()).endsWith("(approved for canary)");
        assertThat(summary.path("deployedSlot").asText()).isEqualTo("stable");
        // The sample manifest gives some facts and leaves the rest out.
        assertThat(summary.path("notProvided").toString()).contains("funding", "externalSource", "localValidity")
                .doesNotContain("patientPopulation", "decisionRole", "inputVariables");
        assertThat(card.path("curves")).isEqualTo(gates.path("curves"));
        assertThat(card.path("curves").path("roc").size()).isGreaterThan(10);
        assertThat(card.path("segments").size()).isGreaterThan(0);
        assertThat(card.path("monitoring").path("provided").asBoolean()).isFalse();
        assertThat(card.path("registry").path("packageSha256").asText()).isEqualTo(ControlClient.parse(
                get("/models/" + MODEL + "/versions/1", null, approver).body()).path("packageSha256").asText());
    }

    @Test
    void theCardIsNegotiatedAndAnythingElseIs406WithTheErrorShape() throws Exception {
        HttpResponse<String> markdown = get(CARD, "text/markdown", approver);
        assertThat(markdown.statusCode()).isEqualTo(200);
        assertThat(markdown.headers().firstValue("content-type")).hasValue("text/markdown; charset=utf-8");
        assertThat(markdown.body()).startsWith("# Model card: " + MODEL + " version 1").contains("### (7)(ii) Fairness in test data");

        HttpResponse<String> html = get(CARD, "text/html,application/xhtml+xml,*/*;q=0.8", approver);
        assertThat(html.headers().firstValue("content-type")).hasValue("text/html; charset=utf-8");
        assertThat(html.headers().firstValue("content-security-policy")).hasValueSatisfying(v -> assertThat(v).startsWith("default-src 'none'"));

        for (String accept : List.of("image/png", "application/xml, text/csv", "text/html;q=0, application/json;q=0, text/markdown;q=0")) {
            HttpResponse<String> refused = get(CARD, accept, approver);
            assertThat(refused.statusCode()).as(accept).isEqualTo(406);
            JsonNode error = ControlClient.parse(refused.body()).path("error");
            assertThat(error.path("code").asText()).isEqualTo("NOT_ACCEPTABLE");
            assertThat(error.path("message").asText()).contains("application/json, text/html, text/markdown");
            assertThat(error.path("requestId").asText()).isNotBlank();
        }
        assertThat(get("/models/" + MODEL + "/versions/9/card", null, approver).statusCode()).isEqualTo(404);
        assertThat(get("/models/" + MODEL + "/versions/x/card", null, approver).statusCode()).isEqualTo(400);
        assertThat(get(CARD, null, null).statusCode()).isEqualTo(401);
    }

    @Test
    void chromiumRendersEveryAttributeHeadingTheSegmentTableAndBothCharts() throws Exception {
        Path page = OUTPUT.resolve("readmission-1.html").toAbsolutePath();
        // --force: target/ still holds the page an earlier run wrote.
        int exit = runCli("models", "card", MODEL, "1", "--format", "html", "--out", page.toString(), "--force",
                "--url", platform.baseUri().toString(), "--home", home.toString());
        assertThat(exit).isZero();
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(page))).isEqualTo("rw-------");
        assertThat(Files.readString(page)).startsWith("<!DOCTYPE html>")
                .contains("<h1>Model card: " + MODEL + " version 1</h1>");

        String dom = chromium("--dump-dom", page.toUri().toString());
        for (String heading : HEADINGS) {
            assertThat(dom).as(heading).containsPattern("<h3 id=\"" + heading + "\">\\(\\d\\)\\([ivx]+\\) [^<]+</h3>");
        }
        assertThat(dom).contains("<table id=\"segment-table\" class=\"cards\" role=\"table\"")
                .contains("id=\"calibration-plot\"")
                .contains("id=\"roc-curve\"").containsPattern("<polyline class=\"curve\"[^>]*points=\"[0-9., ]{40,}\"");

        Path screenshot = OUTPUT.resolve("readmission-1.png").toAbsolutePath();
        Files.deleteIfExists(screenshot);
        chromium("--screenshot=" + screenshot, "--window-size=1100,4000", page.toUri().toString());
        byte[] png = Files.readAllBytes(screenshot);
        assertThat(png.length).isGreaterThan(10_000);
        assertThat(new String(png, 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
    }

    @Test
    void aGatePolicyThatRequiresACardFieldFailsTheGatesOfAVersionWhoseManifestLacksIt() throws Exception {
        ControlClient steward = new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, DatasetsCommand.STEWARD));
        JsonNode current = steward.send("GET", "/models/" + MODEL + "/gate-policy", null, 200).path("current");
        com.fasterxml.jackson.databind.node.ObjectNode policy = current.deepCopy();
        policy.putArray("requiredCardFields").add("fundingSource").add("patientPopulation");
        // A reason the history could not keep as one plain line (too long, a line break, a direction override) is refused.
        for (String reason : List.of("x".repeat(2_001), "cards\nmust", "cards \u202e tsum")) {
            steward.send("PUT", "/models/" + MODEL + "/gate-policy", java.util.Map.of("policy", policy, "reason", reason),
                    400);
        }
        assertThat(steward.send("GET", "/models/" + MODEL + "/gate-policy", null, 200).path("current").path("version")
                .asInt()).isEqualTo(current.path("version").asInt());
        // A name that is not one is refused as such before the body is read, so its refusal of a body without a
        // policy, which names the route to read the policy from, never repeats it (it was, as typed).
        JsonNode misnamed = steward.send("PUT", "/models/Jane%20Doe%20MRN-4471/gate-policy",
                java.util.Map.of("reason", "no policy"), 400);
        assertThat(misnamed.toString()).doesNotContain("Jane").doesNotContain("4471");
        JsonNode withoutPolicy = steward.send("PUT", "/models/" + MODEL + "/gate-policy",
                java.util.Map.of("reason", "no policy"), 400);
        assertThat(withoutPolicy.at("/error/code").asText()).isEqualTo("INVALID_REQUEST");
        assertThat(withoutPolicy.at("/error/message").asText()).contains("GET /models/" + MODEL + "/gate-policy");
        assertThat(steward.send("PUT", "/models/" + MODEL + "/gate-policy", java.util.Map.of("policy", "strict",
                "reason", "a policy that is text"), 400).at("/error/code").asText()).isEqualTo("MALFORMED_JSON");
        steward.send("PUT", "/models/" + MODEL + "/gate-policy", java.util.Map.of("policy", policy,
                "reason", "cards must say who funds the model"), 200);

        Path zip = home.resolve("trees.zip");
        Files.write(zip, SampleModels.readmissionTrees().zip());
        HttpResponse<String> uploaded = ModelsCommand.upload(new ControlClient(platform.baseUri(),
                LocalAdapters.apiKey(home, "data-scientist")), MODEL, zip, "trees.zip");
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
        int version = ControlClient.parse(uploaded.body()).at("/version/version").asInt();
        String path = "/models/" + MODEL + "/versions/" + version;
        String stage = "";
        for (int i = 0; i < 1200 && stage.matches("|REGISTERED|GATES_RUNNING"); i++) {
            Thread.sleep(100);
            stage = ControlClient.parse(get(path, null, approver).body()).path("stage").asText();
        }
        assertThat(stage).isEqualTo("GATES_FAILED");
        JsonNode summary = ControlClient.parse(get(path + "/card", null, approver).body()).path("summary");
        assertThat(summary.path("failedGates").toString()).contains("\"card\"");
        JsonNode report = ControlClient.parse(get(path + "/gates", null, approver).body());
        List<String> card = new ArrayList<>();
        report.path("checks").forEach(c -> {
            if (c.path("gate").asText().equals("card")) {
                card.add(c.path("check").asText() + "=" + c.path("outcome").asText());
            }
        });
        // The sample manifest states its patient population but not its funding.
        assertThat(card).containsExactly("fundingSource=FAILED", "patientPopulation=PASSED");
    }

    private static String chromium(String... arguments) throws Exception {
        List<String> command = new ArrayList<>(CHROMIUM);
        command.add("--user-data-dir=" + OUTPUT.resolve("chromium-profile").toAbsolutePath());
        command.addAll(List.of(arguments));
        Path log = OUTPUT.resolve("chromium.log");
        Process process = new ProcessBuilder(command).redirectErrorStream(false)
                .redirectError(log.toFile()).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("chromium did not finish within 120 s");
        }
        assertThat(process.exitValue()).as(Files.readString(log)).isZero();
        return out;
    }

    private static int runCli(String... arguments) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            return Main.commandLine().execute(arguments);
        } finally {
            System.setOut(original);
        }
    }
}
