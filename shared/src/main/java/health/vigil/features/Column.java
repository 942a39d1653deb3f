package health.vigil.features;

import health.vigil.model.FeatureSchema;
import java.util.Map;

/**
 * One input column of a model, computed from a validated raw record. {@link #spec()} states everything
 * that decides the column's value, so hashing the specs of a pipeline's columns versions the pipeline:
 * a column computed by Java code puts a revision in its spec, and changing that code means bumping it.
 */
public interface Column {

    /** The column's name as the model, explanations and the reference profile know it. */
    String name();

    /** Binary columns take only 0 and 1 (indicators, one-hot categories, flags); the rest are continuous. */
    Kind kind();

    /** A one-line, complete statement of how the value is computed; part of the pipeline's version hash. */
    String spec();

    /** The column's value for one validated raw record; never NaN (missing inputs are filled and flagged). */
    float value(Map<String, Object> record);

    /**
     * How an explanation names this column when it is a clinical feature of its own (a value computed from raw
     * fields, whose name is a programmer's); null when it is not one, or its name says it. Not part of
     * {@link #spec()}: words change no value, so they do not version the pipeline.
     */
    default Wording wording() {
        return null;
    }

    /**
     * A computed column in a clinician's words: its {@code label} ("operation length"), and either the {@code unit}
     * of its own value or, in {@code shows}, the raw field whose value the explanation shows instead (in that field's
     * unit), where the column's own value would read worse: duration_hours of 0.08333 shows duration_min's "5
     * minutes". A column shown by a raw field is missing when that field is; one that shows its own value but is
     * computed from a raw field it cannot do without names that field in {@code needs}, and is missing when the field
     * is: an eGFR filled in for a creatinine not measured is a stand-in, not a measured kidney function.
     */
    record Wording(String label, String unit, String shows, String needs) {
        public Wording {
            if (label == null || label.isBlank()) {
                throw new IllegalArgumentException("a column's wording needs a label");
            }
            if (unit != null && shows != null) {
                throw new IllegalArgumentException("a column's wording shows its own value in a unit, or a raw"
                        + " field's value in that field's unit, not both");
            }
            if (shows != null && needs != null) {
                throw new IllegalArgumentException("a column's wording that shows a raw field is missing when that"
                        + " field is; it needs no other");
            }
        }

        /** The column's own value, in {@code unit} (null for a count whose label names what is counted). */
        public static Wording of(String label, String unit) {
            return new Wording(label, unit, null, null);
        }

        /** The value of raw field {@code source} in its unit, in place of the column's own. */
        public static Wording showing(String label, String source) {
            return new Wording(label, null, source, null);
        }

        /**
         * This wording of a column whose own value is a stand-in when raw field {@code source} is missing: the
         * explanation then shows the column as missing, not the value it was filled with.
         */
        public Wording missingWithout(String source) {
            return new Wording(label, unit, shows, source);
        }

        /** The raw field whose missing value makes the column's a stand-in: the one it shows or needs, or null. */
        public String missingWith() {
            return shows != null ? shows : needs;
        }

        /** The unit the explanation shows the value in: its own, or that of the raw field it shows. */
        public String unitIn(FeatureSchema raw) {
            if (shows == null) {
                return unit;
            }
            return raw.indexOf(shows).map(i -> raw.get(i).unit()).orElse(null);
        }
    }

    /** Whether a column takes only 0 and 1 or a range of values; drift checks profile the two differently. */
    enum Kind {
        CONTINUOUS,
        BINARY
    }
}
