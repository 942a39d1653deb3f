package health.vigil.scoring.batch;

import health.vigil.error.ValidationException;
import java.util.Locale;

/** The file formats a batch job reads: one patient per line, either CSV with a header or JSON Lines. */
public enum BatchFormat {
    /** A header line naming {@code patientId} and the features, then one patient per line. */
    CSV,
    /** One {@code {"patientId": "...", "features": {...}}} object per line, as the {@code /score} route takes. */
    JSON_LINES;

    /** The format a file's name says: {@code .csv}, or {@code .jsonl} / {@code .ndjson}. */
    public static BatchFormat ofFileName(String name) {
        String lower = name == null ? "" : name.toLowerCase(Locale.ROOT);
        if (lower.endsWith(".csv")) {
            return CSV;
        }
        if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) {
            return JSON_LINES;
        }
        throw new ValidationException("a batch file must be CSV (name ending .csv) or JSON Lines (.jsonl or .ndjson);"
                + " rename the file to say which it is");
    }
}
