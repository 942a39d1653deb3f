package health.vigil.model;

import health.vigil.error.ValidationException;

/**
 * Which ONNX output holds the probabilities, which column is the positive class, what the positive class
 * means for a clinician, and the decision threshold on its probability.
 */
public record OutputSpec(String onnxOutput, int positiveClassIndex, String positiveLabel, double threshold) {
    public OutputSpec {
        if (onnxOutput == null || onnxOutput.isBlank()) {
            throw new ValidationException("output.onnxOutput is missing: name the ONNX output holding the"
                    + " class probabilities (for example 'probabilities')");
        }
        if (positiveClassIndex < 0) {
            throw new ValidationException("output.positiveClassIndex is " + positiveClassIndex + "; it must be 0 or more");
        }
        if (positiveLabel == null || positiveLabel.isBlank()) {
            throw new ValidationException("output.positiveLabel is missing: say what the positive class means,"
                    + " for example 'readmitted within 30 days'");
        }
        if (!(threshold > 0.0 && threshold < 1.0)) {
            throw new ValidationException("output.threshold is " + threshold + "; it must be between 0 and 1 (exclusive)");
        }
    }
}
