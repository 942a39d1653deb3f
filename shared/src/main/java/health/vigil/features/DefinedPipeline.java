package health.vigil.features;

import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.FeatureSchema;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A feature pipeline written as data: the raw schema a request carries and the ordered columns computed
 * from it. Its version is the sha256 of that definition (the schema as JSON and every column's spec), so
 * any change to types, units, ranges, categories, fills or formulas gives a new pipeline id.
 */
public final class DefinedPipeline implements FeaturePipeline {
    /** Bumped when the meaning of the column kinds in {@link Columns} changes. */
    static final String DEFINITION_FORMAT = "vigil-feature-definition/1";
    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9-]{1,61}[a-z0-9]");

    private final String name;
    private final FeatureSchema rawSchema;
    private final List<Column> definition;
    private final List<String> columns;
    private final String version;

    public DefinedPipeline(String name, FeatureSchema rawSchema, List<Column> columns) {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("pipeline name '" + name + "' must be a model name: lower-case"
                    + " letters, digits and hyphens");
        }
        this.name = name;
        this.rawSchema = Objects.requireNonNull(rawSchema, "rawSchema");
        this.definition = List.copyOf(columns);
        if (definition.isEmpty()) {
            throw new IllegalArgumentException("pipeline " + name + " defines no columns");
        }
        Set<String> seen = new HashSet<>();
        for (Column column : definition) {
            if (!seen.add(column.name())) {
                throw new IllegalArgumentException("pipeline " + name + " defines column " + column.name() + " twice");
            }
        }
        this.columns = definition.stream().map(Column::name).toList();
        this.version = Sha256.hex(canonicalText()).substring(0, 8);
    }

    /**
     * The text the version hashes: format, name, raw schema as JSON, then one line per column. The words for the code
     * features' patterns are left out: they change what a refusal says, not what the model is given, and a pipeline
     * keeps the version its models were trained with.
     */
    public String canonicalText() {
        StringBuilder text = new StringBuilder(DEFINITION_FORMAT).append('\n').append(name).append('\n')
                .append(Json.write(rawSchema.withoutPatternDescriptions())).append('\n');
        for (Column column : definition) {
            text.append(column.name()).append(" [").append(column.kind()).append("] ")
                    .append(column.spec()).append('\n');
        }
        return text.toString();
    }

    public String name() {
        return name;
    }

    /** The hash part of the id: the first 8 hex digits of the definition's sha256. */
    public String version() {
        return version;
    }

    @Override
    public String id() {
        return name + "@" + version;
    }

    @Override
    public FeatureSchema rawSchema() {
        return rawSchema;
    }

    @Override
    public List<String> columns() {
        return columns;
    }

    public List<Column> definition() {
        return definition;
    }

    @Override
    public java.util.Optional<java.util.function.Function<float[], Object>> readBack(String field) {
        return InputReadBack.defined(rawSchema, definition, field);
    }

    @Override
    public Map<String, Column.Wording> wordings() {
        Map<String, Column.Wording> wordings = new java.util.HashMap<>();
        definition.stream().filter(c -> c.wording() != null).forEach(c -> wordings.put(c.name(), c.wording()));
        return wordings;
    }

    /** Every column fills a missing value (a column is never NaN); some pipelines also flag it in a column of its own. */
    @Override
    public String missingInWords(String field) {
        boolean flagged = definition.stream()
                .anyMatch(c -> c instanceof Columns.MissingIndicator m && m.source().equals(field));
        return flagged ? "the model was given a stand-in value and a flag saying the value was missing"
                : "the model was given a stand-in value in its place";
    }

    @Override
    public void transform(Map<String, Object> record, float[] out, int offset) {
        for (int i = 0; i < definition.size(); i++) {
            out[offset + i] = definition.get(i).value(record);
        }
    }

    /** Transforms a record into a new array. */
    public float[] transform(Map<String, Object> record) {
        float[] out = new float[width()];
        transform(record, out, 0);
        return out;
    }

    @Override
    public String toString() {
        return "FeaturePipeline[" + id() + ", " + columns.size() + " columns]";
    }
}
