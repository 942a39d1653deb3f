package health.vigil.monitoring;

import health.vigil.statistics.Checks;
import health.vigil.error.PackageRejectedException;
import health.vigil.error.PackageRejectedException.Reason;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.hash.Sha256;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What production is compared against: a model's reference profile checked against the model's input columns
 * and compiled into flat arrays for one-pass binning. Its {@link #fingerprint()} identifies the bins, so
 * summaries built against different references are never merged. Registration can call {@link #compile} to
 * reject a package whose {@code reference.json} does not fit its manifest.
 *
 * <p>A profile names an input column as the prediction log records it ({@code PredictionRecord.features}):
 * for the identity pipeline the manifest's features, for any other feature pipeline that pipeline's columns
 * ({@code FeaturePipelines.standard().forManifest(manifest).columns()}), which is what training profiles.
 * A column named like a raw feature carries that feature as the identity pipeline encodes it; any other
 * column is a number the pipeline derived, profiled by bins or, when it only takes 0 and 1, by the
 * {@link ReferenceBinning#BOOLEAN_CATEGORIES} (the convention of {@link ReferenceBinning}).
 */
public final class DriftBaseline {
    /** Reference shares may be rounded when written; beyond this they do not describe a distribution. */
    private static final double SHARE_SUM_TOLERANCE = 1e-3;

    /** How one monitored input is binned. */
    enum Kind {
        NUMERIC,
        CATEGORICAL
    }

    /**
     * One monitored input column (or the score). Numeric: {@code edges} are k+1 edges and {@code shares} k
     * reference shares. Categorical: {@code categories} in code order and {@code shares} one per category plus a
     * last share (0) for codes that are not categories. {@code referenceRows} counts non-missing reference rows,
     * {@code referenceTotalRows} all of them.
     */
    record Entry(String name, int column, Kind kind, double[] edges, List<String> categories, double[] shares,
            double referenceRows, long referenceTotalRows, double referenceMissingRate) {
        int bins() {
            return shares.length;
        }
    }

    private final List<Entry> entries;
    private final Entry score;
    private final int width;
    private final double threshold;
    private final List<String> unmonitored;
    private final String fingerprint;

    private DriftBaseline(List<Entry> entries, Entry score, int width, double threshold, List<String> unmonitored) {
        this.entries = List.copyOf(entries);
        this.score = score;
        this.width = width;
        this.threshold = threshold;
        this.unmonitored = List.copyOf(unmonitored);
        this.fingerprint = computeFingerprint();
    }

    /**
     * The baseline of a model on the identity pipeline, whose input columns are its schema's features in
     * order: {@link #compile(FeatureSchema, List, ReferenceProfile, double)} with {@code schema.names()}.
     */
    public static DriftBaseline compile(FeatureSchema schema, ReferenceProfile reference, double threshold) {
        if (schema == null) {
            throw new ValidationException("a drift baseline needs the model's feature schema and reference profile");
        }
        return compile(schema, schema.names(), reference, threshold);
    }

    /**
     * Checks the reference against the model's input columns and compiles it. An input column without a profile
     * is not monitored (and listed as such in every report); a profile that names no input column, or does not
     * fit its column's type, rejects the package.
     *
     * @param schema the manifest's (raw) features, which give the type of a column named like one of them
     * @param inputColumns the model's input columns in order, as the prediction log records them
     * @param threshold the model's decision threshold (a score at or above it is flagged)
     */
    public static DriftBaseline compile(FeatureSchema schema, List<String> inputColumns, ReferenceProfile reference,
            double threshold) {
        if (schema == null || inputColumns == null || reference == null) {
            throw new ValidationException("a drift baseline needs the model's feature schema, input columns and"
                    + " reference profile");
        }
        if (!(threshold > 0 && threshold < 1)) {
            throw new ValidationException("the decision threshold must be between 0 and 1 (exclusive)");
        }
        Map<String, Integer> positions = new HashMap<>();
        for (int i = 0; i < inputColumns.size(); i++) {
            if (positions.put(inputColumns.get(i), i) != null) {
                throw new ValidationException("the model's input column '" + inputColumns.get(i) + "' is listed twice");
            }
        }
        Map<String, FeatureProfile> profiles = new HashMap<>();
        for (FeatureProfile p : reference.features()) {
            // A name that is no input column is the package's text and is repeated only when it is a plain name; one
            // that is an input column is the model's own and is named as it is.
            if (!positions.containsKey(p.name())) {
                throw rejected("reference.json profiles feature " + Json.quotedName(p.name()) + ", which is not one of"
                        + " the model's input columns (the manifest's features, or its feature pipeline's columns)");
            }
            if (profiles.put(p.name(), p) != null) {
                throw rejected("reference.json profiles feature '" + p.name() + "' twice");
            }
        }
        List<Entry> entries = new ArrayList<>();
        List<String> unmonitored = new ArrayList<>();
        for (int i = 0; i < inputColumns.size(); i++) {
            String name = inputColumns.get(i);
            FeatureProfile profile = profiles.get(name);
            double presentRows = profile == null ? 0 : reference.rows() * (1 - profile.missingRate());
            if (profile == null || presentRows <= 0) {
                unmonitored.add(name);
                continue;
            }
            entries.add(entry(name, schema.indexOf(name).map(schema::get).orElse(null), i, profile, reference.rows()));
        }
        Entry score = null;
        if (reference.score() != null) {
            FeatureProfile p = reference.score();
            if (p.binEdges() == null) {
                throw rejected("reference.json's score profile has no bin edges; the score is profiled like a"
                        + " numeric feature");
            }
            score = numeric("score", -1, p, reference.scoreSampleRows());
        }
        return new DriftBaseline(entries, score, inputColumns.size(), threshold, unmonitored);
    }

    /** @param feature the raw feature the column carries, or null for a column the pipeline derived */
    private static Entry entry(String name, Feature feature, int column, FeatureProfile profile, long rows) {
        boolean hasEdges = profile.binEdges() != null;
        boolean hasCategories = profile.categoryFrequencies() != null;
        if (hasEdges == hasCategories) {
            throw rejected("reference.json's profile of '" + name + "' must have either bin edges or"
                    + " category frequencies (exactly one of them)");
        }
        if (hasEdges) {
            if (feature != null && feature.type() == FeatureType.CATEGORICAL) {
                throw rejected("reference.json's profile of categorical feature '" + name
                        + "' has bin edges; give its category frequencies instead");
            }
            return numeric(name, column, profile, rows);
        }
        List<String> categories;
        if (feature == null || feature.type() == FeatureType.BOOLEAN) {
            // Booleans and derived 0/1 columns reach the model as 0 and 1.
            categories = ReferenceBinning.BOOLEAN_CATEGORIES;
        } else if (feature.type() == FeatureType.CATEGORICAL) {
            categories = feature.categories();
        } else {
            throw rejected("reference.json's profile of " + feature.type().wireName() + " feature '"
                    + name + "' has category frequencies; numeric features need bin edges");
        }
        Map<String, Double> frequencies = profile.categoryFrequencies();
        for (String key : frequencies.keySet()) {
            if (!categories.contains(key)) {
                throw rejected("reference.json's profile of '" + name + "' has a frequency for category '"
                        + key + "', which the " + (feature == null ? "column (a 0/1 column's categories are false and"
                        + " true)" : "feature") + " does not list");
            }
        }
        double[] shares = new double[categories.size() + 1];
        for (int c = 0; c < categories.size(); c++) {
            Double f = frequencies.get(categories.get(c));
            shares[c] = f == null ? 0.0 : f;
        }
        return new Entry(name, column, Kind.CATEGORICAL, null, categories,
                normalised(name, shares), rows * (1 - profile.missingRate()), rows, profile.missingRate());
    }

    private static Entry numeric(String name, int column, FeatureProfile profile, long rows) {
        double[] edges = profile.binEdges().stream().mapToDouble(Double::doubleValue).toArray();
        if (edges.length < 2) {
            throw rejected("reference.json's profile of '" + name + "' has " + edges.length + " bin edge(s); a bin"
                    + " needs two");
        }
        for (double e : edges) {
            if (!Double.isFinite(e)) {
                throw rejected("reference.json's profile of '" + name + "' has a bin edge that is not a finite number");
            }
        }
        if (!Double.isFinite(edges[edges.length - 1] - edges[0])) {
            // Each drift distance sums bin widths: past this, every check of the feature would overflow.
            throw rejected("reference.json's profile of '" + name + "' has its first and last bin edges too far apart"
                    + " to measure (their distance is beyond the largest double, about 1.8e308); bin the feature over"
                    + " the range its values take");
        }
        double[] shares = profile.proportions().stream().mapToDouble(Double::doubleValue).toArray();
        return new Entry(name, column, Kind.NUMERIC, edges, null, normalised(name, shares),
                rows * (1 - profile.missingRate()), rows, profile.missingRate());
    }

    private static double[] normalised(String name, double[] shares) {
        double sum = 0;
        for (double s : shares) {
            if (!(s >= 0) || Double.isInfinite(s)) {
                throw rejected("reference.json's profile of '" + name + "' has a proportion that is negative or not"
                        + " a number");
            }
            sum += s;
        }
        if (Math.abs(sum - 1) > SHARE_SUM_TOLERANCE) {
            throw rejected("reference.json's proportions for '" + name + "' sum to " + sum + "; they must sum to 1");
        }
        double[] out = new double[shares.length];
        for (int i = 0; i < shares.length; i++) {
            out[i] = shares[i] / sum;
        }
        return out;
    }

    private static PackageRejectedException rejected(String message) {
        return new PackageRejectedException(Reason.MALFORMED_REFERENCE, message);
    }

    private String computeFingerprint() {
        StringBuilder text = new StringBuilder("width=").append(width).append(";threshold=").append(threshold);
        for (Entry e : entries) {
            describe(text, e);
        }
        if (score != null) {
            describe(text, score);
        }
        return Sha256.hex(text.toString());
    }

    private static void describe(StringBuilder text, Entry e) {
        text.append(";").append(e.name()).append("@").append(e.column()).append(":").append(e.kind());
        if (e.edges() != null) {
            for (double edge : e.edges()) {
                text.append(",").append(edge);
            }
        } else {
            text.append(",").append(String.join("|", e.categories()));
        }
    }

    List<Entry> entries() {
        return entries;
    }

    Entry score() {
        return score;
    }

    /** Values per production row: the model's input column count. */
    public int width() {
        return width;
    }

    public double threshold() {
        return threshold;
    }

    /** Input columns the reference does not profile (or that were always missing in training). */
    public List<String> unmonitored() {
        return unmonitored;
    }

    /** sha256 over the bins, categories, columns and threshold: equal fingerprints mean mergeable summaries. */
    public String fingerprint() {
        return fingerprint;
    }
}
