package health.vigil.features;

import java.util.List;
import java.util.Objects;

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
        if (!isCode(code)) {
            throw new IllegalArgumentException("not an ICD-9-CM diagnosis code");
        }
        char first = code.charAt(0);
        if (first == 'V' || first == 'E') {
            return OTHER;
        }
        return BY_CATEGORY[(first - '0') * 100 + (code.charAt(1) - '0') * 10 + (code.charAt(2) - '0')];
    }

    /**
     * Whether {@code code} matches {@link #PATTERN}, read character by character: a record's codes are grouped once
     * for each group's indicator column, and the regular expression was about a twentieth of an unexplained score
     * request's CPU on the readmission model (docs/benchmarks.md). {@code Icd9GroupsTest} holds the two to the same
     * answers.
     */
    static boolean isCode(String code) {
        int n = code.length();
        if (n == 0) {
            return false;
        }
        char first = code.charAt(0);
        int start = first == 'V' || first == 'E' ? 1 : 0;
        int digits = first == 'V' ? 2 : 3;
        int mostDecimals = first == 'E' ? 1 : 2;
        int dot = start + digits;
        if (n < dot || !digits(code, start, dot)) {
            return false;
        }
        if (n == dot) {
            return true;
        }
        int decimals = n - dot - 1;
        return code.charAt(dot) == '.' && decimals >= 1 && decimals <= mostDecimals && digits(code, dot + 1, n);
    }

    private static boolean digits(String text, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** The group of each three-digit category 000-999, from {@link #RANGES} (the first range that holds it). */
    private static final String[] BY_CATEGORY = byCategory();

    private static String[] byCategory() {
        String[] groups = new String[1000];
        for (int category = 0; category < groups.length; category++) {
            groups[category] = OTHER;
            for (Range range : RANGES) {
                if (category >= range.from && category <= range.to) {
                    groups[category] = range.group;
                    break;
                }
            }
        }
        return groups;
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
