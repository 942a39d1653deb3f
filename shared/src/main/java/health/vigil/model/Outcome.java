package health.vigil.model;

import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Objects;

/**
 * A realised outcome (the label) of a model's prediction, as the outcome store keeps it. {@code key} names what
 * it is the outcome of: {@link #predictionKey} for one prediction, or {@link #patientDayKey} for the predictions of
 * a pseudonymised patient on the UTC day of the index time. {@code source} says how it arrived ({@code api} or
 * {@code blob:<name>}); it never holds a patient value.
 */
public record Outcome(ModelName model, String key, boolean positive, Instant recordedAt, String source) {
    private static final String PREDICTION = "prediction:";
    private static final String PATIENT_DAY = "patient:";
    /** The length of the ISO day that ends a patient and day key. */
    private static final int DAY_LENGTH = 10;

    public Outcome {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(recordedAt, "recordedAt");
        Objects.requireNonNull(source, "source");
        if (!key.startsWith(PREDICTION) && !key.startsWith(PATIENT_DAY)) {
            throw new IllegalArgumentException("an outcome key starts with 'prediction:' or 'patient:'");
        }
    }

    /** The key of the outcome of one prediction. */
    public static String predictionKey(String predictionId) {
        return PREDICTION + Objects.requireNonNull(predictionId, "predictionId");
    }

    /**
     * The key of the outcome of a patient's predictions on the UTC day of {@code time}: an outcome sent with an index
     * time applies to the predictions of that pseudonym made on the index time's UTC day.
     */
    public static String patientDayKey(String pseudonym, Instant time) {
        return PATIENT_DAY + Objects.requireNonNull(pseudonym, "pseudonym") + ":"
                + DateTimeFormatter.ISO_LOCAL_DATE.format(time.atOffset(ZoneOffset.UTC));
    }

    /**
     * The time before which every prediction this outcome labels was made: just after the time a version 7 id
     * carries, the end of the UTC day of a patient and day, and for an id of an older form (which carries no time)
     * the time the outcome was recorded, which came after its prediction. Once the prediction log's retention
     * cut-off reaches it, the outcome labels nothing the log still holds.
     */
    public Instant labelsPredictionsBefore() {
        if (key.startsWith(PATIENT_DAY)) {
            try {
                LocalDate day = LocalDate.parse(key.substring(Math.max(0, key.length() - DAY_LENGTH)));
                return day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
            } catch (java.time.format.DateTimeParseException notADay) {
                return recordedAt; // not made by patientDayKey: its predictions came before it was recorded
            }
        }
        return PredictionIds.timeOf(key.substring(PREDICTION.length())).map(t -> t.plusMillis(1)).orElse(recordedAt);
    }

    /**
     * Whether the retention cut-off {@code cutoff} has passed every prediction this outcome labels: the one rule by
     * which an outcome is refused when sent and removed when stored.
     */
    public boolean labelsOnlyPredictionsBefore(Instant cutoff) {
        return !labelsPredictionsBefore().isAfter(cutoff);
    }

    /** The same outcome: a second delivery of it changes nothing. */
    public boolean sameAs(Outcome other) {
        return model.equals(other.model) && key.equals(other.key) && positive == other.positive;
    }

    @Override
    public String toString() {
        return "Outcome[" + model + " " + (key.startsWith(PREDICTION) ? key : PATIENT_DAY + "…") + "]";
    }
}
