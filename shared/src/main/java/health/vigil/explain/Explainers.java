package health.vigil.explain;

import health.vigil.features.FeaturePipeline;
import health.vigil.model.LinearModel;
import health.vigil.model.ModelStructure;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.TreeEnsemble;
import health.vigil.text.Words;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
        return find(structure, pipeline, reference).explainer();
    }

    /**
     * The explainer {@link #forModel} gives, or, when there is none, why, in words the model's author can act on
     * (column names, never a value).
     */
    public record Found(Optional<ClinicalExplainer> explainer, String whyNone) {
        public Found {
            Objects.requireNonNull(explainer, "explainer");
        }
    }

    public static Found find(Optional<ModelStructure> structure, FeaturePipeline pipeline,
            Optional<ReferenceProfile> reference) {
        if (structure.isEmpty()) {
            return none("model.onnx is neither a tree ensemble (ai.onnx.ml TreeEnsembleClassifier) nor a logistic"
                    + " regression (ai.onnx.ml LinearClassifier with post_transform LOGISTIC, optionally behind an"
                    + " Imputer), the two forms whose predictions Vigil explains");
        }
        if (structure.get().featureCount() != pipeline.width()) {
            return none("model.onnx reads " + structure.get().featureCount() + " inputs but feature pipeline '"
                    + pipeline.id() + "' gives " + pipeline.width());
        }
        if (structure.get() instanceof TreeEnsemble trees) {
            return new Found(Optional.of(new ClinicalExplainer(new TreeShap(trees), mapping(pipeline), TOP_FACTORS)), null);
        }
        if (structure.get() instanceof LinearModel linear) {
            if (reference.isEmpty()) {
                return none("model.onnx is a logistic regression, but the package has no reference.json that reads:"
                        + " its explanations measure each input against the training mean the profile gives");
            }
            Map<String, Double> profiled = means(reference.get());
            List<String> unprofiled = pipeline.columns().stream().filter(c -> !profiled.containsKey(c)).toList();
            if (!unprofiled.isEmpty()) {
                return none("model.onnx is a logistic regression, but reference.json gives no mean for "
                        + Words.count(unprofiled.size(), "input column") + " (" + String.join(", ",
                                unprofiled.subList(0, Math.min(5, unprofiled.size())))
                        + (unprofiled.size() > 5 ? ", ..." : "") + "): its explanations measure each input against"
                        + " its training mean, so profile every column with its mean");
            }
            double[] means = pipeline.columns().stream().mapToDouble(profiled::get).toArray();
            return new Found(Optional.of(new ClinicalExplainer(new ImputingLinearShap(linear, means), mapping(pipeline),
                    TOP_FACTORS)), null);
        }
        return none("model.onnx's structure is not one Vigil explains");
    }

    private static Found none(String why) {
        return new Found(Optional.empty(), why);
    }

    /** The training mean of each column the profile gives one for, by column name. */
    private static Map<String, Double> means(ReferenceProfile reference) {
        Map<String, Double> byName = new java.util.HashMap<>();
        for (ReferenceProfile.FeatureProfile profile : reference.features()) {
            if (profile.mean() != null) {
                byName.put(profile.name(), profile.mean());
            }
        }
        return byName;
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
