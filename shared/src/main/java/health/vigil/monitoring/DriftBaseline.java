package health.vigil.monitoring;

import health.vigil.error.PackageRejectedException;
import health.vigil.error.PackageRejectedException.Reason;
import health.vigil.error.ValidationException;
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
 * What production is compared against: a model's reference profile checked against its feature schema and
 * compiled into flat arrays for one-pass binning. Its {@link #fingerprint()} identifies the bins, so summaries
 * built against different references are never merged. Registration can call {@link #compile} to reject a
 * package whose {@code reference.json} does not fit its manifest.
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
     * One monitored feature (or the score). Numeric: {@code edges} are k+1 edges and {@code shares} k reference
     * shares. Categorical: {@code categories} in code order and {@code shares} one per category plus a last
     * share (0) for codes that are not categories. {@code referenceRows} counts non-missing reference rows,
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
     * Checks the reference against the schema and compiles it. A schema feature without a profile is not
     * monitored (and listed as such in every report); a profile that names no schema feature, or does not fit
     * its feature's type, rejects the package.
     *
     * @param threshold the model's decision threshold (a score at or above it is flagged)
     */
    public static DriftBaseline compile(FeatureSchema schema, ReferenceProfile reference, double threshold) {
        if (schema == null || reference == null) {
            throw new ValidationException("a drift baseline needs the model's feature schema and reference profile");
        }
        if (!(threshold > 0 && threshold < 1)) {
            throw new ValidationException("the decision threshold must be between 0 and 1 (exclusive)");
        }
        Map<String, FeatureProfile> profiles = new HashMap<>();
        for (FeatureProfile p : reference.features()) {
            if (profiles.put(p.name(), p) != null) {
                throw rejected("reference.json profiles feature '" + p.name() + "' twice");
            }
            if (schema.indexOf(p.name()).isEmpty()) {
                throw rejected("reference.json profiles feature '" + p.name() + "', which the manifest's feature"
                        + " schema does not list");
            }
        }
        List<Entry> entries = new ArrayList<>();
        List<String> unmonitored = new ArrayList<>();
        for (int i = 0; i < schema.size(); i++) {
            Feature feature = schema.get(i);
            FeatureProfile profile = profiles.get(feature.name());
            double presentRows = profile == null ? 0 : reference.rows() * (1 - profile.missingRate());
            if (profile == null || presentRows <= 0) {
                unmonitored.add(feature.name());
                continue;
            }
            entries.add(entry(feature, i, profile, reference.rows()));
        }
        Entry score = null;
        if (reference.score() != null) {
            FeatureProfile p = reference.score();
            if (p.binEdges() == null) {
                throw rejected("reference.json's score profile has no bin edges; the score is profiled like a"
                        + " numeric feature");
            }
            score = numeric("score", -1, p, reference.rows());
        }
        return new DriftBaseline(entries, score, schema.size(), threshold, unmonitored);
    }

    private static Entry entry(Feature feature, int column, FeatureProfile profile, long rows) {
        boolean hasEdges = profile.binEdges() != null;
        boolean hasCategories = profile.categoryFrequencies() != null;
        if (hasEdges == hasCategories) {
            throw rejected("reference.json's profile of '" + feature.name() + "' must have either bin edges or"
                    + " category frequencies (exactly one of them)");
        }
        if (hasEdges) {
            if (feature.type() == FeatureType.CATEGORICAL) {
                throw rejected("reference.json's profile of categorical feature '" + feature.name()
                        + "' has bin edges; give its category frequencies instead");
            }
            return numeric(feature.name(), column, profile, rows);
        }
        List<String> categories;
        if (feature.type() == FeatureType.CATEGORICAL) {
            categories = feature.categories();
        } else if (feature.type() == FeatureType.BOOLEAN) {
            categories = List.of("false", "true"); // booleans reach the model as 0 and 1
        } else {
            throw rejected("reference.json's profile of " + feature.type().wireName() + " feature '"
                    + feature.name() + "' has category frequencies; numeric features need bin edges");
        }
        Map<String, Double> frequencies = profile.categoryFrequencies();
        for (String key : frequencies.keySet()) {
            if (!categories.contains(key)) {
                throw rejected("reference.json's profile of '" + feature.name() + "' has a frequency for category '"
                        + key + "', which the feature does not list");
            }
        }
        double[] shares = new double[categories.size() + 1];
        for (int c = 0; c < categories.size(); c++) {
            Double f = frequencies.get(categories.get(c));
            shares[c] = f == null ? 0.0 : f;
        }
        return new Entry(feature.name(), column, Kind.CATEGORICAL, null, categories,
                normalised(feature.name(), shares), rows * (1 - profile.missingRate()), rows, profile.missingRate());
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

    /** Values per production row: the schema's feature count. */
    public int width() {
        return width;
    }

    public double threshold() {
        return threshold;
    }

    /** Schema features the reference does not profile (or that were always missing in training). */
    public List<String> unmonitored() {
        return unmonitored;
    }

    /** sha256 over the bins, categories, columns and threshold: equal fingerprints mean mergeable summaries. */
    public String fingerprint() {
        return fingerprint;
    }
}
