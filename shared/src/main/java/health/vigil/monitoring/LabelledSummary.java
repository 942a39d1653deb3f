package health.vigil.monitoring;

import health.vigil.error.ValidationException;
import health.vigil.statistics.ScoreSketch;

/**
 * A mergeable one-pass summary of labelled predictions: one {@link ScoreSketch} of the scores of the positive cases
 * and one of the negative cases (count, sum and sum of squares in each of {@value ScoreSketch#BINS} score bins),
 * plus each class's sums of cubed and fourth-power scores. Its size is fixed by the bins, never by the rows, and two
 * summaries of disjoint rows merge into the summary of their union, so partitions of a window can be summarised
 * apart and merged.
 *
 * <p>What {@link #performance()} reads from it, and how exact that is:
 * <ul>
 * <li>Brier score and its interval: exact (the squared and fourth-power errors expand into the kept power sums).
 * <li>Expected calibration error over ten bins: exact, the ten bins being unions of the sketch's bins.
 * <li>AUROC: pairs of a positive and a negative case in the same 0.001-wide bin count one half, as ties. It differs
 *     from the AUROC of the raw scores by at most half the share of such pairs, {@link #aurocTieBound()}.
 * <li>Average precision: cases of the same bin enter at one threshold, as tied scores do; it equals the average
 *     precision of the scores rounded to their bin.
 * <li>Calibration slope: the logistic fit over bins, each bin's cases at the logit of the bin's mean score. Inside a
 *     0.001-wide bin the logit hardly varies except in the two outermost bins.
 * </ul>
 */
public final class LabelledSummary {
    private final ScoreSketch.Accumulator positives;
    private final ScoreSketch.Accumulator negatives;
    /** Sums of score^3 and score^4, positives then negatives. */
    private final double[] powers = new double[4];

    /** @param threshold the model's decision threshold, which the score sketches keep exact counts at */
    public LabelledSummary(double threshold) {
        this.positives = new ScoreSketch.Accumulator(threshold);
        this.negatives = new ScoreSketch.Accumulator(threshold);
    }

    /** Adds one labelled prediction; {@code score} must lie in 0-1 (the prediction log holds only such scores). */
    public void add(double score, boolean positive) {
        if (!(score >= 0 && score <= 1)) {
            throw new ValidationException("a labelled score must lie between 0 and 1");
        }
        double cube = score * score * score;
        int at = positive ? 0 : 2;
        (positive ? positives : negatives).add(score);
        powers[at] += cube;
        powers[at + 1] += cube * score;
    }

    /** Adds every case another summary holds (a partition's summary into the window's). */
    public void merge(LabelledSummary other) {
        positives.addAll(other.positives.toSketch());
        negatives.addAll(other.negatives.toSketch());
        for (int k = 0; k < powers.length; k++) {
            powers[k] += other.powers[k];
        }
    }

    /**
     * The summary as data, written with a partition's partial check and read back into an equal summary: the two
     * sketches and the power sums (score^3 and score^4 of the positives, then of the negatives).
     */
    public record Parts(ScoreSketch positives, ScoreSketch negatives, double[] powers) {
        public Parts {
            java.util.Objects.requireNonNull(positives, "positives");
            java.util.Objects.requireNonNull(negatives, "negatives");
            if (powers == null || powers.length != 4 || positives.threshold() != negatives.threshold()) {
                throw new ValidationException("a labelled summary has two sketches at one threshold and four power"
                        + " sums");
            }
            powers = powers.clone();
        }

        @Override
        public double[] powers() {
            return powers.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Parts p && positives.equals(p.positives) && negatives.equals(p.negatives)
                    && java.util.Arrays.equals(powers, p.powers);
        }

        @Override
        public int hashCode() {
            return 31 * positives.hashCode() + java.util.Arrays.hashCode(powers);
        }
    }

    public Parts parts() {
        return new Parts(positives(), negatives(), powers);
    }

    /** The summary {@code parts} were taken from. */
    public static LabelledSummary of(Parts parts) {
        LabelledSummary summary = new LabelledSummary(parts.positives().threshold());
        summary.positives.addAll(parts.positives());
        summary.negatives.addAll(parts.negatives());
        System.arraycopy(parts.powers, 0, summary.powers, 0, summary.powers.length);
        return summary;
    }

    public ScoreSketch positives() {
        return positives.toSketch();
    }

    public ScoreSketch negatives() {
        return negatives.toSketch();
    }

    /** How many numbers the summary holds: the same for ten rows and ten million. */
    public int cells() {
        return 2 * 3 * ScoreSketch.BINS + powers.length;
    }

    /** At most how far {@link LabelledPerformance#auroc()} can be from the AUROC of the unbinned scores. */
    public double aurocTieBound() {
        ScoreSketch pos = positives();
        ScoreSketch neg = negatives();
        double pairs = (double) pos.total() * neg.total();
        if (pairs == 0) {
            return Double.NaN;
        }
        double sameBin = 0;
        for (int b = 0; b < ScoreSketch.BINS; b++) {
            sameBin += (double) pos.count(b) * neg.count(b);
        }
        return 0.5 * sameBin / pairs;
    }

    /** AUROC, average precision, Brier, calibration error and slope, with intervals, as described above. */
    public LabelledPerformance performance() {
        ScoreSketch pos = positives();
        ScoreSketch neg = negatives();
        long p = pos.total();
        long q = neg.total();
        long n = p + q;
        if (n == 0) {
            return LabelledPerformance.EMPTY;
        }
        double posSum = 0;
        double posSquares = 0;
        double negSquares = 0;
        for (int b = 0; b < ScoreSketch.BINS; b++) {
            posSum += pos.sum(b);
            posSquares += pos.square(b);
            negSquares += neg.square(b);
        }
        // A positive's squared error is (1 - s)^2, a negative's s^2; their squares expand into the power sums.
        double squaredErrors = p - 2 * posSum + posSquares + negSquares;
        double brier = squaredErrors / n;
        double fourthPowers = p - 4 * posSum + 6 * posSquares - 4 * powers[0] + powers[1] + powers[3];
        double brierSe = n > 1 ? Math.sqrt(Math.max(0, (fourthPowers - n * brier * brier) / (n - 1) / n)) : Double.NaN;
        double ece = calibrationError(pos, neg, n);
        if (p == 0 || q == 0) {
            return LabelledPerformance.withoutDiscrimination(n, p, brier, brierSe, ece);
        }
        double auroc = 0;
        double negativesBelow = 0;
        double ap = 0;
        for (int b = 0; b < ScoreSketch.BINS; b++) {
            auroc += pos.count(b) * (negativesBelow + 0.5 * neg.count(b));
            negativesBelow += neg.count(b);
        }
        auroc /= (double) p * q;
        long truePositives = 0;
        long flagged = 0;
        for (int b = ScoreSketch.BINS - 1; b >= 0; b--) {
            truePositives += pos.count(b);
            flagged += pos.count(b) + neg.count(b);
            if (pos.count(b) > 0) {
                ap += (double) pos.count(b) / p * truePositives / flagged;
            }
        }
        return LabelledPerformance.withDiscrimination(n, p, auroc, ap, brier, brierSe, ece, calibrationSlope(pos, neg));
    }

    private static double calibrationError(ScoreSketch pos, ScoreSketch neg, long n) {
        int per = ScoreSketch.BINS / LabelledPerformance.CALIBRATION_BINS;
        double ece = 0;
        for (int tenth = 0; tenth < LabelledPerformance.CALIBRATION_BINS; tenth++) {
            long count = 0;
            long positives = 0;
            double scores = 0;
            for (int b = tenth * per; b < (tenth + 1) * per; b++) {
                count += pos.count(b) + neg.count(b);
                positives += pos.count(b);
                scores += pos.sum(b) + neg.sum(b);
            }
            if (count > 0) {
                ece += (double) count / n * Math.abs((double) positives / count - scores / count);
            }
        }
        return ece;
    }

    private static Double calibrationSlope(ScoreSketch pos, ScoreSketch neg) {
        int used = 0;
        double[] x = new double[ScoreSketch.BINS];
        long[] cases = new long[ScoreSketch.BINS];
        long[] events = new long[ScoreSketch.BINS];
        for (int b = 0; b < ScoreSketch.BINS; b++) {
            long c = pos.count(b) + neg.count(b);
            if (c > 0) {
                x[used] = LabelledPerformance.logit((pos.sum(b) + neg.sum(b)) / c);
                cases[used] = c;
                events[used] = pos.count(b);
                used++;
            }
        }
        return LabelledPerformance.logisticSlope(x, cases, events, used);
    }
}
