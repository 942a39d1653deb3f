package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The primary metric of an A/B experiment, declared before it starts: the AUROC of each arm on its labelled
 * predictions, the flag rate (share of predictions at or above the decision threshold; needs no outcome), or the
 * positive rate (share of labelled predictions whose outcome was positive: what the arm's patients went on to have).
 */
public enum ExperimentMetric {
    AUROC(true),
    FLAG_RATE(false),
    POSITIVE_RATE(true);

    private final boolean needsOutcomes;

    ExperimentMetric(boolean needsOutcomes) {
        this.needsOutcomes = needsOutcomes;
    }

    /** Whether the metric is measured on predictions with a realised outcome only. */
    public boolean needsOutcomes() {
        return needsOutcomes;
    }

    @JsonValue
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    @JsonCreator
    public static ExperimentMetric fromWire(String value) {
        for (ExperimentMetric m : values()) {
            if (m.wireName().equals(value)) {
                return m;
            }
        }
        throw new ValidationException("the primary metric is " + Json.quotedName(value) + "; use one of "
                + Arrays.stream(values()).map(ExperimentMetric::wireName).collect(Collectors.joining(", ")));
    }
}
