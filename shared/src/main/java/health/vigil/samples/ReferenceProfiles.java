package health.vigil.samples;

import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The reference profile of a sample's training rows: decile bin edges and shares for numeric and integer
 * features and for the score, category shares for categorical and boolean features, and missing rates.
 */
final class ReferenceProfiles {
    private static final int BINS = 10;

    private ReferenceProfiles() {}

    static ReferenceProfile of(FeatureSchema schema, float[] inputs, double[] scores) {
        int width = schema.size();
        int rows = scores.length;
        List<FeatureProfile> features = new ArrayList<>();
        for (int f = 0; f < width; f++) {
            double[] column = new double[rows];
            for (int r = 0; r < rows; r++) {
                column[r] = inputs[r * width + f];
            }
            features.add(profile(schema.get(f), column));
        }
        return new ReferenceProfile(rows, features, numeric("score", scores));
    }

    private static FeatureProfile profile(Feature feature, double[] column) {
        if (feature.type() == FeatureType.NUMERIC || feature.type() == FeatureType.INTEGER) {
            return numeric(feature.name(), column);
        }
        List<String> categories = feature.type() == FeatureType.BOOLEAN ? List.of("false", "true") : feature.categories();
        long[] counts = new long[categories.size()];
        long present = 0;
        for (double v : column) {
            if (!Double.isNaN(v)) {
                counts[(int) v]++;
                present++;
            }
        }
        Map<String, Double> shares = new LinkedHashMap<>();
        for (int c = 0; c < categories.size(); c++) {
            shares.put(categories.get(c), present == 0 ? 0.0 : (double) counts[c] / present);
        }
        return new FeatureProfile(feature.name(), null, null, shares, (double) (column.length - present) / column.length);
    }

    /** Decile edges of the present values (repeated quantiles merged), and each bin's share; the last bin is closed. */
    private static FeatureProfile numeric(String name, double[] column) {
        double[] present = Arrays.stream(column).filter(v -> !Double.isNaN(v)).sorted().toArray();
        double missingRate = (double) (column.length - present.length) / column.length;
        if (present.length == 0) {
            return new FeatureProfile(name, null, null, null, missingRate);
        }
        List<Double> edges = new ArrayList<>();
        for (int q = 0; q <= BINS; q++) {
            double edge = present[(int) Math.min(present.length - 1, Math.floor((double) q * (present.length - 1) / BINS))];
            if (edges.isEmpty() || edge > edges.get(edges.size() - 1)) {
                edges.add(edge);
            }
        }
        if (edges.size() == 1) {
            edges.add(Math.nextUp(edges.get(0)));
        }
        long[] counts = new long[edges.size() - 1];
        for (double v : present) {
            int bin = 0;
            while (bin < counts.length - 1 && v >= edges.get(bin + 1)) {
                bin++;
            }
            counts[bin]++;
        }
        List<Double> proportions = new ArrayList<>();
        for (long c : counts) {
            proportions.add((double) c / present.length);
        }
        return new FeatureProfile(name, edges, proportions, null, missingRate);
    }
}
