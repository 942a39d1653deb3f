package health.vigil.cli.metrics;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SortedMap;

/**
 * A quantile of a histogram estimated from its cumulative buckets, as Prometheus's {@code histogram_quantile} does:
 * the bucket that holds the quantile's rank is found, and the observations in it are taken to be spread evenly
 * between its lower and upper edge, so the estimate is never outside that bucket's edges. Written here because the
 * text read back is only samples: no library at hand estimates from them.
 */
public final class HistogramQuantile {
    private HistogramQuantile() {}

    /**
     * An estimate: the value, and whether the quantile lies in the open last bucket ({@code le="+Inf"}), in which
     * case the value is the highest finite edge and the quantile is at least that, by an unknown amount.
     */
    public record Estimate(double value, boolean aboveLastBound) {}

    /**
     * The {@code q} quantile (0 to 1) of a histogram given as its cumulative counts by upper edge ({@code le}), the
     * last edge {@code +Inf}; empty when there is nothing to estimate from: no observations, no {@code +Inf} bucket,
     * no finite edge, or a count that is not a number. The first bucket's lower edge is 0 (durations and sizes are
     * not negative) unless its upper edge is 0 or below, which is then the estimate.
     */
    public static Optional<Estimate> estimate(double q, SortedMap<Double, Double> cumulative) {
        if (!(q >= 0 && q <= 1)) {
            throw new IllegalArgumentException("a quantile is between 0 and 1; " + q + " is not");
        }
        if (cumulative.size() < 2 || cumulative.lastKey() != Double.POSITIVE_INFINITY) {
            return Optional.empty();
        }
        List<Double> edges = new ArrayList<>();
        List<Double> counts = new ArrayList<>();
        double running = 0;
        for (Map.Entry<Double, Double> bucket : cumulative.entrySet()) {
            if (Double.isNaN(bucket.getValue())) {
                return Optional.empty(); // the text format allows NaN; no rank can be placed among such counts
            }
            // Cumulative counts never fall; a lower one (text from elsewhere) is read as the one before it.
            running = Math.max(running, bucket.getValue());
            edges.add(bucket.getKey());
            counts.add(running);
        }
        double observations = counts.get(counts.size() - 1);
        if (observations <= 0) {
            return Optional.empty();
        }
        double rank = q * observations;
        int last = edges.size() - 1;
        int b = 0;
        while (b < last && counts.get(b) < rank) {
            b++;
        }
        if (b == last) {
            return Optional.of(new Estimate(edges.get(last - 1), true));
        }
        if (b == 0 && edges.get(0) <= 0) {
            return Optional.of(new Estimate(edges.get(0), false));
        }
        double lower = b == 0 ? 0 : edges.get(b - 1);
        double below = b == 0 ? 0 : counts.get(b - 1);
        double upper = edges.get(b);
        double inBucket = counts.get(b) - below;
        // Only a quantile of 0 can fall in an empty first bucket: its lower edge.
        return Optional.of(new Estimate(inBucket == 0 ? lower : lower + (upper - lower) * ((rank - below) / inBucket),
                false));
    }
}
