package health.vigil.features;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * The column kinds feature definitions are built from: a raw value with a declared fill for missing, a
 * missingness indicator, a one-hot category, a score per category, and derived values computed by code.
 */
public final class Columns {
    private Columns() {}

    /** The raw number (a boolean as 1/0), or {@code fill} when the raw value is missing. */
    public static Column value(String source, double fill) {
        return value(source, source, fill);
    }

    public static Column value(String name, String source, double fill) {
        return new RawValue(name, source, fill, Column.Kind.CONTINUOUS);
    }

    /** A boolean raw field as 1/0, {@code fill} when missing. */
    public static Column flag(String source, double fill) {
        return new RawValue(source, source, fill, Column.Kind.BINARY);
    }

    /** 1 when the raw field is missing, else 0. */
    public static Column missing(String source) {
        return new MissingIndicator(source + "_missing", source);
    }

    /** 1 when the raw categorical field equals {@code category}, else 0 (also 0 when missing). */
    public static Column oneHot(String source, String category) {
        return new CategoryIndicator(source + "=" + category, source, category);
    }

    /** One indicator column per category, in the given order. */
    public static List<Column> oneHot(String source, List<String> categories) {
        return categories.stream().map(c -> oneHot(source, c)).toList();
    }

    /** A number per category (an age band's midpoint, say); {@code fill} when missing. */
    public static Column scored(String name, String source, Map<String, Double> scores, double fill) {
        return scored(name, source, scores, fill, null);
    }

    /** As {@link #scored(String, String, Map, double)}, named in an explanation by {@code wording}. */
    public static Column scored(String name, String source, Map<String, Double> scores, double fill,
            Column.Wording wording) {
        return new CategoryScore(name, source, new TreeMap<>(scores), fill, wording);
    }

    /**
     * A value computed by code from several raw fields. {@code spec} must state the formula and a revision
     * (for example {@code "egfr: CKD-EPI 2021 creatinine equation, fill 90 when creatinine missing; r1"})
     * and be changed whenever the code's result changes, because it is what versions the pipeline.
     */
    public static Column derived(String name, Column.Kind kind, String spec, ToDoubleFunction<Map<String, Object>> formula) {
        return derived(name, kind, spec, null, formula);
    }

    /** As {@link #derived(String, Column.Kind, String, ToDoubleFunction)}, named in an explanation by {@code wording}. */
    public static Column derived(String name, Column.Kind kind, String spec, Column.Wording wording,
            ToDoubleFunction<Map<String, Object>> formula) {
        return new Derived(name, kind, spec, wording, formula);
    }

    static double number(Object raw) {
        if (raw instanceof Number n) {
            return n.doubleValue();
        }
        if (raw instanceof Boolean b) {
            return b ? 1.0 : 0.0;
        }
        throw new IllegalArgumentException("expected a number or a boolean, got " + raw.getClass().getSimpleName());
    }

    record RawValue(String name, String source, double fill, Column.Kind kind) implements Column {
        RawValue {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(source, "source");
            if (!Double.isFinite(fill)) {
                throw new IllegalArgumentException("column " + name + " needs a finite fill value");
            }
        }

        @Override
        public String spec() {
            return "value(" + source + ") fill=" + fill;
        }

        @Override
        public float value(Map<String, Object> record) {
            Object raw = record.get(source);
            return (float) (raw == null ? fill : number(raw));
        }
    }

    record MissingIndicator(String name, String source) implements Column {
        @Override
        public Column.Kind kind() {
            return Column.Kind.BINARY;
        }

        @Override
        public String spec() {
            return "missing(" + source + ")";
        }

        @Override
        public float value(Map<String, Object> record) {
            return record.get(source) == null ? 1f : 0f;
        }
    }

    record CategoryIndicator(String name, String source, String category) implements Column {
        @Override
        public Column.Kind kind() {
            return Column.Kind.BINARY;
        }

        @Override
        public String spec() {
            return "equals(" + source + ", '" + category + "')";
        }

        @Override
        public float value(Map<String, Object> record) {
            return category.equals(record.get(source)) ? 1f : 0f;
        }
    }

    record CategoryScore(String name, String source, TreeMap<String, Double> scores, double fill,
            Column.Wording wording) implements Column {
        @Override
        public Column.Kind kind() {
            return Column.Kind.CONTINUOUS;
        }

        @Override
        public String spec() {
            return "score(" + source + ") " + scores + " fill=" + fill;
        }

        @Override
        public float value(Map<String, Object> record) {
            Object raw = record.get(source);
            if (raw == null) {
                return (float) fill;
            }
            Double score = scores.get((String) raw);
            if (score == null) {
                throw new IllegalArgumentException("column " + name + " has no score for a category of " + source);
            }
            return score.floatValue();
        }
    }

    private record Derived(String name, Column.Kind kind, String spec, Column.Wording wording,
            ToDoubleFunction<Map<String, Object>> formula) implements Column {
        Derived {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(kind, "kind");
            if (spec == null || spec.isBlank()) {
                throw new IllegalArgumentException("derived column " + name + " needs a spec with a revision");
            }
            Objects.requireNonNull(formula, "formula");
        }

        @Override
        public float value(Map<String, Object> record) {
            return (float) formula.applyAsDouble(record);
        }
    }
}
