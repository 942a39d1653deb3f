package health.vigil.training.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.training.ClinicalModel;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PatientSplitTest {

    @Test
    void everyPatientIsInExactlyOnePartAndSharesAreAsAsked() {
        Dataset data = ClinicalModel.READMISSION.synthetic(20_000, 4).dataset();
        PatientSplit split = PatientSplit.standard(99);
        PatientSplit.Part[] parts = split.assign(data.patientKeys());
        Map<String, PatientSplit.Part> partOfPatient = new HashMap<>();
        Map<PatientSplit.Part, Integer> patientsPerPart = new EnumMap<>(PatientSplit.Part.class);
        for (int i = 0; i < parts.length; i++) {
            PatientSplit.Part earlier = partOfPatient.putIfAbsent(data.patientKeys().get(i), parts[i]);
            if (earlier == null) {
                patientsPerPart.merge(parts[i], 1, Integer::sum);
            } else {
                assertThat(parts[i]).as("all records of a patient in one part").isEqualTo(earlier);
            }
        }
        assertThat(partOfPatient.size()).isLessThan(data.size()); // patients do have several encounters
        double patients = partOfPatient.size();
        assertThat(patientsPerPart.get(PatientSplit.Part.TRAIN) / patients).isCloseTo(0.70, within(0.02));
        assertThat(patientsPerPart.get(PatientSplit.Part.VALIDATION) / patients).isCloseTo(0.15, within(0.02));
        assertThat(patientsPerPart.get(PatientSplit.Part.TEST) / patients).isCloseTo(0.15, within(0.02));
    }

    @Test
    void assignmentDependsOnSeedAndKeyNotRowOrder() {
        PatientSplit split = PatientSplit.standard(1);
        List<String> keys = List.of("a", "b", "c", "d", "e", "f", "g", "h");
        PatientSplit.Part[] forward = split.assign(keys);
        PatientSplit.Part[] backward = split.assign(reversed(keys));
        for (int i = 0; i < keys.size(); i++) {
            assertThat(backward[keys.size() - 1 - i]).isEqualTo(forward[i]);
        }
        // A different seed gives a different assignment.
        long differ = keys.stream().filter(k -> PatientSplit.standard(2).partOf(k) != split.partOf(k)).count();
        assertThat(differ).isPositive();
    }

    private static List<String> reversed(List<String> keys) {
        List<String> out = new java.util.ArrayList<>(keys);
        java.util.Collections.reverse(out);
        return out;
    }
}
