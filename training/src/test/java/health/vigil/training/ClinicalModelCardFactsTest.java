package health.vigil.training;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.training.eval.EvaluationReport;
import java.lang.reflect.RecordComponent;
import java.util.Arrays;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** What a clinical model's card says about fairness is what training and the gates measure for it. */
class ClinicalModelCardFactsTest {

    @ParameterizedTest
    @EnumSource(ClinicalModel.class)
    void theFairnessApproachNamesTheSegmentsTrainingAndTheGatesMeasure(ClinicalModel model) {
        String fairness = model.cardFacts().fairnessApproach();
        // vigil train breaks the test split down by age group and by sex, and by nothing else.
        assertThat(Arrays.stream(EvaluationReport.class.getRecordComponents()).map(RecordComponent::getName)
                .filter(name -> name.startsWith("testBy"))).containsExactly("testByAgeGroup", "testBySex");
        String atTraining = fairness.substring(0, fairness.indexOf(" at training"));
        assertThat(atTraining).isEqualTo("Performance is measured by age group and by sex");

        // The gates judge the segment columns of the evaluation data vigil writes for the model: race for readmission.
        String judged = fairness.substring(fairness.indexOf("segments gate"));
        HeldOutEvaluationData data = HeldOutEvaluationData.generate(model, 50, 7);
        assertThat(judged).contains("age group").contains("sex");
        data.segments().forEach(segment -> assertThat(judged).contains(segment));
        if (data.segments().isEmpty()) {
            assertThat(fairness).doesNotContain("race");
        }
    }
}
