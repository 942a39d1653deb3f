package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.functions.common.html.Html;
import health.vigil.functions.scoring.explanation.ExplanationPage;
import health.vigil.model.Explanation.Direction;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.scoring.PredictionExplanation;
import health.vigil.scoring.PredictionExplanation.ClinicalFactor;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.openqa.selenium.Dimension;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The dashboard's pieces (facts, tables, charts) and the clinician's explanation page in Debian's Chromium, on a
 * desktop and on a phone 360 or 400 px wide: nothing makes the page scroll sideways or hides sideways inside a box, a
 * table reads as cards on a phone, a fact's value keeps room beside its name, a time stays on one line, a chart's text
 * stays legible and its title is shown above it, and on a desktop a table of long identifiers fits the page.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NarrowScreenIT {
    private static final Instant AT = Instant.parse("2026-12-05T22:11:38.106189553Z");
    /** The smallest chart text, in CSS pixels, that reads on a phone. */
    private static final double LEGIBLE = 9;

    /** The pages, as files the browser opens. */
    private Path folder;
    private ChromeDriver browser;

    @BeforeAll
    void start(@TempDir Path pages) throws Exception {
        folder = pages;
        Files.writeString(folder.resolve("dashboard.html"), dashboardPage());
        Files.writeString(folder.resolve("explanation.html"), ExplanationPage.page(explanation()));
        ChromeOptions options = new ChromeOptions();
        options.setBinary(DashboardBrowserIT.executable("chromium"));
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--no-first-run");
        browser = new ChromeDriver(new ChromeDriverService.Builder()
                .usingDriverExecutable(new File(DashboardBrowserIT.executable("chromedriver"))).usingAnyFreePort().build(), options);
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.quit();
        }
    }

    /** A page as the dashboard draws one: facts, a table of long identifiers and times, a line chart, bars. */
    private static String dashboardPage() {
        StringBuilder body = new StringBuilder("<main id=\"main\"><h1>Canary of readmission</h1><dl class=\"facts\">"
                + "<dt>False-rollback budget over the ramp</dt><dd>0.01000</dd><dt>Package sha256</dt><dd><code>"
                + "dda674b93ec44dcdf99d33d174d6e4a708893dafd903c5f0b5d9eba574d759db</code></dd><dt>Last change</dt><dd>"
                + Html.prose("rolled_back: step 1 (20 %) failed on score_distribution (PSI of canary against stable"
                + " 0.2019; Kolmogorov-Smirnov D 0.1936, p = 3.40e-16 < 0.000760), flag_rate (canary 0.3527, stable"
                + " 0.2379, p = 8.21e-06 < 0.000760)") + "</dd></dl>");
        Pages.Table table = Pages.table("records", "Records", "Time", "Action", "~Subject", "Outcome", "By", "Record");
        for (int i = 0; i < 5; i++) {
            Pages.row(table, Html.time(AT), "dataset.register", "/datasets/readmission/"
                    + "95355b4639351f8db587e025f78aea8547d47bce4d9b2b99f1a90a60a61bebe2", "registered", "data-steward",
                    AuditView.record("2026-12-05", i));
        }
        // The longest action, outcome and actor words the audit trail writes, none of which breaks at a space.
        Pages.row(table, Html.time(AT), "audit.evidence.verified", "audit/2026-11-30..2026-12-06", "approved_for_canary",
                "system:drift-check", AuditView.record("2026-12-05", 76));
        body.append(Pages.end(table));
        body.append(Charts.weights("weights", "Live traffic of readmission: stable v3 80.00 %, canary v4 20.00 %",
                List.of("stable v3", "canary v4"), List.of(8_000, 2_000)));
        List<String> labels = List.of("12-05 21:10", "12-05 22:10", "12-05 23:10");
        body.append(Charts.lines("drift-chart", "Population stability index per checked window", "PSI per window",
                labels, List.of(new Charts.Series("score", List.of(0.1, 0.3, 2.0)),
                        new Charts.Series("number_emergency", List.of(0.2, 1.0, 6.0))), "PSI", 0.2, "drift at 0.20"));
        List<Double> edges = new ArrayList<>();
        for (int i = 0; i <= 10; i++) {
            edges.add(0.02 + i * 0.077);
        }
        List<Double> shares = java.util.Collections.nCopies(10, 0.1);
        body.append(Charts.distribution("score-chart", "Share of predictions per risk band", "training and production",
                edges, shares, shares));
        return Html.document("Narrow", body.append("</main>").toString());
    }

    private static PredictionExplanation explanation() {
        List<ClinicalFactor> factors = List.of(
                new ClinicalFactor("number_inpatient", "inpatient admissions in the year before the encounter",
                        "admissions", 0.167, 0.8, Direction.RAISES),
                new ClinicalFactor("A1Cresult", "HbA1c test result; None = not tested", "%", 0.076, 0.36,
                        Direction.RAISES),
                new ClinicalFactor("num_medications", "distinct generic medications given during the encounter",
                        "medications", -0.033, -0.16, Direction.LOWERS));
        return new PredictionExplanation("0190a3c4-0000-7000-8000-000000000001", new ModelName("readmission"), 3,
                Slot.STABLE, AT, 0.568, 0.155, 0.182, "readmitted within 30 days", true, factors, 0.087, 0.568,
                "summary", "Flags inpatients with diabetes at high risk of readmission within 30 days of discharge",
                List.of("Trained on 1999-2008 US hospital encounters"), "/models/readmission/versions/3/card",
                Stage.PRODUCTION);
    }

    private Object js(String script) {
        return ((JavascriptExecutor) browser).executeScript(script);
    }

    private void open(String page, int width) {
        browser.manage().window().setSize(new Dimension(width, 900));
        browser.get(folder.resolve(page).toUri().toString());
    }

    @ParameterizedTest
    @ValueSource(ints = {360, 400, 1280})
    void nothingMakesThePageScrollSidewaysOrHidesSidewaysInABoxAndEveryTimeStaysOnOneLine(int width) {
        for (String page : List.of("dashboard.html", "explanation.html")) {
            open(page, width);
            Number scrollWidth = (Number) js("return document.documentElement.scrollWidth");
            Number viewport = (Number) js("return document.documentElement.clientWidth");
            assertThat(scrollWidth.intValue()).as(page + " at " + width + " px").isLessThanOrEqualTo(viewport.intValue());
            assertThat((List<?>) js(DashboardBrowserIT.HIDDEN_SIDEWAYS)).as("hidden sideways on " + page + " at "
                    + width + " px").isEmpty();
            assertThat((List<?>) js("return Array.from(document.querySelectorAll('time'))"
                    + ".filter(t => t.getClientRects().length > 1).map(t => t.textContent)"))
                    .as("times broken over lines on " + page + " at " + width + " px").isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {360, 400, 1280})
    void noNumberIsBrokenFromItsUnit(int width) {
        for (String page : List.of("dashboard.html", "explanation.html")) {
            open(page, width);
            assertThat(numbersBrokenFromTheirUnit()).as("numbers broken from their unit on " + page + " at " + width
                    + " px").isEmpty();
        }
    }

    /** Each "20 %" of the page's text whose number's last digit and unit are not drawn on the same line. */
    private List<?> numbersBrokenFromTheirUnit() {
        return (List<?>) js("var out = []; var walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);"
                + " for (var n = walk.nextNode(); n; n = walk.nextNode()) { var re = /\\d[ \\u00a0](%|points)/g, m;"
                + " while ((m = re.exec(n.data))) { var a = document.createRange(), b = document.createRange();"
                + " a.setStart(n, m.index); a.setEnd(n, m.index + 1); b.setStart(n, m.index + 2);"
                + " b.setEnd(n, m.index + 3); if (a.getBoundingClientRect().top !== b.getBoundingClientRect().top) {"
                + " out.push(n.data.substr(Math.max(0, m.index - 10), 20)); } } } return out;");
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 1280})
    void everyFactKeepsAtLeastHalfTheWidthForItsValue(int width) {
        for (String page : List.of("dashboard.html", "explanation.html")) {
            open(page, width);
            @SuppressWarnings("unchecked")
            List<Map<String, Object>> facts = (List<Map<String, Object>>) js("return Array.from(document"
                    + ".querySelectorAll('dl.facts dd')).map(d => ({text: d.textContent, width: d.getBoundingClientRect()"
                    + ".width, list: d.parentElement.getBoundingClientRect().width}))");
            assertThat(facts).isNotEmpty();
            for (Map<String, Object> fact : facts) {
                assertThat(((Number) fact.get("width")).doubleValue()).as(fact.get("text") + " on " + page + " at "
                        + width + " px").isGreaterThanOrEqualTo(((Number) fact.get("list")).doubleValue() / 2);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 1280})
    @SuppressWarnings("unchecked")
    void chartTextStaysLegibleAndEachChartShowsItsTitle(int width) {
        for (String page : List.of("dashboard.html", "explanation.html")) {
            open(page, width);
            // The size a chart's text is drawn at: its font size scaled as the SVG is from its view box.
            Number smallest = (Number) js("var s = Infinity; document.querySelectorAll('svg').forEach(function (svg) {"
                    + " var scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;"
                    + " svg.querySelectorAll('text').forEach(function (t) {"
                    + " s = Math.min(s, parseFloat(t.getAttribute('font-size')) * scale); }); }); return s;");
            assertThat(smallest.doubleValue()).as("smallest chart text on " + page + " at " + width + " px")
                    .isGreaterThanOrEqualTo(LEGIBLE);
        }
        open("dashboard.html", width);
        assertThat((List<Object>) js("return Array.from(document.querySelectorAll('figure')).map(f =>"
                + " [f.querySelector('figcaption') ? f.querySelector('figcaption').innerText : '',"
                + " f.querySelector('svg title').textContent])")).containsExactly(
                List.of("Live traffic of readmission: stable v3 80.00 %, canary v4 20.00 %",
                        "Live traffic of readmission: stable v3 80.00 %, canary v4 20.00 %"),
                List.of("Population stability index per checked window", "Population stability index per checked window"),
                List.of("Share of predictions per risk band", "Share of predictions per risk band"));
    }

    @ParameterizedTest
    @ValueSource(ints = {400, 1280})
    @SuppressWarnings("unchecked")
    void noTextOfAChartCoversAnother(int width) {
        for (String page : List.of("dashboard.html", "explanation.html")) {
            open(page, width);
            // Every pair of texts of one chart, as drawn (the axis title is turned a quarter): overlapping boxes,
            // a pixel of slack for glyph edges.
            List<Object> covered = (List<Object>) js("var out = [];"
                    + " document.querySelectorAll('svg').forEach(function (svg) {"
                    + " var boxes = Array.from(svg.querySelectorAll('text')).map(function (t) {"
                    + " return [t.textContent, t.getBoundingClientRect()]; });"
                    + " for (var i = 0; i < boxes.length; i++) { for (var j = i + 1; j < boxes.length; j++) {"
                    + " var a = boxes[i][1], b = boxes[j][1];"
                    + " var w = Math.min(a.right, b.right) - Math.max(a.left, b.left);"
                    + " var h = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);"
                    + " if (w > 1 && h > 1) { out.push(boxes[i][0] + ' / ' + boxes[j][0]); } } } });"
                    + " return out;");
            assertThat(covered).as("chart texts drawn over each other on " + page + " at " + width + " px").isEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {360, 400, 1280})
    @SuppressWarnings("unchecked")
    void theWaterfallReadsWholeOnAPhoneWithoutScrollingSideways(int width) {
        open("explanation.html", width);
        Map<String, Object> figure = (Map<String, Object>) js("var f = document.querySelector('svg.waterfall')"
                + ".closest('figure'); return {scroll: f.scrollWidth, client: f.clientWidth};");
        assertThat(((Number) figure.get("scroll")).intValue()).as("the waterfall's width at " + width + " px")
                .isLessThanOrEqualTo(((Number) figure.get("client")).intValue());
        // Every label and value drawn whole inside the chart's box, at a size that reads.
        List<Object> cut = (List<Object>) js("var svg = document.querySelector('svg.waterfall');"
                + " var box = svg.getBoundingClientRect(), out = [];"
                + " var scale = box.width / svg.viewBox.baseVal.width;"
                + " svg.querySelectorAll('text').forEach(function (t) { var r = t.getBoundingClientRect();"
                + " if (r.left < box.left - 1 || r.right > box.right + 1 || r.right > window.innerWidth"
                + " || parseFloat(t.getAttribute('font-size')) * scale < " + LEGIBLE + ") { out.push(t.textContent); } });"
                + " return out;");
        assertThat(cut).as("waterfall texts cut, off screen or too small at " + width + " px").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(ints = {360, 400})
    void theTableOfFactorsShowsEveryColumnOnAPhone(int width) {
        open("explanation.html", width);
        Number hidden = (Number) js("var box = document.querySelector('table.factors').parentElement;"
                + " return box.scrollWidth - box.clientWidth;");
        assertThat(hidden.intValue()).as("pixels of the factors' table hidden sideways at " + width + " px").isLessThanOrEqualTo(0);
    }

    /**
     * On a phone a table reads as one card per row, each value after its column's header; a screen reader still meets
     * a table with its column headers, and on a desktop the table is drawn as a table.
     */
    @ParameterizedTest
    @ValueSource(ints = {400, 1280})
    @SuppressWarnings("unchecked")
    void aTableKeepsItsHeadersForEveryCellAndOnAPhoneShowsThemBeforeEachValue(int width) {
        open("dashboard.html", width);
        org.openqa.selenium.WebElement table = browser.findElement(org.openqa.selenium.By.id("records"));
        assertThat(table.getAriaRole()).isEqualTo("table");
        assertThat(table.findElement(org.openqa.selenium.By.cssSelector("thead th")).getAriaRole())
                .isEqualTo("columnheader");
        assertThat(table.findElement(org.openqa.selenium.By.cssSelector("tbody td")).getAriaRole()).isEqualTo("cell");
        Map<String, Object> firstRow = (Map<String, Object>) js("var row = document.querySelector('#records tbody tr');"
                + " var cells = Array.from(row.children), heads = document.querySelectorAll('#records thead th');"
                + " return {labels: cells.map(c => getComputedStyle(c, '::before').content),"
                + " headers: Array.from(heads).map(h => h.textContent),"
                + " headShown: document.querySelector('#records thead').getBoundingClientRect().width > 1,"
                + " cellLeft: cells.map(c => Math.round(c.getBoundingClientRect().left))};");
        List<String> headers = (List<String>) firstRow.get("headers");
        List<String> labels = (List<String>) firstRow.get("labels");
        if (width < 640) {
            assertThat(firstRow.get("headShown")).as("the header row shown at " + width + " px").isEqualTo(false);
            for (int i = 0; i < headers.size(); i++) {
                assertThat(labels.get(i)).as("the label before cell " + i).contains("\"" + headers.get(i) + "\"");
            }
            assertThat(new java.util.HashSet<>((List<Object>) firstRow.get("cellLeft"))).as("cells one above another")
                    .hasSize(1);
        } else {
            assertThat(firstRow.get("headShown")).as("the header row shown at " + width + " px").isEqualTo(true);
            assertThat(labels).containsOnly("none");
            assertThat(new java.util.HashSet<>((List<Object>) firstRow.get("cellLeft"))).as("cells side by side")
                    .hasSize(headers.size());
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {1280})
    void onADesktopATableOfLongIdentifiersFitsThePage(int width) {
        open("dashboard.html", width);
        Number table = (Number) js("return document.getElementById('records').getBoundingClientRect().right");
        Number main = (Number) js("return document.getElementById('main').getBoundingClientRect().right");
        assertThat(table.doubleValue()).isLessThanOrEqualTo(main.doubleValue());
        assertThat((List<?>) js("return Array.from(document.querySelectorAll('#records code'))"
                + ".filter(c => c.getClientRects().length > 1).map(c => c.textContent)"))
                .as("records named over two lines").isEmpty();
    }
}
