package health.vigil.explain;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.features.Column;
import health.vigil.features.FeaturePipeline;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * How a model's input columns map back to the clinical features a clinician knows. A column is its own
 * feature unless a group gathers several columns into one (the one-hot columns of a category, a value and its
 * missingness indicator); a group's contribution is the sum of its columns'. Features keep the order of their
 * first column, and carry the unit of the raw feature with the same name, when the schema has one.
 */
public final class FeatureMapping {

    private final List<String> columns;
    private final List<String> names;
    private final List<String> units;
    private final List<String> labels;
    private final List<String> shows;
    private final List<String> missingWith;
    private final int[][] columnsOf;

    private FeatureMapping(List<String> columns, List<String> names, List<String> units, List<String> labels,
            List<String> shows, List<String> missingWith, int[][] columnsOf) {
        this.columns = columns;
        this.names = names;
        this.units = units;
        this.labels = labels;
        this.shows = shows;
        this.missingWith = missingWith;
        this.columnsOf = columnsOf;
    }

    /** Every column is its own feature, without units. */
    public static FeatureMapping of(List<String> columns) {
        return of(columns, Map.of(), Map.of());
    }

    /**
     * @param columns the model's input columns, in order
     * @param groups clinical feature name to the columns it gathers; columns in no group stand alone
     * @param units clinical feature name to its unit; features without one have none
     * @throws ValidationException (INVALID_PACKAGE) when a column is blank or repeated, a group names a column
     *     the model does not have or one another group has, or a group's name is also a column outside it
     */
    public static FeatureMapping of(List<String> columns, Map<String, List<String>> groups, Map<String, String> units) {
        return of(columns, groups, units, Map.of(), name -> null);
    }

    /**
     * As {@link #of(List, Map, Map)}, with each feature's {@code label} (null for its name in words) and, for features
     * that are computed columns, the raw field whose value an explanation shows in place of theirs and the one
     * without which their value is a stand-in ({@link Column.Wording}); {@code units} then holds the unit each is
     * shown in.
     */
    static FeatureMapping of(List<String> columns, Map<String, List<String>> groups, Map<String, String> units,
            Map<String, Column.Wording> wordings, Function<String, String> label) {
        Objects.requireNonNull(columns, "columns");
        Objects.requireNonNull(groups, "groups");
        Objects.requireNonNull(units, "units");
        if (columns.isEmpty()) {
            throw invalid("the model has no input columns to explain");
        }
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < columns.size(); i++) {
            String column = columns.get(i);
            if (column == null || column.isBlank()) {
                throw invalid("input column " + i + " has no name");
            }
            if (index.put(column, i) != null) {
                throw invalid("input column '" + column + "' appears twice");
            }
        }
        String[] featureOfColumn = new String[columns.size()];
        for (Map.Entry<String, List<String>> group : groups.entrySet()) {
            String name = group.getKey();
            if (name == null || name.isBlank()) {
                throw invalid("a column group has no feature name");
            }
            if (group.getValue() == null || group.getValue().isEmpty()) {
                throw invalid("feature '" + name + "' groups no columns");
            }
            for (String column : group.getValue()) {
                Integer i = index.get(column);
                if (i == null) {
                    throw invalid("feature '" + name + "' groups column '" + column
                            + "', which is not one of the model's input columns");
                }
                if (featureOfColumn[i] != null) {
                    throw invalid("column '" + column + "' is grouped into both '" + featureOfColumn[i] + "' and '"
                            + name + "'; a column belongs to one feature");
                }
                featureOfColumn[i] = name;
            }
        }
        for (String name : groups.keySet()) {
            Integer i = index.get(name);
            if (i != null && !name.equals(featureOfColumn[i])) {
                throw invalid("feature '" + name + "' is both a group and a column outside it; rename one");
            }
        }
        Map<String, List<Integer>> members = new LinkedHashMap<>();
        for (int i = 0; i < columns.size(); i++) {
            String feature = featureOfColumn[i] != null ? featureOfColumn[i] : columns.get(i);
            members.computeIfAbsent(feature, k -> new ArrayList<>()).add(i);
        }
        List<String> names = new ArrayList<>(members.keySet());
        List<String> unitList = new ArrayList<>();
        List<String> labelList = new ArrayList<>();
        List<String> showList = new ArrayList<>();
        List<String> missingWithList = new ArrayList<>();
        int[][] columnsOf = new int[names.size()][];
        for (int f = 0; f < names.size(); f++) {
            String unit = units.get(names.get(f));
            unitList.add(unit == null || unit.isBlank() ? null : unit);
            Column.Wording wording = wordings.get(names.get(f));
            labelList.add(label.apply(names.get(f)));
            showList.add(wording == null ? null : wording.shows());
            missingWithList.add(wording == null ? null : wording.missingWith());
            columnsOf[f] = members.get(names.get(f)).stream().mapToInt(Integer::intValue).toArray();
        }
        return new FeatureMapping(List.copyOf(columns), List.copyOf(names), Collections.unmodifiableList(unitList),
                Collections.unmodifiableList(labelList), Collections.unmodifiableList(showList),
                Collections.unmodifiableList(missingWithList), columnsOf);
    }

    /**
     * The mapping of a feature pipeline's columns, with units from its raw schema, and the words of the computed
     * columns that are features of their own.
     */
    public static FeatureMapping of(FeaturePipeline pipeline, Map<String, List<String>> groups) {
        Map<String, String> units = unitsOf(pipeline.rawSchema());
        Map<String, Column.Wording> wordings = pipeline.wordings();
        wordings.forEach((column, wording) -> {
            String unit = wording.unitIn(pipeline.rawSchema());
            if (unit != null) {
                units.put(column, unit);
            }
        });
        return of(pipeline.columns(), groups, units, wordings, pipeline::label);
    }

    /** Each raw feature's unit, by name, for the features that have one. */
    public static Map<String, String> unitsOf(FeatureSchema schema) {
        Map<String, String> units = new HashMap<>();
        for (Feature feature : schema.features()) {
            if (feature.unit() != null) {
                units.put(feature.name(), feature.unit());
            }
        }
        return units;
    }

    private static ValidationException invalid(String message) {
        return new ValidationException(ErrorCode.INVALID_PACKAGE, "cannot map the model's inputs to clinical"
                + " features: " + message);
    }

    /** The number of model input columns. */
    public int columnCount() {
        return columns.size();
    }

    public List<String> columns() {
        return columns;
    }

    /** The number of clinical features. */
    public int featureCount() {
        return names.size();
    }

    public String name(int feature) {
        return names.get(feature);
    }

    /** The feature's unit, or {@code null}. */
    public String unit(int feature) {
        return units.get(feature);
    }

    /**
     * The feature's label in a clinician's words ({@link FeaturePipeline#label}) when the mapping was made from a
     * pipeline, else {@code null}.
     */
    public String label(int feature) {
        return labels.get(feature);
    }

    /** The raw field whose value an explanation shows for the feature in place of its own, or {@code null}. */
    public String shows(int feature) {
        return shows.get(feature);
    }

    /**
     * The raw field whose missing value makes the feature's a stand-in (the field it shows, or the one it is computed
     * from and cannot do without), or {@code null}.
     */
    public String missingWith(int feature) {
        return missingWith.get(feature);
    }

    /** The model input columns that make up the feature. */
    public int[] columnsOf(int feature) {
        return columnsOf[feature].clone();
    }

    int columnCountOf(int feature) {
        return columnsOf[feature].length;
    }

    int column(int feature, int member) {
        return columnsOf[feature][member];
    }
}
