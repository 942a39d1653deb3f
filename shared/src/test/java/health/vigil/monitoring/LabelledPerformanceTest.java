package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Realised performance checked against values computed another way (pairs counted one by one, a known slope). */
class LabelledPerformanceTest {

    @Test
    void aurocIsTheShareOfPositiveNegativePairsInOrderAndTheBrierIntervalIsTheMeanPlusMinusTwoStandardErrors() {
        double[] scores = {0.1, 0.4, 0.35, 0.8, 0.65, 0.2, 0.9, 0.5};
        boolean[] labels = {false, false, true, true, false, false, true, true};
        LabelledPerformance p = LabelledPerformance.of(scores, labels, scores.length);

        double pairs = 0;
        double inOrder = 0;
        double sq = 0;
        for (int i = 0; i < scores.length; i++) {
            double e = scores[i] - (labels[i] ? 1 : 0);
            sq += e * e;
            for (int j = 0; j < scores.length; j++) {
                if (labels[i] && !labels[j]) {
                    pairs++;
                    inOrder += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
            }
        }
        assertThat(p.auroc()).isCloseTo(inOrder / pairs, within(1e-12));
        assertThat(p.labelled()).isEqualTo(8);
        assertThat(p.positives()).isEqualTo(4);
        double brier = sq / scores.length;
        assertThat(p.brier()).isCloseTo(brier, within(1e-12));
        assertThat(p.brierLower()).isLessThan(brier);
        assertThat(p.brierUpper()).isGreaterThan(brier);
        assertThat(p.aurocLower()).isLessThanOrEqualTo(p.auroc());
        assertThat(p.aurocUpper()).isGreaterThanOrEqualTo(p.auroc());
    }

    @Test
    void theAurocStandardErrorIsTheSpreadOfAurocsOverRepeatedSamples() {
        // Hanley and McNeil's Q1 and Q2 are exact when both classes' scores are exponential: negatives Exp(1),
        // positives Exp(1/9) give AUROC 1 / (1 + 1/9) = 0.9. The spread of 2,000 samples of 50 + 50 must match.
        SplittableRandom random = new SplittableRandom(7);
        int repeats = 2_000;
        double sum = 0;
        double sumSq = 0;
        for (int r = 0; r < repeats; r++) {
            double[] scores = new double[100];
            boolean[] labels = new boolean[100];
            for (int i = 0; i < 100; i++) {
                labels[i] = i < 50;
                double exp = -Math.log(1 - random.nextDouble());
                double x = labels[i] ? 9 * exp : exp;
                scores[i] = x / (1 + x); // a monotone map into 0-1 leaves the AUROC as it is
            }
            double a = LabelledPerformance.of(scores, labels, 100).auroc();
            sum += a;
            sumSq += a * a;
        }
        double mean = sum / repeats;
        double spread = Math.sqrt(sumSq / repeats - mean * mean);
        assertThat(mean).isCloseTo(0.9, within(0.005));
        assertThat(LabelledPerformance.hanleyMcNeil(0.9, 50, 50)).isCloseTo(spread, within(0.1 * spread));
    }

    @Test
    void theCalibrationSlopeRecoversTheSlopeTheOutcomesWereDrawnWith() {
        SplittableRandom random = new SplittableRandom(42);
        int n = 40_000;
        double[] scores = new double[n];
        boolean[] labels = new boolean[n];
        for (int i = 0; i < n; i++) {
            double logit = -3 + 6 * random.nextDouble();
            scores[i] = 1 / (1 + Math.exp(-logit));
            // The truth is half as extreme as the scores claim: slope 0.5.
            labels[i] = random.nextDouble() < 1 / (1 + Math.exp(-0.5 * logit));
        }
        assertThat(LabelledPerformance.of(scores, labels, n).calibrationSlope()).isCloseTo(0.5, within(0.03));
    }

    @Test
    void oneClassOnlyHasNoAurocAndNoSlopeButABrierScore() {
        LabelledPerformance p = LabelledPerformance.of(new double[] {0.2, 0.3}, new boolean[] {false, false}, 2);
        assertThat(p.auroc()).isNull();
        assertThat(p.calibrationSlope()).isNull();
        assertThat(p.brier()).isCloseTo((0.04 + 0.09) / 2, within(1e-12));
    }

    @Test
    void noLabelsHaveNothing() {
        LabelledPerformance p = LabelledPerformance.of(new double[0], new boolean[0], 0);
        assertThat(p.labelled()).isZero();
        assertThat(p.auroc()).isNull();
        assertThat(p.brier()).isNull();
    }

    @Test
    void overconfidentScoresHaveASlopeBelowOneRatherThanNone() {
        // 10 rows at 0.05 with 4 positives, 10 at 0.95 with 6: the saturated fit reproduces the observed log-odds
        // -+ln(1.5) at logits -+ln(19), so the slope is ln(1.5) / ln(19) = 0.1377; the data are not separable, so a
        // slope exists, from the raw scores and from the monitoring check's summary alike.
        double[] scores = new double[20];
        boolean[] labels = new boolean[20];
        LabelledSummary summary = new LabelledSummary(0.5);
        for (int i = 0; i < 10; i++) {
            scores[i] = 0.05;
            labels[i] = i < 4;
            scores[10 + i] = 0.95;
            labels[10 + i] = i < 6;
        }
        for (int i = 0; i < 20; i++) {
            summary.add(scores[i], labels[i]);
        }
        double slope = Math.log(1.5) / Math.log(19);
        assertThat(LabelledPerformance.of(scores, labels, 20).calibrationSlope()).isCloseTo(slope, within(1e-8));
        assertThat(summary.performance().calibrationSlope()).isCloseTo(slope, within(1e-8));
    }

    @Test
    void separatedOutcomesHaveNoSlope() {
        // Every positive scores above every negative: the likelihood rises without bound as the slope grows.
        double[] scores = {0.1, 0.2, 0.3, 0.6, 0.7, 0.8};
        boolean[] labels = {false, false, false, true, true, true};
        assertThat(LabelledPerformance.of(scores, labels, 6).calibrationSlope()).isNull();
    }
}
