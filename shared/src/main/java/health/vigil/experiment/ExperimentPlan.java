package health.vigil.experiment;

import health.vigil.error.ValidationException;
import health.vigil.model.ExperimentMetric;
import health.vigil.model.TrafficSlot;
import health.vigil.statistics.SampleSize;

/**
 * What an experiment is to detect, declared before it starts, and the sample size that follows from it: the primary
 * metric, the control arm's expected value ({@code baseline}), the smallest difference worth detecting, the expected
 * prevalence of positive outcomes (AUROC only: it splits each arm into positives and negatives), the two-sided
 * significance level, the power and the treatment arm's share of traffic.
 */
public record ExperimentPlan(ExperimentMetric metric, double baseline, double minimumDetectableEffect,
        Double prevalence, double alpha, double power, int treatmentBasisPoints) {

    public ExperimentPlan {
        if (metric == null) {
            throw new ValidationException("declare the primary metric: \"metric\" is one of auroc, flag_rate,"
                    + " positive_rate");
        }
        if (metric == ExperimentMetric.AUROC && prevalence == null) {
            throw new ValidationException("an AUROC experiment needs \"prevalence\": the share of positive outcomes"
                    + " expected among labelled predictions, for example 0.12");
        }
        if (treatmentBasisPoints < 1 || treatmentBasisPoints >= TrafficSlot.ALL) {
            throw new ValidationException("\"treatmentBasisPoints\" is " + treatmentBasisPoints + "; give the treatment"
                    + " arm's share of live traffic, 1-9999 (5000 = an even split)");
        }
    }

    /** The plan with the usual defaults for what was left out: alpha 0.05, power 0.8, an even split. */
    public static ExperimentPlan of(ExperimentMetric metric, Double baseline, Double effect, Double prevalence,
            Double alpha, Double power, Integer treatmentBasisPoints) {
        if (baseline == null || effect == null) {
            throw new ValidationException("give \"baseline\" (the control arm's expected value of the metric) and"
                    + " \"minimumDetectableEffect\" (the smallest difference worth detecting)");
        }
        // Refused rather than kept unused: a caller who sends it expects it to shape the sample size, and only
        // AUROC's does. (Checked here, for what a caller sends; a stored plan is read back as it was written.)
        if (metric != null && metric != ExperimentMetric.AUROC && prevalence != null) {
            throw new ValidationException("\"prevalence\" is for auroc experiments only; a " + metric.wireName()
                    + " experiment's sample size follows from its baseline and effect: leave prevalence out");
        }
        return new ExperimentPlan(metric, baseline, effect, prevalence, alpha == null ? 0.05 : alpha,
                power == null ? 0.8 : power, treatmentBasisPoints == null ? TrafficSlot.ALL / 2 : treatmentBasisPoints);
    }

    /** Per arm: predictions (flag rate) or labelled predictions (AUROC, positive rate). */
    public SampleSize.Plan sampleSize() {
        double share = treatmentBasisPoints / (double) TrafficSlot.ALL;
        return metric == ExperimentMetric.AUROC
                ? SampleSize.auroc(baseline, minimumDetectableEffect, prevalence, alpha, power, share)
                : SampleSize.twoProportions(baseline, minimumDetectableEffect, alpha, power, share);
    }

    /** What the planned sizes count. */
    public String unit() {
        return metric.needsOutcomes() ? "labelled predictions" : "predictions";
    }

    /** The method the sample size comes from, for the report. */
    public String method() {
        return metric == ExperimentMetric.AUROC
                ? "Hanley-McNeil variance of each arm's AUROC, two-sided z-test of the difference (independent samples)"
                : "normal approximation to the two-sided two-proportion z-test, unequal allocation (Fleiss)";
    }
}
