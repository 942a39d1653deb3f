package health.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LatencyHistogramTest {

    @Test
    void bucketsAreQuarterDoublingsFrom100Microseconds() {
        assertThat(LatencyHistogram.bucketOf(99_999)).isZero();
        assertThat(LatencyHistogram.bucketOf(100_000)).isEqualTo(1);
        // 150 µs: 0.1 ms × 2^(2/4) = 0.1414 ms <= 0.15 ms < 0.1 ms × 2^(3/4) = 0.1682 ms, the bucket with upper edge 3.
        assertThat(LatencyHistogram.bucketOf(150_000)).isEqualTo(3);
        assertThat(LatencyHistogram.upperMillis(3)).isCloseTo(0.16818, within(1e-5));
        // 200 µs is exactly one doubling: the first value of bucket 5.
        assertThat(LatencyHistogram.bucketOf(200_000)).isEqualTo(5);
        assertThat(LatencyHistogram.bucketOf(Long.MAX_VALUE)).isEqualTo(LatencyHistogram.BUCKETS - 1);
    }

    @Test
    void theQuantileBucketHoldsTheExactQuantileOfTheSortedValues() {
        SplittableRandom random = new SplittableRandom(7);
        long[] values = new long[10_000];
        long[] counts = new long[LatencyHistogram.BUCKETS];
        for (int i = 0; i < values.length; i++) {
            values[i] = (long) (1_000_000 * Math.exp(random.nextGaussian()));
            counts[LatencyHistogram.bucketOf(values[i])]++;
        }
        LatencyHistogram histogram = new LatencyHistogram(counts);
        Arrays.sort(values);
        long p99 = values[(int) Math.ceil(0.99 * values.length) - 1];
        int bucket = histogram.quantileBucket(0.99);

        assertThat(bucket).isEqualTo(LatencyHistogram.bucketOf(p99));
        assertThat(p99 / 1e6).isLessThan(LatencyHistogram.upperMillis(bucket));
        long slower = Arrays.stream(values).filter(v -> v / 1e6 >= LatencyHistogram.upperMillis(bucket)).count();
        assertThat(histogram.countAbove(bucket)).isEqualTo(slower);
        assertThat(histogram.total()).isEqualTo(values.length);
        assertThat(histogram.plus(histogram).countAbove(bucket)).isEqualTo(2 * slower);
    }

    @Test
    void anEmptyHistogramHasNoQuantile() {
        assertThat(LatencyHistogram.empty().quantileBucket(0.99)).isEqualTo(-1);
    }
}
