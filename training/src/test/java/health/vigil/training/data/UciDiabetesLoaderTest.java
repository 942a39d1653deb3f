package health.vigil.training.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import health.vigil.hash.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The loader against a hand-written sample with every pitfall of the UCI file. */
class UciDiabetesLoaderTest {

    static byte[] resource(String name) throws IOException {
        try (InputStream in = UciDiabetesLoaderTest.class.getResourceAsStream(name)) {
            return in.readAllBytes();
        }
    }

    static Dataset sample() throws IOException {
        return UciDiabetesLoader.load("uci-sample.csv", resource("uci-sample.csv"),
                new String(resource("uci-sample-mapping.csv"), StandardCharsets.UTF_8));
    }

    @Test
    void excludesDeathAndHospiceAndLabelsReadmissionWithin30Days() throws IOException {
        Dataset data = sample();
        // 8 rows; discharges 11 (expired), 13 (hospice / home) and 19 (expired, quoted with a comma) go.
        assertThat(data.size()).isEqualTo(5);
        assertThat(data.labels()).containsExactly(true, false, false, true, false);
        assertThat(data.notes()).anyMatch(n -> n.startsWith("3 excluded"));
        assertThat(data.sha256()).isEqualTo(Sha256.hex(resource("uci-sample.csv")));
        assertThat(data.dateRange()).isEqualTo("1999-01-01/2008-12-31");
        assertThat(data.patientKeys().get(0)).isEqualTo(data.patientKeys().get(3));
    }

    @Test
    void handlesMissingMarkersNoneCodesAndBands() throws IOException {
        Dataset data = sample();
        Map<String, Object> first = data.records().get(0);
        assertThat(first).containsEntry("diag_1", "008").containsEntry("diag_2", "038.1").containsEntry("diag_3", "V45")
                .containsEntry("age_band", "[70-80)").containsEntry("max_glu_serum", "None")
                .containsEntry("A1Cresult", "None").containsEntry("insulin", "Up")
                .containsEntry("medication_change", true).containsEntry("admission_type", "emergency")
                .containsEntry("discharge_disposition", "home").containsEntry("admission_source", "emergency_room")
                .containsEntry("time_in_hospital", 3L);
        Map<String, Object> second = data.records().get(1);
        assertThat(second).doesNotContainKey("race").doesNotContainKey("diag_3").containsEntry("A1Cresult", ">8");
        Map<String, Object> third = data.records().get(2);
        assertThat(third).doesNotContainKey("gender").containsEntry("diag_1", "E909").containsEntry("age_band", "[0-10)");
        Map<String, Object> fourth = data.records().get(3);
        assertThat(fourth).doesNotContainKey("admission_type").doesNotContainKey("admission_source")
                .containsEntry("discharge_disposition", "facility");
        Map<String, Object> fifth = data.records().get(4);
        assertThat(fifth).containsEntry("admission_source", "referral").containsEntry("discharge_disposition", "home_care")
                .containsEntry("admission_type", "elective").containsEntry("diabetes_medication", false);
    }

    @Test
    void aBadRowIsAClearErrorNamingRowAndColumnButNotTheValue() throws IOException {
        String csv = new String(resource("uci-sample.csv"), StandardCharsets.UTF_8).replace(",428,", ",42A8,");
        assertThatThrownBy(() -> UciDiabetesLoader.load("bad.csv", csv.getBytes(StandardCharsets.UTF_8),
                new String(resource("uci-sample-mapping.csv"), StandardCharsets.UTF_8)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("bad.csv row").hasMessageContaining("diag_1").hasMessageNotContaining("42A8");
    }

    @Test
    void aMissingColumnOrMappingTableIsNamed() throws IOException {
        String mapping = new String(resource("uci-sample-mapping.csv"), StandardCharsets.UTF_8);
        assertThatThrownBy(() -> UciDiabetesLoader.load("x.csv", "a,b\n1,2\n".getBytes(StandardCharsets.UTF_8), mapping))
                .isInstanceOf(ValidationException.class).hasMessageContaining("no column");
        // A header with a column without a name, or two of one name, says which column, never the header's text.
        assertThatThrownBy(() -> UciDiabetesLoader.load("x.csv", "a,,b\n1,2,3\n".getBytes(StandardCharsets.UTF_8),
                mapping)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("column 2 of the header (counted from 1) has no name");
        assertThatThrownBy(() -> UciDiabetesLoader.load("x.csv", "a,b,a\n1,2,3\n".getBytes(StandardCharsets.UTF_8),
                mapping)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("columns 1 and 3 of the header (counted from 1) have one name");
        assertThatThrownBy(() -> UciIdsMapping.parse("admission_type_id,description\n1,Emergency\n"))
                .isInstanceOf(ValidationException.class).hasMessageContaining("discharge_disposition_id");
    }
}
