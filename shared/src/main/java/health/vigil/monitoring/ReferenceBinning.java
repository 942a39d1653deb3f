package health.vigil.monitoring;

import health.vigil.error.ValidationException;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one definition of how a value falls into reference bins, and the builder of reference profiles that
 * use it (training calls it to write {@code reference.json}, so both sides bin identically).
 *
 * <p><b>Bin convention.</b> With edges {@code e_0 < e_1 < ... < e_k}, bin i holds {@code e_i <= x < e_(i+1)};
 * the outer bins are open-ended (bin 0 also holds everything below {@code e_1}, bin k-1 everything at or above
 * {@code e_(k-1)}), so a production value outside the training range still lands in a bin. The bin of x is
 * the number of interior edges {@code e_1..e_(k-1)} that are at most x. Missing values (NaN) are in no bin;
 * they are counted apart, and proportions are shares of the non-missing rows.
 */
public final class ReferenceBinning {
    private ReferenceBinning() {}

    /** Bin index of {@code x} (not NaN) for these k+1 edges, by the convention above. */
    public static int binOf(double[] edges, double x) {
        // Count interior edges <= x: the first interior index whose edge is > x, minus one.
        int lo = 1;
        int hi = edges.length - 1;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (edges[mid] <= x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo - 1;
    }

    /**
     * Quantile bins of a training sample: interior edges at the i/k sample quantiles (the value with
     * {@code floor(i*n/k)} values below it in sorted order), outer edges at the minimum and maximum. Repeated
     * quantiles (heavily tied values) collapse into one edge, so a feature may get fewer than {@code bins}
     * bins. A constant feature gets three bins (below, at and above the constant) so that a move either way
     * is seen. NaN values count toward the missing rate.
     */
    public static FeatureProfile numericProfile(String name, double[] values, int bins) {
        if (bins < 1 || bins > 1000) {
            throw new ValidationException("reference bins for '" + name + "' must number 1-1000; " + bins
                    + " were asked for");
        }
        if (values == null || values.length == 0) {
            throw new ValidationException("no training values for '" + name + "'; a reference profile needs data");
        }
        double[] present = Arrays.stream(values).filter(v -> !Double.isNaN(v)).sorted().toArray();
        if (present.length == 0) {
            throw new ValidationException("feature '" + name + "' is missing in every training row; it cannot be"
                    + " profiled");
        }
        for (double v : present) {
            if (Double.isInfinite(v)) {
                throw new ValidationException("feature '" + name + "' has an infinite training value");
            }
        }
        int n = present.length;
        double min = present[0];
        double max = present[n - 1];
        List<Double> edges = new ArrayList<>();
        if (min == max) {
            edges.addAll(List.of(Math.nextDown(min), min, Math.nextUp(min), Math.nextUp(Math.nextUp(min))));
        } else {
            edges.add(min);
            for (int i = 1; i < bins; i++) {
                double q = present[(int) ((long) i * n / bins)];
                if (q > edges.get(edges.size() - 1)) {
                    edges.add(q);
                }
            }
            // The top edge closes the last bin; when the last quantile is the maximum, step just past it.
            edges.add(max > edges.get(edges.size() - 1) ? max : Math.nextUp(max));
        }
        double[] e = edges.stream().mapToDouble(Double::doubleValue).toArray();
        long[] counts = new long[e.length - 1];
        for (double v : present) {
            counts[binOf(e, v)]++;
        }
        List<Double> proportions = new ArrayList<>();
        for (long c : counts) {
            proportions.add((double) c / n);
        }
        return new FeatureProfile(name, edges, proportions, null, (double) (values.length - n) / values.length);
    }

    /**
     * Category frequencies of a training sample given as category indices into {@code categories} (the way
     * the model receives them); NaN counts toward the missing rate.
     */
    public static FeatureProfile categoricalProfile(String name, List<String> categories, double[] codes) {
        if (categories == null || categories.isEmpty()) {
            throw new ValidationException("categorical feature '" + name + "' lists no categories");
        }
        if (codes == null || codes.length == 0) {
            throw new ValidationException("no training values for '" + name + "'; a reference profile needs data");
        }
        long[] counts = new long[categories.size()];
        long present = 0;
        for (double c : codes) {
            if (Double.isNaN(c)) {
                continue;
            }
            int code = (int) c;
            if (code != c || code < 0 || code >= categories.size()) {
                throw new ValidationException("feature '" + name + "' has a training value that is not a category"
                        + " index (0-" + (categories.size() - 1) + ")");
            }
            counts[code]++;
            present++;
        }
        if (present == 0) {
            throw new ValidationException("feature '" + name + "' is missing in every training row; it cannot be"
                    + " profiled");
        }
        Map<String, Double> frequencies = new LinkedHashMap<>();
        for (int i = 0; i < counts.length; i++) {
            frequencies.put(categories.get(i), (double) counts[i] / present);
        }
        return new FeatureProfile(name, null, null, frequencies, (double) (codes.length - present) / codes.length);
    }
}
