package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.json.Json;
import org.junit.jupiter.api.Test;

/** {@code vigil shadow report}'s text: when the shadow was set, and nothing made up when that was not kept. */
class ShadowReportLinesTest {
    private static String lines(String shadowSince) {
        return ShadowCommand.reportLines(Json.readTree("a shadow report", "{\"model\": \"readmission\","
                + " \"shadowVersion\": 2, \"mirroredBasisPoints\": 1000, \"shadowSince\": " + shadowSince + ","
                + " \"from\": \"2026-12-02T08:00:00Z\", \"to\": \"2026-12-02T09:00:00Z\", \"livePredictions\": 200,"
                + " \"expectedMirrored\": 20, \"shadowPredictions\": 19, \"paired\": 19, \"missing\": 1,"
                + " \"overall\": {\"pairs\": 0}, \"segments\": []}"));
    }

    @Test
    void theFirstLineSaysSinceWhenTheShadowMirrors() {
        assertThat(lines("\"2026-12-02T08:00:00Z\"")).startsWith("readmission: shadow version 2 at 1000 basis points"
                + " since 2026-12-02T08:00:00Z, 2026-12-02T08:00:00Z to 2026-12-02T09:00:00Z\n"
                + "live predictions 200, picked for mirroring 20, shadow predictions 19, paired 19, missing 1");
    }

    @Test
    void aShadowStoredBeforeItsStartWasKeptShowsNoStart() {
        assertThat(lines("null")).startsWith("readmission: shadow version 2 at 1000 basis points,"
                + " 2026-12-02T08:00:00Z to 2026-12-02T09:00:00Z\n");
    }

    @Test
    void aComparisonOfOnePairSaysPair() {
        String report = ShadowCommand.reportLines(Json.readTree("a shadow report", "{\"model\": \"readmission\","
                + " \"shadowVersion\": 2, \"mirroredBasisPoints\": 1000, \"shadowSince\": null,"
                + " \"from\": \"2026-12-02T08:00:00Z\", \"to\": \"2026-12-02T09:00:00Z\", \"livePredictions\": 10,"
                + " \"expectedMirrored\": 1, \"shadowPredictions\": 1, \"paired\": 1, \"missing\": 0,"
                + " \"overall\": {\"pairs\": 1, \"agreement\": 1.0, \"liveOnly\": 0, \"shadowOnly\": 0},"
                + " \"segments\": []}"));
        assertThat(report).contains("\noverall: 1 pair, decisions agree 1.0000 (live only 0, shadow only 0,");
    }

    @Test
    void countsTheCellSizeWithholdsSayWhyInsteadOfShowingZero() {
        String report = ShadowCommand.reportLines(Json.readTree("a shadow report", "{\"model\": \"readmission\","
                + " \"shadowVersion\": 2, \"mirroredBasisPoints\": 1000, \"shadowSince\": null,"
                + " \"from\": \"2026-12-02T08:00:00Z\", \"to\": \"2026-12-02T09:00:00Z\", \"livePredictions\": 900,"
                + " \"expectedMirrored\": 90, \"shadowPredictions\": 83, \"paired\": 83, \"missing\": 7,"
                + " \"overall\": {\"pairs\": 83, \"agreement\": 0.8, \"liveOnly\": 14, \"shadowOnly\": 0,"
                + " \"scoreDifference\": {\"mean\": -0.01, \"quantiles\": {\"p50\": 0.05}}},"
                + " \"segments\": [{\"column\": \"sex\", \"value\": \"female\", \"comparison\":"
                + " {\"suppressed\": \"fewer than 11 pairs\"}},"
                + " {\"column\": \"ward\", \"value\": \"A\", \"comparison\": {\"pairs\": 40,"
                + " \"scoreDifference\": {\"mean\": 0.0325, \"quantiles\": {\"p50\": 0.05}},"
                + " \"suppressed\": \"fewer than 11 pairs flagged by both, by live only, by shadow only or by"
                + " neither\"}}]}"));

        assertThat(report).contains("\n  sex=female: counts withheld: fewer than 11 pairs")
                .contains("\n  ward=A: 40 pairs, decision counts withheld: fewer than 11 pairs flagged by both, by live"
                        + " only, by shadow only or by neither, score difference mean +0.0325")
                .doesNotContain("no pairs", "live only 0");
    }
}
