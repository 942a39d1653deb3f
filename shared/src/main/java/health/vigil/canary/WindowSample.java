package health.vigil.canary;

import health.vigil.model.PredictionRecord;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * What one slot's predictions in a step's window amount to: how many, how many were flagged, how many had a
 * missing model input, and the scores. Counts are exact; the scores kept for the distribution tests are a
 * uniform reservoir sample of at most {@code capacity} (a random subsample of one side leaves the two-sample
 * tests valid), so a busy stable slot costs bounded memory.
 */
public final class WindowSample {
    private final double[] reservoir;
    private final SplittableRandom random;
    private long count;
    private long flagged;
    private long missing;
    private double scoreSum;
    private double scoreSquares;

    public WindowSample(int capacity, long seed) {
        this.reservoir = new double[capacity];
        this.random = new SplittableRandom(seed);
    }

    void add(PredictionRecord record) {
        add(record.score(), record.decision(), hasMissingInput(record.features()));
    }

    /** One prediction: its score, whether it was flagged, whether a model input was missing. */
    public void add(double score, boolean decision, boolean missingInput) {
        if (count < reservoir.length) {
            reservoir[(int) count] = score;
        } else {
            long slot = random.nextLong(count + 1);
            if (slot < reservoir.length) {
                reservoir[(int) slot] = score;
            }
        }
        count++;
        scoreSum += score;
        scoreSquares += score * score;
        if (decision) {
            flagged++;
        }
        if (missingInput) {
            missing++;
        }
    }

    /** The feature pipeline turns a missing value into NaN. */
    private static boolean hasMissingInput(float[] features) {
        for (float f : features) {
            if (Float.isNaN(f)) {
                return true;
            }
        }
        return false;
    }

    public long count() {
        return count;
    }

    long flagged() {
        return flagged;
    }

    long missing() {
        return missing;
    }

    /** The mean of every score in the window (exact, not the reservoir's). */
    double meanScore() {
        return scoreSum / count;
    }

    /** The sample variance of every score in the window. */
    double scoreVariance() {
        double mean = scoreSum / count;
        return count < 2 ? 0 : Math.max(0, (scoreSquares - count * mean * mean) / (count - 1));
    }

    double[] scores() {
        return Arrays.copyOf(reservoir, (int) Math.min(count, reservoir.length));
    }
}
