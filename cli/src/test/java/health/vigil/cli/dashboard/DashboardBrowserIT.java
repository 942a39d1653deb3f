package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.audit.MutableClock;
import health.vigil.cli.LocalPlatform;
import health.vigil.config.VigilConfig;
import health.vigil.functions.common.html.Html;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.model.ReferenceProfile;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import health.vigil.testing.samples.SyntheticCohort;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
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
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard as a person sees it, in headless Chromium (Debian's chromium and chromium-driver, which
 * {@code ./test} installs): a platform with a deployed readmission model and three days of scored patients, then
 * every page opened after signing in with the key of the role it needs. Each check is what a person would look
 * at: the numbers in a table against what the platform was given, the points of a chart, the page a key without
 * the role gets. Screenshots go to {@code target/screenshots/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DashboardBrowserIT {
    private static final String MODEL = SampleModels.READMISSION_NAME;
    /** Patients scored on each of the three days, oldest first. */
    private static final int[] PER_DAY = {12, 7, 9};
    private static final Path SCREENSHOTS = Path.of("target", "screenshots");
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private Path home;
    private LocalPlatform platform;
    private WebDriver browser;
    private final MutableClock now = new MutableClock(Instant.EPOCH);
    private final List<Double> risks = new ArrayList<>();
    private JsonNode explained;

    @BeforeAll
    void start() throws Exception {
        home = Files.createTempDirectory("vigil-dashboard-it-");
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        now.set(today.minusDays(PER_DAY.length - 1L).atTime(9, 0).toInstant(ZoneOffset.UTC));
        platform = LocalPlatform.start(VigilConfig.local(home), 0, b -> b.clock(now));
        Path zip = home.resolve("trees.zip");
        Files.write(zip, SampleModels.readmissionTrees().zip());
        Files.copy(zip, platform.dropFolder().resolve("readmission-trees.zip"));
        awaitVersion();
        HttpResponse<String> deployed = post("/models/" + MODEL + "/versions/1/deploy", key("operator"), "");
        assertThat(deployed.statusCode()).as(deployed.body()).isEqualTo(200);

        SyntheticCohort cohort = SampleModels.readmissionCohort(PER_DAY[0] + PER_DAY[1] + PER_DAY[2], 404);
        int row = 0;
        for (int day = 0; day < PER_DAY.length; day++) {
            now.set(today.minusDays(PER_DAY.length - 1L - day).atTime(10, 0).toInstant(ZoneOffset.UTC));
            List<Map<String, Object>> records = new ArrayList<>();
            for (int i = 0; i < PER_DAY[day]; i++, row++) {
                records.add(Map.of("patientId", "MRN-dashboard-" + row, "features", present(cohort.records().get(row))));
            }
            HttpResponse<String> scored = post("/score/" + MODEL, key("clinical-app"), Json.write(Map.of("records", records)));
            assertThat(scored.statusCode()).as(scored.body()).isEqualTo(200);
            for (JsonNode p : json(scored.body()).get("predictions")) {
                risks.add(p.get("risk").asDouble());
                explained = p;
            }
        }
        now.set(Instant.now());
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

    @Test
    void theModelsAndDeploymentsShowTheRegistryAndTheSlotWeights() throws IOException {
        signIn("operator", "/dashboard/models");
        WebElement row = browser.findElement(By.cssSelector("#models tbody tr"));
        assertThat(cells(row)).containsExactly(MODEL, "1", "1", "production", "stable v1 100%");
        screenshot("models");

        row.findElement(By.linkText(MODEL)).click();
        awaitUrl(url -> url.endsWith("/dashboard/models/" + MODEL), "the model's page");
        assertThat(browser.findElements(By.cssSelector("#versions tbody tr"))).hasSize(1);
        assertThat(cells(browser.findElement(By.cssSelector("#versions tbody tr"))).get(1)).isEqualTo("production");
        assertThat(browser.findElement(By.cssSelector("#versions a[href$='/card']")).getAttribute("href"))
                .endsWith("/models/" + MODEL + "/versions/1/card");
        screenshot("model");

        browser.get(url("/dashboard/deployments"));
        assertThat(browser.findElements(By.cssSelector("#slots-" + MODEL + " tbody tr")).stream().map(this::cells))
                .containsExactly(List.of("stable", "version 1", "100"));
        assertThat(browser.findElements(By.cssSelector("#weights-" + MODEL + " rect.slot"))).hasSize(1);
        screenshot("deployments");
        assertSelfContained();
    }

    @Test
    void monitoringCountsEachDaysPredictionsAndComparesScoresWithTraining() throws IOException {
        signIn("operator", "/dashboard/monitoring/" + MODEL);
        int total = PER_DAY[0] + PER_DAY[1] + PER_DAY[2];
        assertThat(browser.findElement(By.cssSelector("[data-fact=rows]")).getText()).isEqualTo(Integer.toString(total));
        // The last three days of the table are the three scored days, with their counts and mean risks.
        List<WebElement> days = browser.findElements(By.cssSelector("#days tbody tr"));
        assertThat(days).hasSize(MonitoringView.DEFAULT_DAYS);
        int from = 0;
        for (int d = 0; d < PER_DAY.length; d++) {
            List<String> cells = cells(days.get(days.size() - PER_DAY.length + d));
            assertThat(cells.get(1)).isEqualTo(Integer.toString(PER_DAY[d]));
            double mean = risks.subList(from, from + PER_DAY[d]).stream().mapToDouble(Double::doubleValue).average().orElseThrow();
            assertThat(cells.get(2)).isEqualTo(Html.percent(mean));
            from += PER_DAY[d];
        }
        assertThat(days.subList(0, days.size() - PER_DAY.length)).allSatisfy(r -> assertThat(cells(r).get(1)).isEqualTo("0"));
        // One point per day with predictions on the score's line; none on the days without.
        assertThat(browser.findElements(By.cssSelector("#drift-chart g.series[data-series=score] .point")))
                .hasSize(PER_DAY.length);

        // The score's distribution: one production bar per reference bin, with the shares of the risks scored.
        ReferenceProfile.FeatureProfile reference = SampleModels.readmissionTrees().reference().score();
        List<Double> edges = reference.binEdges();
        assertThat(browser.findElements(By.cssSelector("#score-chart rect.bar.production"))).hasSize(edges.size() - 1);
        List<WebElement> bins = browser.findElements(By.cssSelector("#score-bins tbody tr"));
        assertThat(bins).hasSize(edges.size() - 1);
        for (int b = 0; b < bins.size(); b++) {
            long inBin = 0;
            for (double r : risks) {
                if (bin(edges, r) == b) {
                    inBin++;
                }
            }
            assertThat(cells(bins.get(b)).get(1)).isEqualTo(Html.percent(reference.proportions().get(b)));
            assertThat(cells(bins.get(b)).get(2)).as("bin " + b).isEqualTo(Html.percent((double) inBin / risks.size()));
        }
        screenshot("monitoring");
        assertSelfContained();
    }

    @Test
    void theExplanationShowsTheStoredFactorsWithATextAlternative() throws IOException {
        signIn("clinical-app", "/dashboard/predictions?id=" + explained.get("predictionId").asText());
        assertThat(browser.findElement(By.cssSelector("[data-fact=risk]")).getText())
                .isEqualTo(Html.percent(explained.get("risk").asDouble()));
        assertThat(browser.findElement(By.cssSelector("[data-fact=baseline]")).getText())
                .isEqualTo(Html.percent(explained.at("/explanation/baselineRisk").asDouble()));
        assertThat(browser.findElement(By.cssSelector("[data-fact=threshold]")).getText()).isEqualTo("20.0 %");
        int factors = explained.at("/explanation/topFactors").size();
        assertThat(browser.findElements(By.cssSelector("svg.waterfall rect.factor"))).hasSize(factors);
        assertThat(browser.findElements(By.cssSelector("table.factors tbody tr"))).hasSize(factors + 1);
        WebElement chart = browser.findElement(By.cssSelector("svg.waterfall"));
        assertThat(chart.getAttribute("role")).isEqualTo("img");
        assertThat(browser.findElement(By.id("wf-desc")).getAttribute("textContent")).startsWith("Risk ");
        // Direction is said in words, not only in colour.
        assertThat(browser.findElements(By.cssSelector("table.factors td.raises, table.factors td.lowers")).stream()
                .map(WebElement::getText)).allSatisfy(t -> assertThat(t).matches("(raises|lowers) risk"));
        assertThat(browser.getPageSource()).doesNotContain("MRN-dashboard");
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
            assertThat(browser.findElement(By.cssSelector("[data-fact=risk]")).getText())
                    .isEqualTo(Html.percent(explained.get("risk").asDouble()));
            assertThat(browser.findElements(By.cssSelector("svg.waterfall rect.factor")))
                    .hasSize(explained.at("/explanation/topFactors").size());
            assertThat(browser.findElement(By.cssSelector(".limitations li")).getText()).contains("synthetic patients");
            assertThat(browser.findElement(By.linkText("Model card of " + MODEL + " version 1")).getAttribute("href"))
                    .endsWith("/models/" + MODEL + "/versions/1/card");
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
        HttpResponse<String> refused = HTTP.send(HttpRequest.newBuilder(URI.create(url("/dashboard/audit")))
                .header("Cookie", Dashboard.COOKIE + "=" + clinicalSession).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(refused.statusCode()).isEqualTo(403);
        // The navigation offers a key only the pages its roles open.
        assertThat(browser.findElements(By.cssSelector("nav a")).stream().map(WebElement::getText))
                .containsExactly("Overview", "Models", "Deployments", "Explanations");

        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        int before = platform.platform().audit().read(today.minusDays(AuditView.DEFAULT_DAYS - 1L), today).size();
        signIn("compliance", "/dashboard/audit");
        int after = platform.platform().audit().read(today.minusDays(AuditView.DEFAULT_DAYS - 1L), today).size();
        assertThat(browser.findElement(By.id("verification")).getText()).startsWith("\u2714 Intact");
        int shown = browser.findElements(By.cssSelector("#audit-records tbody tr")).size();
        assertThat(shown).isBetween(before, after);
        assertThat(browser.findElement(By.cssSelector("#audit-records caption")).getText()).startsWith(shown + " records");
        // The registration and the deployment are among them.
        assertThat(browser.findElements(By.cssSelector("#audit-records tbody tr")).stream().map(r -> cells(r).get(1)))
                .contains("model.register", "deployment.deploy");
        screenshot("audit");
        assertSelfContained();
    }

    @Test
    void deadLettersListWhatTheEventBusGaveUpOn() throws IOException {
        signIn("operator", "/dashboard/dead-letters");
        assertThat(browser.findElement(By.cssSelector("#dead-letters caption")).getText())
                .isEqualTo("1 dead-lettered events");
        List<WebElement> rows = browser.findElements(By.cssSelector("#dead-letters tbody tr"));
        assertThat(rows).hasSize(1);
        List<String> cells = cells(rows.get(0));
        assertThat(cells.subList(0, 6)).containsExactly("Vigil.Model.Deployed", "/models/" + MODEL + "/versions/1",
                "NotifyOperators", "MaxDeliveryAttemptsExceeded", "1", "INTERNAL IllegalStateException");
        assertThat(cells.get(6)).isNotBlank();
        screenshot("dead-letters");
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

    private void screenshot(String name) throws IOException {
        byte[] png = ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
        Files.write(SCREENSHOTS.resolve(name + ".png"), png);
    }

    private List<String> cells(WebElement row) {
        return row.findElements(By.cssSelector("th, td")).stream().map(WebElement::getText).toList();
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

    private void awaitVersion() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (System.nanoTime() < deadline) {
            if (!platform.platform().registry().listModels().isEmpty()
                    && !platform.platform().registry().listVersions(new ModelName(MODEL)).isEmpty()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("the sample package was not registered within 60 s");
    }

    private HttpResponse<String> post(String path, String key, String body) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create(url(path))).header("x-api-key", key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
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

    /** A program on the PATH (Debian installs chromium and chromedriver in /usr/bin). */
    private static String executable(String name) {
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
