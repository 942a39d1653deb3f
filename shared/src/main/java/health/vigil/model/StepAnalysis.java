package health.vigil.model;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The analysis of one ramp step over its window: the sample sizes, each metric and the decision ({@code pass}:
 * the ramp moves on; {@code fail}: the canary is rolled back; {@code extend}: too few predictions, the bake time
 * was extended), with the reason in words.
 */
public record StepAnalysis(int step, int weightBasisPoints, Instant windowFrom, Instant windowTo, long canaryCount,
        long stableCount, String decision, String reason, List<CanaryMetric> metrics) {
    public static final String PASS = "pass";
    public static final String FAIL = "fail";
    public static final String EXTEND = "extend";

    public StepAnalysis {
        Objects.requireNonNull(decision, "decision");
        metrics = metrics == null ? List.of() : List.copyOf(metrics);
    }
}
