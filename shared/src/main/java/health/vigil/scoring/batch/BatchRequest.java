package health.vigil.scoring.batch;

import health.vigil.error.ValidationException;
import health.vigil.model.ModelName;
import java.util.Objects;

/**
 * A request to score a file already in the {@code batch-input} container: the model, optionally a pinned version
 * (an approved one; without it the deployed stable version at submission scores every row), and whether each
 * scored row is explained.
 */
public record BatchRequest(ModelName model, Integer version, String input, boolean explain) {
    public BatchRequest {
        Objects.requireNonNull(model, "model");
        if (version != null && version < 1) {
            throw new ValidationException("version " + version + " is not valid: versions are whole numbers from 1");
        }
        if (input == null || input.isBlank() || input.startsWith("/") || input.contains("..") || input.length() > 1024) {
            throw new ValidationException("input must name a blob of the batch-input container (for example"
                    + " readmission/discharges-2026-12-02.csv), without a leading slash or '..'");
        }
    }
}
