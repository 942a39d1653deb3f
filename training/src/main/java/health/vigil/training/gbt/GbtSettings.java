package health.vigil.training.gbt;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Settings of gradient-boosted trees training with XGBoost. Defaults suit the clinical models' tabular
 * data (a few dozen columns, up to some hundred thousand rows): shallow trees, a small learning rate and
 * row/column subsampling for robustness. Subsampling draws from {@code seed}, so equal settings, data and
 * seed give the same model.
 */
public record GbtSettings(int rounds, double learningRate, int maxDepth, double minChildWeight, double subsample,
        double columnSample, double l2, int threads) {

    public GbtSettings {
        if (rounds < 1 || maxDepth < 1 || threads < 1) {
            throw new IllegalArgumentException("rounds, maxDepth and threads must be at least 1");
        }
        if (!(learningRate > 0 && learningRate <= 1) || !(subsample > 0 && subsample <= 1)
                || !(columnSample > 0 && columnSample <= 1) || minChildWeight < 0 || l2 < 0) {
            throw new IllegalArgumentException("learningRate, subsample and columnSample must be in (0, 1];"
                    + " minChildWeight and l2 must not be negative");
        }
    }

    public static GbtSettings defaults() {
        return new GbtSettings(300, 0.05, 4, 5.0, 0.8, 0.8, 1.0, 2);
    }

    public GbtSettings withRounds(int newRounds) {
        return new GbtSettings(newRounds, learningRate, maxDepth, minChildWeight, subsample, columnSample, l2, threads);
    }

    public GbtSettings withThreads(int newThreads) {
        return new GbtSettings(rounds, learningRate, maxDepth, minChildWeight, subsample, columnSample, l2, newThreads);
    }

    /** The settings as XGBoost parameters, with the seed. */
    Map<String, Object> xgboostParameters(long seed) {
        Map<String, Object> p = new LinkedHashMap<>();
        p.put("objective", "binary:logistic");
        p.put("eval_metric", "logloss");
        p.put("tree_method", "hist");
        p.put("eta", learningRate);
        p.put("max_depth", maxDepth);
        p.put("min_child_weight", minChildWeight);
        p.put("subsample", subsample);
        p.put("colsample_bytree", columnSample);
        p.put("lambda", l2);
        p.put("nthread", threads);
        p.put("seed", seed);
        p.put("verbosity", 0);
        return p;
    }

    /** The settings as provenance parameters. */
    public Map<String, String> describe() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("gbt.rounds", String.valueOf(rounds));
        d.put("gbt.learningRate", String.valueOf(learningRate));
        d.put("gbt.maxDepth", String.valueOf(maxDepth));
        d.put("gbt.minChildWeight", String.valueOf(minChildWeight));
        d.put("gbt.subsample", String.valueOf(subsample));
        d.put("gbt.columnSample", String.valueOf(columnSample));
        d.put("gbt.l2", String.valueOf(l2));
        d.put("gbt.treeMethod", "hist");
        return d;
    }
}
