package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * With two distinct scores the two-parameter fit is saturated, so it must reproduce each group's observed log-odds
 * exactly; that gives closed forms to check against.
 */
class LogisticRecalibrationTest {

    @Test
    void slopeAndInterceptOfTwoScoreGroupsAreTheirObservedLogOdds() {
        // 10 rows at 0.2 with 2 positives, 10 rows at 0.5 with 7 positives.
        double[] scores = new double[20];
        boolean[] labels = new boolean[20];
        for (int i = 0; i < 10; i++) {
            scores[i] = 0.2;
            labels[i] = i < 2;
            scores[10 + i] = 0.5;
            labels[10 + i] = i < 7;
        }
        LogisticRecalibration fit = LogisticRecalibration.of(scores, labels);
        // a + b*logit(0.5) = logit(0.7); a + b*logit(0.2) = logit(0.2)
        double a = Math.log(0.7 / 0.3);
        double b = (a - Math.log(0.2 / 0.8)) / -Math.log(0.2 / 0.8);
        assertThat(fit.slopeIntercept()).isCloseTo(a, within(1e-8));
        assertThat(fit.slope()).isCloseTo(b, within(1e-8));
        assertThat(fit.slope()).isCloseTo(1.61120, within(1e-5));
    }

    @Test
    void symmetricOverconfidenceHasInterceptZeroAndSlopeBelowOne() {
        // 10 rows at 0.2 with 4 positives, 10 rows at 0.8 with 6 positives: observed 0.4 and 0.6.
        double[] scores = new double[20];
        boolean[] labels = new boolean[20];
        for (int i = 0; i < 10; i++) {
            scores[i] = 0.2;
            labels[i] = i < 4;
            scores[10 + i] = 0.8;
            labels[10 + i] = i < 6;
        }
        LogisticRecalibration fit = LogisticRecalibration.of(scores, labels);
        assertThat(fit.intercept()).isCloseTo(0, within(1e-9));
        assertThat(fit.slope()).isCloseTo(Math.log(1.5) / Math.log(4), within(1e-8));
    }

    @Test
    void calibrationInTheLargeOfAConstantScoreIsTheLogOddsRatio() {
        // Every score 0.5 and 3 of 10 positive: logit P(y) = a + 0 gives a = logit(0.3).
        double[] scores = {0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5};
        boolean[] labels = {true, true, true, false, false, false, false, false, false, false};
        assertThat(LogisticRecalibration.of(scores, labels).intercept()).isCloseTo(Math.log(0.3 / 0.7), within(1e-9));
    }

    @Test
    void overconfidentScoresGetTheirSmallSlopeNotADivergedOne() {
        // 10 rows at 0.05 with 4 positives, 10 rows at 0.95 with 6 positives: the saturated fit reproduces the
        // observed log-odds -+ln(1.5) at logits -+ln(19), so slope = ln(1.5) / ln(19) = 0.137705 and intercepts 0. A
        // full Newton step from slope 1 overshoots here (the fitted risks at the start are far too extreme).
        for (double low : new double[] {0.05, 0.01, 0.001}) {
            double[] scores = new double[20];
            boolean[] labels = new boolean[20];
            for (int i = 0; i < 10; i++) {
                scores[i] = low;
                labels[i] = i < 4;
                scores[10 + i] = 1 - low;
                labels[10 + i] = i < 6;
            }
            LogisticRecalibration fit = LogisticRecalibration.of(scores, labels);
            assertThat(fit.slope()).as("slope at %s", low)
                    .isCloseTo(Math.log(1.5) / Math.log((1 - low) / low), within(1e-8));
            assertThat(fit.slopeIntercept()).as("intercept of the slope fit at %s", low).isCloseTo(0, within(1e-8));
            assertThat(fit.intercept()).as("calibration in the large at %s", low).isCloseTo(0, within(1e-8));
        }
        assertThat(Math.log(1.5) / Math.log(19)).isCloseTo(0.137705, within(1e-6));
    }

    @Test
    void separatedOutcomesHaveNoSlopeEvenWhereTheFitStopsAtAnOrdinaryLookingValue() {
        // Scores of exactly 0 and 1 separating the outcomes: the fitted risks round to 0 and 1 near slope 1.4 and the
        // fit stops there, a value a permissive slope range would accept.
        LogisticRecalibration exact = LogisticRecalibration.of(new double[] {1, 1, 0, 0},
                new boolean[] {true, true, false, false});
        assertThat(exact.slopeFound()).isFalse();
        assertThat(exact.slope()).isBetween(1.0, 2.0);
        LogisticRecalibration separated = LogisticRecalibration.of(new double[] {0.9, 0.8, 0.3, 0.1},
                new boolean[] {true, true, false, false});
        assertThat(separated.slopeFound()).isFalse();
        // Outcomes the score does not separate have a slope.
        assertThat(LogisticRecalibration.of(new double[] {0.9, 0.8, 0.3, 0.1}, new boolean[] {true, false, true, false})
                .slopeFound()).isTrue();
    }

    @Test
    void aFitWithScoresOfExactlyZeroAndOneMatchesAnIndependentMaximumLikelihoodFit() {
        // Reference: scipy.optimize.minimize (Nelder-Mead, xatol 1e-12) of the negative log-likelihood with the
        // scores clipped to [1e-12, 1 - 1e-12], and minimize_scalar for the intercept with the slope fixed at 1:
        // slope -0.1191246, slope intercept 0.0423723, calibration in the large -0.4054651 (= ln(2/3)).
        double[] scores = {0, 1, 0.2, 0.9};
        boolean[] labels = {true, false, false, true};
        LogisticRecalibration fit = LogisticRecalibration.of(scores, labels);
        assertThat(fit.slope()).isCloseTo(-0.1191246, within(1e-6));
        assertThat(fit.slopeIntercept()).isCloseTo(0.0423723, within(1e-6));
        assertThat(fit.intercept()).isCloseTo(Math.log(2.0 / 3), within(1e-8));
        assertThat(fit.slopeFound()).isTrue();
    }
}
