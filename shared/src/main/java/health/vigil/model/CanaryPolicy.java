package health.vigil.model;

import health.vigil.error.ValidationException;

/**
 * How a canary is judged at each step (the method and its guarantee: docs/canary-analysis.md).
 *
 * @param falseRollbackRate the probability of rolling back a healthy canary over the whole ramp that the
 *        analysis may spend (split over the metrics by fixed shares, and over each metric's looks)
 * @param minSamplePerSlot requests each of canary and stable needs in a step's window before the step may pass;
 *        with fewer, the bake time is extended instead (looks before it may fail the step)
 * @param flagRateMargin how far (absolute) the canary's flag rate may differ from stable's and still be healthy
 * @param missingRateMargin how much more often (absolute) the canary's rows may miss a feature than stable's
 * @param psiLimit the population stability index of the canary's scores against stable's above which a
 *        significant difference in distribution counts as a failure
 * @param errorRateMargin how much more often (absolute) the canary's rows may fail with a server error than
 *        stable's (absent: 0.01)
 * @param refusedRateMargin how much more often (absolute) the canary's rows may be refused as invalid than
 *        stable's (absent: 0.02)
 * @param latencyMargin how much larger (absolute) the canary's share of requests slower than stable's p99 may be
 *        than stable's own share (absent: 0.01)
 * @param latencyRatioLimit the ratio of the canary's p99 to stable's above which a significant latency excess
 *        counts as a failure (absent: 1.5)
 * @param calibrationMargin how far (absolute) the canary's mean predicted risk minus observed rate may differ from
 *        stable's, where outcomes are known (absent: 0.03)
 * @param aurocMargin how much lower the canary's AUROC may be than stable's, where outcomes are known (absent: 0.05)
 * @param scoreMeanMargin how far (absolute) the canary's mean score may differ from stable's (absent: 0.02)
 */
public record CanaryPolicy(double falseRollbackRate, int minSamplePerSlot, double flagRateMargin,
        double missingRateMargin, double psiLimit, Double errorRateMargin, Double refusedRateMargin,
        Double latencyMargin, Double latencyRatioLimit, Double calibrationMargin, Double aurocMargin,
        Double scoreMeanMargin) {

    public static final CanaryPolicy DEFAULT = new CanaryPolicy(0.01, 200, 0.05, 0.01, 0.2);

    /** A policy with the request metrics' defaults. */
    public CanaryPolicy(double falseRollbackRate, int minSamplePerSlot, double flagRateMargin, double missingRateMargin,
            double psiLimit) {
        this(falseRollbackRate, minSamplePerSlot, flagRateMargin, missingRateMargin, psiLimit, null, null, null, null,
                null, null, null);
    }

    public CanaryPolicy {
        // Absent in ramps stored before the request metrics were judged: their defaults.
        errorRateMargin = errorRateMargin == null ? 0.005 : errorRateMargin;
        refusedRateMargin = refusedRateMargin == null ? 0.02 : refusedRateMargin;
        latencyMargin = latencyMargin == null ? 0.01 : latencyMargin;
        latencyRatioLimit = latencyRatioLimit == null ? 1.5 : latencyRatioLimit;
        calibrationMargin = calibrationMargin == null ? 0.03 : calibrationMargin;
        aurocMargin = aurocMargin == null ? 0.05 : aurocMargin;
        scoreMeanMargin = scoreMeanMargin == null ? 0.02 : scoreMeanMargin;
        for (double margin : new double[] {errorRateMargin, refusedRateMargin, latencyMargin, calibrationMargin,
                aurocMargin, scoreMeanMargin}) {
            if (!(margin >= 0 && margin < 1)) {
                throw new ValidationException("errorRateMargin, refusedRateMargin, latencyMargin, calibrationMargin,"
                        + " aurocMargin and scoreMeanMargin must be 0 or more and below 1; one is " + margin);
            }
        }
        if (!(latencyRatioLimit >= 1 && latencyRatioLimit <= 100)) {
            throw new ValidationException("latencyRatioLimit is " + latencyRatioLimit + "; it must be 1-100 (for"
                    + " example 1.5: the canary's p99 more than half as long again as stable's)");
        }
        if (!(falseRollbackRate > 0 && falseRollbackRate < 0.5)) {
            throw new ValidationException("falseRollbackRate is " + falseRollbackRate + "; it must be above 0 and"
                    + " below 0.5 (for example 0.01)");
        }
        if (minSamplePerSlot < 20 || minSamplePerSlot > 1_000_000) {
            throw new ValidationException("minSamplePerSlot is " + minSamplePerSlot + "; it must be 20-1000000");
        }
        if (!(flagRateMargin >= 0 && flagRateMargin < 1)) {
            throw new ValidationException("flagRateMargin is " + flagRateMargin + "; it must be 0 or more and below 1");
        }
        if (!(missingRateMargin >= 0 && missingRateMargin < 1)) {
            throw new ValidationException("missingRateMargin is " + missingRateMargin
                    + "; it must be 0 or more and below 1");
        }
        if (!(psiLimit > 0 && psiLimit < 10)) {
            throw new ValidationException("psiLimit is " + psiLimit + "; it must be above 0 and below 10");
        }
    }
}
