package health.vigil.training;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.statistics.Auroc;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.PatientSplit;
import health.vigil.training.synthetic.SyntheticData;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Each generator draws labels from a known probability; trained on its data, each model must come close
 * to the AUROC of that true probability on the same test rows (the best any model can do, up to noise).
 */
class SyntheticSignalTest {
    /** How far below the true probability's test AUROC a model may fall. */
    static final double MARGIN = 0.03;
    static final int ROWS = 12_000;

    @ParameterizedTest
    @EnumSource(ClinicalModel.class)
    void gradientBoostingRecoversTheGeneratorsSignal(ClinicalModel model) {
        SyntheticData synthetic = model.synthetic(ROWS, 101);
        Dataset data = synthetic.dataset();
        TrainingSettings settings = TrainingSettings.defaults().withGbt(TrainingSettings.defaults().gbt().withRounds(200));
        TrainedModel trained = TrainingFixtures.training().train(model, data, settings, TrainingProgress.NONE);

        PatientSplit split = PatientSplit.standard(settings.seed());
        int[] test = IntStream.range(0, data.size())
                .filter(i -> split.partOf(data.patientKeys().get(i)) == PatientSplit.Part.TEST).toArray();
        double[] truth = synthetic.trueProbability();
        double[] testTruth = IntStream.of(test).mapToDouble(i -> truth[i]).toArray();
        boolean[] testLabels = new boolean[test.length];
        for (int i = 0; i < test.length; i++) {
            testLabels[i] = data.label(test[i]);
        }
        double bayes = Auroc.of(testTruth, testLabels);
        double achieved = trained.evaluation().test().auroc();
        System.out.printf("%s: true-probability AUROC %.4f, model AUROC %.4f, prevalence %.3f%n", model, bayes,
                achieved, (double) data.positives() / data.size());
        assertThat(trained.evaluation().test().rows()).isEqualTo(test.length);
        assertThat(achieved).isGreaterThan(bayes - MARGIN).isLessThan(bayes + 0.02);
    }
}
