package health.vigil.monitoring;

import health.vigil.features.FeaturePipeline;
import health.vigil.features.SegmentValues;
import health.vigil.model.PredictionRecord;
import health.vigil.model.SegmentColumns;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

/**
 * Breaks the labelled part of a window down by segment: one {@link LabelledSummary} per value of each segment column,
 * named and defined as the gates define it on the evaluation dataset ({@link SegmentValues}). What the prediction log
 * keeps of a request is its model inputs, so a column's value is read back from them: a request field through the
 * feature pipeline ({@code race} from its one-hot and missingness indicators, {@code gender} Female, Male or missing,
 * {@code age_band} from its score), {@code age_group} and {@code sex_group} derived from the age and sex fields read
 * back so, or a model input itself ({@code age_years}). Memory is bounded by columns times {@value #MAX_VALUES} values
 * times the summary's bins: values past the first {@value #MAX_VALUES} of a column are pooled as {@value #OTHER}.
 */
final class MonitoringSegments {
    static final int MAX_VALUES = 32;
    static final String MISSING = SegmentValues.MISSING;
    static final String OTHER = "(other)";

    private final double threshold;
    private final List<Column> columns = new ArrayList<>();
    private final List<String> unlogged = new ArrayList<>();

    /** One segment column, the segment of a logged prediction's inputs, and its summaries by value. */
    private record Column(String name, Function<float[], String> segment, Map<String, LabelledSummary> byValue) {

        /** The summary of {@code value}, created on first sight; past {@value #MAX_VALUES} named values, the pool's. */
        LabelledSummary summaryOf(String value, double threshold) {
            long named = byValue.size() - (byValue.containsKey(MISSING) ? 1 : 0) - (byValue.containsKey(OTHER) ? 1 : 0);
            String kept = !byValue.containsKey(value) && !value.equals(MISSING) && named >= MAX_VALUES ? OTHER : value;
            return byValue.computeIfAbsent(kept, v -> new LabelledSummary(threshold));
        }
    }

    MonitoringSegments(SegmentColumns segmentColumns, FeaturePipeline pipeline, double threshold) {
        this.threshold = threshold;
        SegmentValues values = new SegmentValues(segmentColumns, pipeline.rawSchema());
        List<String> inputColumns = pipeline.columns();
        for (String column : segmentColumns.columns()) {
            Optional<String> source = values.source(column);
            Optional<Function<float[], Object>> reader = source.flatMap(pipeline::readBack);
            int index = inputColumns.indexOf(column);
            Function<float[], String> segment;
            if (reader.isPresent()) {
                String field = source.get();
                segment = inputs -> values.valueOf(column, Collections.singletonMap(field, reader.get().apply(inputs)));
            } else if (source.isEmpty() && index >= 0) {
                // A column the pipeline computes (age_years), segmented as the dataset's cell of that name would be.
                segment = inputs -> values.valueOf(column, Collections.singletonMap(column,
                        index >= inputs.length || Float.isNaN(inputs[index]) ? null : (double) inputs[index]));
            } else {
                unlogged.add(column);
                continue;
            }
            columns.add(new Column(column, segment, new LinkedHashMap<>()));
        }
    }

    /** Segment columns whose values the logged model inputs do not give: they cannot be broken down. */
    List<String> unlogged() {
        return List.copyOf(unlogged);
    }

    void add(PredictionRecord record, boolean positive) {
        float[] features = record.features();
        for (Column column : columns) {
            column.summaryOf(column.segment().apply(features), threshold).add(record.score(), positive);
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

    /** Every segment seen, by column then in order of first appearance, judged by the policy's minimums. */
    List<SegmentPerformance> performance(MonitoringPolicy policy) {
        List<SegmentPerformance> out = new ArrayList<>();
        for (Column column : columns) {
            column.byValue().forEach((value, summary) -> out.add(SegmentPerformance.of(column.name(), value, summary,
                    policy)));
        }
        return out;
    }
}
