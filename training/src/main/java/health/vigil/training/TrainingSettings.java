package health.vigil.training;

import health.vigil.training.gbt.GbtSettings;
import health.vigil.training.linear.LogisticRegressionTrainer;
import java.util.Objects;

/** What to train and how: the learner, its settings, and the seed of every random choice (split, sampling). */
public record TrainingSettings(Algorithm algorithm, GbtSettings gbt, LogisticRegressionTrainer logistic, long seed) {
    public static final long DEFAULT_SEED = 20_240_601L;

    public TrainingSettings {
        Objects.requireNonNull(algorithm, "algorithm");
        Objects.requireNonNull(gbt, "gbt");
        Objects.requireNonNull(logistic, "logistic");
    }

    public static TrainingSettings defaults() {
        return new TrainingSettings(Algorithm.GBT, GbtSettings.defaults(), LogisticRegressionTrainer.defaults(), DEFAULT_SEED);
    }

    public TrainingSettings withAlgorithm(Algorithm newAlgorithm) {
        return new TrainingSettings(newAlgorithm, gbt, logistic, seed);
    }

    public TrainingSettings withGbt(GbtSettings newGbt) {
        return new TrainingSettings(algorithm, newGbt, logistic, seed);
    }

    public TrainingSettings withLogistic(LogisticRegressionTrainer newLogistic) {
        return new TrainingSettings(algorithm, gbt, newLogistic, seed);
    }

    public TrainingSettings withSeed(long newSeed) {
        return new TrainingSettings(algorithm, gbt, logistic, newSeed);
    }
}
