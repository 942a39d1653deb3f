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
}
