package health.vigil.model;

import java.util.Arrays;

/**
 * Request latencies in fixed, logarithmic buckets: bucket 0 holds everything under 100 µs, and bucket {@code i >= 1}
 * holds {@code [100 µs × 2^((i-1)/4), 100 µs × 2^(i/4))} (about 19 % wide), up to the last bucket (about 3.5 min and
 * beyond). Fixed buckets make histograms of different minutes and instances add up exactly, and a minute's histogram
 * is a short array of counts that any store keeps as it is. HdrHistogram would do the same with finer buckets, but
 * its encoded form is not a plain document; 19 % resolution is ample for judging a p99.
 */
public record LatencyHistogram(long[] counts) {
    public static final int BUCKETS = 86;
    private static final double FIRST_NANOS = 100_000.0;
    private static final int PER_DOUBLING = 4;

    public LatencyHistogram {
        if (counts == null) {
            counts = new long[BUCKETS];
        } else if (counts.length != BUCKETS) {
            throw new IllegalArgumentException("a latency histogram has " + BUCKETS + " buckets, not " + counts.length);
        } else {
            counts = counts.clone();
            for (long c : counts) {
                if (c < 0) {
                    throw new IllegalArgumentException("a latency histogram's counts cannot be negative");
                }
            }
        }
    }

    public static LatencyHistogram empty() {
        return new LatencyHistogram(null);
    }

    @Override
    public long[] counts() {
        return counts.clone();
    }

    /** The bucket a latency falls in. */
    public static int bucketOf(long nanos) {
        if (nanos < FIRST_NANOS) {
            return 0;
        }
        int bucket = 1 + (int) Math.floor(PER_DOUBLING * (Math.log(nanos / FIRST_NANOS) / Math.log(2)));
        return Math.min(BUCKETS - 1, bucket);
    }

    /** The upper edge of a bucket in milliseconds (the last bucket's is its lower edge: it has none). */
    public static double upperMillis(int bucket) {
        int edge = Math.min(bucket, BUCKETS - 2);
        return FIRST_NANOS * Math.pow(2, (double) edge / PER_DOUBLING) / 1e6;
    }

    public long total() {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        return total;
    }

    /**
     * The bucket holding the {@code q}-quantile: the first bucket at which the cumulative count reaches
     * {@code ceil(q × total)}; -1 when the histogram is empty.
     */
    public int quantileBucket(double q) {
        long total = total();
        if (total == 0) {
            return -1;
        }
        long rank = Math.max(1, (long) Math.ceil(q * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += counts[i];
            if (seen >= rank) {
                return i;
            }
        }
        return BUCKETS - 1;
    }

    /** How many latencies fall in buckets above {@code bucket}, that is, are certainly slower than its upper edge. */
    public long countAbove(int bucket) {
        long above = 0;
        for (int i = bucket + 1; i < BUCKETS; i++) {
            above += counts[i];
        }
        return above;
    }

    public LatencyHistogram plus(LatencyHistogram other) {
        long[] sum = counts.clone();
        for (int i = 0; i < BUCKETS; i++) {
            sum[i] += other.counts[i];
        }
        return new LatencyHistogram(sum);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof LatencyHistogram h && Arrays.equals(counts, h.counts);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(counts);
    }

    @Override
    public String toString() {
        return "LatencyHistogram" + Arrays.toString(counts);
    }
}
