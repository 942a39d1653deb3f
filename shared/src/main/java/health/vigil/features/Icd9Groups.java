package health.vigil.features;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Groups ICD-9-CM diagnosis codes into the nine disease groups Strack et al. (2014) used for the Diabetes
 * 130-US hospitals data: a few hundred distinct codes become a handful of categories a model can learn from.
 * Numeric codes are grouped by their three-digit category; V (supplementary) and E (external cause) codes
 * fall in {@code other}.
 */
public final class Icd9Groups {
    /** An ICD-9-CM diagnosis code: three digits, V and two digits, or E and three digits, then decimals. */
    public static final String PATTERN = "\\d{3}(\\.\\d{1,2})?|V\\d{2}(\\.\\d{1,2})?|E\\d{3}(\\.\\d)?";
    /** {@link #PATTERN} as a refusal says it to the person who sent the code. */
    public static final String PATTERN_IN_WORDS = "an ICD-9-CM code such as 428, 250.01, V57.1 or E880.9: three digits,"
            + " V and two digits, or E and three digits, optionally followed by a dot and decimals";
    private static final Pattern CODE = Pattern.compile(PATTERN);

    public static final String OTHER = "other";

    /** The groups in column order; {@code other} is the rest. */
    public static final List<String> GROUPS = List.of("circulatory", "respiratory", "digestive", "diabetes",
            "injury", "musculoskeletal", "genitourinary", "neoplasms", OTHER);

    /** Category ranges (inclusive, on the three-digit category of numeric codes) for each named group. */
    static final List<Range> RANGES = List.of(
            new Range("circulatory", 390, 459), new Range("circulatory", 785, 785),
            new Range("respiratory", 460, 519), new Range("respiratory", 786, 786),
            new Range("digestive", 520, 579), new Range("digestive", 787, 787),
            new Range("diabetes", 250, 250),
            new Range("injury", 800, 999),
            new Range("musculoskeletal", 710, 739),
            new Range("genitourinary", 580, 629), new Range("genitourinary", 788, 788),
            new Range("neoplasms", 140, 239));

    private Icd9Groups() {}

    record Range(String group, int from, int to) {
        Range {
            Objects.requireNonNull(group, "group");
        }

        @Override
        public String toString() {
            return group + ":" + from + "-" + to;
        }
    }

    /** The group of a valid code; an invalid code is an {@link IllegalArgumentException}. */
    public static String groupOf(String code) {
        if (!CODE.matcher(code).matches()) {
            throw new IllegalArgumentException("not an ICD-9-CM diagnosis code");
        }
        char first = code.charAt(0);
        if (first == 'V' || first == 'E') {
            return OTHER;
        }
        int category = Integer.parseInt(code.substring(0, 3));
        for (Range range : RANGES) {
            if (category >= range.from && category <= range.to) {
                return range.group;
            }
        }
        return OTHER;
    }

    /** The grouping rule as text, for pipeline specs (so changing a range changes the pipeline version). */
    static String ruleText() {
        return "icd9-groups(Strack2014) " + RANGES + " V,E,rest=" + OTHER;
    }

    /** A one-hot column: 1 when the code in {@code source} belongs to {@code group}; 0 when missing. */
    public static Column indicator(String source, String group) {
        if (!GROUPS.contains(group)) {
            throw new IllegalArgumentException("unknown ICD-9 group " + group);
        }
        return Columns.derived(source + "_group=" + group, Column.Kind.BINARY,
                "equals(" + ruleText() + "(" + source + "), '" + group + "')",
                record -> {
                    Object code = record.get(source);
                    return code != null && group.equals(groupOf((String) code)) ? 1.0 : 0.0;
                });
    }
}
