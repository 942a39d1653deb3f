package health.vigil.statistics;

import health.vigil.error.ValidationException;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * Sample sizes for a two-arm experiment with a fixed split, found before it starts from the significance level
 * {@code alpha} (two-sided), the power wanted and the smallest effect worth detecting.
 *
 * <ul>
 * <li>A rate (flag rate, outcome rate): the normal approximation to the two-proportion z-test without continuity
 * correction, with unequal allocation {@code k = treatment / control} (Fleiss, Levin and Paik, <i>Statistical
 * Methods for Rates and Proportions</i>, 3rd ed., section 4.2; Chow, Shao and Wang, <i>Sample Size Calculations in
 * Clinical Research</i>, section 4.2): {@code n_c = (z_a sqrt(pbar qbar (1 + 1/k)) + z_b sqrt(p1 q1 + p2 q2 / k))^2
 * / delta^2}.</li>
 * <li>AUROC: the two arms are different patients, so the difference of their AUROCs has variance
 * {@code V(A1, n_c) + V(A2, n_t)}, each from Hanley and McNeil's approximation (Radiology 1982;143:29-36) with the
 * expected prevalence splitting each arm into positives and negatives; the smallest {@code n_c} with
 * {@code z_a sqrt(V0) + z_b sqrt(V1) <= delta} is found by bisection (V0 under the null: both arms at the baseline
 * AUROC; Hanley and McNeil, Radiology 1983;148:839-843; Obuchowski, Stat Med 1998).</li>
 * </ul>
 */
public final class SampleSize {
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);
    /** The largest arm the search considers; a plan needing more is refused as unreachable. */
    public static final long MAX_ARM = 100_000_000L;

    /** Predictions (rates) or labelled predictions (AUROC) needed in each arm. */
    public record Plan(long control, long treatment) {
        public long total() {
            return control + treatment;
        }
    }

    private SampleSize() {}

    /** Rates: {@code baseline} is the control arm's expected rate, {@code effect} the difference to detect. */
    public static Plan twoProportions(double baseline, double effect, double alpha, double power,
            double treatmentShare) {
        check(alpha, power, treatmentShare);
        double p1 = baseline;
        double p2 = baseline + effect;
        if (!(p1 > 0 && p1 < 1)) {
            throw new ValidationException("the baseline rate is " + baseline + "; give the control arm's expected rate,"
                    + " between 0 and 1 (exclusive)");
        }
        if (!(p2 > 0 && p2 < 1) || effect == 0) {
            throw new ValidationException("the baseline rate plus the minimum detectable effect is " + p2
                    + "; the effect must be non-zero and keep the rate between 0 and 1");
        }
        double k = treatmentShare / (1 - treatmentShare);
        double za = STANDARD_NORMAL.inverseSurvivalProbability(alpha / 2);
        double zb = STANDARD_NORMAL.inverseSurvivalProbability(1 - power);
        double pBar = (p1 + k * p2) / (1 + k);
        double root = za * Math.sqrt(pBar * (1 - pBar) * (1 + 1 / k)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2) / k);
        double control = root * root / (effect * effect);
        return plan(control, k);
    }

    /**
     * AUROC: {@code baseline} is the control arm's expected AUROC, {@code effect} the difference to detect and
     * {@code prevalence} the expected share of positive outcomes among the labelled predictions.
     */
    public static Plan auroc(double baseline, double effect, double prevalence, double alpha, double power,
            double treatmentShare) {
        check(alpha, power, treatmentShare);
        double a1 = baseline;
        double a2 = baseline + effect;
        if (!(a1 > 0.5 && a1 < 1) || !(a2 > 0.5 && a2 < 1) || effect == 0) {
            throw new ValidationException("the baseline AUROC is " + baseline + " and with the minimum detectable effect "
                    + a2 + "; both must be above 0.5 and below 1, and the effect non-zero");
        }
        if (!(prevalence > 0 && prevalence < 1)) {
            throw new ValidationException("the expected prevalence is " + prevalence + "; give the share of positive"
                    + " outcomes expected, between 0 and 1 (exclusive)");
        }
        double k = treatmentShare / (1 - treatmentShare);
        double za = STANDARD_NORMAL.inverseSurvivalProbability(alpha / 2);
        double zb = STANDARD_NORMAL.inverseSurvivalProbability(1 - power);
        double delta = Math.abs(effect);
        long low = 1; // not enough
        long high = MAX_ARM; // enough
        if (!enough(high, k, a1, a2, prevalence, za, zb, delta)) {
            throw new ValidationException("detecting an AUROC difference of " + effect + " would need more than "
                    + MAX_ARM + " labelled predictions per arm; choose a larger minimum detectable effect");
        }
        while (high - low > 1) {
            long mid = (low + high) >>> 1;
            if (enough(mid, k, a1, a2, prevalence, za, zb, delta)) {
                high = mid;
            } else {
                low = mid;
            }
        }
        return plan(high, k);
    }

    /** Hanley and McNeil's variance of an AUROC estimated from {@code positives} and {@code negatives}. */
    public static double hanleyMcNeilVariance(double auroc, double positives, double negatives) {
        double q1 = auroc / (2 - auroc);
        double q2 = 2 * auroc * auroc / (1 + auroc);
        double a2 = auroc * auroc;
        return (auroc * (1 - auroc) + (positives - 1) * (q1 - a2) + (negatives - 1) * (q2 - a2))
                / (positives * negatives);
    }

    private static boolean enough(double control, double k, double a1, double a2, double prevalence, double za,
            double zb, double delta) {
        double treatment = Math.ceil(k * control);
        double v0 = variance(a1, control, prevalence) + variance(a1, treatment, prevalence);
        double v1 = variance(a1, control, prevalence) + variance(a2, treatment, prevalence);
        return za * Math.sqrt(v0) + zb * Math.sqrt(v1) <= delta;
    }

    private static double variance(double auroc, double n, double prevalence) {
        double positives = Math.max(1, n * prevalence);
        double negatives = Math.max(1, n * (1 - prevalence));
        return hanleyMcNeilVariance(auroc, positives, negatives);
    }

    private static Plan plan(double control, double k) {
        long c = (long) Math.ceil(control - 1e-9);
        long t = (long) Math.ceil(k * c - 1e-9);
        if (c > MAX_ARM || t > MAX_ARM) {
            throw new ValidationException("the experiment would need " + c + " and " + t + " predictions in its arms,"
                    + " more than " + MAX_ARM + "; choose a larger minimum detectable effect");
        }
        return new Plan(Math.max(c, 2), Math.max(t, 2));
    }

    private static void check(double alpha, double power, double treatmentShare) {
        if (!(alpha > 0 && alpha < 0.5)) {
            throw new ValidationException("alpha is " + alpha + "; give the two-sided significance level, for example 0.05");
        }
        if (!(power >= 0.5 && power < 1)) {
            throw new ValidationException("power is " + power + "; give the chance of detecting the effect, 0.5 to"
                    + " below 1, for example 0.8");
        }
        if (!(treatmentShare > 0 && treatmentShare < 1)) {
            throw new ValidationException("the treatment share is " + treatmentShare + "; it must be between 0 and 1"
                    + " (exclusive)");
        }
    }
}
