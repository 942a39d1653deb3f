package health.vigil.canary;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * One slot's predictions in a step's window that have a realised outcome: how many, how many were positive, the
 * exact sums of the residuals (outcome minus predicted risk) for calibration, and a uniform reservoir sample of at
 * most {@code capacity} (score, outcome) pairs for the AUROC.
 */
public final class LabelledSample {
    private final double[] scores;
    private final boolean[] labels;
    private final SplittableRandom random;
    private long count;
    private long positives;
    private double residualSum;
    private double residualSquares;
    private double scoreSum;

    public LabelledSample(int capacity, long seed) {
        this.scores = new double[capacity];
        this.labels = new boolean[capacity];
        this.random = new SplittableRandom(seed);
    }

    /** One prediction's score and its realised outcome. */
    public void add(double score, boolean positive) {
        int slot = -1;
        if (count < scores.length) {
            slot = (int) count;
        } else {
            long r = random.nextLong(count + 1);
            if (r < scores.length) {
                slot = (int) r;
            }
        }
        if (slot >= 0) {
            scores[slot] = score;
            labels[slot] = positive;
        }
        count++;
        double residual = (positive ? 1 : 0) - score;
        residualSum += residual;
        residualSquares += residual * residual;
        scoreSum += score;
        if (positive) {
            positives++;
        }
    }

    public long count() {
        return count;
    }

    long positives() {
        return positives;
    }

    /** Calibration-in-the-large: the mean predicted risk minus the observed rate (positive: risks run high). */
    double meanPredictedMinusObserved() {
        return -residualSum / count;
    }

    /** The sample variance of the residuals. */
    double residualVariance() {
        double mean = residualSum / count;
        return count < 2 ? 0 : Math.max(0, (residualSquares - count * mean * mean) / (count - 1));
    }

    double meanScore() {
        return scoreSum / count;
    }

    double[] scores() {
        return Arrays.copyOf(scores, (int) Math.min(count, scores.length));
    }

    boolean[] labels() {
        return Arrays.copyOf(labels, (int) Math.min(count, labels.length));
    }

    /**
     * Whether the reservoir sample, which the AUROC is computed on, holds two of each outcome: a rare outcome counted
     * twice in {@link #positives()} may have none of its predictions left in a sample of a larger step.
     */
    boolean sampleHasTwoOfEach() {
        int sampled = (int) Math.min(count, labels.length);
        int positive = 0;
        for (int i = 0; i < sampled; i++) {
            if (labels[i]) {
                positive++;
            }
        }
        return positive >= 2 && sampled - positive >= 2;
    }
}
