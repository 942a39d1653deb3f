package health.vigil.training.reference;

import health.vigil.features.Column;
import health.vigil.model.ReferenceProfile;
import health.vigil.monitoring.ReferenceBinning;
import health.vigil.monitoring.ReferenceBinning.InputColumn;
import health.vigil.training.data.FeatureMatrix;
import java.util.List;

/**
 * Profiles the training data for drift checks ({@code reference.json}), column by column of the model's input
 * as the prediction log records it, with the one profile builder drift checks read back
 * ({@link ReferenceBinning#profile}): a binary column (an indicator, a one-hot category, a flag) by the shares
 * of {@code "false"} (0) and {@code "true"} (1), a continuous column by quantile bins, each with its mean.
 */
public final class ReferenceProfiler {
    private ReferenceProfiler() {}

    /**
     * @param training the training part's model inputs
     * @param columns the pipeline's column definitions, one per matrix column
     * @param scores the scores the profile's score part describes (training uses its held-out test part)
     */
    public static ReferenceProfile profile(FeatureMatrix training, List<Column> columns, double[] scores) {
        if (columns.size() != training.width()) {
            throw new IllegalArgumentException("one column definition per matrix column is needed");
        }
        List<InputColumn> inputs = columns.stream()
                .map(c -> c.kind() == Column.Kind.BINARY ? InputColumn.binary(c.name()) : InputColumn.numeric(c.name()))
                .toList();
        return ReferenceBinning.profile(inputs, training.values(), training.rows(), scores);
    }
}
