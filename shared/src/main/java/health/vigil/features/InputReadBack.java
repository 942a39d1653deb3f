package health.vigil.features;

import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Reads a request field back from the model inputs a pipeline computed from it, where they give it exactly: a
 * category from its one-hot indicators (the one category without an indicator when none is set) or from its score
 * per category, a number or a flag from its value column, a missing value from its missingness indicator. This is
 * how what the prediction log keeps of a request (its model inputs) is segmented like the request itself.
 */
final class InputReadBack {
    private InputReadBack() {}

    /** A field of the identity pipeline: the input at the field's position, decoded as the pipeline encoded it. */
    static Optional<Function<float[], Object>> identity(FeatureSchema schema, String field) {
        return schema.indexOf(field).map(i -> {
            Feature feature = schema.get(i);
            return inputs -> i < inputs.length ? typed(feature, inputs[i]) : null;
        });
    }

    /** A field of a defined pipeline, when its columns determine it. */
    static Optional<Function<float[], Object>> defined(FeatureSchema schema, List<Column> definition, String field) {
        Optional<Integer> position = schema.indexOf(field);
        if (position.isEmpty()) {
            return Optional.empty();
        }
        Feature feature = schema.get(position.get());
        int missing = -1;
        int value = -1;
        int score = -1;
        Map<String, Integer> indicators = new LinkedHashMap<>();
        for (int i = 0; i < definition.size(); i++) {
            Column column = definition.get(i);
            if (column instanceof Columns.MissingIndicator m && m.source().equals(field)) {
                missing = i;
            } else if (column instanceof Columns.CategoryIndicator c && c.source().equals(field)) {
                indicators.put(c.category(), i);
            } else if (column instanceof Columns.RawValue r && r.source().equals(field) && value < 0) {
                value = i;
            } else if (column instanceof Columns.CategoryScore s && s.source().equals(field) && score < 0) {
                score = i;
            }
        }
        // Without an indicator, a missing optional value looks like its fill (or like a category without a column).
        boolean missingKnown = feature.required() || missing >= 0;
        int missingAt = missing;
        return switch (feature.type()) {
            case CATEGORICAL -> categorical(feature, definition, indicators, score, missingAt, missingKnown);
            case NUMERIC, INTEGER, BOOLEAN -> {
                int at = value;
                yield at < 0 || !missingKnown ? Optional.empty() : Optional.of(inputs -> isSet(inputs, missingAt)
                        || at >= inputs.length ? null : typed(feature, inputs[at]));
            }
            case CODE -> Optional.empty();
        };
    }

    private static Optional<Function<float[], Object>> categorical(Feature feature, List<Column> definition,
            Map<String, Integer> indicators, int score, int missing, boolean missingKnown) {
        List<String> without = new ArrayList<>(feature.categories());
        without.removeAll(indicators.keySet());
        // Every category with its indicator: none set means missing, whether or not an indicator says so.
        if (!indicators.isEmpty() && (without.isEmpty() || without.size() == 1 && missingKnown)) {
            String rest = without.isEmpty() ? null : without.get(0);
            return Optional.of(inputs -> {
                if (isSet(inputs, missing)) {
                    return null;
                }
                for (Map.Entry<String, Integer> indicator : indicators.entrySet()) {
                    if (isSet(inputs, indicator.getValue())) {
                        return indicator.getKey();
                    }
                }
                return rest;
            });
        }
        if (score >= 0 && missingKnown) {
            Columns.CategoryScore scored = (Columns.CategoryScore) definition.get(score);
            Map<Float, String> byScore = new HashMap<>();
            for (Map.Entry<String, Double> entry : scored.scores().entrySet()) {
                if (byScore.put(entry.getValue().floatValue(), entry.getKey()) != null) {
                    return Optional.empty();
                }
            }
            return Optional.of(inputs -> isSet(inputs, missing) || score >= inputs.length ? null
                    : byScore.get(inputs[score]));
        }
        return Optional.empty();
    }

    private static boolean isSet(float[] inputs, int column) {
        return column >= 0 && column < inputs.length && inputs[column] == 1f;
    }

    /** An input as the request's value: NaN (and a category code that is none) is missing. */
    static Object typed(Feature feature, float x) {
        if (Float.isNaN(x)) {
            return null;
        }
        return switch (feature.type()) {
            case NUMERIC -> (double) x;
            case INTEGER -> Math.round((double) x);
            case BOOLEAN -> x == 1f;
            case CATEGORICAL -> x == Math.rint(x) && x >= 0 && x < feature.categories().size()
                    ? feature.categories().get((int) x) : null;
            case CODE -> null;
        };
    }
}
