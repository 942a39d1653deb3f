package health.vigil.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class Icd9GroupsTest {

    @Test
    void groupsCodesAsStrackEtAlDid() {
        Map<String, String> expected = Map.ofEntries(
                Map.entry("428", "circulatory"), Map.entry("414.01", "circulatory"), Map.entry("785", "circulatory"),
                Map.entry("486", "respiratory"), Map.entry("786.05", "respiratory"),
                Map.entry("577.1", "digestive"), Map.entry("787", "digestive"),
                Map.entry("250.83", "diabetes"), Map.entry("250", "diabetes"),
                Map.entry("820.8", "injury"), Map.entry("999", "injury"),
                Map.entry("715", "musculoskeletal"), Map.entry("599", "genitourinary"), Map.entry("788.2", "genitourinary"),
                Map.entry("174.9", "neoplasms"), Map.entry("239", "neoplasms"),
                Map.entry("276", "other"), Map.entry("038", "other"), Map.entry("V57", "other"), Map.entry("E909", "other"),
                Map.entry("789", "other"), Map.entry("249", "other"));
        expected.forEach((code, group) -> assertThat(Icd9Groups.groupOf(code)).as(code).isEqualTo(group));
    }

    @Test
    void rejectsWhatIsNotAnIcd9DiagnosisCode() {
        for (String bad : new String[] {"38", "4280", "V5", "E90", "X12", "250.123", ""}) {
            assertThatThrownBy(() -> Icd9Groups.groupOf(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
