package health.vigil.statistics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The receiver operating characteristic curve: for every distinct score taken as the threshold (a case is
 * positive when its score is at or above it), the false and true positive rates, from (0, 0) to (1, 1). Tied
 * scores move both rates in one step, so the trapezoids under the curve add up to the AUROC with ties counted
 * one half. {@link #thinned} keeps at most a given number of points for drawing.
 */
public record RocCurve(List<Point> points) {

    /** One operating point: the threshold and the false and true positive rates it gives. */
    public record Point(double threshold, double falsePositiveRate, double truePositiveRate) {}

    public RocCurve {
        points = List.copyOf(points);
    }

    public static RocCurve of(double[] scores, boolean[] labels) {
        Checks.finite(scores, "the scores");
        Checks.sameLength(scores, labels);
        Checks.bothClasses(labels, 1);
        int n = scores.length;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Double.compare(scores[b], scores[a]));
        int positives = Checks.positives(labels);
        int negatives = n - positives;
        List<Point> points = new ArrayList<>();
        points.add(new Point(Double.POSITIVE_INFINITY, 0, 0));
        long truePositives = 0;
        long falsePositives = 0;
        int i = 0;
        while (i < n) {
            double threshold = scores[order[i]];
            while (i < n && scores[order[i]] == threshold) {
                if (labels[order[i]]) {
                    truePositives++;
                } else {
                    falsePositives++;
                }
                i++;
            }
            points.add(new Point(threshold, (double) falsePositives / negatives, (double) truePositives / positives));
        }
        return new RocCurve(points);
    }

    /** The area under the curve by the trapezoidal rule. */
    public double area() {
        double area = 0;
        for (int k = 1; k < points.size(); k++) {
            Point a = points.get(k - 1);
            Point b = points.get(k);
            area += (b.falsePositiveRate() - a.falsePositiveRate()) * (a.truePositiveRate() + b.truePositiveRate()) / 2;
        }
        return area;
    }

    /**
     * At most {@code max} points (at least 2) for drawing: the first and last always, and between them the point
     * of each evenly spaced step along the curve.
     */
    public RocCurve thinned(int max) {
        if (max < 2) {
            throw new IllegalArgumentException("a curve needs at least 2 points, not " + max);
        }
        if (points.size() <= max) {
            return this;
        }
        List<Point> kept = new ArrayList<>(max);
        int last = points.size() - 1;
        for (int k = 0; k < max; k++) {
            kept.add(points.get((int) Math.round((double) k * last / (max - 1))));
        }
        return new RocCurve(kept);
    }
}
