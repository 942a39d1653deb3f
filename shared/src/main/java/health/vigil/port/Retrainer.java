package health.vigil.port;

import health.vigil.hash.Sha256;
import health.vigil.model.VersionRecord;
import health.vigil.privacy.Pseudonymizer;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Trains a successor of a registered version with the training library: on the version's training dataset (the
 * file named by its provenance's sha256 in the {@code datasets} container; for a retrained version, the file its line
 * began with plus the production rows each retraining added) plus the labelled production rows since,
 * with the version's feature pipeline and learner, and answers the new model package (a zip) whose provenance names
 * the parent, the datasets and the report that asked for it ({@code lineage}).
 */
public interface Retrainer {

    byte[] retrain(Request request);

    /**
     * The name of a retrained version's training dataset: a digest of the parent's dataset and the labelled production
     * rows added to it (the two files it is made of).
     */
    static String combinedDataset(String parentDatasetSha256, String productionSha256) {
        return Sha256.hex(parentDatasetSha256 + "\n" + productionSha256);
    }

    /**
     * @param trainingDataset the training dataset file the parent's line began with, open for reading: the parent's own,
     *     or for a retrained parent that of the first version in its line that was not retrained
     * @param trainingDatasetSha256 that file's sha256
     * @param earlierProduction the labelled production rows the retrainings since that version added, oldest first
     *     (empty for a parent that was not retrained): the parent was trained on the file plus these
     * @param production the labelled production rows since the parent: model inputs as logged, row-major
     * @param pseudonyms the platform's pseudonymisation, as scoring applies it to a patient identifier: a patient of
     *     the training dataset whose key is the identifier scoring was sent has the pseudonym of its production rows,
     *     so that all of the patient's rows go to one part of the split
     * @param lineage what the new version's provenance records about where it came from
     */
    record Request(VersionRecord parent, InputStream trainingDataset, String trainingDatasetSha256,
            List<ProductionRows> earlierProduction, ProductionRows production, Pseudonymizer pseudonyms,
            Map<String, String> lineage) {
        public Request {
            Objects.requireNonNull(parent, "parent");
            Objects.requireNonNull(trainingDataset, "trainingDataset");
            Objects.requireNonNull(trainingDatasetSha256, "trainingDatasetSha256");
            Objects.requireNonNull(production, "production");
            Objects.requireNonNull(pseudonyms, "pseudonyms");
            earlierProduction = List.copyOf(earlierProduction);
            lineage = Map.copyOf(lineage);
        }

        /** A request for a parent that was not retrained: trained on its own dataset file alone. */
        public Request(VersionRecord parent, InputStream trainingDataset, ProductionRows production,
                Pseudonymizer pseudonyms, Map<String, String> lineage) {
            this(parent, trainingDataset, parent.manifest().provenance().datasetSha256(), List.of(), production,
                    pseudonyms, lineage);
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
