package health.vigil.monitoring;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * How much of a monitoring window has realised outcomes: the predictions logged in {@code [from, to)}, how many
 * of them an outcome is joined to, and how many of those were positive; overall and per version and slot.
 * {@code labelledFraction} is null for a window without predictions. {@code conflicting} counts the predictions left
 * unlabelled because an outcome sent for their id and one sent for their patient and day disagree. Counts of a few
 * outcomes are withheld by the model's {@code minCellSize} as a monitoring report's are ({@link SmallCells}): a
 * withheld count is absent, with the {@code labelledFraction} that would give it back, and {@code suppressed} says why.
 */
public record LabelledWindow(String model, Instant from, Instant to, long predictions,
        @JsonInclude(JsonInclude.Include.NON_NULL) Long labelled,
        @JsonInclude(JsonInclude.Include.NON_NULL) Long positives, Double labelledFraction, long conflicting,
        List<Part> parts, @JsonInclude(JsonInclude.Include.NON_NULL) String suppressed) {

    public LabelledWindow {
        parts = List.copyOf(parts);
    }

    /** The same counts for one version in one traffic slot. */
    public record Part(int version, String slot, long predictions,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long labelled,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long positives, Double labelledFraction,
            @JsonInclude(JsonInclude.Include.NON_NULL) String suppressed) {}

    static Double fraction(long labelled, long predictions) {
        return predictions == 0 ? null : (double) labelled / predictions;
    }
}
