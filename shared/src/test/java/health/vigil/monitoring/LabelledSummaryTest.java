package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The bounded labelled summary checked against the statistics of the raw scores computed another way: pairs counted
 * one by one, squared errors summed case by case, ten calibration bins filled from the scores, the precision-recall
 * steps of scores rounded to their bin.
 */
class LabelledSummaryTest {

    @Test
    void brierAndItsIntervalAndTheCalibrationErrorAreTheExactOnesAndAurocIsWithinItsTieBound() {
        SplittableRandom random = new SplittableRandom(13);
        int n = 4_000;
        double[] scores = new double[n];
        boolean[] labels = new boolean[n];
        LabelledSummary summary = new LabelledSummary(0.5);
        for (int i = 0; i < n; i++) {
            scores[i] = random.nextDouble();
            labels[i] = random.nextDouble() < 0.2 + 0.6 * scores[i];
            summary.add(scores[i], labels[i]);
        }
        LabelledPerformance binned = summary.performance();

        double squared = 0;
        double fourth = 0;
        long pairs = 0;
        double inOrder = 0;
        long positives = 0;
        for (int i = 0; i < n; i++) {
            double e = scores[i] - (labels[i] ? 1 : 0);
            squared += e * e;
            fourth += e * e * e * e;
            positives += labels[i] ? 1 : 0;
            for (int j = 0; j < n; j++) {
                if (labels[i] && !labels[j]) {
                    pairs++;
                    inOrder += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                }
            }
        }
        double brier = squared / n;
        double se = Math.sqrt((fourth / n - brier * brier) * n / (n - 1) / n);
        assertThat(binned.labelled()).isEqualTo(n);
        assertThat(binned.positives()).isEqualTo(positives);
        assertThat(binned.brier()).isCloseTo(brier, within(1e-12));
        assertThat(binned.brierLower()).isCloseTo(brier - 1.959963984540054 * se, within(1e-9));
        assertThat(binned.brierUpper()).isCloseTo(brier + 1.959963984540054 * se, within(1e-9));

        long[] count = new long[10];
        long[] pos = new long[10];
        double[] sum = new double[10];
        for (int i = 0; i < n; i++) {
            int b = Math.min((int) (scores[i] * 10), 9);
            count[b]++;
            pos[b] += labels[i] ? 1 : 0;
            sum[b] += scores[i];
        }
        double ece = 0;
        for (int b = 0; b < 10; b++) {
            ece += count[b] == 0 ? 0 : (double) count[b] / n * Math.abs((double) pos[b] / count[b] - sum[b] / count[b]);
        }
        assertThat(binned.calibrationError()).isCloseTo(ece, within(1e-12));

        double exactAuroc = inOrder / pairs;
        double bound = summary.aurocTieBound();
        assertThat(bound).isPositive().isLessThan(0.001);
        assertThat(Math.abs(binned.auroc() - exactAuroc)).isLessThanOrEqualTo(bound + 1e-12);
        assertThat(binned.aurocLower()).isLessThan(binned.auroc());
        assertThat(binned.aurocUpper()).isGreaterThan(binned.auroc());
    }

    @Test
    void averagePrecisionIsThatOfTheScoresRoundedToTheirBinAndTheSlopeIsCloseToTheExactFit() {
        SplittableRandom random = new SplittableRandom(7);
        int n = 20_000;
        double[] scores = new double[n];
        boolean[] labels = new boolean[n];
        LabelledSummary summary = new LabelledSummary(0.3);
        for (int i = 0; i < n; i++) {
            double logit = random.nextGaussian() * 1.5 - 1;
            // Outcomes drawn at half the score's logit: a true calibration slope of 0.5.
            scores[i] = 1 / (1 + Math.exp(-logit));
            labels[i] = random.nextDouble() < 1 / (1 + Math.exp(-0.5 * logit));
            summary.add(scores[i], labels[i]);
        }
        LabelledPerformance binned = summary.performance();

        // Precision-recall steps by hand, over the scores rounded down to their 0.001 bin, from the highest down.
        long[] posIn = new long[1000];
        long[] negIn = new long[1000];
        long positives = 0;
        for (int i = 0; i < n; i++) {
            int b = Math.min((int) (scores[i] * 1000), 999);
            if (labels[i]) {
                posIn[b]++;
                positives++;
            } else {
                negIn[b]++;
            }
        }
        double ap = 0;
        long seen = 0;
        long hits = 0;
        for (int b = 999; b >= 0; b--) {
            seen += posIn[b] + negIn[b];
            hits += posIn[b];
            ap += posIn[b] == 0 ? 0 : (double) posIn[b] / positives * hits / seen;
        }
        assertThat(binned.averagePrecision()).isCloseTo(ap, within(1e-12));
        assertThat(binned.calibrationSlope()).isCloseTo(0.5, within(0.04));
        assertThat(binned.calibrationSlope())
                .isCloseTo(LabelledPerformance.of(scores, labels, n).calibrationSlope(), within(0.01));
    }

    @Test
    void theSummaryHasTheSameSizeAfterTenTimesMoreRowsAndMergesLikeOnePass() {
        SplittableRandom random = new SplittableRandom(3);
        LabelledSummary small = new LabelledSummary(0.5);
        LabelledSummary large = new LabelledSummary(0.5);
        LabelledSummary firstHalf = new LabelledSummary(0.5);
        LabelledSummary secondHalf = new LabelledSummary(0.5);
        for (int i = 0; i < 100_000; i++) {
            double s = random.nextDouble();
            boolean y = random.nextBoolean();
            if (i < 10_000) {
                small.add(s, y);
            }
            large.add(s, y);
            (i % 2 == 0 ? firstHalf : secondHalf).add(s, y);
        }
        assertThat(large.cells()).isEqualTo(small.cells());
        assertThat(reachableSize(large)).isEqualTo(reachableSize(small));
        firstHalf.merge(secondHalf);
        assertThat(firstHalf.positives().counts()).isEqualTo(large.positives().counts());
        assertThat(firstHalf.negatives().counts()).isEqualTo(large.negatives().counts());
        assertThat(firstHalf.performance().auroc()).isCloseTo(large.performance().auroc(), within(1e-12));
        assertThat(firstHalf.performance().brier()).isCloseTo(large.performance().brier(), within(1e-12));
    }

    /** Array elements and objects reachable from {@code root} through its fields: what the summary holds on to. */
    private static long reachableSize(Object root) {
        java.util.Set<Object> seen = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        java.util.ArrayDeque<Object> todo = new java.util.ArrayDeque<>(java.util.List.of(root));
        long size = 0;
        while (!todo.isEmpty()) {
            Object o = todo.pop();
            if (!seen.add(o)) {
                continue;
            }
            size++;
            Class<?> type = o.getClass();
            if (type.isArray()) {
                int length = java.lang.reflect.Array.getLength(o);
                size += length;
                if (!type.getComponentType().isPrimitive()) {
                    for (int i = 0; i < length; i++) {
                        Object e = java.lang.reflect.Array.get(o, i);
                        if (e != null) {
                            todo.push(e);
                        }
                    }
                }
                continue;
            }
            for (Class<?> c = type; c != null && c.getName().startsWith("health.vigil"); c = c.getSuperclass()) {
                for (java.lang.reflect.Field f : c.getDeclaredFields()) {
                    if (java.lang.reflect.Modifier.isStatic(f.getModifiers()) || f.getType().isPrimitive()) {
                        continue;
                    }
                    f.setAccessible(true);
                    try {
                        Object v = f.get(o);
                        if (v != null) {
                            todo.push(v);
                        }
                    } catch (IllegalAccessException e) {
                        throw new AssertionError(e);
                    }
                }
            }
        }
        return size;
    }

    @Test
    void labelsOfOneClassGiveNoDiscriminationAndAnEmptySummaryNothing() {
        LabelledSummary negatives = new LabelledSummary(0.5);
        negatives.add(0.2, false);
        negatives.add(0.4, false);
        LabelledPerformance p = negatives.performance();
        assertThat(p.auroc()).isNull();
        assertThat(p.averagePrecision()).isNull();
        assertThat(p.calibrationSlope()).isNull();
        assertThat(p.brier()).isCloseTo((0.04 + 0.16) / 2, within(1e-12));
        assertThat(new LabelledSummary(0.5).performance().labelled()).isZero();
        assertThat(new LabelledSummary(0.5).performance().brier()).isNull();
    }
}
