package health.vigil.explain;

/**
 * Exact SHAP values of a binary classifier in margin (log-odds) space: for every row the contributions sum to
 * {@code margin(row) - expectedMargin()}. Implementations are thread-safe.
 */
public interface MarginExplainer {

    /** The number of model input columns a row must have. */
    int featureCount();

    /** The margin of the reference population the contributions are measured from. */
    double expectedMargin();

    /**
     * Writes one SHAP value per input column into {@code out[0 .. featureCount())} (overwriting it) and returns
     * the row's margin. NaN in {@code row} is a missing value.
     */
    double explain(double[] row, double[] out);

    /** Convenience form of {@link #explain(double[], double[])} that allocates the result. */
    default double[] contributions(double[] row) {
        double[] out = new double[featureCount()];
        explain(row, out);
        return out;
    }
}
