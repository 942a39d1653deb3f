package health.vigil.training;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.training.data.Dataset;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class HeldOutEvaluationDataTest {

    @Test
    void readmissionRowsCarryTheRawFieldsTheLabelAndTheSegmentColumns() {
        HeldOutEvaluationData data = HeldOutEvaluationData.generate(ClinicalModel.READMISSION, 500, 7);
        List<String> lines = new String(data.csv(), StandardCharsets.UTF_8).lines().toList();
        List<String> header = List.of(lines.get(0).split(","));
        assertThat(header).containsAll(ClinicalModel.READMISSION.pipeline().rawSchema().names())
                .contains("outcome", "age_group", "sex_group", "race");
        assertThat(lines).hasSize(data.rows() + 1);
        assertThat(data.segments()).containsExactly("race");
        int label = header.indexOf("outcome");
        assertThat(lines.stream().skip(1).map(l -> l.split(",", -1)[label]).distinct()).containsExactlyInAnyOrder("0", "1");
    }

    @Test
    void itsPatientsAreNotTheTrainingDraw() {
        Dataset training = ClinicalModel.COMPLICATIONS.synthetic(300, 7).dataset();
        Dataset heldOut = ClinicalModel.COMPLICATIONS.synthetic(300, 7 + HeldOutEvaluationData.HELD_OUT_SEED_OFFSET)
                .dataset();
        assertThat(heldOut.sha256()).isNotEqualTo(training.sha256());
        HeldOutEvaluationData data = HeldOutEvaluationData.generate(ClinicalModel.COMPLICATIONS, 300, 7);
        assertThat(data.rows()).isEqualTo(heldOut.size());
        assertThat(data.segments()).isEmpty();
    }
}
