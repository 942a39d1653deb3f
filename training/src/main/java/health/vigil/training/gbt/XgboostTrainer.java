package health.vigil.training.gbt;

import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.model.TreeEnsemble;
import health.vigil.training.data.FeatureMatrix;
import java.util.Map;
import java.util.function.IntConsumer;
import ml.dmlc.xgboost4j.java.Booster;
import ml.dmlc.xgboost4j.java.DMatrix;
import ml.dmlc.xgboost4j.java.XGBoost;
import ml.dmlc.xgboost4j.java.XGBoostError;

/**
 * Trains a binary gradient-boosted tree ensemble with XGBoost4J and hands it back as a
 * {@link TreeEnsemble} (what ONNX export and TreeSHAP work on) together with XGBoost's own predictions,
 * which the ensemble must reproduce. Missing inputs (NaN) follow XGBoost's learned default directions.
 */
public final class XgboostTrainer {

    /** The trained ensemble and the library version that trained it. */
    public record TrainedTrees(TreeEnsemble ensemble, String library) {}

    private XgboostTrainer() {}

    /**
     * Trains on {@code x} with labels {@code y}; {@code onRound} hears the number of rounds done after each
     * round (for a progress bar).
     */
    public static TrainedTrees train(FeatureMatrix x, boolean[] y, GbtSettings settings, long seed, IntConsumer onRound) {
        Booster booster = trainBooster(x, y, settings, seed, onRound);
        try {
            return new TrainedTrees(XgboostTreeConverter.convert(booster, x.width()), XgboostTreeConverter.libraryVersion());
        } finally {
            booster.dispose();
        }
    }

    /** Trains and returns XGBoost's booster itself; the caller disposes of it. */
    public static Booster trainBooster(FeatureMatrix x, boolean[] y, GbtSettings settings, long seed, IntConsumer onRound) {
        if (y.length != x.rows()) {
            throw new IllegalArgumentException("one label per row is needed");
        }
        DMatrix train = null;
        try {
            train = matrix(x);
            float[] labels = new float[y.length];
            for (int i = 0; i < y.length; i++) {
                labels[i] = y[i] ? 1f : 0f;
            }
            train.setLabel(labels);
            Map<String, Object> parameters = settings.xgboostParameters(seed);
            Booster booster = XGBoost.train(train, parameters, 1, Map.of(), null, null);
            onRound.accept(1);
            for (int round = 1; round < settings.rounds(); round++) {
                booster.update(train, round);
                onRound.accept(round + 1);
            }
            return booster;
        } catch (XGBoostError e) {
            throw new VigilException(ErrorCode.RUNTIME_FAILURE, "XGBoost training failed: " + e.getMessage(), e);
        } finally {
            if (train != null) {
                train.dispose();
            }
        }
    }

    /** XGBoost's probability of the positive class for each row, for checking a converted ensemble. */
    public static float[] predict(Booster booster, FeatureMatrix x) {
        DMatrix data = null;
        try {
            data = matrix(x);
            float[][] out = booster.predict(data);
            float[] p = new float[out.length];
            for (int i = 0; i < out.length; i++) {
                p[i] = out[i][0];
            }
            return p;
        } catch (XGBoostError e) {
            throw new VigilException(ErrorCode.RUNTIME_FAILURE, "XGBoost prediction failed: " + e.getMessage(), e);
        } finally {
            if (data != null) {
                data.dispose();
            }
        }
    }

    static DMatrix matrix(FeatureMatrix x) throws XGBoostError {
        return new DMatrix(x.values(), x.rows(), x.width(), Float.NaN);
    }
}
