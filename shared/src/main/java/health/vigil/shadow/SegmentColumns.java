package health.vigil.shadow;

import java.util.List;

/**
 * The columns a model's segments are judged by (the gates' evaluation dataset names them: age, sex and any declared
 * one) and which of them is the age, whose numeric values are grouped in ten-year bands as the gates group them.
 * A column the scoring request does not carry gives no segment.
 */
public record SegmentColumns(String ageColumn, List<String> columns) {
    public static final SegmentColumns NONE = new SegmentColumns(null, List.of());

    public SegmentColumns {
        columns = columns == null ? List.of() : List.copyOf(columns);
    }
}
