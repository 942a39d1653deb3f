package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RocCurveTest {

    @Test
    void aSmallCurveMatchesTheOneWorkedOutByHand() {
        // scores 0.9(+) 0.8(-) 0.7(+) 0.6(-); thresholds at each score.
        RocCurve curve = RocCurve.of(new double[] {0.9, 0.8, 0.7, 0.6}, new boolean[] {true, false, true, false});
        assertThat(curve.points()).extracting(RocCurve.Point::falsePositiveRate).containsExactly(0.0, 0.0, 0.5, 0.5, 1.0);
        assertThat(curve.points()).extracting(RocCurve.Point::truePositiveRate).containsExactly(0.0, 0.5, 0.5, 1.0, 1.0);
        // pairs (positive above negative): (0.9,0.8) (0.9,0.6) (0.7,0.6) = 3 of 4.
        assertThat(curve.area()).isEqualTo(0.75);
    }

    @Test
    void tiedScoresMoveBothRatesInOneStepSoTheAreaCountsTiesOneHalf() {
        RocCurve curve = RocCurve.of(new double[] {0.5, 0.5}, new boolean[] {true, false});
        assertThat(curve.points()).hasSize(2);
        assertThat(curve.area()).isEqualTo(0.5);
    }

    @Test
    void theAreaUnderTheCurveIsTheMannWhitneyAuroc() {
        Random random = new Random(7);
        double[] scores = new double[500];
        boolean[] labels = new boolean[500];
        for (int i = 0; i < scores.length; i++) {
            labels[i] = random.nextDouble() < 0.3;
            // rounded so that ties occur
            scores[i] = Math.round((random.nextGaussian() + (labels[i] ? 0.8 : 0)) * 10) / 10.0;
        }
        assertThat(RocCurve.of(scores, labels).area()).isCloseTo(bruteForceAuroc(scores, labels), within(1e-12));
    }

    @Test
    void aThinnedCurveKeepsBothEndsAndAtMostTheAskedNumberOfPoints() {
        Random random = new Random(11);
        double[] scores = new double[1000];
        boolean[] labels = new boolean[1000];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = random.nextDouble();
            labels[i] = random.nextBoolean();
        }
        RocCurve full = RocCurve.of(scores, labels);
        List<RocCurve.Point> thin = full.thinned(50).points();
        assertThat(thin).hasSize(50);
        assertThat(thin.get(0)).isEqualTo(full.points().get(0));
        assertThat(thin.get(49)).isEqualTo(full.points().get(full.points().size() - 1));
        assertThat(full.thinned(5000)).isSameAs(full);
    }

    private static double bruteForceAuroc(double[] scores, boolean[] labels) {
        double wins = 0;
        long pairs = 0;
        for (int i = 0; i < scores.length; i++) {
            for (int j = 0; j < scores.length; j++) {
                if (labels[i] && !labels[j]) {
                    pairs++;
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
            }
        }
        return wins / pairs;
    }
}
