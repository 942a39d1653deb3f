package health.vigil.registry;

import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * A caller's change of a model's deployment sent on the revision it read ({@code If-Match}) after another revision was
 * saved (or while none is): 409 {@code CONFLICT} naming the revision now, its stable version and who wrote it when.
 * The caller decided on what it read, which no longer holds, so nothing is changed, and {@link RefusedAttempts} records
 * the attempt with both revisions.
 */
public final class RevisionConflict extends ConflictException {
    private static final long serialVersionUID = 1L;

    private final long expected;
    /** The deployment's revision when the change was refused; 0 when the model had none (revisions start at 1). */
    private final long current;

    private RevisionConflict(ModelName model, Optional<Deployment> current, long expected) {
        super(ErrorCode.CONFLICT, "the deployment of `" + model + "` " + current.map(d -> "is at revision "
                + d.revision() + " (stable version " + d.stable().version() + ", written by " + d.updatedBy() + " at "
                + d.updatedAt() + ")").orElse("has no deployment yet") + ", not at revision " + expected + " as"
                + " If-Match says: it changed after it was read, and nothing was changed now; read it again (GET"
                + " /models/" + model + ") and, if this change is still wanted, send it with the revision read");
        this.expected = expected;
        this.current = current.map(Deployment::revision).orElse(0L);
    }

    /**
     * The deployment {@code current} read for a change its caller asked for on revision {@code expected} (when given);
     * refused once it is at another revision, or there is none.
     */
    public static Optional<Deployment> require(ModelName model, Optional<Deployment> current, OptionalLong expected) {
        Objects.requireNonNull(model, "model");
        if (expected.isEmpty() || current.map(Deployment::revision).orElse(0L) == expected.getAsLong()) {
            return current;
        }
        throw new RevisionConflict(model, current, expected.getAsLong());
    }

    /** The revision the caller read, as its {@code If-Match} named it. */
    public long expectedRevision() {
        return expected;
    }

    /** The deployment's revision when the change was refused; empty when the model had no deployment. */
    public OptionalLong currentRevision() {
        return current == 0 ? OptionalLong.empty() : OptionalLong.of(current);
    }
}
