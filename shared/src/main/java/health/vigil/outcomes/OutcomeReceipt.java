package health.vigil.outcomes;

import java.util.List;

/**
 * What became of a batch or file of outcomes: how many rows it had, how many outcomes were stored now, how many
 * were stored before with the same value (a resend), and the rows refused, by row number and reason: a conflict
 * (an outcome with another value is already stored for that prediction, and is kept) or an invalid row. Good rows
 * are kept whatever the others hold. At most {@link #MAX_LISTED} refused rows are listed; the counts are complete.
 */
public record OutcomeReceipt(String source, int rows, int recorded, int alreadyRecorded, int conflicts, int invalid,
        List<RowProblem> refused) {
    public static final int MAX_LISTED = 1_000;

    public OutcomeReceipt {
        refused = List.copyOf(refused);
    }

    /** A refused row: its number, {@code CONFLICT} or {@code INVALID}, and what to fix. Never a patient value. */
    public record RowProblem(int row, String kind, String reason) {}
}
