package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class MonitorCommandTest {

    private static JsonNode report(String performance, String segments) {
        String json = """
                {"id": "readmission/v1/stable/20261203T10", "severity": "ALERT", "from": "2026-12-03T10:00:00Z",
                 "to": "2026-12-03T11:00:00Z", "predictions": 900, "labelledFraction": 0.5,
                 "reasons": ["drift in 2 of 12 inputs"],
                 "drift": {"features": [{"name": "age", "status": "DRIFTED", "psi": 0.31},
                                        {"name": "sex", "status": "STABLE", "psi": 0.01}],
                           "estimate": {"expectedAuroc": 0.702}},
                 "performance": %s, "segments": %s}
                """.formatted(performance, segments);
        return Json.readTree("report", json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aReportReadsAsItsWindowReasonsDriftedInputsPerformanceAndEverySegment() {
        JsonNode r = report("""
                {"labelled": 450, "positives": 90, "auroc": 0.612, "aurocLower": 0.55, "aurocUpper": 0.67}""", """
                [{"column": "admission_type", "value": "emergency", "labelled": 300, "positives": 70, "status": "MEASURED",
                  "performance": {"auroc": 0.58, "aurocLower": 0.5, "aurocUpper": 0.66, "calibrationSlope": 0.71}},
                 {"column": "admission_type", "value": "elective", "labelled": 12, "positives": 1,
                  "status": "INSUFFICIENT_DATA", "performance": {}}]""");

        assertThat(MonitorCommand.describe(r)).containsExactly(
                "report readmission/v1/stable/20261203T10: ALERT, 2026-12-03T10:00:00Z to 2026-12-03T11:00:00Z, 900"
                        + " predictions, 50.0 % labelled",
                "  drift in 2 of 12 inputs",
                "  age                          PSI 0.310  drifted",
                "  AUROC from 450 outcomes 0.612 (95% CI 0.550-0.670); expected from the scores alone 0.702",
                "  segment admission_type=emergency: 300 labelled (70 positive), AUROC 0.580 (95% CI 0.500-0.660),"
                        + " calibration slope 0.710",
                "  segment admission_type=elective: 12 labelled (1 positive), too few outcomes to measure");
    }

    @Test
    void aWindowWithoutOutcomesSaysSoBesideTheEstimate() {
        assertThat(MonitorCommand.describe(report("{\"labelled\": 0}", "[]")))
                .contains("  AUROC not measured (0 outcomes); expected from the scores alone 0.702");
    }
}
