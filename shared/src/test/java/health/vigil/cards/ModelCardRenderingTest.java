package health.vigil.cards;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import health.vigil.audit.InMemoryArtifactStore;
import health.vigil.html.TableCards;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.GateCheck;
import health.vigil.model.GateReport;
import health.vigil.model.Manifest;
import health.vigil.model.ModelVersion;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.monitoring.MonitoringReport;
import health.vigil.monitoring.MonitoringReports;
import health.vigil.port.PredictionLog;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.ServiceFixtures;
import health.vigil.text.Words;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ModelCardRenderingTest {
    private static final String HOSTILE = "<script>alert(1)</script> & <img src=x>";

    private ModelCard card(boolean withReport) {
        return card(withReport, new MonitoringReports(new InMemoryArtifactStore()));
    }

    private ModelCard card(boolean withReport, MonitoringReports monitoringReports) {
        return card(withReport, monitoringReports, HOSTILE);
    }

    /** The card of a version whose manifest's description, intended use and limitation are {@code uploaderText}. */
    private ModelCard card(boolean withReport, MonitoringReports monitoringReports, String uploaderText) {
        return card(withReport ? ModelCardsTest.report(1) : null, monitoringReports, uploaderText);
    }

    /** The card of version 1 with {@code report} (none when null) as its gate report. */
    private ModelCard card(GateReport report, MonitoringReports monitoringReports, String uploaderText) {
        InMemoryRegistryStore store = new InMemoryRegistryStore();
        Manifest m = ServiceFixtures.manifest(ServiceFixtures.READMISSION);
        store.put(ServiceFixtures.version(ServiceFixtures.READMISSION, 1, Stage.GATES_PASSED, new Manifest(m.formatVersion(),
                m.name(), m.task(), uploaderText, m.features(), m.featurePipeline(), m.output(), uploaderText,
                List.of(uploaderText), m.owner(), m.provenance())));
        return new ModelCards(new ModelRegistry(store),
                id -> report != null && id.equals(new ModelVersion(ServiceFixtures.READMISSION, 1)) ? Optional.of(report)
                        : Optional.empty(),
                version -> List.of(), ModelCardsTest.windows(monitoringReports), mock(PredictionLog.class), Clock.fixed(Instant.parse("2026-11-20T12:00:00Z"), ZoneOffset.UTC))
                .card(ServiceFixtures.READMISSION, 1);
    }

    @Test
    void theCardSaysInWordsWhatACodeFeaturesValuesLookLike() {
        Manifest m = ServiceFixtures.manifest(ServiceFixtures.READMISSION);
        List<Feature> features = new java.util.ArrayList<>(m.features().features());
        features.add(Feature.code("diag_1", "[0-9EV][0-9.]{0,6}")
                .withPatternDescription("an ICD-9 code such as 250.01, V57 or E885"));
        features.add(Feature.code("diag_2", "[0-9EV][0-9.]{0,6}"));
        InMemoryRegistryStore store = new InMemoryRegistryStore();
        store.put(ServiceFixtures.version(ServiceFixtures.READMISSION, 1, Stage.GATES_PASSED, new Manifest(
                m.formatVersion(), m.name(), m.task(), m.description(), new FeatureSchema(features), m.featurePipeline(),
                m.output(), m.intendedUse(), m.limitations(), m.owner(), m.provenance())));
        ModelCard card = new ModelCards(new ModelRegistry(store), id -> Optional.empty(), version -> List.of(),
                (id, slot) -> Optional.empty(), mock(PredictionLog.class),
                Clock.fixed(Instant.parse("2026-11-20T12:00:00Z"), ZoneOffset.UTC)).card(ServiceFixtures.READMISSION, 1);

        assertThat(card.registry().patternDescriptions())
                .containsExactly(java.util.Map.entry("diag_1", "an ICD-9 code such as 250.01, V57 or E885"));
        assertThat(ModelCardHtml.render(card)).contains(", diag_1 (an ICD-9 code such as 250.01, V57 or E885), diag_2</td>");
    }

    /**
     * The fairness gate passed with two segments it could not judge: the first screen of the HTML card says so, and so
     * does its fairness line, where it once read "outcome: passed".
     */
    @Test
    void theHtmlCardsSummarySaysTheFairnessGatePassedWithFlaggedSegments() {
        String html = ModelCardHtml.render(card(ModelCardsTest.reportWithFlaggedSegments(1),
                new MonitoringReports(new InMemoryArtifactStore()), "plain text"));

        String outcome = "passed, 2 checks flagged: not judged for site=north, site=east (too few rows with or"
                + " without the outcome); see (3)(ii) risks and limitations";
        String summary = withoutRolesAndLabels(html.substring(html.indexOf("<h2>Summary</h2>"),
                html.indexOf("<h2>Performance by segment</h2>")));
        assertThat(summary).contains("<th scope=\"row\">Fairness (segments gate)</th><td>" + outcome + "</td>");
        assertThat(html).contains("; outcome: " + outcome + "</li>").doesNotContain("outcome: passed</li>");
    }

    @Test
    void theMarkdownCardsSummarySaysTheFairnessGatePassedWithFlaggedSegments() {
        String markdown = ModelCardMarkdown.render(card(ModelCardsTest.reportWithFlaggedSegments(1),
                new MonitoringReports(new InMemoryArtifactStore()), "plain text"));

        String outcome = "passed, 2 checks flagged: not judged for site=north, site=east (too few rows with or"
                + " without the outcome); see (3)(ii) risks and limitations";
        String summary = markdown.substring(markdown.indexOf("## Summary"), markdown.indexOf("## (1)"));
        assertThat(summary).contains("- Fairness (segments gate): " + outcome + "\n");
        assertThat(markdown).contains("; outcome: " + outcome + "\n").doesNotContain("outcome: passed\n");
    }

    @Test
    void theHtmlCardIsOnePageThatLoadsNothingFromOutside() {
        String html = ModelCardHtml.render(card(true));

        assertThat(html).startsWith("<!DOCTYPE html>").doesNotContain("<script", "<link", "<img", "@import", "url(",
                "<iframe", "<object");
        // The only URL is the SVG namespace, which is a name, not a fetch.
        assertThat(html.replace("xmlns=\"http://www.w3.org/2000/svg\"", "")).doesNotContain("http:", "https:")
                .doesNotContainPattern("<[^>]*\\s(src|href)=");
        assertThat(html).contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;img src=x&gt;");
    }

    @Test
    void theHtmlCardHasEveryAttributeHeadingTheSegmentTableAndBothCharts() {
        ModelCard card = card(true);
        String html = ModelCardHtml.render(card);

        for (Hti1Attribute.Group group : Hti1Attribute.Group.values()) {
            assertThat(html).contains("<h2>" + group.paragraph() + " " + ModelCardHtml.escape(group.title()) + "</h2>");
        }
        for (Hti1Attribute attribute : Hti1Attribute.values()) {
            assertThat(html).contains("<h3 id=\"" + attribute.key() + "\">" + attribute.paragraph() + " "
                    + ModelCardHtml.escape(attribute.title()) + "</h3>");
        }
        assertThat(withoutRolesAndLabels(html)).contains("<table id=\"segment-table\" class=\"cards\">",
                "<td>sex</td><td>female</td>", "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"calibration-plot\"",
                "<svg xmlns=\"http://www.w3.org/2000/svg\" id=\"roc-curve\"");
        // One circle per calibration bin, one ROC point per stored point.
        String calibration = html.substring(html.indexOf("id=\"calibration-plot\""), html.indexOf("id=\"roc-curve\""));
        assertThat(calibration.split("<circle", -1)).hasSize(card.curves().calibration().size() + 1);
        String roc = html.substring(html.indexOf("id=\"roc-curve\""));
        String points = roc.substring(roc.indexOf("points=\"") + 8, roc.indexOf('"', roc.indexOf("points=\"") + 8));
        assertThat(points.split(" ")).hasSize(card.curves().roc().size());
        assertThat(html).contains("not provided (card.fundingSource)");
    }

    @Test
    void theHtmlCardFitsAPhoneItsTablesNameTheirColumnsAndItsNumbersLineUp() {
        ModelCard card = card(true);
        String html = ModelCardHtml.render(card);
        ModelCard.Segment female = card.segments().stream().filter(s -> s.value().equals("female")).findFirst()
                .orElseThrow();

        assertThat(html).contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
        // Every table says what it holds and marks its header cells for a screen reader.
        int tables = html.split("<table", -1).length - 1;
        assertThat(tables).isGreaterThanOrEqualTo(5);
        assertThat(html.split("<table[^>]*><caption[^>]*>[^<]+</caption>", -1)).hasSize(tables + 1);
        assertThat(html).doesNotContain("<th>");
        assertThat(withoutRolesAndLabels(html)).contains("<thead><tr><th scope=\"col\">Gate</th>");
        // A number's column is right-aligned, header and cells alike, so its digits line up.
        assertThat(html).contains(".num{text-align:right",
                "<th scope=\"col\" role=\"columnheader\" class=\"num\">AUROC</th>");
        assertThat(withoutRolesAndLabels(html))
                .contains("<td>sex</td><td>female</td><td class=\"num\">" + female.rows() + "</td><td class=\"num\">"
                        + Words.number(female.auroc()) + "</td><td class=\"num\">" + Words.number(female.calibrationError())
                        + "</td>");
        String gates = withoutRolesAndLabels(html.substring(html.indexOf("<h2>Gate report</h2>"),
                html.indexOf("<h2>Approvals</h2>")));
        assertThat(gates).containsPattern("<td class=\"num\">[-0-9.e]+</td>");
        // Chart text is read at the size of the page's own small print, not smaller.
        java.util.regex.Matcher size = java.util.regex.Pattern.compile("font-size=\"(\\d+)\"").matcher(html);
        int sizes = 0;
        while (size.find()) {
            assertThat(Integer.parseInt(size.group(1))).as("an SVG font size").isGreaterThanOrEqualTo(12);
            sizes++;
        }
        assertThat(sizes).isPositive();
    }

    @Test
    void aGateChecksValueReadsAsOnTheDashboardAndTheCommandLine() {
        // A presence check measures 1, a count 2, an additivity error 1.66e-06: whole numbers are not "1.000".
        GateReport measured = ModelCardsTest.report(1);
        List<GateCheck> checks = new java.util.ArrayList<>(measured.checks());
        checks.add(GateCheck.of("coverage", "label_present", 1.0, "== 1", true, null));
        checks.add(GateCheck.of("coverage", "segments_measured", 2.0, ">= 1", true, null));
        checks.add(GateCheck.of("explanation", "shap_additivity", 1.6601e-6, "<= 0.001", true, null));
        GateReport report = new GateReport(measured.model(), measured.version(), measured.passed(),
                measured.evaluatedAt(), measured.datasetSha256(), measured.datasetRows(), null, 0, checks, List.of(),
                measured.curves());

        String html = withoutRolesAndLabels(ModelCardHtml.render(card(report,
                new MonitoringReports(new InMemoryArtifactStore()), "text")));

        assertThat(html).contains("<td>label_present</td><td class=\"num\">1</td>",
                "<td>segments_measured</td><td class=\"num\">2</td>",
                "<td>shap_additivity</td><td class=\"num\">1.660e-06</td>",
                "<td>expected_calibration_error</td><td class=\"num\">0.0225</td>");
    }

    /** A gate report whose figures read differently at four decimals than by the card's number rule. */
    private static GateReport reportWithRoundFigures() {
        GateReport measured = ModelCardsTest.report(1);
        List<GateCheck> checks = List.of(
                GateCheck.of("discrimination", "auroc", 0.8, ">= 0.7", true, null).withInterval(0.75, 0.85),
                GateCheck.of("calibration", "expected_calibration_error", 0.02, "<= 0.05", true, null)
                        .withInterval(0.0004, 0.05),
                GateCheck.of("segments", "sex=female:auroc", 0.75, "gap <= 0.1", true, "120 rows"),
                GateCheck.of("segments", "sex=female:calibration_error", 0.0004, "gap <= 0.05", true, "120 rows"),
                GateCheck.of("segments", "sex:worst_auroc_gap", 0.05, "<= 0.1", true, "sex=female"));
        return new GateReport(measured.model(), measured.version(), true, measured.evaluatedAt(),
                measured.datasetSha256(), measured.datasetRows(), null, 0, checks, List.of(), measured.curves());
    }

    @Test
    void theSegmentTableAndTheHti1LinesWriteNumbersByTheCardsOneRule() {
        ModelCard card = card(reportWithRoundFigures(), new MonitoringReports(new InMemoryArtifactStore()), "text");
        String html = withoutRolesAndLabels(ModelCardHtml.render(card));
        String markdown = ModelCardMarkdown.render(card);

        // The gate table's rule: four significant digits, trailing zeros dropped, a tiny value in scientific form.
        assertThat(html).contains("<td>sex</td><td>female</td><td class=\"num\">120</td><td class=\"num\">0.75</td>"
                + "<td class=\"num\">4.000e-04</td>");
        assertThat(markdown).contains("| sex | female | 120 | 0.75 | 4.000e-04 | passed |", "- AUROC: 0.8\n",
                "- Expected calibration error: 0.02\n");
        assertThat(ModelCardsTest.attribute(card, "testValidity").values())
                .contains("auroc 0.8 [95% CI 0.75 to 0.85] (passed >= 0.7)",
                        // Joined by a hyphen, a bound in scientific form or below zero would run into the other.
                        "expected_calibration_error 0.02 [95% CI 4.000e-04 to 0.05] (passed <= 0.05)");
        assertThat(ModelCardsTest.attribute(card, "testFairness").values())
                .contains("sex:worst_auroc_gap 0.05 (passed; sex=female)");
        assertThat(html + markdown).doesNotContain("0.7500", "0.8000", "0.0004 ");
    }

    @Test
    void aSegmentMeasureOrGateValueThatWasNotComputedSaysSoAndNeverReadsNaN() {
        // One segment has only its AUROC check, another only its calibration check; a slope has no value.
        GateReport measured = ModelCardsTest.report(1);
        List<GateCheck> checks = List.of(
                GateCheck.of("calibration", "calibration_slope", Double.NaN, "0.8-1.2", false,
                        "the outcomes are all of one class").withInterval(Double.NaN, Double.NaN),
                GateCheck.of("segments", "sex=female:auroc", 0.75, "gap <= 0.1", true, "120 rows"),
                GateCheck.of("segments", "sex=male:calibration_error", 0.03, "gap <= 0.05", true, "80 rows"));
        GateReport report = new GateReport(measured.model(), measured.version(), false, measured.evaluatedAt(),
                measured.datasetSha256(), measured.datasetRows(), null, 0, checks, List.of(), measured.curves());

        ModelCard card = card(report, new MonitoringReports(new InMemoryArtifactStore()), "text");
        String html = withoutRolesAndLabels(ModelCardHtml.render(card));
        String markdown = ModelCardMarkdown.render(card);

        assertThat(html).contains("<td>sex</td><td>female</td><td class=\"num\">120</td><td class=\"num\">0.75</td>"
                        + "<td class=\"num\">not computed</td>",
                "<td>sex</td><td>male</td><td class=\"num\">80</td><td class=\"num\">not computed</td>"
                        + "<td class=\"num\">0.03</td>",
                "<td>calibration_slope</td><td class=\"num\">not computed</td>");
        assertThat(markdown).contains("| sex | female | 120 | 0.75 | not computed | passed |",
                "| sex | male | 80 | not computed | 0.03 | passed |");
        assertThat(ModelCardsTest.attribute(card, "testValidity").values())
                .contains("calibration_slope not computed (failed 0.8-1.2)");
        assertThat(html + markdown).doesNotContain("NaN");
    }

    @Test
    void theSummarysAurocAndCalibrationErrorAreRightAlignedAsTheOtherTablesNumbers() {
        String html = withoutRolesAndLabels(ModelCardHtml.render(card(reportWithRoundFigures(), new MonitoringReports(
                new InMemoryArtifactStore()), "text")));

        assertThat(html).contains("<tr><th scope=\"row\">AUROC</th><td class=\"num\">0.8</td></tr>",
                "<tr><th scope=\"row\">Expected calibration error</th><td class=\"num\">0.02</td></tr>");
    }

    @Test
    void theHtmlCardShowsWhenTheVersionWasRegisteredAndItsThresholdAsPeopleReadThem() {
        // A trained threshold has 17 digits and the registry keeps its instants to the nanosecond.
        Instant registered = Instant.parse("2026-11-02T10:15:30.354748287Z");
        Manifest manifest = ServiceFixtures.manifest(ServiceFixtures.READMISSION, ServiceFixtures.schema(),
                0.18209678402468013);
        InMemoryRegistryStore store = new InMemoryRegistryStore();
        store.put(new VersionRecord(ServiceFixtures.READMISSION, 1, manifest, ServiceFixtures.sha('p', 1),
                ServiceFixtures.sha('m', 1), "readmission-v1.zip", 1234, Stage.GATES_PASSED, "blob:readmission-v1.zip",
                registered, "event-1", registered, "etag-1"));
        ModelCard card = new ModelCards(new ModelRegistry(store), id -> Optional.empty(), version -> List.of(),
                ModelCardsTest.windows(new MonitoringReports(new InMemoryArtifactStore())), mock(PredictionLog.class),
                Clock.fixed(Instant.parse("2026-11-20T12:00:00Z"), ZoneOffset.UTC)).card(ServiceFixtures.READMISSION, 1);

        String html = ModelCardHtml.render(card);

        assertThat(html).contains(" at <time datetime=\"2026-11-02T10:15:30.354748287Z\">2026-11-02 10:15:30 UTC</time>")
                .contains("at 0.1821 or above the decision is positive")
                .doesNotContain("0.18209678402468013").doesNotContain(" at 2026-11-02T");
    }

    @Test
    void bothCardsSayWhenTheyWereGeneratedToTheSecondInUtc() {
        ModelCard card = card(true);

        assertThat(ModelCardMarkdown.render(card)).contains("; generated 2026-11-20 12:00:00 UTC from the manifest");
        assertThat(ModelCardHtml.render(card)).contains("; generated <time datetime=\"2026-11-20T12:00:00Z\">2026-11-20"
                + " 12:00:00 UTC</time> from the manifest");
    }

    @Test
    void theHtmlAndMarkdownCardsShowTheMonitoringReportsFiguresAsTheJsonCardHoldsThem() {
        MonitoringReports monitoringReports = new MonitoringReports(new InMemoryArtifactStore());
        MonitoringReport report = monitoringReports.create(ModelCardsTest.monitoringReport(1, Slot.STABLE,
                Instant.parse("2026-11-20T10:00:00Z"), true));
        ModelCard card = card(true, monitoringReports);
        String html = ModelCardHtml.render(card);
        String markdown = ModelCardMarkdown.render(card);

        for (String key : List.of("localValidity", "localFairness")) {
            ModelCard.Attribute attribute = ModelCardsTest.attribute(card, key);
            assertThat(attribute.provided()).isTrue();
            String section = html.substring(html.indexOf("<h3 id=\"" + key + "\">"));
            section = section.substring(0, section.indexOf("</p>") + 4);
            for (String value : attribute.values()) {
                assertThat(section).contains("<li>" + ModelCardHtml.escape(value) + "</li>");
            }
            assertThat(section).contains("Source: production monitoring report " + report.id())
                    .doesNotContain(ModelCard.NOT_PROVIDED);
            String part = markdown.substring(markdown.indexOf("### " + attribute.paragraph()));
            part = part.substring(0, part.indexOf("\nSource: "));
            assertThat(part).contains("- " + attribute.values().get(0)).doesNotContain(ModelCard.NOT_PROVIDED);
        }
        assertThat(markdown).contains("- sex=male: no AUROC: 30 with an outcome, 12 positive",
                "Source: production monitoring report " + report.id());
    }

    @Test
    void textThatWouldShowTheApproverOtherWordsThanItHoldsIsShownWithItsFormattingCharactersNamed() {
        // Shown as it is, "not for use in children" with a right-to-left override before its last word reads
        // "nerdlihc" backwards, and an isolate, a mark or a line separator reorders or splits what follows it.
        String uploaderText = "not for use in \u202enerdlihc\u202c, \u2067see\u2069 \u200f1-2\u2028end\u0007";

        String html = ModelCardHtml.render(card(true, new MonitoringReports(new InMemoryArtifactStore()), uploaderText));

        assertThat(html).doesNotContain("\u202e", "\u202c", "\u2067", "\u2069", "\u200f", "\u2028", "\u0007")
                .contains("not for use in [U+202E]nerdlihc[U+202C], [U+2067]see[U+2069] [U+200F]1-2[U+2028]end[U+0007]");
    }

    @Test
    void theMarkdownCardOnATerminalNamesControlAndBidirectionalCharactersSoNoTextRewritesWhatIsShown() {
        // Printed by `vigil models card`: a carriage return would let the text overwrite its own line, an escape
        // sequence (ESC c) reset the approver's terminal, and an override reverse the words after it.
        String uploaderText = "team\r- Gates: passed \u001bc \u202enerdlihc";

        String markdown = ModelCardMarkdown.render(card(true, new MonitoringReports(new InMemoryArtifactStore()),
                uploaderText));

        assertThat(markdown).doesNotContain("\r", "\u001b", "\u202e")
                .contains("team - Gates: passed \\[U+001B\\]c \\[U+202E\\]nerdlihc");
    }

    @Test
    void invisibleFormatCharactersAreNamedOnBothCardsAsTheBidirectionalOnesAre() {
        // A zero width space or a word joiner inside "children" leaves it looking whole while it no longer matches
        // a search for the word; tag characters (beyond the BMP) carry text nobody sees.
        String tag = new String(Character.toChars(0xE0041));
        String uploaderText = "not for use in chil\u200Bdren\u2060\uFEFF" + tag;
        MonitoringReports reports = new MonitoringReports(new InMemoryArtifactStore());

        String html = ModelCardHtml.render(card(true, reports, uploaderText));
        String markdown = ModelCardMarkdown.render(card(true, reports, uploaderText));

        assertThat(html).doesNotContain("\u200B", "\u2060", "\uFEFF", tag)
                .contains("not for use in chil[U+200B]dren[U+2060][U+FEFF][U+E0041]");
        assertThat(markdown).doesNotContain("\u200B", "\u2060", "\uFEFF", tag)
                .contains("not for use in chil\\[U+200B\\]dren\\[U+2060\\]\\[U+FEFF\\]\\[U+E0041\\]");
    }

    @Test
    void withoutAGateReportTheCardSaysSoInsteadOfDrawing() {
        String html = ModelCardHtml.render(card(false));

        assertThat(html).doesNotContain("<svg").contains("no curves: the gates did not score this version")
                .contains("the version&#39;s gates have not run yet");
    }

    @Test
    void theMarkdownCardHasEveryAttributeHeadingAndEscapesTheUploadersText() {
        String markdown = ModelCardMarkdown.render(card(true));

        for (Hti1Attribute attribute : Hti1Attribute.values()) {
            assertThat(markdown).contains("### " + attribute.paragraph() + " " + attribute.title() + "\n");
        }
        assertThat(markdown).contains("| sex | female |", "## ROC curve", "*not provided (card.fundingSource)*")
                .doesNotContain("<script>");
    }

    /**
     * The card's markup with the ARIA roles and cell labels taken out, for checks of what a cell says rather than how
     * a phone draws it.
     */
    private static String withoutRolesAndLabels(String html) {
        return html.replaceAll(" (role|data-label|aria-labelledby)=\"[^\"]*\"", "");
    }

    private static int count(String html, String regex) {
        return html.split(regex, -1).length - 1;
    }

    /**
     * On a phone the card's tables are drawn as the dashboard's are, one card per row with each value after its
     * column's header, so no column hides sideways; every part of a table says its role, which Safari otherwise drops
     * from a table drawn as blocks, and long text such as a sha256 breaks rather than widens the page.
     */
    @Test
    void onAPhoneEveryTableOfTheCardIsDrawnAsCardsThatKeepTheirRolesAndColumnHeaders() {
        ModelCard card = card(true);
        String html = ModelCardHtml.render(card);
        ModelCard.Segment female = card.segments().stream().filter(s -> s.value().equals("female")).findFirst()
                .orElseThrow();

        assertThat(html).contains("@media " + TableCards.NARROW + "{" + TableCards.RULES
                + " .scroll{visibility:hidden} .scroll>*{visibility:visible}}",
                "li,p{overflow-wrap:anywhere}");
        int tables = count(html, "<table");
        assertThat(tables).isGreaterThanOrEqualTo(5);
        assertThat(count(html, "<table id=\"([a-z-]+)\" class=\"cards\" role=\"table\" aria-labelledby=\"\\1-caption\">"
                + "<caption id=\"\\1-caption\">")).isEqualTo(tables);
        assertThat(count(html, "<thead")).isEqualTo(count(html, "<thead role=\"rowgroup\">")).isPositive();
        assertThat(count(html, "<tbody")).isEqualTo(count(html, "<tbody role=\"rowgroup\">")).isEqualTo(tables);
        assertThat(count(html, "<tr")).isEqualTo(count(html, "<tr role=\"row\">"));
        assertThat(count(html, "<th scope=\"col\"")).isEqualTo(count(html, "<th scope=\"col\" role=\"columnheader\""));
        assertThat(count(html, "<th scope=\"row\"")).isEqualTo(count(html, "<th scope=\"row\" role=\"rowheader\""));
        assertThat(count(html, "<th ")).isEqualTo(count(html, "<th scope=\"(col|row)\""));
        assertThat(count(html, "<td")).isEqualTo(count(html, "<td role=\"cell\"")).isPositive();
        // A table of columns labels each cell with its column's header, which a phone shows before the value.
        assertThat(html).contains("<td role=\"cell\" data-label=\"Column\">sex</td>"
                + "<td role=\"cell\" data-label=\"Value\">female</td>"
                + "<td role=\"cell\" data-label=\"Rows\" class=\"num\">" + female.rows() + "</td>"
                + "<td role=\"cell\" data-label=\"AUROC\" class=\"num\">" + Words.number(female.auroc()) + "</td>");
        String gates = html.substring(html.indexOf("id=\"gate-table\""), html.indexOf("<h2>Approvals</h2>"));
        assertThat(count(gates, "<td ")).isEqualTo(6 * card.gates().checks().size())
                .isEqualTo(count(gates, "<td role=\"cell\" data-label=\"(Gate|Check|Value|Threshold|Outcome|Note)\""));
        // A table of facts is headed row by row: a phone shows each fact's name above its value.
        assertThat(html).contains("<tr role=\"row\"><th scope=\"row\" role=\"rowheader\">Owner</th><td role=\"cell\">");
    }

    /**
     * A table wider than a desktop window scrolls sideways in its box, and a box that scrolls must be reachable by
     * keyboard (WCAG 2.1.1): each is a focusable region named by its table's caption, as the dashboard's are.
     */
    @Test
    void everyScrollingTableBoxCanBeReachedByKeyboardAndIsNamedByItsCaption() {
        String html = ModelCardHtml.render(card(true));

        int tables = count(html, "<table");
        assertThat(tables).isGreaterThanOrEqualTo(5);
        assertThat(count(html, "<div class=\"scroll\" role=\"region\" tabindex=\"0\""
                + " aria-labelledby=\"([a-z-]+)-caption\"><table id=\"\\1\"")).isEqualTo(tables);
    }
}
