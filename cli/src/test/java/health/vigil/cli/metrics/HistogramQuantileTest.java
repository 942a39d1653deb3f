package health.vigil.cli.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * Quantiles estimated from cumulative buckets as Prometheus's {@code histogram_quantile} does; the expected values
 * are worked out by hand from the bucket counts (rank = q times the count, spread evenly within its bucket).
 */
class HistogramQuantileTest {
    private static final double INF = Double.POSITIVE_INFINITY;

    private static SortedMap<Double, Double> buckets(Map<Double, Double> cumulative) {
        return new TreeMap<>(cumulative);
    }

    private static double value(double q, SortedMap<Double, Double> buckets) {
        HistogramQuantile.Estimate estimate = HistogramQuantile.estimate(q, buckets).orElseThrow();
        assertThat(estimate.aboveLastBound()).isFalse();
        return estimate.value();
    }

    @Test
    void aQuantileIsInterpolatedWithinTheBucketThatHoldsItsRank() {
        // 2 observations up to 1, 4 more up to 2, 2 more up to 4, none above: 8 in all.
        SortedMap<Double, Double> buckets = buckets(Map.of(1.0, 2.0, 2.0, 6.0, 4.0, 8.0, INF, 8.0));

        // Rank 4: the 2nd of the 4 in (1, 2].
        assertThat(value(0.50, buckets)).isEqualTo(1.5);
        // Rank 7.6: 1.6 of the 2 in (2, 4].
        assertThat(value(0.95, buckets)).isCloseTo(3.6, within(1e-12));
        // Rank 7.92: 1.92 of the 2 in (2, 4].
        assertThat(value(0.99, buckets)).isCloseTo(3.92, within(1e-12));
        // Rank 2: the last of the first bucket, whose lower edge is 0.
        assertThat(value(0.25, buckets)).isEqualTo(1.0);
        // Rank 1: half of the first bucket.
        assertThat(value(0.125, buckets)).isEqualTo(0.5);
        // Rank 8 is reached by le=4, so even the maximum is bounded by a finite edge.
        assertThat(value(1.0, buckets)).isEqualTo(4.0);
    }

    @Test
    void aQuantileInTheOpenLastBucketIsTheHighestFiniteEdgeMarkedAsAboveIt() {
        // 1 observation up to 0.5, 1 more up to 1, 8 above 1: 10 in all.
        SortedMap<Double, Double> buckets = buckets(Map.of(0.5, 1.0, 1.0, 2.0, INF, 10.0));

        assertThat(HistogramQuantile.estimate(0.50, buckets)).contains(new HistogramQuantile.Estimate(1.0, true));
        assertThat(HistogramQuantile.estimate(0.99, buckets)).contains(new HistogramQuantile.Estimate(1.0, true));
        // Rank 1.5: half of the one in (0.5, 1], still within the finite buckets.
        assertThat(HistogramQuantile.estimate(0.15, buckets)).contains(new HistogramQuantile.Estimate(0.75, false));
    }

    @Test
    void nothingIsEstimatedWithoutObservationsOrWithoutBothAFiniteAndTheOpenBucket() {
        assertThat(HistogramQuantile.estimate(0.5, buckets(Map.of(1.0, 0.0, INF, 0.0)))).isEmpty();
        assertThat(HistogramQuantile.estimate(0.5, buckets(Map.of()))).isEmpty();
        assertThat(HistogramQuantile.estimate(0.5, buckets(Map.of(INF, 3.0)))).isEmpty();
        assertThat(HistogramQuantile.estimate(0.5, buckets(Map.of(1.0, 2.0, 2.0, 3.0)))).isEmpty();
    }

    @Test
    void aHistogramWithACountThatIsNotANumberHasNoEstimate() {
        // The text format allows NaN as a sample's value; no rank can be placed among counts that include one.
        double nan = Double.NaN;
        assertThat(HistogramQuantile.estimate(0.5, buckets(Map.of(1.0, 2.0, 2.0, nan, INF, 8.0)))).isEmpty();
        assertThat(HistogramQuantile.estimate(0.5, buckets(Map.of(1.0, 2.0, 2.0, 6.0, INF, nan)))).isEmpty();
        assertThat(HistogramQuantile.estimate(0.99, buckets(Map.of(1.0, nan, INF, nan)))).isEmpty();
    }

    @Test
    void aFirstBucketWithAnUpperEdgeOfZeroOrBelowIsItsOwnEstimateAndCountsThatFallAreReadAsTheOneBefore() {
        assertThat(value(0.5, buckets(Map.of(0.0, 3.0, 1.0, 4.0, INF, 4.0)))).isEqualTo(0.0);
        // le=2 reads 1 (below le=1's 4), so it holds nothing: rank 4 of 8 is the last of (0, 1].
        assertThat(value(0.5, buckets(Map.of(1.0, 4.0, 2.0, 1.0, 4.0, 8.0, INF, 8.0)))).isEqualTo(1.0);
    }

    @Test
    void aQuantileOutsideZeroToOneIsRefused() {
        SortedMap<Double, Double> buckets = buckets(Map.of(1.0, 1.0, INF, 1.0));
        assertThatThrownBy(() -> HistogramQuantile.estimate(95, buckets))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("between 0 and 1; 95.0 is not");
        assertThatThrownBy(() -> HistogramQuantile.estimate(Double.NaN, buckets))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
