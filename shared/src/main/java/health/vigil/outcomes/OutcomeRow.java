package health.vigil.outcomes;

import java.time.Instant;

/**
 * One outcome as it arrived, before it is checked against the registry and stored: the outcome of a prediction
 * (by {@code predictionId}) or of a patient's predictions on the UTC day of {@code indexTime} (by {@code patientId},
 * pseudonymised on arrival). {@code row} is the position in the batch (1-based) or the line of the file;
 * {@code problem} is set when the row could not be read, and says what was wrong without quoting any value.
 */
record OutcomeRow(int row, String model, String predictionId, String patientId, Instant indexTime, Boolean positive,
        String problem) {

    static OutcomeRow unreadable(int row, String problem) {
        return new OutcomeRow(row, null, null, null, null, null, problem);
    }
}
