package health.vigil.model;

/**
 * One metric of a step's analysis: the canary's and stable's value, the test statistic, its p-value, the level
 * the p-value was held to, and whether the metric failed the canary.
 */
public record CanaryMetric(String name, double canary, double stable, double statistic, double pValue, double level,
        boolean failed, String test) {
}
