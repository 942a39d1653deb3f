package health.vigil.monitoring;

import health.vigil.statistics.Checks;
import health.vigil.statistics.ScoreSketch;
import health.vigil.error.ValidationException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Everything a drift check needs from a batch of predictions, in a form that merges: per-feature counts over
 * the reference bins (or categories), missing counts, score counts over the reference score bins, and a score
 * sketch. Build one per shard or per day and {@link #merge} them; the result is the same as one pass over all
 * rows (counts add exactly). Written as JSON it can be kept between runs; it holds no row and no patient.
 *
 * @param fingerprint the {@link DriftBaseline#fingerprint()} it was built against
 * @param rows production rows seen
 * @param features per monitored feature, in schema order
 * @param score counts of the scores over the reference score bins (null when the reference has no score
 *     profile); its {@code missing} counts rows without a score
 * @param sketch the scores' sketch for the label-free estimate
 */
public record DriftSummary(String fingerprint, long rows, List<FeatureCounts> features, FeatureCounts score,
        ScoreSketch sketch) {

    /** One feature's (or the score's) counts per bin, and how many rows had it missing. */
    public record FeatureCounts(String name, long[] counts, long missing) {
        public FeatureCounts {
            Objects.requireNonNull(name, "name");
            Checks.counts(counts, "the counts of '" + name + "'");
            counts = counts.clone();
            if (missing < 0) {
                throw new ValidationException("the missing count of '" + name + "' is negative");
            }
        }

        @Override
        public long[] counts() {
            return counts.clone();
        }

        long present() {
            return Checks.sum(counts);
        }

        FeatureCounts plus(FeatureCounts other) {
            if (!name.equals(other.name) || counts.length != other.counts.length) {
                throw new ValidationException("cannot merge counts of '" + name + "' with counts of '" + other.name
                        + "' over different bins");
            }
            long[] sum = counts.clone();
            for (int i = 0; i < sum.length; i++) {
                sum[i] = Math.addExact(sum[i], other.counts[i]);
            }
            return new FeatureCounts(name, sum, Math.addExact(missing, other.missing));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof FeatureCounts f && name.equals(f.name) && missing == f.missing
                    && Arrays.equals(counts, f.counts);
        }

        @Override
        public int hashCode() {
            return 31 * name.hashCode() + Arrays.hashCode(counts);
        }

        @Override
        public String toString() {
            return "FeatureCounts[" + name + ", bins=" + counts.length + ", missing=" + missing + "]";
        }
    }

    public DriftSummary {
        if (fingerprint == null || fingerprint.isBlank()) {
            throw new ValidationException("a drift summary needs the fingerprint of the baseline it was built against");
        }
        if (rows < 0) {
            throw new ValidationException("a drift summary's row count is negative");
        }
        features = List.copyOf(features);
        Objects.requireNonNull(sketch, "sketch");
    }

    /** Adds another summary built against the same baseline (another shard, another day). */
    public DriftSummary merge(DriftSummary other) {
        if (!fingerprint.equals(other.fingerprint)) {
            throw new ValidationException("these drift summaries were built against different reference profiles"
                    + " (fingerprints " + fingerprint + " and " + other.fingerprint + "); merge only summaries of"
                    + " the same model version");
        }
        List<FeatureCounts> merged = new ArrayList<>(features.size());
        for (int i = 0; i < features.size(); i++) {
            merged.add(features.get(i).plus(other.features.get(i)));
        }
        FeatureCounts mergedScore = score == null ? null : score.plus(other.score);
        return new DriftSummary(fingerprint, Math.addExact(rows, other.rows), merged, mergedScore,
                sketch.merge(other.sketch));
    }
}
