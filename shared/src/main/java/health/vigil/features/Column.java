package health.vigil.features;

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

    /** Whether a column takes only 0 and 1 or a range of values; drift checks profile the two differently. */
    enum Kind {
        CONTINUOUS,
        BINARY
    }
}
