package health.vigil.training;

import health.vigil.adapter.onnx.OnnxModelWriter;
import health.vigil.model.Manifest;
import health.vigil.model.OutputSpec;
import health.vigil.model.Provenance;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.TreeEnsemble;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.FeatureMatrix;
import health.vigil.training.data.PatientSplit;
import health.vigil.training.eval.EvaluationReport;
import health.vigil.training.eval.ModelEvaluation;
import health.vigil.training.gbt.XgboostTrainer;
import health.vigil.training.gbt.XgboostTreeConverter;
import health.vigil.training.linear.LogisticModel;
import health.vigil.training.reference.ReferenceProfiler;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Trains one clinical model end to end: features through the model's pipeline (the same code scoring
 * runs), a patient-grouped 70/15/15 split, the learner, the threshold chosen on validation, metrics on
 * test overall and by segment, the training-data reference profile, and the manifest with provenance.
 * A library, so automated retraining calls exactly what {@code vigil train} calls.
 */
public final class ModelTraining {
    public static final String OWNER = "Vigil clinical models team";

    private final CodeVersion code;
    private final Clock clock;

    public ModelTraining(CodeVersion code, Clock clock) {
        this.code = code;
        this.clock = clock;
    }

    /** The rows of one part of the split, with their model inputs. */
    record SplitRows(int[] rows, FeatureMatrix x, boolean[] y) {
        static SplitRows of(FeatureMatrix all, boolean[] labels, PatientSplit.Part[] parts, PatientSplit.Part which) {
            int[] rows = java.util.stream.IntStream.range(0, parts.length).filter(i -> parts[i] == which).toArray();
            boolean[] y = new boolean[rows.length];
            for (int i = 0; i < rows.length; i++) {
                y[i] = labels[rows[i]];
            }
            return new SplitRows(rows, all.select(rows), y);
        }
    }

    /**
     * What the learner trains on: the model inputs (after the feature pipeline), the labels, the key of each row's
     * patient (to keep a patient's rows in one part of the split), each row's age and sex group for the evaluation
     * by segment ({@code "unknown"} where the raw record is not at hand), and where the rows came from.
     */
    public record TrainingRows(FeatureMatrix x, boolean[] labels, List<String> patientKeys, String[] ageGroups,
            String[] sexGroups, String sha256, String dateRange, String source) {
        public TrainingRows {
            if (labels.length != x.rows() || patientKeys.size() != x.rows() || ageGroups.length != x.rows()
                    || sexGroups.length != x.rows()) {
                throw new IllegalArgumentException("training rows need one label, key and group per row");
            }
        }

        /** A dataset of raw records, run through the model's feature pipeline as scoring runs it. */
        public static TrainingRows of(ClinicalModel model, Dataset data) {
            String[] ages = new String[data.size()];
            String[] sexes = new String[data.size()];
            for (int i = 0; i < data.size(); i++) {
                ages[i] = model.ageGroup(data.records().get(i));
                sexes[i] = model.sexGroup(data.records().get(i));
            }
            return new TrainingRows(FeatureMatrix.of(model.pipeline(), data.records()), data.labels(),
                    data.patientKeys(), ages, sexes, data.sha256(), data.dateRange(), data.source());
        }
    }

    /** The patient split a training with {@code seed} evaluates on; its test part is the model's held-out patients. */
    public static PatientSplit split(long seed) {
        return PatientSplit.standard(seed);
    }

    public TrainedModel train(ClinicalModel model, Dataset data, TrainingSettings settings, TrainingProgress progress) {
        progress.stage("features", 0);
        return train(model, TrainingRows.of(model, data), settings, Map.of(), progress);
    }

    /**
     * Trains on rows already through the pipeline; {@code lineage} goes into the provenance's parameters (a retrained
     * model names its parent version, the report that asked for it and every dataset's sha256 there).
     */
    public TrainedModel train(ClinicalModel model, TrainingRows data, TrainingSettings settings,
            Map<String, String> lineage, TrainingProgress progress) {
        FeatureMatrix all = data.x();
        PatientSplit split = split(settings.seed());
        PatientSplit.Part[] parts = split.assign(data.patientKeys());
        boolean[] labels = data.labels();
        SplitRows train = SplitRows.of(all, labels, parts, PatientSplit.Part.TRAIN);
        SplitRows validation = SplitRows.of(all, labels, parts, PatientSplit.Part.VALIDATION);
        SplitRows test = SplitRows.of(all, labels, parts, PatientSplit.Part.TEST);
        requireBothClasses("training", train.y);
        requireBothClasses("validation", validation.y);

        TreeEnsemble ensemble = null;
        LogisticModel logistic = null;
        Map<String, String> libraries = new LinkedHashMap<>();
        if (settings.algorithm() == Algorithm.GBT) {
            progress.stage("training " + Algorithm.GBT.description(), settings.gbt().rounds());
            ensemble = XgboostTrainer.train(train.x, train.y, settings.gbt(), settings.seed(), progress::step).ensemble();
            String[] library = XgboostTreeConverter.libraryVersion().split(" ", 2);
            libraries.put(library[0], library[1]);
        } else {
            progress.stage("training " + Algorithm.LOGISTIC.description(), 0);
            logistic = settings.logistic().fit(train.x, train.y, progress::step);
        }
        TreeEnsemble trees = ensemble;
        LogisticModel linear = logistic;
        java.util.function.ToDoubleFunction<double[]> scorer = trees != null ? trees::probability : linear::probability;

        progress.stage("evaluating", 0);
        double[] validationScores = score(validation.x, scorer);
        double[] testScores = score(test.x, scorer);
        String[] ages = new String[test.rows.length];
        String[] sexes = new String[test.rows.length];
        for (int i = 0; i < test.rows.length; i++) {
            ages[i] = data.ageGroups()[test.rows[i]];
            sexes[i] = data.sexGroups()[test.rows[i]];
        }
        EvaluationReport evaluation = ModelEvaluation.evaluate(split.describe(), validationScores, validation.y,
                testScores, test.y, ages, ClinicalModel.AGE_GROUPS, sexes, ClinicalModel.SEX_GROUPS);

        progress.stage("profiling training data", 0);
        ReferenceProfile reference = ReferenceProfiler.profile(train.x, model.pipeline().definition(), testScores);

        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("algorithm", settings.algorithm().name().toLowerCase(java.util.Locale.ROOT));
        parameters.put("featurePipeline", model.pipeline().id());
        parameters.put("featureVersion", model.pipeline().version());
        parameters.put("split", split.describe());
        parameters.put("rows.train", String.valueOf(train.rows.length));
        parameters.put("rows.validation", String.valueOf(validation.rows.length));
        parameters.put("rows.test", String.valueOf(test.rows.length));
        parameters.put("positives.train", String.valueOf(count(train.y)));
        parameters.put("threshold", String.valueOf(evaluation.threshold()));
        parameters.put("thresholdRule", ModelEvaluation.THRESHOLD_RULE);
        parameters.put("dataset.source", data.source());
        parameters.putAll(settings.algorithm() == Algorithm.GBT ? settings.gbt().describe() : settings.logistic().describe());
        parameters.putAll(lineage);
        Package training = ModelTraining.class.getPackage();
        libraries.put("vigil-training", training.getImplementationVersion() == null ? "development build"
                : training.getImplementationVersion());
        Provenance provenance = new Provenance(data.sha256(), all.rows(), data.dateRange(), code.commit(),
                code.dirty(), settings.algorithm().description(), settings.seed(), parameters, libraries,
                System.getProperty("java.vendor") + " " + System.getProperty("java.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                clock.instant());
        Manifest manifest = new Manifest(Manifest.FORMAT_VERSION, model.modelName(), Manifest.BINARY_CLASSIFICATION,
                model.description(), model.pipeline().rawSchema(), model.pipeline().id(),
                new OutputSpec(OnnxModelWriter.PROBABILITIES, OnnxModelWriter.POSITIVE_CLASS_INDEX, model.positiveLabel(), evaluation.threshold()),
                model.intendedUse(), model.limitations(), OWNER, provenance, model.cardFacts());
        return new TrainedModel(model, settings.algorithm(), ensemble, logistic, manifest, reference, evaluation);
    }

    static double[] score(FeatureMatrix x, java.util.function.ToDoubleFunction<double[]> scorer) {
        double[] scores = new double[x.rows()];
        for (int i = 0; i < scores.length; i++) {
            scores[i] = scorer.applyAsDouble(x.row(i));
        }
        return scores;
    }

    private static long count(boolean[] y) {
        long n = 0;
        for (boolean b : y) {
            if (b) {
                n++;
            }
        }
        return n;
    }

    private static void requireBothClasses(String part, boolean[] y) {
        long positives = count(y);
        if (positives == 0 || positives == y.length) {
            throw new health.vigil.error.ValidationException("the " + part + " part of the data has "
                    + (positives == 0 ? "no positive" : "no negative") + " example; a binary model needs both"
                    + " (use more rows)");
        }
    }
}
