package health.vigil.port;

import health.vigil.model.VersionRecord;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Trains a successor of a registered version with the training library: on the version's training dataset (the
 * file named by its provenance's sha256 in the {@code datasets} container) plus the labelled production rows since,
 * with the version's feature pipeline and learner, and answers the new model package (a zip) whose provenance names
 * the parent, the datasets and the report that asked for it ({@code lineage}).
 */
public interface Retrainer {

    byte[] retrain(Request request);

    /**
     * @param trainingDataset the parent's training dataset file, open for reading
     * @param production the labelled production rows: model inputs as logged, row-major
     * @param lineage what the new version's provenance records about where it came from
     */
    record Request(VersionRecord parent, InputStream trainingDataset, ProductionRows production,
            Map<String, String> lineage) {
        public Request {
            Objects.requireNonNull(parent, "parent");
            Objects.requireNonNull(trainingDataset, "trainingDataset");
            Objects.requireNonNull(production, "production");
            lineage = Map.copyOf(lineage);
        }
    }

    /**
     * Labelled production rows: model inputs as the prediction log keeps them (after the feature pipeline), their
     * outcomes, the patient pseudonyms (to keep a patient's rows in one part of the split), and the sha256 of the
     * dataset file they were stored as.
     */
    record ProductionRows(float[] inputs, int rows, int width, boolean[] labels, List<String> pseudonyms,
            String sha256) {
        public ProductionRows {
            if (inputs.length != (long) rows * width || labels.length != rows || pseudonyms.size() != rows) {
                throw new IllegalArgumentException("production rows need " + width + " inputs, a label and a"
                        + " pseudonym per row");
            }
            pseudonyms = List.copyOf(pseudonyms);
        }
    }
}
