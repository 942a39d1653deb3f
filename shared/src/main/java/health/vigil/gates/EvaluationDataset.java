package health.vigil.gates;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.error.ValidationException;
import health.vigil.model.ModelName;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The manifest of an evaluation dataset the platform owns: which model it evaluates, the sha256 that addresses
 * the CSV file in the {@code datasets} container, its columns, the label column, and the columns to judge
 * segments by (the age and sex columns, and any other declared one: race, ethnicity, payer...). Who registered
 * it is the authenticated caller, never a field of the upload.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record EvaluationDataset(
        String model,
        String sha256,
        String fileName,
        int rows,
        int positives,
        List<String> columns,
        String label,
        String ageColumn,
        String sexColumn,
        List<String> segments,
        String registeredBy,
        Instant registeredAt) {

    public EvaluationDataset {
        new ModelName(model);
        if (sha256 == null || !sha256.matches("[0-9a-f]{64}")) {
            throw new IllegalArgumentException("a dataset's sha256 is 64 lower-case hex digits");
        }
        Objects.requireNonNull(label, "label");
        columns = List.copyOf(columns);
        segments = segments == null ? List.of() : List.copyOf(segments);
    }

    /** Every column segments are judged by: age, sex, then the declared ones, each once. */
    public List<String> segmentColumns() {
        java.util.LinkedHashSet<String> all = new java.util.LinkedHashSet<>();
        if (ageColumn != null) {
            all.add(ageColumn);
        }
        if (sexColumn != null) {
            all.add(sexColumn);
        }
        all.addAll(segments);
        return List.copyOf(all);
    }

    /** What a registration names besides the file: the model, the label and the segment columns. */
    /** The longest file name a declaration keeps. */
    public static final int MAX_FILE_NAME = 200;

    public record Declaration(String model, String fileName, String label, String ageColumn, String sexColumn,
            List<String> segments) {
        public Declaration {
            if (model == null || model.isBlank()) {
                throw new ValidationException("name the model the dataset evaluates (model=readmission)");
            }
            new ModelName(model);
            if (label == null || label.isBlank()) {
                throw new ValidationException("name the dataset's label column (label=readmitted_30d)");
            }
            // Left out, it is named for what it is; given, it must be a name (a blank one is refused below).
            fileName = fileName == null ? "dataset.csv" : fileName;
            // Kept and shown as the file's name: one printable name, not a path.
            if (fileName.isBlank() || fileName.length() > MAX_FILE_NAME || fileName.indexOf('/') >= 0
                    || fileName.indexOf('\\') >= 0 || fileName.equals(".") || fileName.equals("..")
                    || !health.vigil.json.Json.isPrintableText(fileName)) {
                throw new ValidationException("fileName must be the file's own name (no folders), at most "
                        + MAX_FILE_NAME + " printable characters, such as evaluation-2026-12.csv");
            }
            segments = segments == null ? List.of() : List.copyOf(segments);
            if (new java.util.HashSet<>(segments).size() != segments.size()) {
                throw new ValidationException("the segments name a column twice; name each segment column once");
            }
            // One column cannot be both: judged as age bands, the sex column's segments would never be judged.
            if (ageColumn != null && ageColumn.equals(sexColumn)) {
                throw new ValidationException("ageColumn and sexColumn name the same column; name the column of ages"
                        + " and the column of sexes");
            }
        }
    }
}
