package health.vigil.training.models;

import health.vigil.training.TrainingSettings;
import health.vigil.training.CodeVersion;
import health.vigil.training.ClinicalModel;
import health.vigil.training.ModelTraining;
import health.vigil.training.TrainedModel;
import health.vigil.training.TrainingProgress;
import health.vigil.training.data.Dataset;
import health.vigil.training.export.ModelPackager;
import health.vigil.training.export.ModelPackager.WrittenPackage;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Trains the three clinical models on seeded synthetic data and drops their packages into a folder (the
 * local platform's {@code models} drop folder, for {@code vigil demo}). Same seed, same packages' model.onnx.
 */
public final class ReferenceModels {
    /** Synthetic rows per model: enough for stable metrics, a few seconds of training each. */
    public static final int DEMO_ROWS = 20_000;

    private ReferenceModels() {}

    public static List<WrittenPackage> trainAll(Path folder, long seed, TrainingProgress progress) {
        return trainAll(folder, seed, DEMO_ROWS, progress);
    }

    /** The same packages trained on about {@code rows} synthetic rows each (tests use a few thousand). */
    public static List<WrittenPackage> trainAll(Path folder, long seed, int rows, TrainingProgress progress) {
        ModelTraining training = training();
        List<WrittenPackage> written = new ArrayList<>();
        for (ClinicalModel model : ClinicalModel.values()) {
            written.add(train(training, model, folder.resolve(model + ".zip"), seed, rows, progress));
        }
        return written;
    }

    /** One of the packages {@link #trainAll} writes, alone, written to {@code out}. */
    public static WrittenPackage train(ClinicalModel model, Path out, long seed, int rows, TrainingProgress progress) {
        return train(training(), model, out, seed, rows, progress);
    }

    private static WrittenPackage train(ModelTraining training, ClinicalModel model, Path out, long seed, int rows,
            TrainingProgress progress) {
        progress.stage("generating synthetic " + model + " data", 0);
        Dataset data = model.synthetic(rows, seed).dataset();
        TrainedModel trained = training.train(model, data, TrainingSettings.defaults().withSeed(seed), progress);
        progress.stage("packaging " + model, 0);
        return ModelPackager.write(trained, ModelPackager.onnx(trained), out);
    }

    private static ModelTraining training() {
        return new ModelTraining(CodeVersion.ofThisBuild(), Clock.systemUTC());
    }

    /**
     * Trains {@code model} as {@link #trainAll} does and writes it with every risk's log-odds moved by
     * {@code marginShift} (see {@link TrainedModel#withMarginShift}): a candidate that ranks patients as well as the
     * honest one but whose risks are miscalibrated, for showing that the platform's calibration gates stop it.
     */
    public static WrittenPackage trainMiscalibrated(ClinicalModel model, Path out, long seed, int rows,
            double marginShift, TrainingProgress progress) {
        Dataset data = model.synthetic(rows, seed).dataset();
        TrainedModel shifted = training().train(model, data, TrainingSettings.defaults().withSeed(seed), progress)
                .withMarginShift(marginShift);
        return ModelPackager.write(shifted, ModelPackager.onnx(shifted), out);
    }
}
