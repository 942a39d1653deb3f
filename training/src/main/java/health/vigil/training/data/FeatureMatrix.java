package health.vigil.training.data;

import health.vigil.features.FeaturePipeline;
import java.util.List;
import java.util.Map;

/**
 * Model inputs as a dense row-major float matrix (the layout XGBoost, ONNX Runtime and the scoring service
 * use), with the column names of the pipeline that produced it. Immutable.
 */
public final class FeatureMatrix {
    private final float[] values;
    private final int rows;
    private final List<String> columns;

    private FeatureMatrix(float[] values, int rows, List<String> columns) {
        this.columns = List.copyOf(columns);
        if (rows < 0 || values.length != (long) rows * this.columns.size()) {
            throw new IllegalArgumentException("a " + rows + " x " + this.columns.size() + " matrix needs "
                    + (long) rows * this.columns.size() + " values, got " + values.length);
        }
        this.values = values;
        this.rows = rows;
    }

    /** A matrix holding a copy of {@code values} (row-major, {@code rows x columns.size()}). */
    public static FeatureMatrix copyOf(float[] values, int rows, List<String> columns) {
        return new FeatureMatrix(values.clone(), rows, columns);
    }

    /** Runs every record through the pipeline, exactly as the scoring service does for one request. */
    public static FeatureMatrix of(FeaturePipeline pipeline, List<Map<String, Object>> records) {
        int width = pipeline.width();
        float[] values = new float[Math.multiplyExact(records.size(), width)];
        for (int i = 0; i < records.size(); i++) {
            pipeline.transform(records.get(i), values, i * width);
        }
        return new FeatureMatrix(values, records.size(), pipeline.columns());
    }

    public int rows() {
        return rows;
    }

    public int width() {
        return columns.size();
    }

    public List<String> columns() {
        return columns;
    }

    public float get(int row, int column) {
        return values[row * columns.size() + column];
    }

    /** A copy of the row-major values. */
    public float[] values() {
        return values.clone();
    }

    /** Row {@code row} widened to double, as {@link health.vigil.model.TreeEnsemble} takes it. */
    public double[] row(int row) {
        double[] out = new double[width()];
        for (int j = 0; j < out.length; j++) {
            out[j] = get(row, j);
        }
        return out;
    }

    /** The rows at the given indices, in that order. */
    public FeatureMatrix select(int[] indices) {
        int width = width();
        float[] out = new float[Math.multiplyExact(indices.length, width)];
        for (int i = 0; i < indices.length; i++) {
            System.arraycopy(values, indices[i] * width, out, i * width, width);
        }
        return new FeatureMatrix(out, indices.length, columns);
    }
}
