package health.vigil.monitoring;

import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.PredictionRecord;
import health.vigil.model.SegmentColumns;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Breaks the labelled part of a window down by segment: one {@link LabelledSummary} per value of each segment column
 * the prediction log records, as a model input or, for a categorical input the feature pipeline one-hot encodes,
 * as its indicator columns ({@code race=Caucasian}, {@code race=Other}...), from which the category is read back. Memory is bounded by columns times {@value #MAX_VALUES} values times the
 * summary's bins: values past the first {@value #MAX_VALUES} of a column are pooled as {@value #OTHER}.
 */
final class MonitoringSegments {
    static final int MAX_VALUES = 32;
    static final String MISSING = "(missing)";
    static final String OTHER = "(other)";

    private final double threshold;
    private final List<String> names = new ArrayList<>();
    private final List<Integer> indices = new ArrayList<>();
    /** Per column read back from one-hot indicators: their input indices and categories; null for a plain input. */
    private final List<int[]> oneHotIndices = new ArrayList<>();
    private final List<String[]> oneHotValues = new ArrayList<>();
    private final List<Boolean> ages = new ArrayList<>();
    private final List<List<String>> categories = new ArrayList<>();
    private final List<Map<String, LabelledSummary>> summaries = new ArrayList<>();
    private final List<String> unlogged = new ArrayList<>();

    MonitoringSegments(SegmentColumns columns, List<String> inputColumns, FeatureSchema schema, double threshold) {
        this.threshold = threshold;
        for (String column : columns.columns()) {
            int index = inputColumns.indexOf(column);
            List<Integer> indicators = new ArrayList<>();
            if (index < 0) {
                for (int i = 0; i < inputColumns.size(); i++) {
                    if (inputColumns.get(i).startsWith(column + "=")) {
                        indicators.add(i);
                    }
                }
                if (indicators.isEmpty()) {
                    unlogged.add(column);
                    continue;
                }
            }
            names.add(column);
            indices.add(index);
            oneHotIndices.add(index >= 0 ? null : indicators.stream().mapToInt(Integer::intValue).toArray());
            oneHotValues.add(index >= 0 ? null : indicators.stream()
                    .map(i -> inputColumns.get(i).substring(column.length() + 1)).toArray(String[]::new));
            ages.add(column.equals(columns.ageColumn()));
            categories.add(schema.features().stream().filter(f -> f.name().equals(column)).findFirst()
                    .map(Feature::categories).orElse(null));
            summaries.add(new LinkedHashMap<>());
        }
    }

    /** Segment columns the prediction log does not record: they cannot be broken down. */
    List<String> unlogged() {
        return List.copyOf(unlogged);
    }

    void add(PredictionRecord record, boolean positive) {
        float[] features = record.features();
        for (int c = 0; c < names.size(); c++) {
            int index = indices.get(c);
            String value = index < 0 ? oneHotValue(features, oneHotIndices.get(c), oneHotValues.get(c))
                    : index < features.length ? valueOf(features[index], ages.get(c), categories.get(c)) : MISSING;
            Map<String, LabelledSummary> byValue = summaries.get(c);
            if (!byValue.containsKey(value) && !value.equals(MISSING) && named(byValue) >= MAX_VALUES) {
                value = OTHER;
            }
            byValue.computeIfAbsent(value, v -> new LabelledSummary(threshold)).add(record.score(), positive);
        }
    }

    private static long named(Map<String, LabelledSummary> byValue) {
        return byValue.size() - (byValue.containsKey(MISSING) ? 1 : 0) - (byValue.containsKey(OTHER) ? 1 : 0);
    }

    /** Every segment seen, by column then in order of first appearance, judged by {@code minLabelled}. */
    List<SegmentPerformance> performance(long minLabelled) {
        List<SegmentPerformance> out = new ArrayList<>();
        for (int c = 0; c < names.size(); c++) {
            String column = names.get(c);
            summaries.get(c).forEach((value, summary) -> out.add(SegmentPerformance.of(column, value, summary,
                    minLabelled)));
        }
        return out;
    }

    /**
     * The category whose indicator is set; {@value #OTHER} when none is (a category the pipeline did not know) or
     * more than one is; {@value #MISSING} when the indicators were not logged.
     */
    static String oneHotValue(float[] features, int[] indicators, String[] values) {
        String found = null;
        for (int k = 0; k < indicators.length; k++) {
            int i = indicators[k];
            if (i >= features.length || Float.isNaN(features[i])) {
                return MISSING;
            }
            if (features[i] == 1f) {
                if (found != null) {
                    return OTHER;
                }
                found = values[k];
            }
        }
        return found == null ? OTHER : found;
    }

    /** A logged value as the gates name its segment: a decade band for age, a category's name, else the number. */
    static String valueOf(float x, boolean age, List<String> categories) {
        if (Float.isNaN(x)) {
            return MISSING;
        }
        if (age) {
            int decade = (int) Math.floor(x / 10) * 10;
            return decade + "-" + (decade + 9);
        }
        if (categories != null) {
            int code = (int) x;
            return code == x && code >= 0 && code < categories.size() ? categories.get(code) : OTHER;
        }
        return x == Math.rint(x) && Math.abs(x) < 1e9 ? Long.toString((long) x) : Float.toString(x);
    }
}
