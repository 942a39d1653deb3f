package health.vigil.training.reference;

import health.vigil.features.Column;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import health.vigil.training.data.FeatureMatrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Profiles the training data for drift checks ({@code reference.json}), column by column of the model's
 * input as the prediction log records it. A binary column (an indicator or one-hot) is profiled by the
 * shares of 0 and 1; a continuous column by decile bin edges (duplicates merged, so discrete columns get
 * fewer bins) and the share of rows in each bin, counting a value in {@code [edge_i, edge_i+1)} and the
 * last bin closed; drift checks treat the outer bins as open-ended. A column with a single value is
 * profiled by that value's share. The score is profiled like a continuous column.
 */
public final class ReferenceProfiler {
    /** Bins of a continuous column before merging duplicate edges. */
    public static final int BINS = 10;

    private ReferenceProfiler() {}

    public static ReferenceProfile profile(FeatureMatrix training, List<Column> columns, double[] scores) {
        if (columns.size() != training.width()) {
            throw new IllegalArgumentException("one column definition per matrix column is needed");
        }
        List<FeatureProfile> features = new ArrayList<>(columns.size());
        double[] values = new double[training.rows()];
        for (int j = 0; j < columns.size(); j++) {
            for (int i = 0; i < values.length; i++) {
                values[i] = training.get(i, j);
            }
            Column column = columns.get(j);
            features.add(column.kind() == Column.Kind.BINARY ? binary(column.name(), values) : continuous(column.name(), values));
        }
        return new ReferenceProfile(training.rows(), features, continuous("score", scores));
    }

    static FeatureProfile binary(String name, double[] values) {
        long ones = Arrays.stream(values).filter(v -> v == 1.0).count();
        Map<String, Double> shares = new LinkedHashMap<>();
        shares.put("0", (double) (values.length - ones) / values.length);
        shares.put("1", (double) ones / values.length);
        return new FeatureProfile(name, null, null, shares, 0.0);
    }

    static FeatureProfile continuous(String name, double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        List<Double> edges = new ArrayList<>();
        for (int b = 0; b <= BINS; b++) {
            // Nearest-rank quantile: the smallest value with at least b/BINS of the rows at or below it.
            int rank = (int) Math.ceil((double) b * n / BINS);
            double edge = sorted[Math.max(0, Math.min(n - 1, rank - 1))];
            if (edges.isEmpty() || edge > edges.get(edges.size() - 1)) {
                edges.add(edge);
            }
        }
        if (edges.size() < 2) {
            return new FeatureProfile(name, null, null, Map.of(format(sorted[0]), 1.0), 0.0);
        }
        long[] counts = new long[edges.size() - 1];
        for (double v : sorted) {
            counts[bin(edges, v)]++;
        }
        List<Double> proportions = new ArrayList<>(counts.length);
        for (long count : counts) {
            proportions.add((double) count / n);
        }
        return new FeatureProfile(name, edges, proportions, null, 0.0);
    }

    /** The bin of {@code v}: {@code [edge_i, edge_i+1)}, the last bin closed, outer bins open-ended. */
    static int bin(List<Double> edges, double v) {
        int last = edges.size() - 2;
        for (int i = 0; i < last; i++) {
            if (v < edges.get(i + 1)) {
                return i;
            }
        }
        return last;
    }

    static String format(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
    }
}
