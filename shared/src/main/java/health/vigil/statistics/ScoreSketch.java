package health.vigil.statistics;

import health.vigil.error.ValidationException;
import java.util.Arrays;

/**
 * A mergeable summary of many scores: for each of {@link #BINS} equal-width score bins over 0-1 the count,
 * sum and sum of squares of the scores in it, plus exact counts and sums at the model's decision threshold.
 * Shards or days each build one and {@link #merge} them; the label-free performance estimate reads it.
 * At the threshold everything is exact; only the order of two scores inside one bin is lost (0.001 wide).
 *
 * @param threshold the decision threshold: a score at or above it is flagged
 * @param counts scores per bin; a score of exactly 1 falls in the last bin
 * @param sums sum of the scores per bin
 * @param squares sum of the squared scores per bin
 * @param flagged how many scores were at or above the threshold
 * @param flaggedSum the sum of those scores
 */
public record ScoreSketch(double threshold, long[] counts, double[] sums, double[] squares, long flagged,
        double flaggedSum) {

    public static final int BINS = 1000;

    public ScoreSketch {
        if (!(threshold > 0 && threshold < 1)) {
            throw new ValidationException("the decision threshold must be between 0 and 1 (exclusive)");
        }
        if (counts == null || sums == null || squares == null || counts.length != BINS || sums.length != BINS
                || squares.length != BINS) {
            throw new ValidationException("a score sketch has " + BINS + " counts, sums and squares");
        }
        counts = counts.clone();
        sums = sums.clone();
        squares = squares.clone();
        long total = 0;
        for (long c : counts) {
            if (c < 0) {
                throw new ValidationException("a score sketch holds a negative count");
            }
            total += c;
        }
        if (flagged < 0 || flagged > total) {
            throw new ValidationException("a score sketch has " + flagged + " flagged scores out of " + total);
        }
    }

    /** An empty sketch for a model with this decision threshold. */
    public static ScoreSketch empty(double threshold) {
        return new ScoreSketch(threshold, new long[BINS], new double[BINS], new double[BINS], 0, 0);
    }

    public static ScoreSketch of(double[] scores, double threshold) {
        Checks.probabilities(scores, "the scores");
        Accumulator a = new Accumulator(threshold);
        for (double s : scores) {
            a.add(s);
        }
        return a.toSketch();
    }

    public static int bin(double score) {
        return Math.min((int) (score * BINS), BINS - 1);
    }

    public long total() {
        long total = 0;
        for (long c : counts) {
            total += c;
        }
        return total;
    }

    public ScoreSketch merge(ScoreSketch other) {
        if (Double.compare(threshold, other.threshold) != 0) {
            throw new ValidationException("score sketches with different decision thresholds cannot be merged");
        }
        long[] c = counts.clone();
        double[] s = sums.clone();
        double[] q = squares.clone();
        for (int b = 0; b < BINS; b++) {
            c[b] += other.counts[b];
            s[b] += other.sums[b];
            q[b] += other.squares[b];
        }
        return new ScoreSketch(threshold, c, s, q, flagged + other.flagged, flaggedSum + other.flaggedSum);
    }

    @Override
    public long[] counts() {
        return counts.clone();
    }

    @Override
    public double[] sums() {
        return sums.clone();
    }

    @Override
    public double[] squares() {
        return squares.clone();
    }

    public long count(int bin) {
        return counts[bin];
    }

    public double sum(int bin) {
        return sums[bin];
    }

    public double square(int bin) {
        return squares[bin];
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ScoreSketch k && Double.compare(threshold, k.threshold) == 0 && flagged == k.flagged
                && Double.compare(flaggedSum, k.flaggedSum) == 0 && Arrays.equals(counts, k.counts)
                && Arrays.equals(sums, k.sums) && Arrays.equals(squares, k.squares);
    }

    @Override
    public int hashCode() {
        return 31 * Double.hashCode(threshold) + Arrays.hashCode(counts);
    }

    @Override
    public String toString() {
        return "ScoreSketch[threshold=" + threshold + ", scores=" + total() + ", flagged=" + flagged + "]";
    }

    /** The mutable builder a single thread fills; {@link #toSketch} freezes it. */
    public static final class Accumulator {
        final double threshold;
        final long[] counts = new long[BINS];
        final double[] sums = new double[BINS];
        final double[] squares = new double[BINS];
        long flagged;
        double flaggedSum;

        public Accumulator(double threshold) {
            this.threshold = threshold;
        }

        /** {@code score} must already be checked to lie in 0-1. */
        public void add(double score) {
            int b = bin(score);
            counts[b]++;
            sums[b] += score;
            squares[b] += score * score;
            // Branch-free: about a third of scores are flagged, in no order a predictor could learn.
            boolean above = score >= threshold;
            flagged += above ? 1 : 0;
            flaggedSum += above ? score : 0.0;
        }

        public void addAll(ScoreSketch sketch) {
            for (int b = 0; b < BINS; b++) {
                counts[b] += sketch.counts[b];
                sums[b] += sketch.sums[b];
                squares[b] += sketch.squares[b];
            }
            flagged += sketch.flagged;
            flaggedSum += sketch.flaggedSum;
        }

        public ScoreSketch toSketch() {
            return new ScoreSketch(threshold, counts, sums, squares, flagged, flaggedSum);
        }
    }
}
