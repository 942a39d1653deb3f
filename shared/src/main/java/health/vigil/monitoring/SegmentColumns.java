package health.vigil.monitoring;

import java.util.List;

/**
 * The columns a model's realised performance is broken down by: the ones its gates judge segments by (its evaluation
 * dataset's age and sex columns and declared segments). The age column is banded by decade, as the gates band it.
 *
 * @param ageColumn the age column, or null
 * @param columns every segment column, the age column included
 */
public record SegmentColumns(String ageColumn, List<String> columns) {
    public static final SegmentColumns NONE = new SegmentColumns(null, List.of());

    public SegmentColumns {
        columns = columns == null ? List.of() : List.copyOf(columns);
    }
}
