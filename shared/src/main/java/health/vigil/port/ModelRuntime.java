package health.vigil.port;

import java.util.List;

/**
 * Loads and runs ONNX models. Loading verifies the sha256 of the bytes against the registry's before the
 * runtime sees them.
 */
public interface ModelRuntime extends AutoCloseable {

    /** Loads a model; fails with INTEGRITY_FAILURE when the bytes' sha256 is not {@code expectedSha256}. */
    LoadedModel load(byte[] onnx, String expectedSha256, String outputName, int positiveClassIndex);

    /**
     * Checks that the runtime can load this model and describes its inputs and outputs; a model that
     * cannot be loaded is a {@link health.vigil.error.PackageRejectedException} (ONNX_UNLOADABLE).
     */
    Signature inspect(byte[] onnx);

    /**
     * What the model computes, when this runtime can read it (a tree ensemble or a logistic regression):
     * explanations need it. Empty for a graph of any other shape; then predictions carry no explanation.
     */
    default java.util.Optional<health.vigil.model.ModelStructure> structure(byte[] onnx) {
        return java.util.Optional.empty();
    }

    @Override
    void close();

    /** A model ready to score; thread-safe. */
    interface LoadedModel extends AutoCloseable {
        int inputWidth();

        /**
         * Probability of the positive class for each row of a row-major {@code rows x inputWidth()} matrix;
         * NaN stands for a missing value.
         */
        double[] predict(float[] rowMajor, int rows);

        /**
         * {@link #predict(float[], int)} within a time budget (a package being checked, a version at its gates, and
         * every scoring run): a run still going after {@code budget} is stopped and is a {@code RUNTIME_FAILURE} that
         * says so, instead of holding a thread for as long as the graph wants.
         */
        default double[] predict(float[] rowMajor, int rows, java.time.Duration budget) {
            return predict(rowMajor, rows);
        }

        @Override
        void close();
    }

    /** A model's declared inputs and outputs. Dimensions of -1 are dynamic. */
    record Signature(List<Tensor> inputs, List<Tensor> outputs) {
        public Signature {
            inputs = List.copyOf(inputs);
            outputs = List.copyOf(outputs);
        }
    }

    record Tensor(String name, String elementType, long[] shape, boolean isMap) {}
}
