package health.vigil.model;

/**
 * What a model version returns for a patient is read as the probability of the positive class, so it must lie
 * between 0 and 1. Scoring, batch jobs and the gates check it here, and name an output that is not one by the output
 * itself and which way it is off: the model's answer, never a patient's feature value.
 */
public final class ModelOutputs {
    private ModelOutputs() {}

    public static boolean isProbability(double output) {
        return output >= 0.0 && output <= 1.0;
    }

    /** The index of the first output that is not a probability, or -1 when every one is. */
    public static int firstNonProbability(double[] outputs) {
        for (int i = 0; i < outputs.length; i++) {
            if (!isProbability(outputs[i])) {
                return i;
            }
        }
        return -1;
    }

    /** Which way an output that is not a probability is off: {@code NaN}, {@code above 1} or {@code below 0}. */
    public static String kind(double output) {
        return Double.isNaN(output) ? "NaN" : output > 1 ? "above 1" : "below 0";
    }

    /**
     * An output that is not a probability as a message shows it: {@code NaN}, or its value (as the float ONNX Runtime
     * computed) and its {@link #kind}, such as {@code 1.38, above 1}.
     */
    public static String describe(double output) {
        return Double.isNaN(output) ? "NaN" : (float) output + ", " + kind(output);
    }
}
