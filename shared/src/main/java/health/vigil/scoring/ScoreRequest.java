package health.vigil.scoring;

import health.vigil.error.ValidationException;
import health.vigil.model.ModelName;
import java.util.List;
import java.util.Objects;

/**
 * A request to score one or more patients with a model. With {@code version} null the model's deployment
 * chooses the version for each patient (stable or canary); with a version, that version scores them all.
 * With {@code explain}, each prediction carries its explanation (top contributing factors).
 */
public record ScoreRequest(ModelName model, Integer version, List<PatientRow> rows, boolean explain) {

    /** A request without explanations. */
    public ScoreRequest(ModelName model, Integer version, List<PatientRow> rows) {
        this(model, version, rows, false);
    }

    public ScoreRequest {
        Objects.requireNonNull(model, "model");
        if (version != null && version < 1) {
            throw new ValidationException("version " + version + " is not valid: versions are whole numbers from 1");
        }
        if (rows == null || rows.isEmpty()) {
            throw new ValidationException("the request has no rows: send at least one patient to score");
        }
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i) == null) {
                throw new ValidationException("row " + (i + 1) + " is null: send an object with patientId and features");
            }
        }
        rows = List.copyOf(rows);
    }
}
