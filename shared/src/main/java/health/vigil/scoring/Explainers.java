package health.vigil.scoring;

import health.vigil.explain.ClinicalExplainer;
import health.vigil.explain.FeatureMapping;
import health.vigil.explain.TreeShap;
import health.vigil.features.FeaturePipeline;
import health.vigil.model.ModelStructure;
import health.vigil.model.TreeEnsemble;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Builds the explainer of a loaded model: exact TreeSHAP for a tree ensemble, mapped back to the clinical
 * features of its pipeline. A pipeline's columns are grouped under the raw feature they come from by their
 * names ({@code feature=category} one-hot columns, {@code feature_missing} indicators, {@code feature_group=…}
 * derived groups); derived columns with names of their own (a computed eGFR, prior visits) stand as features.
 */
final class Explainers {
    /** How many factors an explanation lists first. */
    static final int TOP_FACTORS = 5;

    private Explainers() {}

    /** The explainer for a model, or empty when its structure is unknown or is not one Vigil explains at serving time. */
    static Optional<ClinicalExplainer> forModel(Optional<ModelStructure> structure, FeaturePipeline pipeline) {
        if (structure.isEmpty() || structure.get().featureCount() != pipeline.width()) {
            return Optional.empty();
        }
        if (structure.get() instanceof TreeEnsemble trees) {
            return Optional.of(new ClinicalExplainer(new TreeShap(trees), mapping(pipeline), TOP_FACTORS));
        }
        // SHAP of a linear model needs each column's background mean, which packages do not carry yet.
        return Optional.empty();
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
