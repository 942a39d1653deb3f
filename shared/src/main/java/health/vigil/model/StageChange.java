package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonCreator;
import health.vigil.error.ValidationException;
import java.time.Instant;
import java.util.Objects;

/**
 * One entry of a version's history: the stage it left ({@code null} for its registration), the stage it
 * entered, who moved it, why, when, and optionally what caused it ({@code cause}: the id of the event or request
 * that made the move, so a redelivery of that event can be recognised). The registry keeps the entries on the
 * version, oldest first.
 */
public record StageChange(Stage from, Stage to, String actor, String reason, Instant at, String cause) {

    public StageChange(Stage from, Stage to, String actor, String reason, Instant at) {
        this(from, to, actor, reason, at, null);
    }

    @JsonCreator
    public StageChange {
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(at, "at");
        if (actor == null || actor.isBlank()) {
            throw new ValidationException("a stage change names who made it");
        }
        if (reason == null || reason.isBlank()) {
            throw new ValidationException("a stage change says why it was made");
        }
    }
}
