package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WassersteinTest {

    @Test
    void shiftsEveryValueByFive() {
        // SciPy's documented example: wasserstein_distance([0, 1, 3], [5, 6, 8]) = 5.0
        assertThat(Wasserstein.distance(new double[] {0, 1, 3}, new double[] {5, 6, 8})).isCloseTo(5.0, within(1e-12));
    }

    @Test
    void equalsTheMeanGapBetweenSortedSamplesOfEqualSize() {
        Random random = new Random(7);
        for (int trial = 0; trial < 20; trial++) {
            int n = 1 + random.nextInt(50);
            double[] x = random.doubles(n).map(v -> Math.floor(v * 10)).toArray(); // ties included
            double[] y = random.doubles(n).map(v -> v * 12 - 1).toArray();
            assertThat(Wasserstein.distance(x, y)).isCloseTo(sortedGap(x, y), within(1e-9));
        }
    }

    @Test
    void handlesSamplesOfDifferentSizes() {
        // Repeating each x m times and each y n times leaves both distributions unchanged and equalises sizes.
        Random random = new Random(11);
        double[] x = random.doubles(7).map(v -> v * 3).toArray();
        double[] y = random.doubles(5).map(v -> v * 4 + 0.5).toArray();
        double[] xr = new double[35];
        double[] yr = new double[35];
        for (int i = 0; i < 35; i++) {
            xr[i] = x[i % 7];
            yr[i] = y[i % 5];
        }
        assertThat(Wasserstein.distance(x, y)).isCloseTo(sortedGap(xr, yr), within(1e-9));
    }

    @Test
    void binnedDistanceOfUniformBlocksTwoApart() {
        // All reference mass uniform on [0,1), all production mass uniform on [2,3]: W1 = 2.
        double[] edges = {0, 1, 2, 3};
        assertThat(Wasserstein.binned(edges, new double[] {1, 0, 0}, new long[] {0, 0, 40})).isCloseTo(2.0, within(1e-12));
    }

    @Test
    void binnedDistanceMatchesNumericIntegrationOfPiecewiseLinearCdfs() {
        Random random = new Random(3);
        double[] edges = {-2, -0.5, 0, 0.3, 1.7, 4};
        for (int trial = 0; trial < 10; trial++) {
            double[] ref = random.doubles(5).toArray();
            double sum = Arrays.stream(ref).sum();
            for (int i = 0; i < ref.length; i++) {
                ref[i] /= sum;
            }
            long[] counts = random.longs(5, 0, 100).toArray();
            counts[trial % 5] += 1;
            double total = Arrays.stream(counts).sum();
            // Midpoint rule on a fine grid; both CDFs interpolate linearly between the edges.
            int steps = 600_000;
            double h = (edges[5] - edges[0]) / steps;
            double integral = 0;
            for (int s = 0; s < steps; s++) {
                double t = edges[0] + (s + 0.5) * h;
                integral += Math.abs(cdf(edges, ref, t) - cdf(edges, toShares(counts, total), t)) * h;
            }
            assertThat(Wasserstein.binned(edges, ref, counts)).isCloseTo(integral, within(1e-6));
        }
    }

    private static double[] toShares(long[] counts, double total) {
        return Arrays.stream(counts).mapToDouble(c -> c / total).toArray();
    }

    private static double cdf(double[] edges, double[] shares, double t) {
        double f = 0;
        for (int i = 0; i < shares.length; i++) {
            if (t >= edges[i + 1]) {
                f += shares[i];
            } else if (t > edges[i]) {
                f += shares[i] * (t - edges[i]) / (edges[i + 1] - edges[i]);
            }
        }
        return f;
    }

    private static double sortedGap(double[] x, double[] y) {
        double[] a = x.clone();
        double[] b = y.clone();
        Arrays.sort(a);
        Arrays.sort(b);
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += Math.abs(a[i] - b[i]);
        }
        return s / a.length;
    }
}
