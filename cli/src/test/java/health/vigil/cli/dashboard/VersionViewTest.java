package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.cards.ModelCard;
import health.vigil.functions.common.html.Html;
import health.vigil.model.GateCheck;
import health.vigil.model.GateReport;
import health.vigil.model.ModelName;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VersionViewTest {

    @Test
    void aGateChecksValueIsWholeWhenWholeFourSignificantDigitsOtherwiseAndScientificWhenTiny() {
        // A presence check measures 1 and a count 2; an additivity error of 1.66e-06 is not zero.
        GateReport report = new GateReport("readmission", 1, true, Instant.parse("2026-11-20T12:00:00Z"), "cd".repeat(32),
                2000, null, 0, List.of(GateCheck.of("coverage", "label_present", 1.0, "== 1", true, null),
                        GateCheck.of("coverage", "segments_measured", 2.0, ">= 1", true, null),
                        GateCheck.of("discrimination", "auroc", 0.830972, ">= 0.65", true, null),
                        GateCheck.of("explanation", "shap_additivity", 1.6601e-6, "<= 0.001", true, null)),
                List.of(), null);

        String html = VersionView.gates(Optional.of(report));

        assertThat(html).contains(check("label_present", "1"), check("segments_measured", "2"), check("auroc", "0.831"),
                check("shap_additivity", "1.660e-06"))
                .doesNotContain("1.0000", "2.0000", "0.0000");
    }

    @Test
    void aGateChecksIntervalReadsByTheSameRuleAndANonFiniteValueIsNotComputedNotNaN() {
        GateReport report = new GateReport("readmission", 1, true, Instant.parse("2026-11-20T12:00:00Z"), "cd".repeat(32),
                2000, null, 0, List.of(GateCheck.of("discrimination", "auroc", 0.830972, ">= 0.65", true, null)
                        .withInterval(0.8012345, 0.86), GateCheck.of("calibration", "calibration_slope", Double.NaN,
                        "0.8-1.2", false, "the outcomes are all of one class").withInterval(Double.NaN, Double.NaN)),
                List.of(), null);

        String html = VersionView.gates(Optional.of(report));

        // As vigil models gates writes them: four significant digits, not three decimals.
        assertThat(html)
                .contains("<td role=\"cell\" data-label=\"95 % interval\" class=\"num\">0.8012 \u2013 0.86</td>")
                .contains(check("calibration_slope", "not computed"))
                .contains("the outcomes are all of one class").doesNotContain("NaN", "0.801 ");
    }

    @Test
    void theCardSummarysMeasuresReadByTheSameRuleAsTheGateTable() {
        // At three decimals an AUROC of 0.8 read "0.800" and a calibration error of 1.874e-04 read "0.000".
        ModelCard.Summary summary = new ModelCard.Summary("text", "owner", true, List.of(), List.of(), List.of(),
                "passed", 0.8, 1.874e-4, List.of(), null, List.of());
        ModelCard card = new ModelCard("readmission", 1, "GATES_PASSED", Instant.parse("2026-11-20T12:00:00Z"), summary,
                List.of(), null, null, List.of(), null, List.of(), List.of(), null);

        String html = VersionView.card(card, new ModelName("readmission"), 1);

        assertThat(html).contains("<dt>AUROC on the gates&#39; data</dt><dd>0.8</dd>",
                "<dt>Expected calibration error</dt><dd>1.874e-04</dd>").doesNotContain("0.800", "0.000");
    }

    @Test
    void theCardSummaryShowsAPassWithFlagsAndTheFairnessLineNotAPlainPass() {
        // The segments gate passed without judging two segments: the summary showed neither the gates nor fairness.
        String fairness = "passed, 2 checks flagged: not judged for site=north, site=east (too few rows with or without"
                + " the outcome); see (3)(ii) risks and limitations";
        ModelCard.Summary summary = new ModelCard.Summary("text", "owner", true, List.of(), List.of(),
                List.of("segments/site=north:outcomes_per_class", "segments/site=east:outcomes_per_class"), fairness,
                0.8, 0.01, List.of(), null, List.of());

        String html = VersionView.card(card(summary), new ModelName("readmission"), 1);

        assertThat(html).contains("<dl class=\"facts\" id=\"card-summary\">", "<dt>Gates</dt><dd data-fact=\"gates\">"
                + "<span class=\"outcome flagged\">\u26a0 passed with 2 flagged</span>:"
                + " segments/site=north:outcomes_per_class, segments/site=east:outcomes_per_class</dd>",
                "<dt>Fairness (segments gate)</dt><dd data-fact=\"fairness\">" + fairness + "</dd>")
                .doesNotContain("\u2714 passed");
        // On a phone the long line wraps: a fact's value breaks where it must, and nothing here is kept unbroken.
        assertThat(Html.STYLE).contains("dl.facts dd{margin:0;overflow-wrap:anywhere}");
        assertThat(html.substring(html.indexOf("data-fact=\"gates\""))).doesNotContain("unbroken", "<time");
    }

    @Test
    void theCardSummaryShowsFailedGatesTheirFlagsAndWhatIsOutOfDateAndAPlainPassAsSuch() {
        ModelCard.Summary failed = new ModelCard.Summary("text", "owner", false, List.of("discrimination"),
                List.of("the gate policy changed from 3 to 4"), List.of("segments/segment_columns"), "passed, 1 check"
                + " flagged: no segment column declared, so no group compared with the whole; see (3)(ii) risks and"
                + " limitations", null, null, List.of(), null, List.of());
        ModelCard.Summary passed = new ModelCard.Summary("text", "owner", true, List.of(), List.of(), List.of(),
                "passed", null, null, List.of(), null, List.of());
        ModelCard.Summary notRun = new ModelCard.Summary("text", "owner", null, List.of(), List.of(), List.of(), null,
                null, null, List.of(), null, List.of());

        assertThat(VersionView.card(card(failed), new ModelName("readmission"), 1)).contains("<dd data-fact=\"gates\">"
                + "<span class=\"outcome failed status-bad\">\u2718 failed</span>: discrimination; 1 flagged:"
                + " segments/segment_columns; out of date: the gate policy changed from 3 to 4 (the gates must run"
                + " again before the version can be approved)</dd>", "<dd data-fact=\"fairness\">passed, 1 check"
                + " flagged: no segment column declared");
        assertThat(VersionView.card(card(passed), new ModelName("readmission"), 1)).contains("<dd data-fact=\"gates\">"
                + "<span class=\"outcome passed\">\u2714 passed</span></dd>", "<dd data-fact=\"fairness\">passed</dd>");
        assertThat(VersionView.card(card(notRun), new ModelName("readmission"), 1))
                .contains("<dd data-fact=\"gates\">not run yet</dd>").doesNotContain("Fairness");
    }

    private static ModelCard card(ModelCard.Summary summary) {
        return new ModelCard("readmission", 1, "GATES_PASSED", Instant.parse("2026-11-20T12:00:00Z"), summary,
                List.of(), null, null, List.of(), null, List.of(), List.of(), null);
    }

    /** A row of the gates' table: the check's name and its value, each labelled by its column's header. */
    private static String check(String name, String value) {
        return "<td role=\"cell\" data-label=\"Check\">" + name + "</td>"
                + "<td role=\"cell\" data-label=\"Value\" class=\"num\">" + value + "</td>";
    }
}
