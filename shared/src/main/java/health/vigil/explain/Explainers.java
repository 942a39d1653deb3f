package health.vigil.explain;

import health.vigil.features.FeaturePipeline;
import health.vigil.model.LinearModel;
import health.vigil.model.ModelStructure;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.TreeEnsemble;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Builds the explainer of a loaded model: exact TreeSHAP for a tree ensemble or linear SHAP for a logistic
 * regression, mapped back to the clinical
 * features of its pipeline. A pipeline's columns are grouped under the raw feature they come from by their
 * names ({@code feature=category} one-hot columns, {@code feature_missing} indicators, {@code feature_group=…}
 * derived groups); derived columns with names of their own (a computed eGFR, prior visits) stand as features.
 */
public final class Explainers {
    /** How many factors an explanation lists first. */
    public static final int TOP_FACTORS = 5;

    private Explainers() {}

    /**
     * The explainer for a model: TreeSHAP for a tree ensemble; for a logistic regression, exact linear SHAP
     * measured from the training data's column means in {@code reference} (empty without them). Empty also
     * when the structure is unknown or does not fit the pipeline.
     */
    public static Optional<ClinicalExplainer> forModel(Optional<ModelStructure> structure, FeaturePipeline pipeline,
            Optional<ReferenceProfile> reference) {
        if (structure.isEmpty() || structure.get().featureCount() != pipeline.width()) {
            return Optional.empty();
        }
        if (structure.get() instanceof TreeEnsemble trees) {
            return Optional.of(new ClinicalExplainer(new TreeShap(trees), mapping(pipeline), TOP_FACTORS));
        }
        if (structure.get() instanceof LinearModel linear) {
            return reference.flatMap(r -> means(r, pipeline.columns()))
                    .map(means -> new ClinicalExplainer(new ImputingLinearShap(linear, means), mapping(pipeline), TOP_FACTORS));
        }
        return Optional.empty();
    }

    /** Each column's training mean, in column order; empty unless the profile has one for every column. */
    static Optional<double[]> means(ReferenceProfile reference, List<String> columns) {
        Map<String, Double> byName = new java.util.HashMap<>();
        for (ReferenceProfile.FeatureProfile profile : reference.features()) {
            if (profile.mean() != null) {
                byName.put(profile.name(), profile.mean());
            }
        }
        double[] means = new double[columns.size()];
        for (int i = 0; i < means.length; i++) {
            Double mean = byName.get(columns.get(i));
            if (mean == null) {
                return Optional.empty();
            }
            means[i] = mean;
        }
        return Optional.of(means);
    }

    /**
     * Linear SHAP on the inputs the model actually combines: a missing value is first replaced as the model's
     * own imputer replaces it. The baseline is the margin at the training means (of the values that were present).
     */
    static final class ImputingLinearShap implements MarginExplainer {
        private final LinearShap shap;
        private final double[] replacements;

        ImputingLinearShap(LinearModel model, double[] means) {
            this.shap = new LinearShap(model.weights(), model.intercept(), means);
            this.replacements = model.missingReplacements();
        }

        @Override
        public int featureCount() {
            return shap.featureCount();
        }

        @Override
        public double expectedMargin() {
            return shap.expectedMargin();
        }

        @Override
        public double explain(double[] row, double[] out) {
            double[] x = row;
            if (replacements != null) {
                x = row.clone();
                for (int i = 0; i < x.length; i++) {
                    if (Double.isNaN(x[i])) {
                        x[i] = replacements[i];
                    }
                }
            }
            return shap.explain(x, out);
        }
    }

    static FeatureMapping mapping(FeaturePipeline pipeline) {
        Set<String> raw = Set.copyOf(pipeline.rawSchema().names());
        Map<String, List<String>> groups = new LinkedHashMap<>();
        for (String column : pipeline.columns()) {
            String owner = owner(column, raw);
            if (owner != null && !owner.equals(column)) {
                groups.computeIfAbsent(owner, k -> new ArrayList<>()).add(column);
            }
        }
        // A raw feature that is also a column of its own joins its group.
        for (Map.Entry<String, List<String>> group : groups.entrySet()) {
            if (pipeline.columns().contains(group.getKey())) {
                group.getValue().add(0, group.getKey());
            }
        }
        return FeatureMapping.of(pipeline, groups);
    }

    private static String owner(String column, Set<String> raw) {
        String base = column;
        int equals = base.indexOf('=');
        if (equals > 0) {
            base = base.substring(0, equals);
        }
        for (String suffix : new String[] {"_missing", "_group"}) {
            if (base.endsWith(suffix) && raw.contains(base.substring(0, base.length() - suffix.length()))) {
                return base.substring(0, base.length() - suffix.length());
            }
        }
        return raw.contains(base) ? base : null;
    }
}
