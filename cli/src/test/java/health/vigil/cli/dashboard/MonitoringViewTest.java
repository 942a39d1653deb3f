package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.functions.common.html.Html;
import health.vigil.model.ModelName;
import health.vigil.monitoring.DriftReport;
import health.vigil.monitoring.DriftThresholds;
import health.vigil.monitoring.LabelledPerformance;
import health.vigil.monitoring.MonitoringPolicy;
import health.vigil.monitoring.MonitoringReport;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class MonitoringViewTest {

    private static MonitoringReport window(String from, MonitoringReport.Severity severity, List<String> reasons,
            DriftReport.Status age) {
        DriftReport.FeatureDrift feature = new DriftReport.FeatureDrift("age", "numeric", 500, 0, 0, 0.31, null, null,
                null, null, null, null, null, null, null, age, List.of());
        DriftReport drift = new DriftReport(500, age == DriftReport.Status.DRIFTED, List.of(feature), null, null,
                List.of(), DriftThresholds.DEFAULTS);
        Instant start = Instant.parse(from);
        return new MonitoringReport("readmission/v1/stable/" + from, "readmission", 1, "stable", start,
                start.plusSeconds(3600), start.plusSeconds(3600), severity, reasons, 500, null,
                age == DriftReport.Status.DRIFTED ? 1 : 0, false, null, drift, null, null, List.of());
    }

    @Test
    void withoutACheckedWindowThePageGivesTheCommandThatChecksOneForThisModel() {
        String html = MonitoringView.windows(new ModelName("readmission"), List.of());

        assertThat(html).contains("<code>vigil monitor run readmission</code>")
                .contains("<code>POST /models/readmission/monitoring/run</code>").doesNotContain("{name}");
    }

    @Test
    void aWindowsDriftedInputsAreNamedOnceInTheReasonsNotAgainInAColumnOfTheirOwn() {
        String html = MonitoringView.windows(new ModelName("readmission"), List.of(
                window("2026-11-20T10:00:00Z", MonitoringReport.Severity.OK, List.of(), DriftReport.Status.STABLE),
                window("2026-11-20T11:00:00Z", MonitoringReport.Severity.WARNING,
                        List.of("drift in age (1 window in a row)"), DriftReport.Status.DRIFTED)));

        assertThat(html).doesNotContain(">Drifted</th>")
                .contains("<th scope=\"col\" role=\"columnheader\">Why</th></tr>")
                .contains("<td role=\"cell\" data-label=\"Why\">drift in age (1 window in a row)</td></tr>");
        // A window without a reason says so with a dash, as every empty cell of the page does, not with "none".
        String first = "<tr role=\"row\"><th scope=\"row\" role=\"rowheader\" data-label=\"Window (UTC)\">";
        String ok = html.substring(html.indexOf(first), html.indexOf("</tr>", html.indexOf(first)));
        assertThat(ok).endsWith("<td role=\"cell\" data-label=\"Why\">\u2013</td>").doesNotContain("none");
        assertThat(html.split("age", -1)).hasSize(2);
    }

    /**
     * An input drifts by PSI, KS, chi-square or its missing rate: its row says which test found it drifted, so a PSI
     * under the line beside "drifted", or no PSI at all (a field no row sent), is not read as a contradiction.
     */
    @Test
    void aDriftedInputSaysWhichTestFoundIt() {
        DriftReport.FeatureDrift labs = new DriftReport.FeatureDrift("num_lab_procedures", "numeric", 500, 0, 0, 0.12,
                null, 0.14, 3.1e-5, null, null, null, null, null, null, DriftReport.Status.DRIFTED,
                List.of("KS 0.140 >= 0.100 (p=3.1e-05)"));
        DriftReport.FeatureDrift a1c = new DriftReport.FeatureDrift("A1Cresult", "categorical", 0, 1, 0.02, null,
                null, null, null, null, null, null, null, null, null, DriftReport.Status.DRIFTED,
                List.of("missing rate 1.000 vs 0.020 in training (p=0)"));
        DriftReport drift = new DriftReport(500, true, List.of(labs, a1c), null, null, List.of(),
                DriftThresholds.DEFAULTS);
        Instant start = Instant.parse("2026-11-20T10:00:00Z");
        MonitoringReport report = new MonitoringReport("readmission/v1/stable/x", "readmission", 1, "stable", start,
                start.plusSeconds(3600), start.plusSeconds(3600), MonitoringReport.Severity.WARNING,
                List.of("drift in num_lab_procedures, A1Cresult (1 window in a row)"), 500, null, 1, false, null, drift,
                null, null, List.of());

        String html = MonitoringView.driftOverTime(List.of(report));

        assertThat(row(html, "num_lab_procedures")).endsWith("<strong>drifted</strong>: KS 0.140 &gt;= 0.100"
                + " (p=3.1e-05)</td>");
        assertThat(row(html, "A1Cresult")).endsWith("<strong>drifted</strong>: missing rate 1.000 vs 0.020 in training"
                + " (p=0)</td>");
    }

    private static String row(String html, String input) {
        int start = html.indexOf("<tr role=\"row\"><th scope=\"row\" role=\"rowheader\" data-label=\"Input\">" + input
                + "</th>");
        assertThat(start).as("the row of %s", input).isNotNegative();
        return html.substring(start, html.indexOf("</tr>", start));
    }

    @Test
    void aProvisionalWindowsVerdictSaysItIsProvisional() {
        MonitoringReport early = window("2026-11-20T10:00:00Z", MonitoringReport.Severity.OK, List.of(),
                DriftReport.Status.STABLE);
        MonitoringReport provisional = new MonitoringReport(early.id(), early.model(), early.version(), early.slot(),
                early.from(), early.to(), early.checkedAt(), early.severity(), early.reasons(), early.predictions(),
                early.labelledFraction(), early.driftedWindows(), early.performanceDegraded(), early.estimateError(),
                early.drift(), early.performance(), early.policy(), early.segments(), true);

        assertThat(MonitoringView.windows(new ModelName("readmission"), List.of(provisional)))
                .contains("<td role=\"cell\" data-label=\"Verdict\">\u2714 ok (provisional)</td>");
        assertThat(MonitoringView.windows(new ModelName("readmission"), List.of(early))).doesNotContain("provisional");
    }

    /**
     * A window of 40 outcomes, 20 of each class, has a realised AUROC, which the monitoring check judges only on 50 or
     * more: its cell says so in the model card's words, and a window of 400 outcomes carries no mark.
     */
    @Test
    void aRealisedAurocTheMonitoringCheckDidNotJudgeIsMarkedNotJudgedAsOnTheModelCard() {
        assertMarkedOnTheFirstWindowOnly("AUROC", LabelledPerformance::auroc, 400, 200);
    }

    /** The Brier score is judged on 50 outcomes whatever their classes: on 40 its cell says it was not judged. */
    @Test
    void aBrierScoreTheMonitoringCheckDidNotJudgeIsMarkedNotJudgedAsOnTheModelCard() {
        assertMarkedOnTheFirstWindowOnly("Brier", LabelledPerformance::brier, 60, 0);
    }

    /**
     * The performance table of a window of 40 outcomes, 20 of each class, then one of {@code n} outcomes of which
     * {@code positives} are positive: the first window's {@code column} says it was not judged, the second's does not.
     */
    private static void assertMarkedOnTheFirstWindowOnly(String column, Function<LabelledPerformance, Double> value,
            int n, int positives) {
        MonitoringReport few = judged("2026-11-20T10:00:00Z", 40, 20);
        MonitoringReport judged = judged("2026-11-20T11:00:00Z", n, positives);

        String html = MonitoringView.performanceOverTime(List.of(few, judged));

        assertThat(cell(html, "10:00", column)).isEqualTo(Html.number(value.apply(few.performance()), 3)
                + " <span class=\"wraps\">not judged: 40 outcomes, the check needs 50</span>");
        assertThat(cell(html, "11:00", column)).isEqualTo(Html.number(value.apply(judged.performance()), 3));
    }

    /** A window of {@code n} outcomes from seeded scores, the first {@code positives} positive, under the defaults. */
    private static MonitoringReport judged(String from, int n, int positives) {
        Random random = new Random(20261208);
        double[] scores = new double[n];
        boolean[] labels = new boolean[n];
        for (int i = 0; i < n; i++) {
            scores[i] = random.nextDouble();
            labels[i] = i < positives;
        }
        MonitoringReport w = window(from, MonitoringReport.Severity.OK, List.of(), DriftReport.Status.STABLE);
        return new MonitoringReport(w.id(), w.model(), w.version(), w.slot(), w.from(), w.to(), w.checkedAt(),
                w.severity(), w.reasons(), w.predictions(), (double) n / w.predictions(), 0, false, null, w.drift(),
                LabelledPerformance.of(scores, labels, n), MonitoringPolicy.DEFAULTS, List.of(), false);
    }

    /** The markup of the cell of {@code column} in the row of the window starting at {@code time} (UTC). */
    private static String cell(String html, String time, String column) {
        int row = html.indexOf("data-label=\"Window (UTC)\">11-20 " + time + "</th>");
        assertThat(row).as("the row of %s", time).isNotNegative();
        String start = "data-label=\"" + column + "\" class=\"num\">";
        int cell = html.indexOf(start, row) + start.length();
        return html.substring(cell, html.indexOf("</td>", cell));
    }

    @Test
    void oneCheckedWindowAndOnePredictionAreCountedInTheSingular() {
        int cellSize = MonitoringPolicy.DEFAULT_MIN_CELL_SIZE;
        assertThat(MonitoringView.counts(1, 1, 0, cellSize)).isEqualTo("<strong data-fact=\"windows\">1</strong>"
                + " checked window, <strong data-fact=\"rows\">1</strong> prediction, <strong"
                + " data-fact=\"labelled\">0</strong> with an outcome");
        assertThat(MonitoringView.counts(2, 4129, 600, cellSize)).isEqualTo("<strong data-fact=\"windows\">2</strong>"
                + " checked windows, <strong data-fact=\"rows\">4129</strong> predictions, <strong"
                + " data-fact=\"labelled\">600</strong> with an outcome");
    }

    /** A count of outcomes the page can give without the model's cell size would show a small count whole. */
    @Test
    void thePageCountsOutcomesOnlyWithTheModelsCellSize() {
        assertThat(MonitoringView.counts(1, 40, 5, MonitoringPolicy.DEFAULT_MIN_CELL_SIZE))
                .endsWith("outcomes withheld (fewer than 11 outcomes)").doesNotContain(">5<");
        assertThat(java.util.Arrays.stream(MonitoringView.class.getDeclaredMethods())
                .filter(m -> m.getName().equals("counts")))
                .as("every count of the page's outcomes takes the model's minCellSize")
                .isNotEmpty().allSatisfy(m -> assertThat(m.getParameterTypes()).endsWith(int.class));
    }
}
