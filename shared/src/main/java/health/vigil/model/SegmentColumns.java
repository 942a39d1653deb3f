package health.vigil.model;

import java.util.List;

/**
 * The columns a model's segments are judged by: the ones its gates judge (its evaluation dataset's age and sex columns
 * and declared segments), which shadow comparisons and monitoring's realised performance break down by too. The age
 * column's numeric values are banded by decade, as the gates band them. A column the data does not carry gives no
 * segment.
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
