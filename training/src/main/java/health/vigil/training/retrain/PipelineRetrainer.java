package health.vigil.training.retrain;

import health.vigil.error.ValidationException;
import health.vigil.model.Provenance;
import health.vigil.model.VersionRecord;
import health.vigil.port.Retrainer;
import health.vigil.privacy.Pseudonymizer;
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
import health.vigil.training.gbt.GbtSettings;
import health.vigil.training.linear.LogisticRegressionTrainer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Retrains one of the clinical models with exactly what {@code vigil train} runs ({@link ModelTraining}): the
 * parent's training dataset through the model's feature pipeline, plus the labelled production rows (already model
 * inputs), split by patient, with the parent's learner, seed and every setting of its learner as its provenance
 * records them. A production row goes with the training dataset's patient whose key pseudonymises to its pseudonym,
 * so a patient in both lands in one part of the split; other production rows are split by pseudonym. Production rows
 * have no raw record, so the evaluation by age and sex covers the training dataset's test rows only.
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
        TrainingSettings settings = settings(provenance);
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
        Map<String, String> patients = patientsByPseudonym(base.patientKeys(), request.pseudonyms());
        int at = base.x().rows();
        for (ProductionRows part : added) {
            System.arraycopy(part.inputs(), 0, values, at * base.x().width(), part.inputs().length);
            System.arraycopy(part.labels(), 0, labels, at, part.rows());
            part.pseudonyms().forEach(p -> keys.add(patients.getOrDefault(p, "production:" + p)));
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
        TrainedModel trained = training.train(model, all, settings, request.lineage(), TrainingProgress.NONE);
        return ModelPackager.packageBytes(trained, ModelPackager.onnx(trained));
    }

    /**
     * The training dataset's patient keys by the pseudonym scoring gives each, for a dataset keyed by the identifiers
     * scoring is sent. Only forward, as scoring pseudonymises: no pseudonym is traced back, and the map is not kept. A
     * key that is no identifier scoring would take (blank, too long) matches no production row.
     */
    private static Map<String, String> patientsByPseudonym(List<String> keys, Pseudonymizer pseudonyms) {
        Map<String, String> patients = new HashMap<>();
        for (String key : new LinkedHashSet<>(keys)) {
            try {
                patients.putIfAbsent(pseudonyms.pseudonym(key), key);
            } catch (ValidationException notAnIdentifier) {
                // Its rows keep their own key; no production row can be of this patient.
            }
        }
        return patients;
    }

    /**
     * The settings the parent was trained with, read back from its provenance: the learner, the seed, and every
     * setting of that learner ({@code gbt.*} or {@code logistic.*}, as {@link ModelTraining} records them). A setting
     * that is missing, is not a number, is out of range, or that this trainer would record otherwise (a tree method or
     * solver it does not run, a setting it does not have) is refused: trained with another setting in its place, the
     * successor would not be the parent's model retrained. Threads are not recorded; they do not change the model.
     */
    static TrainingSettings settings(Provenance provenance) {
        Map<String, String> recorded = provenance.parameters();
        Algorithm algorithm = algorithm(recorded.get("algorithm"));
        TrainingSettings settings = TrainingSettings.defaults().withAlgorithm(algorithm)
                .withSeed(provenance.seed() == null ? TrainingSettings.DEFAULT_SEED : provenance.seed());
        String prefix;
        Map<String, String> described;
        try {
            if (algorithm == Algorithm.GBT) {
                GbtSettings gbt = new GbtSettings(whole(recorded, "gbt.rounds"), number(recorded, "gbt.learningRate"),
                        whole(recorded, "gbt.maxDepth"), number(recorded, "gbt.minChildWeight"),
                        number(recorded, "gbt.subsample"), number(recorded, "gbt.columnSample"),
                        number(recorded, "gbt.l2"), settings.gbt().threads());
                settings = settings.withGbt(gbt);
                prefix = "gbt.";
                described = gbt.describe();
            } else {
                LogisticRegressionTrainer logistic = new LogisticRegressionTrainer(number(recorded, "logistic.l2"),
                        whole(recorded, "logistic.maxIterations"), number(recorded, "logistic.tolerance"));
                settings = settings.withLogistic(logistic);
                prefix = "logistic.";
                described = logistic.describe();
            }
        } catch (IllegalArgumentException outOfRange) {
            throw new ValidationException("the parent's recorded " + algorithm.description() + " settings cannot be"
                    + " trained with (" + outOfRange.getMessage() + ")");
        }
        Set<String> keys = new TreeSet<>(described.keySet());
        recorded.keySet().stream().filter(key -> key.startsWith(prefix)).forEach(keys::add);
        for (String key : keys) {
            if (!recorded.containsKey(key)) {
                throw new ValidationException("the parent's provenance does not record its setting " + key);
            }
            if (!recorded.get(key).equals(described.get(key))) {
                throw new ValidationException("the parent's provenance records its setting " + key + " otherwise than"
                        + " this trainer can train it");
            }
        }
        return settings;
    }

    private static Algorithm algorithm(String name) {
        if (name == null) {
            return Algorithm.GBT;
        }
        try {
            return Algorithm.valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException unknown) {
            throw new ValidationException("the parent's provenance records a learner this trainer does not have");
        }
    }

    private static int whole(Map<String, String> recorded, String key) {
        try {
            return Integer.parseInt(present(recorded, key));
        } catch (NumberFormatException e) {
            throw new ValidationException("the parent's provenance records its setting " + key + " as something other"
                    + " than a whole number");
        }
    }

    private static double number(Map<String, String> recorded, String key) {
        try {
            return Double.parseDouble(present(recorded, key));
        } catch (NumberFormatException e) {
            throw new ValidationException("the parent's provenance records its setting " + key + " as something other"
                    + " than a number");
        }
    }

    private static String present(Map<String, String> recorded, String key) {
        String value = recorded.get(key);
        if (value == null) {
            throw new ValidationException("the parent's provenance does not record its setting " + key);
        }
        return value;
    }
}
