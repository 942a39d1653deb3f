package health.vigil.canary;

/**
 * What one step's window holds for both slots: their predictions, their requests and their predictions with a
 * realised outcome. A ramp is judged on the evidence of every step so far, each step a stratum of its own.
 */
public record StepEvidence(WindowSample canary, WindowSample stable, RequestSample canaryRequests,
        RequestSample stableRequests, LabelledSample canaryLabelled, LabelledSample stableLabelled) {

    /** Predictions alone (no request statistics, no outcomes). */
    public static StepEvidence ofPredictions(WindowSample canary, WindowSample stable) {
        return new StepEvidence(canary, stable, RequestSample.NONE, RequestSample.NONE, CanaryAnalysis.NO_OUTCOMES,
                CanaryAnalysis.NO_OUTCOMES);
    }

    /** Rows that reached the canary: the request statistics count refused and failed rows too. */
    long canaryRows() {
        return Math.max(canary.count(), canaryRequests.rows());
    }

    long stableRows() {
        return Math.max(stable.count(), stableRequests.rows());
    }
}
