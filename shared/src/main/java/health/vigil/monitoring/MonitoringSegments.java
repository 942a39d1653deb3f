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
    private final List<Column> columns = new ArrayList<>();
    private final List<String> unlogged = new ArrayList<>();

    /**
     * One segment column and its summaries by value. It is read from the input at {@code index}, or, when that is
     * -1, back from the one-hot {@code indicators} whose categories are {@code indicatorValues}.
     */
    private record Column(String name, int index, boolean age, List<String> categories, int[] indicators,
            String[] indicatorValues, Map<String, LabelledSummary> byValue) {

        String valueIn(float[] features) {
            if (index < 0) {
                return oneHotValue(features, indicators, indicatorValues);
            }
            return index < features.length ? valueOf(features[index], age, categories) : MISSING;
        }

        /** The summary of {@code value}, created on first sight; past {@value #MAX_VALUES} named values, the pool's. */
        LabelledSummary summaryOf(String value, double threshold) {
            long named = byValue.size() - (byValue.containsKey(MISSING) ? 1 : 0) - (byValue.containsKey(OTHER) ? 1 : 0);
            String kept = !byValue.containsKey(value) && !value.equals(MISSING) && named >= MAX_VALUES ? OTHER : value;
            return byValue.computeIfAbsent(kept, v -> new LabelledSummary(threshold));
        }
    }

    MonitoringSegments(SegmentColumns segmentColumns, List<String> inputColumns, FeatureSchema schema,
            double threshold) {
        this.threshold = threshold;
        for (String column : segmentColumns.columns()) {
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
            columns.add(new Column(column, index, column.equals(segmentColumns.ageColumn()),
                    schema.features().stream().filter(f -> f.name().equals(column)).findFirst()
                            .map(Feature::categories).orElse(null),
                    indicators.stream().mapToInt(Integer::intValue).toArray(),
                    indicators.stream().map(i -> inputColumns.get(i).substring(column.length() + 1))
                            .toArray(String[]::new),
                    new LinkedHashMap<>()));
        }
    }

    /** Segment columns the prediction log does not record: they cannot be broken down. */
    List<String> unlogged() {
        return List.copyOf(unlogged);
    }

    void add(PredictionRecord record, boolean positive) {
        float[] features = record.features();
        for (Column column : columns) {
            column.summaryOf(column.valueIn(features), threshold).add(record.score(), positive);
        }
    }

    /** One segment's labelled summary as data, for a partition's partial check. */
    record Segment(String column, String value, LabelledSummary.Parts summary) {
        Segment {
            java.util.Objects.requireNonNull(column, "column");
            java.util.Objects.requireNonNull(value, "value");
            java.util.Objects.requireNonNull(summary, "summary");
        }
    }

    /** Every segment seen, by column then in order of first appearance. */
    List<Segment> segments() {
        List<Segment> out = new ArrayList<>();
        for (Column column : columns) {
            column.byValue().forEach((value, summary) -> out.add(new Segment(column.name(), value, summary.parts())));
        }
        return out;
    }

    /**
     * Adds the segments of another partition of the window, in their order, with the same pooling as {@link #add}:
     * merged in partition order they give what one pass over the partitions in that order gives.
     */
    void merge(List<Segment> segments) {
        for (Segment segment : segments) {
            Column column = columns.stream().filter(c -> c.name().equals(segment.column())).findFirst()
                    .orElseThrow(() -> new health.vigil.error.ValidationException("a partial check has segments of '"
                            + segment.column() + "', which this check does not break down by; merge only partials of"
                            + " one plan"));
            column.summaryOf(segment.value(), threshold).merge(LabelledSummary.of(segment.summary()));
        }
    }

    /** Every segment seen, by column then in order of first appearance, judged by {@code minLabelled}. */
    List<SegmentPerformance> performance(long minLabelled) {
        List<SegmentPerformance> out = new ArrayList<>();
        for (Column column : columns) {
            column.byValue().forEach((value, summary) -> out.add(SegmentPerformance.of(column.name(), value, summary,
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
