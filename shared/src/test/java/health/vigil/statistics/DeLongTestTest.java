package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DeLongTestTest {

    @Test
    void workedExampleComputedByHand() {
        // Three positives, two negatives, two models on the same five patients.
        //            positives         negatives
        // model A:   0.8  0.6  0.4     0.5  0.2
        // model B:   0.7  0.3  0.6     0.4  0.5
        // Placements of positives (share of negatives beaten): A 1, 1, 1/2 -> AUROC 5/6; B 1, 0, 1 -> 2/3.
        // Placements of negatives (share of positives above): A 2/3, 1; B 2/3, 2/3.
        // Covariances over positives (n - 1 = 2): var A = 1/12, var B = 1/3, cov = -1/12.
        // Over negatives (n - 1 = 1): var A = 1/18, var B = 0, cov = 0.
        // Var(A - B) = (1/12 + 1/3 + 2/12) / 3 + (1/18) / 2 = 7/36 + 1/36 = 2/9; SE = 0.4714045.
        // z = (1/6) / 0.4714045 = 0.3535534; two-sided p = 0.7236736;
        // 95% CI = 1/6 -/+ 1.959964 * 0.4714045 = (-0.757269, 1.090603).
        boolean[] labels = {true, true, true, false, false};
        double[] a = {0.8, 0.6, 0.4, 0.5, 0.2};
        double[] b = {0.7, 0.3, 0.6, 0.4, 0.5};
        DeLongTest.Result r = DeLongTest.compare(a, b, labels);
        assertThat(r.aurocFirst()).isCloseTo(5.0 / 6, within(1e-15));
        assertThat(r.aurocSecond()).isCloseTo(2.0 / 3, within(1e-15));
        assertThat(r.standardError()).isCloseTo(Math.sqrt(2.0 / 9), within(1e-15));
        assertThat(r.z()).isCloseTo(0.35355339, within(1e-8));
        assertThat(r.pValue()).isCloseTo(0.72367361, within(1e-8));
        assertThat(r.lower95()).isCloseTo(-0.75726922, within(1e-8));
        assertThat(r.upper95()).isCloseTo(1.09060255, within(1e-8));
    }

    @Test
    void matchesTheDefinitionComputedOverAllPairs() {
        Random random = new Random(8);
        for (int trial = 0; trial < 20; trial++) {
            int n = 20 + random.nextInt(200);
            boolean[] labels = new boolean[n];
            double[] a = new double[n];
            double[] b = new double[n];
            for (int i = 0; i < n; i++) {
                labels[i] = random.nextDouble() < 0.35;
                double signal = labels[i] ? 1 : 0;
                double shared = random.nextGaussian();
                a[i] = Math.round((signal + shared + 0.5 * random.nextGaussian()) * 4) / 4.0; // ties
                b[i] = signal * 0.6 + shared + random.nextGaussian();
            }
            labels[0] = true;
            labels[1] = true;
            labels[2] = false;
            labels[3] = false;
            DeLongTest.Result r = DeLongTest.compare(a, b, labels);
            double[] expected = byDefinition(a, b, labels);
            assertThat(r.aurocFirst()).isCloseTo(expected[0], within(1e-12));
            assertThat(r.aurocSecond()).isCloseTo(expected[1], within(1e-12));
            assertThat(r.standardError()).isCloseTo(expected[2], within(1e-12));
            assertThat(r.pValue()).isBetween(0.0, 1.0);
        }
    }

    @Test
    void identicalModelsShowNoDifference() {
        boolean[] labels = {true, false, true, false, true, false};
        double[] s = {0.9, 0.1, 0.4, 0.6, 0.7, 0.3};
        DeLongTest.Result r = DeLongTest.compare(s, s.clone(), labels);
        assertThat(r.difference()).isZero();
        assertThat(r.pValue()).isEqualTo(1.0);
    }

    @Test
    void needsBothModelsOnTheSamePatientsAndTwoCasesOfEachClass() {
        assertThatThrownBy(() -> DeLongTest.compare(new double[] {1, 2, 3, 4}, new double[] {1, 2, 3},
                new boolean[] {true, true, false, false}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("same patients");
        assertThatThrownBy(() -> DeLongTest.compare(new double[] {1, 2, 3}, new double[] {1, 2, 3},
                new boolean[] {true, false, false}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("at least 2 of each");
    }

    /** AUROCs and SE of their difference from DeLong et al. (1988) directly: psi over all pairs. */
    @Test
    void independentSamplesWorkedByHand() {
        // Arm A: positives 0.8, 0.6, 0.4; negatives 0.5, 0.2. Placements V10 = 1, 1, 1/2 (AUROC 5/6, var 1/12);
        // V01 = 2/3, 1 (var 1/18): Var(AUROC A) = (1/12) / 3 + (1/18) / 2 = 1/18.
        // Arm B: positives 0.7, 0.3; negatives 0.4, 0.1. V10 = 1, 1/2 (AUROC 3/4, var 1/8); V01 = 1/2, 1 (var 1/8):
        // Var(AUROC B) = 1/16 + 1/16 = 1/8. Difference 1/12, SE = sqrt(1/18 + 1/8) = 0.4249183, z = 0.1961161,
        // p = 0.8445193, 95 % CI (-0.7494912, 0.9161579).
        DeLongTest.Result r = DeLongTest.independent(new double[] {0.8, 0.6, 0.4, 0.5, 0.2},
                new boolean[] {true, true, true, false, false}, new double[] {0.7, 0.3, 0.4, 0.1},
                new boolean[] {true, true, false, false});
        assertThat(r.aurocFirst()).isCloseTo(5.0 / 6, within(1e-15));
        assertThat(r.aurocSecond()).isCloseTo(0.75, within(1e-15));
        assertThat(r.standardError()).isCloseTo(0.42491829, within(1e-8));
        assertThat(r.z()).isCloseTo(0.19611614, within(1e-8));
        assertThat(r.pValue()).isCloseTo(0.84451927, within(1e-8));
        assertThat(r.lower95()).isCloseTo(-0.74949122, within(1e-8));
        assertThat(r.upper95()).isCloseTo(0.91615788, within(1e-8));
    }

    @Test
    void independentSamplesMatchTheDefinitionOverAllPairs() {
        Random random = new Random(21);
        for (int trial = 0; trial < 10; trial++) {
            double[][] scores = new double[2][];
            boolean[][] labels = new boolean[2][];
            double[] variance = new double[2];
            double[] auroc = new double[2];
            for (int arm = 0; arm < 2; arm++) {
                int n = 10 + random.nextInt(150);
                scores[arm] = new double[n];
                labels[arm] = new boolean[n];
                for (int i = 0; i < n; i++) {
                    labels[arm][i] = i < 2 || (i >= 4 && random.nextDouble() < 0.3);
                    scores[arm][i] = Math.round(((labels[arm][i] ? 0.8 : 0) + random.nextGaussian()) * 3) / 3.0;
                }
                double[] both = byDefinition(scores[arm], scores[arm], labels[arm]);
                auroc[arm] = both[0];
                variance[arm] = singleVariance(scores[arm], labels[arm]);
            }
            DeLongTest.Result r = DeLongTest.independent(scores[0], labels[0], scores[1], labels[1]);
            assertThat(r.aurocFirst()).isCloseTo(auroc[0], within(1e-12));
            assertThat(r.aurocSecond()).isCloseTo(auroc[1], within(1e-12));
            assertThat(r.standardError()).isCloseTo(Math.sqrt(variance[0] + variance[1]), within(1e-12));
        }
    }

    /** DeLong's variance of one AUROC, from placements computed over all positive-negative pairs. */
    private static double singleVariance(double[] s, boolean[] labels) {
        int n1 = 0;
        for (boolean y : labels) {
            n1 += y ? 1 : 0;
        }
        int n0 = labels.length - n1;
        double[] v10 = new double[n1];
        double[] v01 = new double[n0];
        int p = 0;
        for (int i = 0; i < labels.length; i++) {
            if (!labels[i]) {
                continue;
            }
            int q = 0;
            for (int j = 0; j < labels.length; j++) {
                if (labels[j]) {
                    continue;
                }
                double psi = s[i] > s[j] ? 1 : s[i] == s[j] ? 0.5 : 0;
                v10[p] += psi / n0;
                v01[q] += psi / n1;
                q++;
            }
            p++;
        }
        return cov(v10, v10) / n1 + cov(v01, v01) / n0;
    }

    private static double[] byDefinition(double[] a, double[] b, boolean[] labels) {
        int n1 = 0;
        for (boolean y : labels) {
            n1 += y ? 1 : 0;
        }
        int n0 = labels.length - n1;
        double[][] v10 = new double[2][n1];
        double[][] v01 = new double[2][n0];
        double[][] models = {a, b};
        for (int k = 0; k < 2; k++) {
            int p = 0;
            for (int i = 0; i < labels.length; i++) {
                if (!labels[i]) {
                    continue;
                }
                int q = 0;
                for (int j = 0; j < labels.length; j++) {
                    if (labels[j]) {
                        continue;
                    }
                    double psi = models[k][i] > models[k][j] ? 1 : models[k][i] == models[k][j] ? 0.5 : 0;
                    v10[k][p] += psi / n0;
                    v01[k][q] += psi / n1;
                    q++;
                }
                p++;
            }
        }
        double auc1 = mean(v10[0]);
        double auc2 = mean(v10[1]);
        double s10 = cov(v10[0], v10[0]) + cov(v10[1], v10[1]) - 2 * cov(v10[0], v10[1]);
        double s01 = cov(v01[0], v01[0]) + cov(v01[1], v01[1]) - 2 * cov(v01[0], v01[1]);
        return new double[] {auc1, auc2, Math.sqrt(s10 / n1 + s01 / n0)};
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    private static double cov(double[] x, double[] y) {
        double mx = mean(x);
        double my = mean(y);
        double s = 0;
        for (int i = 0; i < x.length; i++) {
            s += (x[i] - mx) * (y[i] - my);
        }
        return s / (x.length - 1);
    }
}
