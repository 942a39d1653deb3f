package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Objects;

/**
 * One measured check of a gate: what was measured, the value, the threshold it was held to and how
 * ({@code comparison}: {@code >=}, {@code <=}, {@code within}, {@code ==}), a confidence interval where one
 * applies, and the outcome. {@link Outcome#FLAGGED} does not fail the gates; it asks the approver to look.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GateCheck(
        String gate,
        String check,
        Double value,
        String threshold,
        Double ciLower,
        Double ciUpper,
        Outcome outcome,
        String note) {

    /** Passed, failed, or flagged for the approver. */
    public enum Outcome { PASSED, FAILED, FLAGGED }

    public GateCheck {
        Objects.requireNonNull(gate, "gate");
        Objects.requireNonNull(check, "check");
        Objects.requireNonNull(outcome, "outcome");
    }

    public static GateCheck of(String gate, String check, double value, String threshold, boolean passed, String note) {
        return new GateCheck(gate, check, value, threshold, null, null, passed ? Outcome.PASSED : Outcome.FAILED, note);
    }

    public static GateCheck failed(String gate, String check, String note) {
        return new GateCheck(gate, check, null, null, null, null, Outcome.FAILED, note);
    }

    public GateCheck withInterval(Double lower, Double upper) {
        return new GateCheck(gate, check, value, threshold, lower, upper, outcome, note);
    }

    public boolean failed() {
        return outcome == Outcome.FAILED;
    }
}
