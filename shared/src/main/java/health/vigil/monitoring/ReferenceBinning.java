package health.vigil.monitoring;

import health.vigil.error.ValidationException;
import health.vigil.model.Feature;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import health.vigil.text.Words;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The one definition of how a value falls into reference bins, and the one builder of reference profiles
 * that use it: training and the sample models call {@link #profile} to write {@code reference.json}, and
 * {@link DriftBaseline} reads it back, so both sides bin identically.
 *
 * <p><b>Bin convention.</b> With edges {@code e_0 < e_1 < ... < e_k}, bin i holds {@code e_i <= x < e_(i+1)};
 * the outer bins are open-ended (bin 0 also holds everything below {@code e_1}, bin k-1 everything at or above
 * {@code e_(k-1)}), so a production value outside the training range still lands in a bin. The bin of x is
 * the number of interior edges {@code e_1..e_(k-1)} that are at most x. Missing values (NaN) are in no bin;
 * they are counted apart, and proportions are shares of the non-missing rows. A categorical input reaches the
 * model as its category's index; a boolean, and any column that takes only 0 and 1, as the index into
 * {@link #BOOLEAN_CATEGORIES}.
 */
public final class ReferenceBinning {
    /** The categories of a boolean or 0/1 input: 0 is {@code "false"}, 1 is {@code "true"}. */
    public static final List<String> BOOLEAN_CATEGORIES = List.of("false", "true");
    /** Quantile bins of a numeric input and of the score, before tied quantiles collapse. */
    public static final int BINS = 10;

    private ReferenceBinning() {}

    /**
     * How one model input is profiled: numeric ({@code categories} null) by quantile bins, or categorical by the
     * share of each category, the model receiving the category's index.
     */
    public record InputColumn(String name, List<String> categories) {
        public InputColumn {
            if (name == null || name.isBlank()) {
                throw new ValidationException("a profiled input column has no name");
            }
            if (categories != null) {
                if (categories.isEmpty()) {
                    throw new ValidationException("categorical input '" + name + "' lists no categories");
                }
                categories = List.copyOf(categories);
            }
        }

        public static InputColumn numeric(String name) {
            return new InputColumn(name, null);
        }

        public static InputColumn categorical(String name, List<String> categories) {
            return new InputColumn(name, categories);
        }

        /** A boolean, or a column that only takes 0 and 1 (an indicator, a one-hot category, a flag). */
        public static InputColumn binary(String name) {
            return new InputColumn(name, BOOLEAN_CATEGORIES);
        }

        /** A raw feature as the identity pipeline passes it to the model. */
        public static InputColumn of(Feature feature) {
            return switch (feature.type()) {
                case NUMERIC, INTEGER -> numeric(feature.name());
                case BOOLEAN -> binary(feature.name());
                case CATEGORICAL -> categorical(feature.name(), feature.categories());
                case CODE -> throw new ValidationException("feature '" + feature.name() + "' is a code, which reaches"
                        + " no model as a number; profile the columns of the pipeline that groups its codes");
            };
        }

        public boolean isNumeric() {
            return categories == null;
        }
    }

    /**
     * The reference profile of a model's training inputs: each column of {@code inputs} (row-major,
     * {@code rows x columns.size()}, NaN = missing) by {@link #numericProfile} or {@link #categoricalProfile},
     * and the score by {@link #numericProfile}. The scores may come from other rows than the inputs (training
     * profiles them on its held-out test part); {@link ReferenceProfile#rows()} counts the input rows.
     */
    public static ReferenceProfile profile(List<InputColumn> columns, float[] inputs, int rows, double[] scores) {
        if (columns == null || inputs == null || scores == null) {
            throw new ValidationException("a reference profile needs the input columns, the input rows and the scores");
        }
        int width = columns.size();
        if (rows < 1 || (long) rows * width != inputs.length) {
            throw new ValidationException("a reference profile of " + Words.count(rows, "row") + " of "
                    + Words.count(width, "input") + " needs " + Words.count((long) rows * width, "value") + "; got "
                    + inputs.length);
        }
        List<FeatureProfile> features = new ArrayList<>(width);
        double[] column = new double[rows];
        for (int f = 0; f < width; f++) {
            for (int r = 0; r < rows; r++) {
                column[r] = inputs[r * width + f];
            }
            InputColumn c = columns.get(f);
            features.add(c.isNumeric() ? numericProfile(c.name(), column, BINS)
                    : categoricalProfile(c.name(), c.categories(), column));
        }
        return new ReferenceProfile(rows, features, numericProfile("score", scores, BINS), (long) scores.length);
    }

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
     * is seen. NaN values count toward the missing rate; the mean is that of the present values.
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
        return new FeatureProfile(name, edges, proportions, null, (double) (values.length - n) / values.length,
                mean(present));
    }

    /**
     * Category frequencies of a training sample given as category indices into {@code categories} (the way
     * the model receives them); NaN counts toward the missing rate. The mean is that of the indices, which for
     * a boolean or 0/1 column is the share of ones.
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
        double codeSum = 0;
        for (double c : codes) {
            if (Double.isNaN(c)) {
                continue;
            }
            codeSum += c;
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
        return new FeatureProfile(name, null, null, frequencies, (double) (codes.length - present) / codes.length,
                codeSum / present);
    }

    private static double mean(double[] values) {
        double sum = 0;
        for (double v : values) {
            sum += v;
        }
        return sum / values.length;
    }
}
