package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import org.junit.jupiter.api.Test;

/** {@code vigil experiment report} prints an arm's withheld outcome counts as withheld, saying why. */
class ExperimentCommandTest {
    private static final String REPORT = """
            {"experiment": {"id": "readmission-3", "treatmentVersion": 2, "controlVersion": 1,
              "treatmentBasisPoints": 5000, "status": "running", "primaryMetric": "auroc", "plannedControl": 500,
              "plannedTreatment": 500},
             "from": "2026-12-02T08:00:00Z", "to": "2026-12-02T09:00:00Z", "outcomes": true,
             "arms": [
              {"arm": "control", "version": 1, "predictions": 60, "flagged": 30, "flagRate": 0.5,
               "positiveRate": null, "auroc": null, "suppressed": "fewer than 11 outcomes"},
              {"arm": "treatment", "version": 2, "predictions": 60, "flagged": 30, "flagRate": 0.5, "labelled": 40,
               "positiveRate": null, "auroc": null,
               "suppressed": "fewer than 11 positive or fewer than 11 negative outcomes"}],
             "flagRate": null, "positiveRate": null, "auroc": null,
             "primary": {"note": "the planned sample is not reached"}}
            """;

    @Test
    void anArmsWithheldOutcomeCountsArePrintedAsWithheldWithWhy() {
        JsonNode report = Json.readTree("report", REPORT);

        String lines = ExperimentCommand.reportLines(report);

        assertThat(lines).contains("control   v1: 60 predictions, flag rate 0.500, labelled withheld, positive rate"
                + " n/a, AUROC n/a (outcome counts withheld: fewer than 11 outcomes)");
        assertThat(lines).contains("treatment v2: 60 predictions, flag rate 0.500, 40 labelled, positive rate n/a,"
                + " AUROC n/a (outcome counts withheld: fewer than 11 positive or fewer than 11 negative outcomes)");
        assertThat(lines).doesNotContain(", 0 labelled");
    }
}
