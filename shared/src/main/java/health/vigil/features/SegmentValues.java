package health.vigil.features;

import health.vigil.model.FeatureSchema;
import health.vigil.model.SegmentColumns;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one definition of the segment a clinical record falls into, for the columns a model's segments are judged by:
 * the gates apply it to the evaluation dataset's rows, monitoring to what the prediction log gives back of each
 * request, the shadow to the requests it mirrors, and training to the rows it evaluates and writes as held-out data,
 * so a segment has one meaning and one name everywhere. A segment column that is a field of the model's requests is
 * that field's value; {@code age_group} and {@code sex_group} are derived from the request's age ({@code age} in years,
 * or {@code age_band} by its band's midpoint) and sex ({@code sex} or {@code gender}) fields; any other column is the
 * dataset's own cell. The age column's numeric values are banded by decade ({@code 70-79}); a missing value is the
 * segment {@value #MISSING}.
 */
public final class SegmentValues {
    public static final String MISSING = "(missing)";
    public static final String AGE_GROUP = "age_group";
    public static final String SEX_GROUP = "sex_group";
    public static final List<String> AGE_GROUPS = List.of("<50", "50-69", "70-79", "80+");
    /** A record without a sex is {@code unknown}: a group of its own, never pooled with either sex. */
    public static final String UNKNOWN_SEX = "unknown";
    public static final List<String> SEX_GROUPS = List.of("Female", "Male", UNKNOWN_SEX);
    /** The request fields the derived columns are computed from, the first the schema has. */
    private static final List<String> AGE_FIELDS = List.of("age", "age_band");
    private static final List<String> SEX_FIELDS = List.of("sex", "gender");
    private static final Pattern BAND = Pattern.compile("\\[(\\d+)-(\\d+)\\)");

    private final String ageColumn;
    /** Per segment column, the request field its value is computed from; a column without one is absent. */
    private final Map<String, String> sources = new LinkedHashMap<>();

    public SegmentValues(SegmentColumns columns, FeatureSchema schema) {
        this.ageColumn = columns.ageColumn();
        List<String> fields = schema.names();
        for (String column : columns.columns()) {
            List<String> candidates = column.equals(AGE_GROUP) && !fields.contains(column) ? AGE_FIELDS
                    : column.equals(SEX_GROUP) && !fields.contains(column) ? SEX_FIELDS : List.of(column);
            candidates.stream().filter(fields::contains).findFirst().ifPresent(f -> sources.put(column, f));
        }
    }

    /**
     * The request field {@code column}'s segments are computed from (the column itself, or the age or sex field for
     * {@code age_group} and {@code sex_group}); empty when the model's requests carry none, and only a dataset's own
     * cells can give its value.
     */
    public Optional<String> source(String column) {
        return Optional.ofNullable(sources.get(column));
    }

    /**
     * The segment of a request in each segment column its fields give (each column with a {@link #source}), by
     * column: how a request is segmented where the request itself is at hand (the shadow's mirrored rows). A column
     * only a dataset has gives none.
     */
    public Map<String, String> segmentsOf(Map<String, Object> request) {
        Map<String, String> out = new LinkedHashMap<>();
        sources.keySet().forEach(column -> out.put(column, valueOf(column, request)));
        return out;
    }

    /**
     * The segment of {@code record} in {@code column}. {@code record} holds the request's fields as validated
     * ({@code null} or absent when missing) and, for a column without a request field, the dataset's cell.
     */
    public String valueOf(String column, Map<String, Object> record) {
        String source = sources.get(column);
        Object value = record.get(source == null ? column : source);
        if (source != null && !source.equals(column)) {
            if (column.equals(SEX_GROUP)) {
                return value == null ? UNKNOWN_SEX : String.valueOf(value);
            }
            return ageGroup(value == null ? Double.NaN : years(value));
        }
        if (value == null || value instanceof String text && text.isEmpty()) {
            return MISSING;
        }
        return column.equals(ageColumn) ? ageBand(value) : name(value);
    }

    /** The age group of an age in years: {@code <50}, {@code 50-69}, {@code 70-79}, {@code 80+}; NaN is missing. */
    public static String ageGroup(double years) {
        return Double.isNaN(years) ? MISSING : years < 50 ? AGE_GROUPS.get(0) : years < 70 ? AGE_GROUPS.get(1)
                : years < 80 ? AGE_GROUPS.get(2) : AGE_GROUPS.get(3);
    }

    /** The sex group of a recorded sex: the value itself, {@value #UNKNOWN_SEX} when none is recorded. */
    public static String sexGroup(Object sex) {
        return sex == null ? UNKNOWN_SEX : String.valueOf(sex);
    }

    /** Years of age from a number, or from a band such as {@code [70-80)} as its midpoint; NaN for anything else. */
    public static double years(Object age) {
        if (age instanceof Number number) {
            return number.doubleValue();
        }
        Matcher band = BAND.matcher(String.valueOf(age));
        return band.matches() ? (Integer.parseInt(band.group(1)) + Integer.parseInt(band.group(2))) / 2.0 : Double.NaN;
    }

    /** A numeric age (a number or its text) becomes its decade ({@code 70-79}); a value that already is a band stays. */
    static String ageBand(Object value) {
        double age;
        try {
            age = value instanceof Number number ? number.doubleValue() : Double.parseDouble(String.valueOf(value));
        } catch (NumberFormatException band) {
            return String.valueOf(value);
        }
        long decade = (long) Math.floor(age / 10) * 10;
        return decade + "-" + (decade + 9);
    }

    /**
     * A value as a segment's name: text as it is, a whole number without decimals, any other number at the float
     * precision the prediction log keeps, so a value reads the same from a dataset's cell and from the log.
     */
    static String name(Object value) {
        if (value instanceof Number number) {
            double x = number.doubleValue();
            return x == Math.rint(x) && Math.abs(x) < 1e15 ? Long.toString((long) x) : Float.toString((float) x);
        }
        return String.valueOf(value);
    }
}
