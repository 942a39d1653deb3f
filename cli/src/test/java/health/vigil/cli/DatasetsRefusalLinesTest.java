package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.json.Json;
import org.junit.jupiter.api.Test;

/** What {@code vigil datasets register} says of the rows the model's newest version would refuse. */
class DatasetsRefusalLinesTest {
    @Test
    void refusedRowsAreCountedByRuleWhenThereIsMoreThanOne() throws Exception {
        var newest = Json.mapper().readTree("{\"version\": 2, \"rows\": 14731, \"refused\": 1338, \"firstRefusal\":"
                + " \"row 17 feature 'diag_1' is not a code matching X\", \"refusedByRule\": {\"feature 'diag_1' is not"
                + " a code matching X\": 1200, \"feature 'race' is not one of the allowed categories [A, B]\": 138}}");

        assertThat(DatasetsCommand.refusalLines("readmission", newest)).containsExactly(
                "  version 2 of readmission refuses 1338 of 14731 rows (first: row 17 feature 'diag_1' is not a code"
                        + " matching X); its gates leave them out and its coverage gate counts them",
                "    1200 rows: feature 'diag_1' is not a code matching X",
                "    138 rows: feature 'race' is not one of the allowed categories [A, B]");
    }

    @Test
    void oneRuleIsTheFirstRefusalAloneAndNoRefusalSaysNothing() throws Exception {
        var one = Json.mapper().readTree("{\"version\": 2, \"rows\": 10, \"refused\": 3, \"firstRefusal\": \"row 1 r\","
                + " \"refusedByRule\": {\"r\": 3}}");
        assertThat(DatasetsCommand.refusalLines("m", one)).hasSize(1);
        var none = Json.mapper().readTree("{\"version\": 2, \"rows\": 10, \"refused\": 0, \"refusedByRule\": {}}");
        assertThat(DatasetsCommand.refusalLines("m", none)).isEmpty();
        assertThat(DatasetsCommand.refusalLines("m", Json.mapper().missingNode())).isEmpty();
    }
}
