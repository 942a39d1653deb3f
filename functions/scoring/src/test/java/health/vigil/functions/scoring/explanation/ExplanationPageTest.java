package health.vigil.functions.scoring.explanation;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.model.Explanation.Direction;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.scoring.PredictionExplanation;
import health.vigil.scoring.PredictionExplanation.ClinicalFactor;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExplanationPageTest {

    private static PredictionExplanation explanation(Instant time, List<ClinicalFactor> factors) {
        return new PredictionExplanation("0190a3c4-0000-7000-8000-000000000001", new ModelName("readmission"), 3,
                Slot.STABLE, time, 0.31, 0.2, 0.5, "readmitted", false, factors, 0.01, 0.31, "summary",
                "adults discharged from hospital", List.of(), "/models/readmission/versions/3/card",
                Stage.PRODUCTION);
    }

    private static PredictionExplanation explanation(Instant time) {
        return explanation(time, List.of(new ClinicalFactor("time_in_hospital", "Length of stay", "days", 0.1, 0.5,
                Direction.RAISES)));
    }

    @Test
    void aFactorWhoseValueWasMissingSaysSoAndWhatTheModelWasGivenInstead() {
        String missing = "missing (not recorded): the model was given a stand-in value and a flag saying the value"
                + " was missing";
        PredictionExplanation e = explanation(Instant.parse("2024-05-01T10:15:30Z"), List.of(
                new ClinicalFactor("discharge_disposition", "Discharge destination", null, -0.02, -0.1,
                        Direction.LOWERS, missing),
                new ClinicalFactor("time_in_hospital", "Length of stay", "days", 0.1, 0.5, Direction.RAISES)));

        String html = ExplanationPage.page(e);

        assertThat(html).contains("<th scope=\"row\">Discharge destination<br><span class=\"muted\""
                + " data-fact=\"missing\">" + missing + "</span></th>");
        assertThat(ExplanationPage.summary(e)).contains("Lowered by Discharge destination, missing (\u22122.0\u00a0points).")
                .contains("Raised by Length of stay (days) (+10.0\u00a0points).");
    }

    @Test
    void factorsAreListedWithSemicolonsAndALabelWithASemicolonOfItsOwnIsQuoted() {
        PredictionExplanation e = explanation(Instant.parse("2024-05-01T10:15:30Z"), List.of(
                new ClinicalFactor("age_years", "age, in years", null, 0.06, 0.3, Direction.RAISES),
                new ClinicalFactor("A1Cresult", "HbA1c test result; None = not tested", "%", 0.05, 0.25,
                        Direction.RAISES),
                new ClinicalFactor("time_in_hospital", "length of stay", "days", 0.04, 0.2, Direction.RAISES,
                        "missing (not recorded)")));

        assertThat(ExplanationPage.summary(e)).contains("Raised by age, in years (+6.0\u00a0points); \u201cHbA1c test"
                + " result; None = not tested\u201d (%) (+5.0\u00a0points); length of stay (days), missing (+4.0\u00a0points).");
    }

    @Test
    void theScoringTimeReadsAsAClinicianReadsItWithoutItsNanoseconds() {
        String html = ExplanationPage.page(explanation(Instant.parse("2024-05-01T10:15:30.123456789Z")));

        assertThat(html).contains("scored <time datetime=\"2024-05-01T10:15:30.123456789Z\">2024-05-01 10:15:30 UTC"
                + "</time>.").doesNotContain(">2024-05-01T10:15:30.123456789Z").doesNotContain("123456789Z<");
    }

    @Test
    void theRiskIsNamedByItsOutcomeInBracketsAndTheOtherFeaturesRowSaysItsDirectionAsEveryFactorDoes() {
        String html = ExplanationPage.page(explanation(Instant.parse("2024-05-01T10:15:30Z")));

        assertThat(html).contains("<dt>Risk (readmitted)</dt><dd data-fact=\"risk\">31.0\u00a0%</dd>")
                .doesNotContain("Risk of readmitted")
                .contains(">\u25b2 +10.0\u00a0points</text>").contains(">\u25b2 +1.0\u00a0points</text>");
    }

    @Test
    void theStandalonePageIsHeadedByTheExplanationsOneH1WithItsPartsBelow() {
        String html = ExplanationPage.page(explanation(Instant.parse("2024-05-01T10:15:30Z")));

        assertThat(html.split("<h1", -1)).hasSize(2);
        assertThat(html).contains(">Why the model gave this risk</h1>", "<h2>Model</h2>", "<h2>Intended use</h2>")
                .doesNotContain("<h3");
    }

    @Test
    void aLongLabelIsCutBetweenCharactersNeverInsideOne() {
        String mathX = new String(Character.toChars(0x1D465));
        String label = "a".repeat(32) + mathX + "b".repeat(10);
        String svg = ExplanationPage.waterfall(explanation(Instant.parse("2024-05-01T10:15:30Z"), List.of(
                new ClinicalFactor("score", label, null, 0.1, 0.5, Direction.RAISES))));

        assertThat(svg).contains(">" + "a".repeat(32) + mathX + "\u2026</text>").doesNotContain("[U+D835]");
    }

    @Test
    void aLongLabelOfAMissingValueIsCutBeforeTheMissingMarkWhichTheChartAlwaysShows() {
        String label = "where the patient was discharged to";
        String svg = ExplanationPage.waterfall(explanation(Instant.parse("2024-05-01T10:15:30Z"), List.of(
                new ClinicalFactor("discharge_disposition", label, null, -0.02, -0.1, Direction.LOWERS,
                        "missing (not recorded)"))));

        assertThat(svg).contains(">" + label.substring(0, 24) + "\u2026, missing</text>");
    }

    @Test
    void twoPatientsExplanationsOnOnePageShareNoElementIdAndEachWaterfallFillsWithItsOwnPattern() {
        List<ClinicalFactor> lowers = List.of(new ClinicalFactor("time_in_hospital", "Length of stay", "days", -0.1,
                0.5, Direction.LOWERS));
        PredictionExplanation first = explanation(Instant.parse("2024-05-01T10:15:30Z"), lowers);
        PredictionExplanation second = new PredictionExplanation("0190a3c4-0000-7000-8000-000000000002",
                first.model(), first.version(), first.slot(), first.time(), first.risk(), first.baseline(),
                first.threshold(), first.positiveLabel(), first.decision(), lowers, 0.01, 0.31, "summary",
                "adults discharged from hospital", List.of(), "/models/readmission/versions/3/card",
                Stage.PRODUCTION);
        String host = ExplanationPage.embeddable(first) + ExplanationPage.embeddable(second);

        java.util.regex.Matcher ids = java.util.regex.Pattern.compile(" id=\"([^\"]+)\"").matcher(host);
        List<String> seen = new java.util.ArrayList<>();
        while (ids.find()) {
            seen.add(ids.group(1));
        }
        assertThat(seen).hasSizeGreaterThanOrEqualTo(8).doesNotHaveDuplicates();
        assertThat(ExplanationPage.fragment(second)).contains("fill=\"url(#hatch-0190a3c4-0000-7000-8000-000000000002)\"")
                .contains("aria-labelledby=\"explanation-title-0190a3c4-0000-7000-8000-000000000002\"");
    }

    @Test
    void theEmbeddableSectionLeavesTheTopLevelHeadingToTheClinicalApplicationsOwnPage() {
        String embedded = ExplanationPage.embeddable(explanation(Instant.parse("2024-05-01T10:15:30Z")));

        assertThat(embedded).doesNotContain("<h1").contains(">Why the model gave this risk</h2>",
                "<h3>Model</h3>", "<h3>Intended use</h3>");
    }

    @Test
    void aRiskJustBelowTheThresholdNeverReadsAsTheThresholdItself() {
        // 16.052 % against 16.053 %: at one decimal both are 16.1 %, beside "Below the threshold: not flagged".
        String html = ExplanationPage.page(scored(0.16052, 0.16053, false));

        assertThat(html).contains("<dd data-fact=\"risk\">16.052\u00a0%</dd>", "<dd data-fact=\"threshold\">16.053\u00a0%</dd>",
                "Risk 16.052\u00a0% against a baseline of 12.0\u00a0% and a decision threshold of 16.053\u00a0%.");
        assertThat(ExplanationPage.page(scored(0.2, 0.16053, true))).contains("<dd data-fact=\"risk\">20.0\u00a0%</dd>",
                "<dd data-fact=\"threshold\">16.1\u00a0%</dd>");
    }

    @Test
    void aRiskCloseToCertaintyOrToNoneIsNotRoundedToIt() {
        assertThat(ExplanationPage.page(scored(0.99996, 0.5, true))).contains("<dd data-fact=\"risk\">&gt;99.9\u00a0%</dd>")
                .doesNotContain("100.0\u00a0%");
        assertThat(ExplanationPage.page(scored(0.0004, 0.5, false))).contains("<dd data-fact=\"risk\">&lt;0.1\u00a0%</dd>")
                .doesNotContain(">0.0\u00a0%");
    }

    @Test
    void anExplanationReadAfterItsVersionLeftLiveTrafficSaysSoBeforeTheFactors() {
        PredictionExplanation served = explanation(Instant.parse("2024-05-01T10:15:30Z"));
        String rolledBack = ExplanationPage.page(inStage(served, Stage.ROLLED_BACK));
        String retired = ExplanationPage.page(inStage(served, Stage.RETIRED));

        assertThat(rolledBack).contains("<p class=\"status-bad\" data-fact=\"version-now\">Version 3 was rolled back"
                + " after this patient was scored: it was taken off live traffic because it behaved worse than the"
                + " version before it. Score the patient again for the risk the model gives now.</p>");
        assertThat(rolledBack.indexOf("data-fact=\"version-now\"")).isLessThan(rolledBack.indexOf("<svg"));
        assertThat(retired).contains(">Version 3 no longer scores patients: another version of the model has taken its"
                + " place since this patient was scored. Score the patient again for the risk the model gives now.</p>");
        assertThat(ExplanationPage.page(served)).doesNotContain("version-now");
    }

    private static PredictionExplanation inStage(PredictionExplanation e, Stage stage) {
        return new PredictionExplanation(e.predictionId(), e.model(), e.version(), e.slot(), e.time(), e.risk(),
                e.baseline(), e.threshold(), e.positiveLabel(), e.decision(), e.factors(), e.otherFactors(),
                e.explainedRisk(), e.summary(), e.intendedUse(), e.limitations(), e.modelCard(), stage);
    }

    private static PredictionExplanation scored(double risk, double threshold, boolean decision) {
        return new PredictionExplanation("0190a3c4-0000-7000-8000-000000000003", new ModelName("readmission"), 3,
                Slot.STABLE, Instant.parse("2024-05-01T10:15:30Z"), risk, 0.12, threshold, "readmitted", decision,
                List.of(new ClinicalFactor("time_in_hospital", "Length of stay", "days", risk - 0.12,
                        risk - 0.12, Direction.of(risk - 0.12))), 0, risk, "summary", "adults discharged from hospital", List.of(),
                "/models/readmission/versions/3/card",
                Stage.PRODUCTION);
    }

    @Test
    void theEmbeddableSectionStylesOnlyItselfNotThePageItIsEmbeddedIn() {
        String embedded = ExplanationPage.embeddable(explanation(Instant.parse("2024-05-01T10:15:30Z")));
        String css = embedded.substring("<style>".length(), embedded.indexOf("</style>"));

        assertThat(css).isNotBlank();
        for (String line : css.strip().split("\n")) {
            // An @media block keeps its condition; every rule inside it is confined as the others are.
            boolean media = line.startsWith("@media");
            String rules = media ? line.substring(line.indexOf('{') + 1, line.length() - 1) : line;
            for (String rule : rules.split("(?<=})")) {
                for (String selector : rule.substring(0, rule.indexOf('{')).split(",")) {
                    assertThat(selector.strip()).as(rule).startsWith("section.vigil-explanation");
                }
            }
        }
        // What the page shell gives body (font, colour, line height) the section gives itself; no selector names body
        // (a table's tbody is the section's own).
        assertThat(css).contains("section.vigil-explanation{font-family:system-ui")
                .doesNotContainPattern("(^|[\\s,{}])body\\b")
                .contains("@media (max-width:40rem){section.vigil-explanation table.cards,");
        assertThat(embedded).contains("<section class=\"vigil-explanation\"");
    }
}
