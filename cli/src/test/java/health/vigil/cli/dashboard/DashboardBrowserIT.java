package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.cli.BlockingHttp;
import health.vigil.audit.MutableClock;
import health.vigil.audit.EvidenceLayout;
import health.vigil.cli.GovernedPath;
import health.vigil.cli.LocalPlatform;
import health.vigil.cli.Main;
import health.vigil.config.VigilConfig;
import health.vigil.functions.common.html.Html;
import health.vigil.json.Json;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.Deployment;
import health.vigil.model.GateCheck;
import health.vigil.model.GateReport;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionRecord;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.Slot;
import health.vigil.model.VersionRecord;
import health.vigil.monitoring.MonitoringPolicy;
import health.vigil.monitoring.MonitoringReport;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.port.SecretProvider;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.ModelSummary;
import health.vigil.routing.TrafficRouter;
import health.vigil.training.ClinicalModel;
import health.vigil.training.TrainingProgress;
import health.vigil.training.models.ReferenceModels;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard as a person sees it, in headless Chromium (Debian's chromium and chromium-driver, which
 * {@code ./test} installs). {@code vigil demo} fills a home (three trained models through their gates and approval,
 * two deployed, patients scored, a rebuilt readmission package started as a canary); then the platform is started on
 * that home as {@code vigil up} starts it, a clinical application scores patients on both slots and the canary
 * controller judges two steps, and every page is opened after signing in with the key of the role it needs. Each
 * check is what a person would look at: the numbers in a table against what the platform's services hold, the
 * points of a chart, the page a key without the role gets. Screenshots go to {@code target/screenshots/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardBrowserIT {
    private static final String MODEL = "readmission";
    private static final ModelName READMISSION = new ModelName(MODEL);
    /** Predictions each slot needs before a canary step is judged (the demo's canary keeps the default policy). */
    private static final int PER_SLOT = CanaryPolicy.DEFAULT.minSamplePerSlot();
    /** Canary steps the test has the controller judge. */
    private static final int JUDGED = 2;
    /** The demo's default seed: the rebuilt package is the model the demo promoted, so its gates pass as they did. */
    private static final long DEMO_SEED = 20261124L;
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");

    private Path home;
    private LocalPlatform platform;
    private WebDriver browser;
    private final MutableClock now = new MutableClock(Instant.now());
    private JsonNode explained;
    /** The canary steps' predictions and their cohort's outcomes, sent before the window after them is checked. */
    private final List<String> scoredIds = new ArrayList<>();
    private final List<Integer> labels = new ArrayList<>();
    private int canaryVersion;
    private int stableVersion;

    @BeforeAll
    void start() throws Exception {
        home = Files.createTempDirectory("vigil-dashboard-it-");
        runDemo();
        platform = LocalPlatform.start(VigilConfig.local(home), 0, b -> b.clock(now));
        now.set(Instant.now());
        startARebuiltCanary();
        Deployment deployment = platform.platform().registry().deployment(READMISSION).orElseThrow();
        assertThat(deployment.canary()).as("the rebuilt version's canary").isNotNull();
        canaryVersion = deployment.canary().version();
        stableVersion = deployment.canary().stableVersion();
        driveTheCanary();
        checkTheCanarysWindow();
        deadLetterOneEvent();

        Files.createDirectories(SCREENSHOTS);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(executable("chromium"));
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run", "--window-size=1280,1600");
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(executable("chromedriver"))).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        // A click that submits a form or follows a link returns before the next page is there: look up elements
        // with a grace period, and wait for the address explicitly (awaitUrl).
        browser.manage().timeouts().implicitlyWait(Duration.ofSeconds(5));
    }

    /** {@code vigil demo} on the test's home, as a person runs it. */
    private void runDemo() {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Main.commandLine().execute("demo", "--home", home.toString(), "--patients", "3");
        } finally {
            System.setOut(original);
        }
        assertThat(exit).as(captured.toString(StandardCharsets.UTF_8)).isZero();
    }

    /**
     * The demo's own canaries have ended (one promoted, one rolled back) by the time it returns, so the pages get a
     * canary that is still ramping: a package rebuilt from another seed goes the governed way over HTTP (uploaded by
     * the data scientist, judged by its gates, signed by the approver) and starts on the default ramp, as an operator
     * starts one.
     */
    private void startARebuiltCanary() throws Exception {
        Path zip = Files.createTempFile("vigil-dashboard-rebuilt-", ".zip");
        try {
            ReferenceModels.trainMiscalibrated(ClinicalModel.READMISSION, zip, DEMO_SEED, ReferenceModels.DEMO_ROWS, 0.0,
                    TrainingProgress.NONE);
            int version = GovernedPath.approve(platform, home, MODEL, zip, "readmission-dashboard.zip");
            HttpResponse<String> started = post("/models/" + MODEL + "/canary", key("operator"),
                    Json.write(Map.of("version", version, "bakeTime", "PT1M")));
            assertThat(started.statusCode() / 100).as(started.body()).isEqualTo(2);
        } finally {
            Files.deleteIfExists(zip);
        }
    }

    /**
     * Patients the router sends to each slot at the current step score until each slot has enough predictions, and the
     * controller's tick (as the minute timer calls it) judges the step once its bake time is over; twice.
     */
    private void driveTheCanary() throws Exception {
        Pseudonymizer pseudonyms = new Pseudonymizer(LocalAdapters.at(home, VigilConfig.local(home).predictionLogDurability())
                .secretProvider().secret(SecretProvider.PSEUDONYMISATION_KEY));
        var dataset = ClinicalModel.values()[0].synthetic(2 * PER_SLOT * JUDGED, 20261203L).dataset();
        List<Map<String, Object>> cohort = dataset.records();
        int next = 0;
        int patient = 0;
        for (int step = 0; step < JUDGED; step++) {
            CanaryRamp ramp = platform.platform().registry().deployment(READMISSION).orElseThrow().canary();
            int weight = ramp.weightBasisPoints();
            List<Map<String, Object>> records = new ArrayList<>();
            int canary = 0;
            int stable = 0;
            while (canary < PER_SLOT || stable < PER_SLOT) {
                String id = "MRN-dashboard-" + patient++;
                // Under the ramp's own salt, as the scoring path routes the patient.
                boolean toCanary = TrafficRouter.bucket(ramp.bucketSalt(), pseudonyms.pseudonym(id)) < weight;
                if (toCanary ? canary++ < PER_SLOT : stable++ < PER_SLOT) {
                    labels.add(dataset.label(next) ? 1 : 0);
                    records.add(Map.of("patientId", id, "features", cohort.get(next++)));
                }
            }
            HttpResponse<String> scored = post("/score/" + MODEL, key("clinical-app"), Json.write(Map.of("records", records)));
            assertThat(scored.statusCode()).as(scored.body()).isEqualTo(200);
            explained = json(scored.body()).get("predictions").get(0);
            json(scored.body()).get("predictions").forEach(q -> scoredIds.add(q.get("predictionId").asText()));
            now.set(Instant.now().isAfter(ramp.judgeAt()) ? Instant.now() : ramp.judgeAt().plusSeconds(1));
            platform.platform().canaries().tick();
            CanaryRamp judged = platform.platform().registry().deployment(READMISSION).orElseThrow().canary();
            assertThat(judged.step()).as("step %d judged: %s", step + 1, judged.reason()).isEqualTo(step + 1);
        }
    }

    /**
     * The monitoring check of the window after the demo's (which held its shifted patients and their outcomes): the
     * canary's steps, as an operator runs it with {@code POST /models/{name}/monitoring/run}.
     */
    private void checkTheCanarysWindow() throws Exception {
        Instant to = now.instant().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        Instant from = platform.platform().monitoring().reports().list(MODEL, to.minus(Duration.ofDays(1)), to).stream()
                .map(MonitoringReport::to).max(java.util.Comparator.naturalOrder()).orElseThrow();
        // The stable version is the one the demo promoted after its monitoring step: its outcomes arrive now, so its
        // window has a labelled part to draw.
        List<Map<String, Object>> outcomes = new ArrayList<>();
        for (int i = 0; i < scoredIds.size(); i++) {
            outcomes.add(Map.of("predictionId", scoredIds.get(i), "outcome", labels.get(i)));
        }
        HttpResponse<String> recorded = post("/outcomes", key("outcomes-feed"),
                Json.write(Map.of("model", MODEL, "outcomes", outcomes)));
        assertThat(recorded.statusCode()).as(recorded.body()).isEqualTo(200);
        HttpResponse<String> run = post("/models/" + MODEL + "/monitoring/run?from=" + from + "&to=" + to,
                key("operator"), "");
        assertThat(run.statusCode()).as(run.body()).isEqualTo(200);
    }

    @AfterAll
    void stop() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        if (platform != null) {
            platform.close();
        }
        try (Stream<Path> files = Files.walk(home)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    @Test
    void aPageAsksForAKeyAndAWrongKeyIsTurnedAway() throws IOException {
        browser.manage().deleteAllCookies();
        browser.get(url("/dashboard/models"));
        assertThat(browser.getCurrentUrl()).contains("/login");
        screenshot("login");
        browser.findElement(By.id("key")).sendKeys("not-a-key");
        browser.findElement(By.cssSelector("form.login button")).click();
        assertThat(browser.findElement(By.cssSelector("[role=alert]")).getText()).contains("not one of this platform's keys");
    }

    // Over HTTP, as an attacker's page or script would send it: sign-in from an opaque origin, a next address that
    // a browser would turn into another site, and query values the pages' parsers cannot take.
    @Test
    void signInStaysOnThisDashboardAndBadQueryValuesAre400() throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        String form = "key=" + URLEncoder.encode(key("compliance"), StandardCharsets.UTF_8) + "&next="
                + URLEncoder.encode("/\t/evil.example", StandardCharsets.UTF_8);
        java.net.http.HttpResponse<String> opaque = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(url("/login"))).header("Content-Type", "application/x-www-form-urlencoded")
                .header("Origin", "null").POST(java.net.http.HttpRequest.BodyPublishers.ofString(form)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(opaque.statusCode()).as("a form sent from a sandboxed frame or a file").isEqualTo(403);
        assertThat(opaque.headers().firstValue("Set-Cookie")).isEmpty();

        java.net.http.HttpResponse<String> signedIn = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(url("/login"))).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(form)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(signedIn.statusCode()).isEqualTo(303);
        assertThat(signedIn.headers().firstValue("Location")).as("a tab would leave '//evil.example'").hasValue("/");
        String cookie = signedIn.headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
        java.net.http.HttpResponse<String> page = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                url("/login?next=%2F%09%2Fevil.example"))).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(page.body()).doesNotContain("evil.example");
        assertThat(rawStatus("/login?next=%zz", null)).isEqualTo(400);
        for (String broken : List.of("key=%zz", "key=abc%4")) {
            java.net.http.HttpResponse<String> refused = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(url("/login"))).header("Content-Type", "application/x-www-form-urlencoded")
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString(broken)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as(broken).isEqualTo(400);
            // The refusal never repeats the form (the request id beside it is random hex, which may hold "abc").
            String alert = refused.body().replaceAll("(?s).*<p role=\"alert\">(.*?)</p>.*", "$1");
            assertThat(alert).as(broken).contains("not valid URL encoding").doesNotContain("abc");
        }

        // Broken URL encoding is the caller's to fix as well (not a 500): an escape that is not one, bytes not UTF-8,
        // sent as raw requests (no URI class lets them through).
        for (String path : List.of("/dashboard/audit?from=%zz", "/dashboard/audit?to=%C3")) {
            assertThat(rawStatus(path, cookie)).as(path).isEqualTo(400);
        }
        for (String path : List.of("/dashboard/audit?to=-999999999-01-01", "/dashboard/audit?from=+10000-01-01")) {
            assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url(path))).header("Cookie",
                    cookie).build(), java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).as(path)
                    .isEqualTo(400);
        }
        String operator = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url("/login")))
                .header("Content-Type", "application/x-www-form-urlencoded").POST(java.net.http.HttpRequest
                        .BodyPublishers.ofString("key=" + URLEncoder.encode(key("operator"), StandardCharsets.UTF_8)))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString())
                .headers().firstValue("Set-Cookie").orElseThrow().split(";", 2)[0];
        java.net.http.HttpResponse<String> slot = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                url("/dashboard/monitoring/" + MODEL + "?slot=foo"))).header("Cookie", operator).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(slot.statusCode()).isEqualTo(400);
        assertThat(slot.body()).contains("slot");

        // One page, one address: a version as the API writes it, each query parameter once, each form field once.
        for (String path : List.of("/dashboard/models/" + MODEL + "/versions/01",
                "/dashboard/models/" + MODEL + "/versions/+1", "/dashboard/models/" + MODEL + "/versions/%EF%BC%91",
                "/dashboard/models/" + MODEL + "/versions/%D9%A1", "/dashboard/audit?from=2026-12-05&from=2026-12-04")) {
            assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url(path))).header("Cookie",
                    path.startsWith("/dashboard/audit") ? cookie : operator).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString()).statusCode()).as(path).isEqualTo(400);
        }
        assertThat(http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(url("/dashboard/models/" + MODEL
                + "/versions/1"))).header("Cookie", operator).build(), java.net.http.HttpResponse.BodyHandlers.ofString())
                .statusCode()).isEqualTo(200);
        java.net.http.HttpResponse<String> twoKeys = http.send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(url("/login"))).header("Content-Type", "application/x-www-form-urlencoded")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString("key=" + URLEncoder.encode(key("operator"),
                        StandardCharsets.UTF_8) + "&key=" + URLEncoder.encode(key("compliance"), StandardCharsets.UTF_8)))
                .build(), java.net.http.HttpResponse.BodyHandlers.ofString());
        assertThat(twoKeys.statusCode()).isEqualTo(400);
        assertThat(twoKeys.headers().firstValue("Set-Cookie")).isEmpty();
    }

    @Test
    void theModelsPageListsEveryModelWithItsLatestStageAndLiveTraffic() throws IOException {
        signIn("operator", "/dashboard/models");
        ModelRegistry registry = platform.platform().registry();
        List<WebElement> rows = browser.findElements(By.cssSelector("#models tbody tr"));
        assertThat(rows.stream().map(r -> cells(r).get(0))).containsExactlyInAnyOrderElementsOf(
                registry.listModels().stream().map(ModelName::value).toList());
        for (WebElement row : rows) {
            List<String> cells = cells(row);
            ModelSummary summary = registry.summary(new ModelName(cells.get(0)));
            assertThat(cells.subList(1, 4)).containsExactly(Integer.toString(summary.versionCount()),
                    Integer.toString(summary.latest().version()), Pages.words(summary.latest().stage().wireName()));
        }
        // Two judged steps of the demo's canary: 1 %, then 5 %, now 25 % of readmission's patients.
        assertThat(cellsAsWritten(row(rows, MODEL)).get(4)).isEqualTo("stable v" + stableVersion + " 75.00\u00a0%, canary v"
                + canaryVersion + " 25.00\u00a0%");
        assertThat(cells(row(rows, "adherence")).get(4)).isEqualTo("not deployed");
        screenshot("models");
        assertSelfContained();
    }

    @Test
    void aModelsPageShowsEachVersionsStageAndTheStageHistory() throws IOException {
        signIn("operator", "/dashboard/models/" + MODEL);
        List<VersionRecord> versions = platform.platform().registry().listVersions(READMISSION);
        List<WebElement> rows = browser.findElements(By.cssSelector("#versions tbody tr"));
        assertThat(rows.stream().map(r -> cells(r).subList(0, 2))).containsExactlyElementsOf(versions.stream()
                .map(v -> List.of("version " + v.version(), Pages.words(v.stage().wireName()))).toList());
        // "version 3" names one version: on a desktop its cell keeps the word and the number on one line.
        assertThat(browser.findElements(By.cssSelector("#versions tbody th a")).stream().filter(a -> ((Number)
                ((org.openqa.selenium.JavascriptExecutor) browser).executeScript("return arguments[0].getClientRects()"
                        + ".length", a)).intValue() > 1).map(WebElement::getText)).as("versions broken over lines")
                .isEmpty();
        int changes = versions.stream().mapToInt(v -> v.history().size()).sum();
        assertThat(browser.findElements(By.cssSelector("#history tbody tr"))).hasSize(changes);
        // The canary version went through its gates and approval into the canary: each move with who made it.
        assertThat(browser.findElements(By.cssSelector("#history tbody tr")).stream().map(this::cells)
                .filter(c -> c.get(1).equals(Integer.toString(canaryVersion))).map(c -> c.get(3)))
                .contains("approved", "canary");
        screenshot("model");
        assertSelfContained();
    }

    @Test
    void aVersionsPageShowsItsGateReportAndModelCard() throws IOException {
        signIn("operator", "/dashboard/models/" + MODEL);
        browser.findElement(By.linkText("version 1")).click();
        awaitUrl(url -> url.endsWith("/dashboard/models/" + MODEL + "/versions/1"), "version 1's page");
        VersionRecord v1 = platform.platform().registry().getVersion(READMISSION, 1);
        assertThat(browser.findElements(By.cssSelector("#stage-history tbody tr")).stream().map(r -> cells(r).get(2)))
                .containsExactlyElementsOf(v1.history().stream().map(c -> Pages.words(c.to().wireName())).toList());
        GateReport report = platform.platform().gates().find(v1.id()).orElseThrow();
        List<WebElement> checks = browser.findElements(By.cssSelector("#gate-checks tbody tr"));
        assertThat(checks).hasSize(report.checks().size());
        for (int i = 0; i < checks.size(); i++) {
            GateCheck check = report.checks().get(i);
            List<String> cells = cells(checks.get(i));
            assertThat(cells.subList(0, 2)).containsExactly(check.gate(), check.check());
            if (check.value() != null) {
                assertThat(cells.get(2)).isEqualTo(health.vigil.text.Words.number(check.value()));
            }
            // The outcome is said in words beside its symbol.
            assertThat(cells.get(5)).endsWith(check.outcome().name().toLowerCase(java.util.Locale.ROOT));
        }
        assertThat(browser.findElement(By.id("gate-verdict")).getText()).startsWith("\u2714 Passed: "
                + report.checks().size() + " checks, 0 failed");
        assertThat(browser.findElement(By.id("card-summary")).getText()).contains("Avery Approver");
        screenshot("version");
        assertSelfContained();

        browser.findElement(By.partialLinkText("The whole model card")).click();
        awaitUrl(url -> url.endsWith("/versions/1/card"), "the model card");
        assertThat(browser.findElement(By.tagName("h1")).getText()).contains(MODEL);
        screenshot("model-card");
        assertSelfContained();

        // The adherence model the demo's gates stopped: its failed checks are named.
        browser.get(url("/dashboard/models/adherence/versions/1"));
        GateReport failed = platform.platform().gates().find(new ModelVersion(new ModelName("adherence"), 1)).orElseThrow();
        long failedChecks = failed.checks().stream().filter(c -> c.outcome() == GateCheck.Outcome.FAILED).count();
        assertThat(failedChecks).isPositive();
        assertThat(browser.findElement(By.id("gate-verdict")).getText()).startsWith("\u2718 Failed: "
                + failed.checks().size() + " checks, " + failedChecks + " failed");
        assertThat(browser.findElements(By.cssSelector("#gate-checks .outcome.failed"))).hasSize((int) failedChecks);
        screenshot("version-gates-failed");
    }

    @Test
    void theDeploymentsShowSlotWeightsAndTheCanarysRampAndStepAnalysis() throws Exception {
        signIn("operator", "/dashboard/deployments");
        int weight = CanaryRamp.DEFAULT_STEPS.get(JUDGED);
        assertThat(browser.findElements(By.cssSelector("#slots-" + MODEL + " tbody tr")).stream().map(this::cellsAsWritten))
                .containsExactly(List.of("stable", "version " + stableVersion, "75.00\u00a0%"),
                        List.of("canary", "version " + canaryVersion, Pages.weight(weight)));
        assertThat(browser.findElements(By.cssSelector("#weights-" + MODEL + " rect.slot"))).hasSize(2);

        // The canary's analysis as the API gives it, step by step.
        HttpResponse<String> answer = BlockingHttp.send(HttpRequest.newBuilder(URI.create(url("/models/" + MODEL
                + "/canary/analysis"))).header("x-api-key", key("operator")).GET().build());
        JsonNode steps = json(answer.body()).get("steps");
        assertThat(steps.size()).isGreaterThanOrEqualTo(JUDGED);
        List<WebElement> rows = browser.findElements(By.cssSelector("#steps-" + MODEL + " tbody tr"));
        assertThat(rows).hasSize(steps.size());
        int metrics = 0;
        for (int i = 0; i < steps.size(); i++) {
            JsonNode step = steps.get(i);
            List<String> cells = cells(rows.get(i));
            assertThat(cells.get(0)).isEqualTo(Integer.toString(step.get("step").asInt() + 1));
            assertThat(cellsAsWritten(rows.get(i)).get(1)).isEqualTo(Pages.weight(step.get("weightBasisPoints").asInt()));
            assertThat(cells.subList(3, 5)).containsExactly(step.get("canaryCount").asText(),
                    step.get("stableCount").asText());
            assertThat(cells.get(5)).contains(step.get("decision").asText());
            metrics += step.get("metrics").size();
        }
        assertThat(cells(rows.get(rows.size() - 1)).get(5)).endsWith("pass");
        // Every metric of every step, with its p-value as the analysis computed it.
        List<WebElement> metricRows = browser.findElements(By.cssSelector("#step-metrics-" + MODEL + " tbody tr"));
        assertThat(metricRows).hasSize(metrics);
        int at = 0;
        for (JsonNode step : steps) {
            for (JsonNode metric : step.get("metrics")) {
                List<String> cells = cells(metricRows.get(at++));
                assertThat(cells.get(1)).isEqualTo(metric.get("name").asText());
                assertThat(cells.get(5)).isEqualTo(DeploymentsView.pValue(metric.get("pValue").asDouble())
                        .replace("&lt;", "<"));
                assertThat(cells.get(7)).endsWith(metric.get("failed").asBoolean() ? "failed" : "healthy");
            }
        }
        // The ramp over time: where it started and one point per analysed step, the last at the current weight.
        List<WebElement> points = browser.findElements(By.cssSelector("#ramp-" + MODEL + " .point"));
        assertThat(points).hasSize(1 + steps.size());
        assertThat(points.get(points.size() - 1).findElement(By.tagName("title")).getAttribute("textContent"))
                .startsWith("canary v" + canaryVersion + " " + Pages.weight(weight));
        assertThat(browser.findElement(By.id("ramp-" + MODEL + "-desc")).getAttribute("textContent"))
                .startsWith("Canary weight over time: 1.00\u00a0% from ");
        screenshot("deployments");
        assertSelfContained();
    }

    @Test
    void monitoringDrawsTheStoredReportsAndThePeriodsScoresAndCalibration() throws Exception {
        signIn("operator", "/dashboard/monitoring/" + MODEL);
        VigilPlatform p = platform.platform();
        Instant to = p.clock().instant();
        Instant from = to.minus(Duration.ofDays(MonitoringView.DEFAULT_DAYS));
        // The reports as the monitoring API gives them, of the stable version in the stable slot.
        HttpResponse<String> answer = BlockingHttp.send(HttpRequest.newBuilder(URI.create(url("/models/" + MODEL
                + "/monitoring?from=" + from + "&to=" + to))).header("x-api-key", key("operator")).GET().build());
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        List<JsonNode> reports = new ArrayList<>();
        json(answer.body()).get("reports").forEach(r -> {
            if (r.get("version").asInt() == stableVersion && r.get("slot").asText().equals("stable")) {
                reports.add(r);
            }
        });
        assertThat(reports).as("the window checked after the canary's steps, of the version the demo promoted")
                .isNotEmpty();
        assertThat(browser.findElement(By.cssSelector("[data-fact=windows]")).getText())
                .isEqualTo(Integer.toString(reports.size()));
        // Every window with its predictions and the score's PSI; one point per window on the score's drift line.
        List<WebElement> windows = browser.findElements(By.cssSelector("#windows tbody tr"));
        assertThat(windows).hasSize(reports.size());
        for (int i = 0; i < reports.size(); i++) {
            assertThat(cells(windows.get(i)).get(1)).isEqualTo(reports.get(i).get("predictions").asText());
            // A window the hourly timer checked without predictions has no score statistics: a dash.
            JsonNode psi = reports.get(i).at("/drift/score/psi");
            assertThat(cells(windows.get(i)).get(3)).startsWith(psi.isNumber() ? Html.number(psi.asDouble(), 3) : "\u2013");
        }
        assertThat(browser.findElements(By.cssSelector("#drift-chart g.series[data-series=score] .point")))
                .hasSize((int) reports.stream().filter(r -> r.at("/drift/score/psi").isNumber()).count());
        long scored = reports.stream().filter(r -> r.at("/drift/score").isObject()).count();
        long scoreDrifted = reports.stream().filter(r -> r.at("/drift/score/status").asText().equals("DRIFTED")).count();
        assertThat(cells(row(browser.findElements(By.cssSelector("#drift tbody tr")), "score")).subList(1, 3))
                .containsExactly(Long.toString(scored), Long.toString(scoreDrifted));
        // Performance: the realised AUROC where outcomes arrived (the demo's window), its band, and the estimate in
        // every window.
        long realised = reports.stream().filter(r -> r.at("/performance/auroc").isNumber()).count();
        assertThat(realised).isPositive();
        assertThat(browser.findElements(By.cssSelector("#performance-chart g.series[data-series='realised AUROC'] .point")))
                .hasSize((int) realised);
        assertThat(browser.findElements(By.cssSelector("#performance-chart g.series[data-series='expected AUROC'] .point")))
                .hasSize((int) reports.stream().filter(r -> r.at("/drift/estimate/expectedAuroc").isNumber()).count());
        assertThat(browser.findElements(By.cssSelector("#performance-chart polygon.band"))).isNotEmpty();
        List<WebElement> performance = browser.findElements(By.cssSelector("#performance tbody tr"));
        for (int i = 0; i < reports.size(); i++) {
            JsonNode r = reports.get(i);
            List<String> cells = cells(performance.get(i));
            assertThat(cells.get(1)).isEqualTo(Long.toString(r.at("/performance/labelled").asLong()));
            assertThat(cells.get(3)).isEqualTo(r.at("/performance/auroc").isNumber()
                    ? Html.number(r.at("/performance/auroc").asDouble(), 3) : "\u2013");
            JsonNode expected = r.at("/drift/estimate/expectedAuroc");
            assertThat(cells.get(5)).isEqualTo(expected.isNumber() ? Html.number(expected.asDouble(), 3) : "\u2013");
        }

        // The period's scores against training, and calibration on the outcomes that arrived.
        // Counted here from the log and the outcomes joined to it (the outcome feed's window withholds small counts).
        List<PredictionRecord> stable = new ArrayList<>();
        p.predictionLog().scan(READMISSION, from, to, r -> {
            if (r.version() == stableVersion && r.slot() == Slot.STABLE) {
                stable.add(r);
            }
        });
        Map<String, Boolean> outcomes = p.outcomeJoin().outcomesOf(READMISSION, stable);
        long rows = stable.size();
        long labelled = outcomes.size();
        assertThat(browser.findElement(By.cssSelector("[data-fact=rows]")).getText()).isEqualTo(Long.toString(rows));
        assertThat(browser.findElement(By.cssSelector("[data-fact=labelled]")).getText()).isEqualTo(Long.toString(labelled));
        ReferenceProfile.FeatureProfile reference = p.scoring().models().get(p.registry().getVersion(READMISSION,
                stableVersion)).reference().orElseThrow().score();
        List<WebElement> bins = browser.findElements(By.cssSelector("#score-bins tbody tr"));
        assertThat(bins).hasSize(reference.binEdges().size() - 1);
        assertThat(browser.findElements(By.cssSelector("#score-chart rect.bar.production"))).hasSize(bins.size());
        assertThat(bins.stream().mapToLong(b -> Long.parseLong(cells(b).get(3))).sum()).isEqualTo(rows);
        for (int b = 0; b < bins.size(); b++) {
            assertThat(cellsAsWritten(bins.get(b)).get(1)).isEqualTo(Html.percent(reference.proportions().get(b)));
        }
        // Calibration, against bins counted here from the log and the outcomes joined to it: one row and one point
        // per risk tenth that has outcomes, with its count and the share that happened.
        java.util.TreeMap<Integer, long[]> tenths = new java.util.TreeMap<>();
        for (PredictionRecord r : stable) {
            Boolean happened = outcomes.get(r.predictionId());
            if (happened != null) {
                long[] c = tenths.computeIfAbsent(Math.min(9, (int) (r.score() * 10)), k -> new long[2]);
                c[0]++;
                c[1] += happened ? 1 : 0;
            }
        }
        List<WebElement> calibration = browser.findElements(By.cssSelector("#calibration tbody tr"));
        assertThat(calibration).hasSize(tenths.size());
        int at = 0;
        int drawn = 0;
        for (long[] c : tenths.values()) {
            List<String> cells = cellsAsWritten(calibration.get(at++));
            // A bin of a few patients, or one whose count the others would give back, shows neither (minCellSize).
            if (cells.get(1).startsWith("withheld: ")) {
                assertThat(cells.get(3)).startsWith("withheld: ");
                continue;
            }
            assertThat(c[0]).isGreaterThanOrEqualTo(MonitoringPolicy.DEFAULT_MIN_CELL_SIZE);
            assertThat(cells.get(1)).isEqualTo(Long.toString(c[0]));
            assertThat(cells.get(3)).satisfiesAnyOf(
                    happened -> assertThat(happened).isEqualTo(Html.percent((double) c[1] / c[0])),
                    happened -> assertThat(happened).startsWith("withheld: "));
            drawn += cells.get(3).startsWith("withheld: ") ? 0 : 1;
        }
        assertThat(tenths.values().stream().mapToLong(c -> c[0]).sum()).isEqualTo(labelled);
        // One point per bin whose share is shown: a withheld bin is left off the chart too.
        assertThat(drawn).isPositive();
        assertThat(browser.findElements(By.cssSelector("#calibration-chart g.series .point"))).hasSize(drawn);
        assertThat(browser.findElement(By.id("calibration-chart-desc")).getAttribute("textContent"))
                .startsWith("For " + labelled + " predictions with an outcome");
        screenshot("monitoring");
        assertSelfContained();
    }

    @Test
    void theExplanationShowsTheStoredFactorsWithATextAlternative() throws IOException {
        signIn("clinical-app", "/dashboard/predictions?id=" + explained.get("predictionId").asText());
        assertThat(browser.findElement(By.cssSelector("[data-fact=risk]")).getAttribute("textContent"))
                .isEqualTo(Html.percent(explained.get("risk").asDouble()));
        assertThat(browser.findElement(By.cssSelector("[data-fact=baseline]")).getAttribute("textContent"))
                .isEqualTo(Html.percent(explained.at("/explanation/baselineRisk").asDouble()));
        VersionRecord version = platform.platform().registry().getVersion(READMISSION, explained.get("version").asInt());
        assertThat(browser.findElement(By.cssSelector("[data-fact=threshold]")).getAttribute("textContent"))
                .isEqualTo(Html.percent(version.manifest().output().threshold()));
        int factors = explained.at("/explanation/topFactors").size();
        assertThat(browser.findElements(By.cssSelector("svg.waterfall rect.factor"))).hasSize(factors);
        assertThat(browser.findElements(By.cssSelector("table.factors tbody tr"))).hasSize(factors + 1);
        WebElement chart = browser.findElement(By.cssSelector("svg.waterfall"));
        assertThat(chart.getAttribute("role")).isEqualTo("img");
        assertThat(browser.findElement(By.cssSelector("svg.waterfall desc")).getAttribute("textContent")).startsWith("Risk ");
        // Direction is said in words, not only in colour.
        assertThat(browser.findElements(By.cssSelector("table.factors td.raises, table.factors td.lowers")).stream()
                .map(WebElement::getText)).allSatisfy(t -> assertThat(t).matches("(raises|lowers) risk"));
        assertThat(browser.getPageSource()).doesNotContain("MRN-dashboard");
        assertReadableContrast();
        screenshot("explanation");
        assertSelfContained();
    }

    @Test
    void theScoringAppsExplanationPageIsTheSameViewForAClinicalApplication() throws IOException {
        // A clinical application calls the route with its key in a header; the browser is given the header.
        ChromeDriver chrome = (ChromeDriver) browser;
        chrome.executeCdpCommand("Network.enable", Map.of());
        chrome.executeCdpCommand("Network.setExtraHTTPHeaders", Map.of("headers", Map.of("x-api-key", key("clinical-app"))));
        try {
            browser.get(url("/predictions/" + explained.get("predictionId").asText() + "/explanation"));
            assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Why the model gave this risk");
            assertThat(browser.findElement(By.cssSelector("[data-fact=risk]")).getAttribute("textContent"))
                    .isEqualTo(Html.percent(explained.get("risk").asDouble()));
            assertThat(browser.findElements(By.cssSelector("svg.waterfall rect.factor")))
                    .hasSize(explained.at("/explanation/topFactors").size());
            int version = explained.get("version").asInt();
            List<String> limitations = platform.platform().registry().getVersion(READMISSION, version).manifest()
                    .limitations();
            assertThat(browser.findElements(By.cssSelector(".limitations li")).stream().map(WebElement::getText))
                    .containsExactlyElementsOf(limitations);
            assertThat(browser.findElement(By.linkText("Model card of " + MODEL + " version " + version))
                    .getAttribute("href")).endsWith("/models/" + MODEL + "/versions/" + version + "/card");
            assertThat(browser.findElement(By.cssSelector("svg.waterfall")).getAttribute("role")).isEqualTo("img");
            assertReadableContrast();
            screenshot("explanation-route");
            assertSelfContained();

            chrome.executeCdpCommand("Network.setExtraHTTPHeaders", Map.of("headers", Map.of("x-api-key", key("operator"))));
            browser.get(url("/predictions/" + explained.get("predictionId").asText() + "/explanation"));
            assertThat(browser.getPageSource()).contains("FORBIDDEN");
        } finally {
            chrome.executeCdpCommand("Network.setExtraHTTPHeaders", Map.of("headers", Map.of()));
        }
    }

    @Test
    void theAuditTrailShowsItsVerificationAndAKeyWithoutTheRoleIsRefused() throws Exception {
        signIn("clinical-app", "/dashboard/audit");
        assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Not allowed");
        screenshot("audit-forbidden");
        String clinicalSession = browser.manage().getCookieNamed(Dashboard.COOKIE).getValue();
        HttpResponse<String> refused = BlockingHttp.send(HttpRequest.newBuilder(URI.create(url("/dashboard/audit")))
                .header("Cookie", Dashboard.COOKIE + "=" + clinicalSession).GET().build());
        assertThat(refused.statusCode()).isEqualTo(403);
        // The navigation offers a key only the pages its roles open.
        assertThat(browser.findElements(By.cssSelector("nav a")).stream().map(WebElement::getText))
                .containsExactly("Overview", "Models", "Deployments", "Explanations");

        // This hour's signed anchor, as the hourly timer writes it (none if the timer already has).
        platform.platform().auditEvidence().anchor();
        String newestAnchor = platform.platform().artifacts().list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.ANCHORS)
                .stream().map(ArtifactStore.StoredArtifact::name).max(String::compareTo).orElseThrow();
        // The page's "today" is the platform clock's, which the canary's bake times moved ahead of the wall clock:
        // near midnight the two are different days, and so are the windows counted.
        LocalDate today = LocalDate.ofInstant(now.instant(), ZoneOffset.UTC);
        int before = platform.platform().audit().read(today.minusDays(AuditView.DEFAULT_DAYS - 1L), today).size();
        signIn("compliance", "/dashboard/audit");
        int after = platform.platform().audit().read(today.minusDays(AuditView.DEFAULT_DAYS - 1L), today).size();
        assertThat(browser.findElement(By.id("verification")).getText()).startsWith("\u2714 Intact");
        assertThat(browser.findElement(By.id("evidence")).getText()).startsWith("\u2714 Consistent: ");
        assertThat(browser.findElement(By.cssSelector("[data-fact=anchor]")).getText()).isEqualTo(newestAnchor);
        String caption = browser.findElement(By.cssSelector("#audit-records caption")).getText();
        int counted = Integer.parseInt(caption.substring(0, caption.indexOf(' ')));
        assertThat(caption).as("the page counts the same days").contains(" records from "
                + today.minusDays(AuditView.DEFAULT_DAYS - 1L) + " to " + today);
        assertThat(counted).isBetween(before, after);
        assertThat(browser.findElements(By.cssSelector("#audit-records tbody tr"))).hasSize(Math.min(counted, AuditView.SHOWN));
        // The registration and the deployment are among them.
        assertThat(browser.findElements(By.cssSelector("#audit-records tbody tr")).stream().map(r -> cells(r).get(1)))
                .contains("model.register", "deployment.deploy");
        screenshot("audit");
        assertSelfContained();
    }

    @Test
    void deadLettersListWhatTheEventBusGaveUpOn() throws Exception {
        signIn("clinical-app", "/dashboard/dead-letters");
        assertThat(browser.findElement(By.tagName("h1")).getText()).isEqualTo("Not allowed");
        signIn("operator", "/dashboard/dead-letters");
        assertThat(browser.findElement(By.cssSelector("#dead-letters caption")).getText())
                .isEqualTo("1 dead-lettered event");
        List<WebElement> rows = browser.findElements(By.cssSelector("#dead-letters tbody tr"));
        assertThat(rows).hasSize(1);
        List<String> cells = cells(rows.get(0));
        assertThat(cells.subList(0, 6)).containsExactly("Vigil.Model.Deployed", "/models/" + MODEL + "/versions/1",
                "NotifyOperators", "MaxDeliveryAttemptsExceeded", "1", "INTERNAL IllegalStateException");
        assertThat(cells.get(6)).isNotBlank();
        screenshot("dead-letters");
        // What to do about them is one click away, served by the platform itself.
        browser.findElement(By.linkText("runbook for dead-lettered events")).click();
        assertThat(browser.getCurrentUrl()).endsWith("/dashboard/runbooks/dead-lettered-events");
        assertThat(browser.findElement(By.tagName("h1")).getText())
                .isEqualTo("Runbook: events in the dead-letter folder");
        browser.findElement(By.linkText("drift-alert.md")).click();
        assertThat(browser.getCurrentUrl()).endsWith("/dashboard/runbooks/drift-alert");
        screenshot("runbook");
        // The runbook's text names addresses; nothing on the page loads from one.
        assertThat(((Number) ((JavascriptExecutor) browser).executeScript("return document.querySelectorAll("
                + "'script, img, link, iframe, object, embed, [src]').length")).intValue()).isZero();
    }

    /**
     * A real dead letter in the platform's folder: an event bus like the host's, with one subscriber that always
     * fails and one delivery attempt, gives up on a deployment event and writes it there.
     */
    private void deadLetterOneEvent() throws InterruptedException {
        var subscription = new health.vigil.adapter.local.EventBusSubscription("notify-operators", "NotifyOperators",
                "control", List.of(health.vigil.events.EventTypes.MODEL_DEPLOYED), null,
                health.vigil.adapter.local.EventBusSubscription.DeliverySchema.CLOUD_EVENTS);
        var settings = new health.vigil.adapter.local.EventBusSettings(1, Duration.ofMillis(10), Duration.ofMillis(10),
                Duration.ofMinutes(1), 1, Duration.ofSeconds(5));
        try (var bus = new health.vigil.adapter.local.InProcessEventBus(List.of(subscription), settings,
                (function, event) -> {
                    throw new IllegalStateException("the operators' pager is down");
                }, home.resolve("deadletter"), Clock.systemUTC())) {
            bus.start();
            bus.publish(health.vigil.events.VigilEvent.of(health.vigil.events.EventTypes.MODEL_DEPLOYED,
                    "/models/" + MODEL + "/versions/1", Instant.now(), Map.of("deployment", 1)));
            assertThat(bus.awaitIdle(Duration.ofSeconds(10))).isTrue();
        }
    }

    /**
     * At a phone's width no page scrolls sideways, and nothing of any page hides sideways inside a box either, the
     * model card included: a table reads as one card per row and a chart is drawn to the screen's width.
     */
    @Test
    @SuppressWarnings("unchecked")
    void onAPhoneNoPageScrollsSidewaysAndNothingHidesSidewaysInABox() {
        Map<String, String> pages = new LinkedHashMap<>();
        pages.put("/dashboard", "operator");
        pages.put("/dashboard/models", "operator");
        pages.put("/dashboard/models/" + MODEL, "operator");
        pages.put("/dashboard/models/" + MODEL + "/versions/1", "operator");
        // The model card, a page of its own with its own stylesheet.
        pages.put("/dashboard/models/" + MODEL + "/versions/1/card", "operator");
        pages.put("/dashboard/deployments", "operator");
        pages.put("/dashboard/monitoring/" + MODEL, "operator");
        pages.put("/dashboard/operations", "operator");
        pages.put("/dashboard/dead-letters", "operator");
        pages.put("/dashboard/audit", "compliance");
        pages.put("/dashboard/predictions?id=" + explained.get("predictionId").asText(), "clinical-app");
        org.openqa.selenium.Dimension desktop = browser.manage().window().getSize();
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(400, 900));
        List<String> hidden = new ArrayList<>();
        try {
            pages.forEach((page, persona) -> {
                signIn(persona, page);
                JavascriptExecutor js = (JavascriptExecutor) browser;
                if (page.startsWith("/dashboard/predictions")) {
                    // The widest id of hexadecimal digits in a proportional font, not the random one of this run.
                    js.executeScript("document.getElementById('id').value = 'dddddddd-dddd-7ddd-dddd-dddddddddddd'");
                }
                assertThat(((Number) js.executeScript("return document.documentElement.scrollWidth")).intValue())
                        .as(page + " at 400 px").isLessThanOrEqualTo(((Number) js.executeScript(
                                "return document.documentElement.clientWidth")).intValue());
                ((List<Object>) js.executeScript(HIDDEN_SIDEWAYS)).forEach(what -> hidden.add(page + ": " + what));
            });
        } finally {
            browser.manage().window().setSize(desktop);
        }
        assertThat(hidden).as("what hides sideways at 400 px").isEmpty();
    }

    /**
     * Every element of the page wider inside than its box (a pixel of slack for rounding), with how many pixels it
     * hides: the element's id, or the start of its markup. A chart's drawing inside its SVG is not an element of the
     * page's layout (its texts are checked apart), and what is shown to screen readers only, in a box of a pixel that
     * hides its overflow, is not meant to be seen.
     */
    static final String HIDDEN_SIDEWAYS = "var forReadersOnly = function (e) { for (; e; e = e.parentElement) {"
            + " if (getComputedStyle(e).overflow === 'hidden' && e.getBoundingClientRect().width <= 1) { return true; } }"
            + " return false; };"
            + " return Array.from(document.querySelectorAll('body *'))"
            + ".filter(e => e instanceof HTMLElement && e.scrollWidth > e.clientWidth + 1 && !forReadersOnly(e))"
            + ".map(e => (e.id || e.outerHTML.substring(0, 80)) + ' hides ' + (e.scrollWidth - e.clientWidth) + ' px')";

    /**
     * A table's box is a keyboard stop where it is there to scroll the table sideways: on a desktop. On a phone its
     * table is drawn as cards and fits, so the keyboard passes the box by and goes on to the links in the table.
     */
    @Test
    @SuppressWarnings("unchecked")
    void aTablesBoxIsAKeyboardStopOnADesktopButNotOnAPhone() {
        signIn("operator", "/dashboard/models/" + MODEL);
        JavascriptExecutor js = (JavascriptExecutor) browser;
        String boxesFocused = "return Array.from(document.querySelectorAll('.table-scroll'))"
                + ".map(function (box) { box.focus(); return document.activeElement === box; })";
        String linksFocused = "return Array.from(document.querySelectorAll('.table-scroll a'))"
                + ".map(function (a) { a.focus(); return document.activeElement === a; })";
        assertThat((List<Object>) js.executeScript(boxesFocused)).as("boxes focused on a desktop").isNotEmpty()
                .containsOnly(true);
        org.openqa.selenium.Dimension desktop = browser.manage().window().getSize();
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(400, 900));
        try {
            assertThat((List<Object>) js.executeScript(boxesFocused)).as("boxes focused at 400 px").isNotEmpty()
                    .containsOnly(false);
            assertThat((List<Object>) js.executeScript(linksFocused)).as("links in the tables focused at 400 px")
                    .isNotEmpty().containsOnly(true);
        } finally {
            browser.manage().window().setSize(desktop);
        }
    }

    /** The model card, a page with its own stylesheet, keeps the same rule for the boxes of its tables. */
    @Test
    @SuppressWarnings("unchecked")
    void aTablesBoxOfTheModelCardIsAKeyboardStopOnADesktopButNotOnAPhone() {
        signIn("operator", "/dashboard/models/" + MODEL + "/versions/1/card");
        JavascriptExecutor js = (JavascriptExecutor) browser;
        String boxesFocused = "return Array.from(document.querySelectorAll('div.scroll'))"
                + ".map(function (box) { box.focus(); return document.activeElement === box; })";
        assertThat((List<Object>) js.executeScript(boxesFocused)).as("the card's boxes focused on a desktop")
                .hasSizeGreaterThanOrEqualTo(5).containsOnly(true);
        org.openqa.selenium.Dimension desktop = browser.manage().window().getSize();
        browser.manage().window().setSize(new org.openqa.selenium.Dimension(400, 900));
        try {
            assertThat((List<Object>) js.executeScript(boxesFocused)).as("the card's boxes focused at 400 px")
                    .hasSizeGreaterThanOrEqualTo(5).containsOnly(false);
            assertThat((List<Object>) js.executeScript("return Array.from(document.querySelectorAll("
                    + "'div.scroll > table')).map(function (t) { return getComputedStyle(t).visibility; })"))
                    .as("the card's tables at 400 px").containsOnly("visible");
        } finally {
            browser.manage().window().setSize(desktop);
        }
    }

    @Test
    void theKeyboardReachesTheNavigationFromTheTopOfThePage() throws IOException {
        signIn("operator", "/");
        WebElement body = browser.findElement(By.tagName("body"));
        body.sendKeys(Keys.TAB);
        assertThat(browser.switchTo().activeElement().getText()).isEqualTo("Skip to content");
        browser.switchTo().activeElement().sendKeys(Keys.TAB);
        assertThat(browser.switchTo().activeElement().getText()).isEqualTo("Overview");
        browser.switchTo().activeElement().sendKeys(Keys.TAB);
        WebElement models = browser.switchTo().activeElement();
        assertThat(models.getText()).isEqualTo("Models");
        models.sendKeys(Keys.ENTER);
        awaitUrl(url -> url.endsWith("/dashboard/models"), "the models page after Enter");
        screenshot("overview-keyboard");
    }

    private void signIn(String persona, String page) {
        browser.manage().deleteAllCookies();
        browser.get(url("/login?next=" + URLEncoder.encode(page, StandardCharsets.UTF_8)));
        browser.findElement(By.id("key")).sendKeys(key(persona));
        browser.findElement(By.cssSelector("form.login button")).click();
        awaitUrl(url -> !url.contains("/login"), "signed in as " + persona);
    }

    private void awaitUrl(java.util.function.Predicate<String> arrived, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (!arrived.test(browser.getCurrentUrl())) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not at " + what + " but at " + browser.getCurrentUrl() + ": "
                        + browser.findElement(By.tagName("main")).getText());
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }

    /** Nothing on a page comes from elsewhere, and no page runs a script. */
    private void assertSelfContained() {
        String source = browser.getPageSource().replace("http://www.w3.org/2000/svg", "");
        assertThat(source).doesNotContain("<script", "http://", "https://");
    }

    /**
     * Every piece of text on the page is at least 4.5:1 against what it is drawn on (WCAG 2.1 AA, the formula of
     * 1.4.3), computed by the browser from the styles it applied.
     */
    private void assertReadableContrast() {
        @SuppressWarnings("unchecked")
        List<Object> worst = (List<Object>) ((JavascriptExecutor) browser).executeScript(CONTRAST);
        assertThat(((Number) worst.get(0)).doubleValue()).as("lowest contrast, of %s", worst.get(1))
                .isGreaterThanOrEqualTo(4.5);
    }

    private static final String CONTRAST = """
            function channels(c) { return c.match(/[\\d.]+/g).map(Number); }
            function luminance(c) {
              var v = channels(c).slice(0, 3).map(function (x) { x /= 255;
                return x <= 0.03928 ? x / 12.92 : Math.pow((x + 0.055) / 1.055, 2.4); });
              return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
            }
            function background(el) {
              for (; el; el = el.parentElement) {
                var c = getComputedStyle(el).backgroundColor, m = channels(c);
                if (m.length < 4 || m[3] > 0) { return c; }
              }
              return 'rgb(255, 255, 255)';
            }
            var worst = [99, 'nothing'];
            document.querySelectorAll('body *').forEach(function (el) {
              var own = Array.prototype.some.call(el.childNodes, function (n) {
                return n.nodeType === 3 && n.textContent.trim().length > 0; });
              var box = el.getBoundingClientRect();
              if (!own || box.width === 0 || box.height === 0 || box.right < 0) { return; }
              var style = getComputedStyle(el);
              var ink = el instanceof SVGElement ? style.fill : style.color;
              if (!ink || ink === 'none') { return; }
              var a = luminance(ink), b = luminance(background(el));
              var ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
              if (ratio < worst[0]) { worst = [ratio, el.tagName + ' "' + el.textContent.trim().slice(0, 40) + '"']; }
            });
            return worst;
            """;

    /** The whole page, not only the window, as a PNG (Chromium's DevTools protocol draws beyond the viewport). */
    private void screenshot(String name) throws IOException {
        ChromeDriver chrome = (ChromeDriver) browser;
        @SuppressWarnings("unchecked")
        Map<String, Object> size = (Map<String, Object>) chrome.executeCdpCommand("Page.getLayoutMetrics", Map.of())
                .get("cssContentSize");
        Map<String, Object> clip = Map.of("x", 0, "y", 0, "width", size.get("width"), "height", size.get("height"),
                "scale", 1);
        String png = (String) chrome.executeCdpCommand("Page.captureScreenshot", Map.of("format", "png",
                "captureBeyondViewport", true, "clip", clip)).get("data");
        Files.write(SCREENSHOTS.resolve(name + ".png"), java.util.Base64.getDecoder().decode(png));
    }

    /** The row of a table whose first cell is {@code heading}. */
    private WebElement row(List<WebElement> rows, String heading) {
        return rows.stream().filter(r -> cells(r).get(0).equals(heading)).findFirst()
                .orElseThrow(() -> new AssertionError("no row " + heading));
    }

    private List<String> cells(WebElement row) {
        return row.findElements(By.cssSelector("th, td")).stream().map(WebElement::getText).toList();
    }

    /**
     * A row's cells as the page writes them, no-break spaces kept: what WebDriver calls an element's text has them
     * turned into spaces, and a number must be seen joined to its unit.
     */
    private List<String> cellsAsWritten(WebElement row) {
        return row.findElements(By.cssSelector("th, td")).stream().map(c -> c.getAttribute("textContent").strip()).toList();
    }

    /** The reference bin a score falls in, the first and last bins taking what lies beyond the edges. */
    private static int bin(List<Double> edges, double score) {
        int bins = edges.size() - 1;
        for (int b = 0; b < bins - 1; b++) {
            if (score < edges.get(b + 1)) {
                return b;
            }
        }
        return bins - 1;
    }

    private String key(String persona) {
        return LocalAdapters.apiKey(home, persona);
    }

    private String url(String path) {
        return platform.baseUri().resolve(path).toString();
    }

    private HttpResponse<String> post(String path, String key, String body) throws Exception {
        return BlockingHttp.send(HttpRequest.newBuilder(URI.create(url(path))).header("x-api-key", key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build());
    }

    private static JsonNode json(String body) {
        return Json.readTree("response", body.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<String, Object> present(Map<String, Object> record) {
        Map<String, Object> copy = new LinkedHashMap<>();
        record.forEach((k, v) -> {
            if (v != null) {
                copy.put(k, v);
            }
        });
        return copy;
    }

    /** The status of a GET sent as raw bytes, so that a path no URI class accepts (%zz) reaches the server as typed. */
    private int rawStatus(String pathAndQuery, String cookie) throws java.io.IOException {
        java.net.URI base = java.net.URI.create(url("/"));
        try (java.net.Socket socket = new java.net.Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write(("GET " + pathAndQuery + " HTTP/1.1\r\nHost: " + base.getHost() + ":"
                    + base.getPort() + "\r\n" + (cookie == null ? "" : "Cookie: " + cookie + "\r\n")
                    + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            String statusLine = new java.io.BufferedReader(new java.io.InputStreamReader(socket.getInputStream(),
                    StandardCharsets.US_ASCII)).readLine();
            return Integer.parseInt(statusLine.split(" ")[1]);
        }
    }

    /** A program on the PATH (Debian installs chromium and chromedriver in /usr/bin). */
    static String executable(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate.toString();
            }
        }
        throw new AssertionError(name + " is not installed: the browser tests drive Debian's chromium and"
                + " chromium-driver, which ./test installs");
    }
}
