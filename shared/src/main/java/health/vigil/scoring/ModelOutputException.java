package health.vigil.scoring;

import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.model.ModelOutputs;
import health.vigil.model.ModelVersion;
import java.util.Objects;

/**
 * A model version gave a row an output that is not a probability (NaN, above 1 or below 0): the request was valid and
 * the version failed on it, so it is a server error ({@link ErrorCode#MODEL_OUTPUT_INVALID}) counted against that
 * version's slot. The message names the version, the row and the output, never a feature value or the patient.
 */
public class ModelOutputException extends VigilException {
    private static final long serialVersionUID = 1L;

    private final transient ModelVersion version;

    /** @param row the row of the request, from 1 */
    public ModelOutputException(ModelVersion version, int row, double output) {
        super(ErrorCode.MODEL_OUTPUT_INVALID, version + " produced an output that is not a probability for row " + row
                + " of the request (" + ModelOutputs.describe(output) + "): the request is valid, but this model"
                + " version fails on the patient, so nothing was scored or logged. The version's owners must fix it"
                + " (every patient its schema accepts must get a probability between 0 and 1); an operator can roll"
                + " the model back meanwhile");
        this.version = Objects.requireNonNull(version, "version");
    }

    /** The version whose output it was. */
    public ModelVersion version() {
        return version;
    }
}
