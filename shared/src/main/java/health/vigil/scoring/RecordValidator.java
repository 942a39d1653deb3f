package health.vigil.scoring;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Checks one raw patient record against a model's feature schema and turns it into the typed values a
 * {@link health.vigil.features.FeaturePipeline} takes: {@link Double} for numeric, {@link Long} for integer,
 * {@link Boolean}, {@link String} for categorical and {@code null} for a missing optional feature.
 *
 * <p>Every problem names the feature and the rule it breaks, and how to fix it; none repeats the value
 * that was sent, since it is patient data. Rows are numbered from 1 in messages.
 */
public final class RecordValidator {
    private static final Set<String> NON_FINITE_SPELLINGS =
            Set.of("nan", "-nan", "+nan", "infinity", "-infinity", "+infinity", "inf", "-inf", "+inf");
    private static final BigInteger LONG_MIN = BigInteger.valueOf(Long.MIN_VALUE);
    private static final BigInteger LONG_MAX = BigInteger.valueOf(Long.MAX_VALUE);

    private final FeatureSchema schema;
    private final Set<String> names;
    private final String validNames;
    /** Each feature's position in the schema, by name: the key of the typed values every record gets. */
    private final Map<String, Integer> positions;

    public RecordValidator(FeatureSchema schema) {
        this.schema = Objects.requireNonNull(schema, "schema");
        // A HashSet, not Set.copyOf: a caller's map may hold a null key, which must count as unknown, not throw.
        this.names = Collections.unmodifiableSet(new HashSet<>(schema.names()));
        this.validNames = String.join(", ", schema.names());
        Map<String, Integer> positions = new java.util.HashMap<>();
        for (int i = 0; i < schema.size(); i++) {
            positions.put(schema.get(i).name(), i); // names are unique in a schema
        }
        this.positions = positions;
    }

    public FeatureSchema schema() {
        return schema;
    }

    /** The schema's feature names, as a set: every request checks its fields against them. */
    public Set<String> names() {
        return names;
    }

    /** The typed values of a single record, or a {@link FeatureValidationException} listing every problem. */
    public Map<String, Object> validate(Map<String, JsonNode> record) {
        return orThrow(check(0, record, Set.of()));
    }

    /** As {@link #validate(Map)}, for row {@code row} (counted from 1) of a batch. */
    public Map<String, Object> validate(int row, Map<String, JsonNode> record) {
        return orThrow(check(row, record, Set.of()));
    }

    /**
     * What would refuse every record that has exactly these fields, whatever their values: fields that are not
     * inputs of this schema, and required inputs among none of them. A batch file's CSV header is such a list: each
     * problem then refuses every row for the same reason. Empty when the fields fit.
     */
    public List<String> fieldProblems(java.util.Collection<String> fields) {
        List<String> problems = new ArrayList<>();
        List<String> unknown = fields.stream().filter(name -> !names.contains(name)).map(RecordValidator::describeUnknown)
                .toList();
        if (!unknown.isEmpty()) {
            problems.add(String.join(", ", unknown) + (unknown.size() == 1 ? " is not an input" : " are not inputs")
                    + " of this model (valid features are: " + validNames + ")");
        }
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < schema.size(); i++) {
            if (schema.get(i).required() && !fields.contains(schema.get(i).name())) {
                missing.add(schema.get(i).name());
            }
        }
        if (!missing.isEmpty()) {
            problems.add((missing.size() == 1 ? "the required feature " : "the required features ")
                    + String.join(", ", missing) + (missing.size() == 1 ? " is" : " are") + " missing");
        }
        return problems;
    }

    /**
     * Checks a record without throwing. {@code alsoAccepted} names fields that are not this schema's but are
     * not an error either (the features of another version serving the same model, so one request body
     * suits both the stable and the canary version); they are ignored. {@code row} 0 means "no row number".
     */
    public Checked check(int row, Map<String, JsonNode> record, Set<String> alsoAccepted) {
        Map<String, JsonNode> raw = record == null ? Map.of() : record;
        List<String> problems = new ArrayList<>();
        Object[] values = new Object[schema.size()];
        for (int i = 0; i < values.length; i++) {
            Feature feature = schema.get(i);
            JsonNode node = raw.get(feature.name());
            boolean present = node != null || raw.containsKey(feature.name());
            values[i] = convert(feature, node, present, row, problems);
        }
        for (String name : raw.keySet()) {
            if (!names.contains(name) && !alsoAccepted.contains(name)) {
                problems.add(at(row) + describeUnknown(name) + " is not an input of this model; valid features are: "
                        + validNames);
            }
        }
        return new Checked(problems.isEmpty() ? new TypedValues(schema, positions, values) : null, problems);
    }

    /**
     * A record's typed values by feature name, in the schema's order, read-only: an array beside the schema's own
     * names and positions instead of a map entry per feature for every record scored.
     */
    private static final class TypedValues extends java.util.AbstractMap<String, Object> {
        private final FeatureSchema schema;
        private final Map<String, Integer> positions;
        private final Object[] values;

        TypedValues(FeatureSchema schema, Map<String, Integer> positions, Object[] values) {
            this.schema = schema;
            this.positions = positions;
            this.values = values;
        }

        @Override
        public int size() {
            return positions.size();
        }

        @Override
        public Object get(Object key) {
            Integer at = positions.get(key);
            return at == null ? null : values[at];
        }

        @Override
        public boolean containsKey(Object key) {
            return positions.containsKey(key);
        }

        @Override
        public Set<Map.Entry<String, Object>> entrySet() {
            return new java.util.AbstractSet<>() {
                @Override
                public java.util.Iterator<Map.Entry<String, Object>> iterator() {
                    return new java.util.Iterator<>() {
                        private int next;

                        @Override
                        public boolean hasNext() {
                            return next < values.length;
                        }

                        @Override
                        public Map.Entry<String, Object> next() {
                            if (next >= values.length) {
                                throw new java.util.NoSuchElementException();
                            }
                            String name = schema.get(next).name();
                            Map.Entry<String, Object> entry = new java.util.AbstractMap.SimpleImmutableEntry<>(name,
                                    values[next]);
                            next++;
                            return entry;
                        }
                    };
                }

                @Override
                public int size() {
                    return positions.size();
                }
            };
        }
    }

    /** The prefix of a problem in row {@code row}; messages are only built once there is a problem. */
    private static String at(int row) {
        return row > 0 ? "row " + row + ": " : "";
    }

    private static String label(int row, Feature f) {
        return at(row) + "feature `" + f.name() + "`";
    }

    /** Adds a refusal of {@code f}'s value: what is wrong, and for an optional feature how to send one not known. */
    private static void refuse(List<String> problems, int row, Feature f, String problem) {
        problems.add(label(row, f) + problem + f.missingValueHint());
    }

    /** The outcome of {@link #check}: typed values when there is no problem, otherwise the problems. */
    public record Checked(Map<String, Object> values, List<String> problems) {
        public Checked {
            problems = List.copyOf(problems);
        }

        public boolean valid() {
            return problems.isEmpty();
        }
    }

    private static Map<String, Object> orThrow(Checked checked) {
        if (!checked.valid()) {
            throw new FeatureValidationException(checked.problems());
        }
        return checked.values();
    }

    private static Object convert(Feature f, JsonNode node, boolean present, int row, List<String> problems) {
        if (!present || node == null || node.isMissingNode()) {
            if (f.required()) {
                problems.add(label(row, f) + " is required but missing");
            }
            return null;
        }
        if (node.isNull()) {
            if (f.required()) {
                problems.add(label(row, f) + " is required and cannot be null");
            }
            return null;
        }
        return switch (f.type()) {
            case NUMERIC -> numeric(f, node, row, problems);
            case INTEGER -> integer(f, node, row, problems);
            case BOOLEAN -> {
                if (!node.isBoolean()) {
                    refuse(problems, row, f, " must be true or false (boolean); " + (node instanceof TextCell
                            ? "the cell is neither (write true or false)" : "got " + jsonKind(node)));
                    yield null;
                }
                yield node.booleanValue();
            }
            case CATEGORICAL -> {
                if (!node.isTextual()) {
                    refuse(problems, row, f, " must be a string (categorical); got " + jsonKind(node)
                            + "; allowed categories are: " + String.join(", ", f.categories()));
                    yield null;
                }
                if (!f.categories().contains(node.textValue())) {
                    refuse(problems, row, f, " is not one of the allowed categories: "
                            + String.join(", ", f.categories()) + " (categories are case-sensitive)");
                    yield null;
                }
                yield node.textValue();
            }
            case CODE -> {
                if (!node.isTextual() || !f.matchesPattern(node.textValue())) {
                    refuse(problems, row, f, " must be " + f.patternInWords() + " (a string)");
                    yield null;
                }
                yield node.textValue();
            }
        };
    }

    private static Double numeric(Feature f, JsonNode node, int row, List<String> problems) {
        Double value = finiteNumber(f, node, row, "numeric", problems);
        if (value == null || !inRange(f, value, row, problems)) {
            return null;
        }
        // The model takes 32-bit floats: a double beyond their range would reach it as Infinity. (An integer is
        // refused beyond 64 bits, well inside the range.)
        if (!Float.isFinite(value.floatValue())) {
            refuse(problems, row, f, " must be a finite number; it is too large for the model's input, a 32-bit"
                    + " float (beyond ±3.4e38)");
            return null;
        }
        return value;
    }

    private static Long integer(Feature f, JsonNode node, int row, List<String> problems) {
        Double approx = finiteNumber(f, node, row, "integer", problems);
        if (approx == null) {
            return null;
        }
        BigInteger whole;
        if (node.isIntegralNumber()) {
            whole = node.bigIntegerValue();
        } else {
            BigDecimal exact = node.decimalValue();
            if (exact.signum() != 0 && exact.stripTrailingZeros().scale() > 0) {
                refuse(problems, row, f, " must be a whole number (integer); it has a fractional part");
                return null;
            }
            whole = exact.toBigInteger();
        }
        if (!inRange(f, approx, row, problems)) {
            return null;
        }
        if (whole.compareTo(LONG_MIN) < 0 || whole.compareTo(LONG_MAX) > 0) {
            refuse(problems, row, f, " does not fit a 64-bit integer");
            return null;
        }
        return whole.longValue();
    }

    /** The node as a finite double, or null after recording why it is not one. */
    private static Double finiteNumber(Feature f, JsonNode node, int row, String type, List<String> problems) {
        if (node.isTextual() && NON_FINITE_SPELLINGS.contains(node.textValue().trim().toLowerCase(Locale.ROOT))) {
            refuse(problems, row, f, " must be a finite number; NaN and Infinity are not allowed");
            return null;
        }
        if (!node.isNumber()) {
            refuse(problems, row, f, node instanceof TextCell ? " must be a number (" + type + "); the cell is not"
                    + " one (write it in digits, with a point before any decimals)"
                    : " must be a JSON number (" + type + "); got " + jsonKind(node)
                            + (node.isTextual() ? ": send it without quotes" : ""));
            return null;
        }
        double value = node.doubleValue();
        if (!Double.isFinite(value)) {
            refuse(problems, row, f, " must be a finite number; it is too large for a 64-bit float"
                    + " (beyond ±1.8e308), or NaN or Infinity");
            return null;
        }
        return value;
    }

    private static boolean inRange(Feature f, double value, int row, List<String> problems) {
        boolean belowMin = f.min() != null && value < f.min();
        boolean aboveMax = f.max() != null && value > f.max();
        if (!belowMin && !aboveMax) {
            return true;
        }
        String allowed;
        if (f.min() != null && f.max() != null) {
            allowed = "allowed range is " + bound(f.min()) + " to " + bound(f.max());
        } else if (f.min() != null) {
            allowed = "it must be at least " + bound(f.min());
        } else {
            allowed = "it must be at most " + bound(f.max());
        }
        refuse(problems, row, f, " is out of range; " + allowed + (f.unit() == null ? "" : " " + f.unit()));
        return false;
    }

    /** A bound as a person writes it: 120 rather than 120.0, 0.5 rather than 5.0E-1. */
    static String bound(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    private static String jsonKind(JsonNode node) {
        if (node.isTextual()) {
            return "a string";
        }
        if (node.isNumber()) {
            return "a number";
        }
        if (node.isBoolean()) {
            return "true/false";
        }
        if (node.isArray()) {
            return "an array";
        }
        if (node.isObject()) {
            return "an object";
        }
        return "a " + node.getNodeType().name().toLowerCase(Locale.ROOT);
    }

    /**
     * A field name the caller sent, shown only when it could be a feature's name ({@link Json#isPlainName}): it might be
     * anything, and a record number, a date or a phone number typed as a key has the hyphens or dots no feature has.
     */
    private static String describeUnknown(String name) {
        return Json.isPlainName(name) ? "feature `" + name + "`"
                : "a field whose name is not a valid feature name (not shown)";
    }
}
