package health.vigil.training.retrain;

import health.vigil.model.Provenance;
import health.vigil.model.VersionRecord;
import health.vigil.port.Retrainer;
import health.vigil.training.Algorithm;
import health.vigil.training.ClinicalModel;
import health.vigil.training.ModelTraining;
import health.vigil.training.TrainedModel;
import health.vigil.training.TrainingProgress;
import health.vigil.training.TrainingSettings;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.DatasetFile;
import health.vigil.training.data.FeatureMatrix;
import health.vigil.training.export.ModelPackager;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Retrains one of the clinical models with exactly what {@code vigil train} runs ({@link ModelTraining}): the
 * parent's training dataset through the model's feature pipeline, plus the labelled production rows (already model
 * inputs), split by patient (production rows by pseudonym), with the parent's learner and seed. Production rows have
 * no raw record, so the evaluation by age and sex covers the training dataset's test rows only.
 */
public final class PipelineRetrainer implements Retrainer {
    private final ModelTraining training;

    public PipelineRetrainer(ModelTraining training) {
        this.training = training;
    }

    @Override
    public byte[] retrain(Request request) {
        VersionRecord parent = request.parent();
        ClinicalModel model = ClinicalModel.of(parent.modelName().value());
        Provenance provenance = parent.manifest().provenance();
        Dataset data = DatasetFile.read(model.pipeline().rawSchema(), request.trainingDataset(),
                request.trainingDatasetSha256());
        ModelTraining.TrainingRows base = ModelTraining.TrainingRows.of(model, data);
        ProductionRows production = request.production();
        List<ProductionRows> added = new ArrayList<>(request.earlierProduction());
        added.add(production);
        int rows = base.x().rows();
        for (ProductionRows part : added) {
            if (part.width() != base.x().width()) {
                throw new IllegalArgumentException("production rows have " + part.width() + " inputs; the "
                        + model + " pipeline has " + base.x().width());
            }
            rows += part.rows();
        }
        float[] values = Arrays.copyOf(base.x().values(), rows * base.x().width());
        boolean[] labels = Arrays.copyOf(base.labels(), rows);
        List<String> keys = new ArrayList<>(base.patientKeys());
        int at = base.x().rows();
        for (ProductionRows part : added) {
            System.arraycopy(part.inputs(), 0, values, at * base.x().width(), part.inputs().length);
            System.arraycopy(part.labels(), 0, labels, at, part.rows());
            part.pseudonyms().forEach(p -> keys.add("production:" + p));
            at += part.rows();
        }
        String[] ages = Arrays.copyOf(base.ageGroups(), rows);
        String[] sexes = Arrays.copyOf(base.sexGroups(), rows);
        Arrays.fill(ages, base.x().rows(), rows, "unknown");
        Arrays.fill(sexes, base.x().rows(), rows, "unknown");
        // The combined training set is named by the two files it is made of: the parent's dataset (itself named so
        // for a retrained parent) and the production rows added now.
        String combined = Retrainer.combinedDataset(provenance.datasetSha256(), production.sha256());
        ModelTraining.TrainingRows all = new ModelTraining.TrainingRows(FeatureMatrix.copyOf(values, rows,
                base.x().columns()), labels, keys, ages, sexes, combined, null, data.source() + " + "
                + (rows - base.x().rows()) + " labelled production rows");
        TrainingSettings settings = TrainingSettings.defaults()
                .withAlgorithm(algorithm(provenance.parameters().get("algorithm")))
                .withSeed(provenance.seed() == null ? TrainingSettings.DEFAULT_SEED : provenance.seed());
        TrainedModel trained = training.train(model, all, settings, request.lineage(), TrainingProgress.NONE);
        return ModelPackager.packageBytes(trained, ModelPackager.onnx(trained));
    }

    private static Algorithm algorithm(String name) {
        return name == null ? Algorithm.GBT : Algorithm.valueOf(name.toUpperCase(Locale.ROOT));
    }
}
