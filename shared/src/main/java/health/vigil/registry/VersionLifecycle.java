package health.vigil.registry;

import health.vigil.audit.AuditLog;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.model.ElectronicSignature;
import health.vigil.model.Lifecycle;
import health.vigil.model.ModelVersion;
import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import health.vigil.model.VersionRecord;
import health.vigil.port.RegistryStore;
import health.vigil.security.Principal;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalInt;

/**
 * Moves a version from one stage to the next: the only writer of a version's stage. Every move is allowed by
 * {@link Lifecycle} first, written conditionally on the etag that was read, appended to the version's history
 * with who, why and the stage it left, and audited once under a key naming the history entry it produced.
 *
 * <p>Callers name the stage they expect the version to be in. Event Grid delivers at least once and out of
 * order, so a move is idempotent: when the version already made this move (its history has the entry from
 * {@code expectedFrom} to {@code to}) nothing is written, the audit record is completed if a crash left it out,
 * and the answer says the move was not made now. An old event therefore never moves a version back. A
 * {@code cause} (the id of the event or request behind the move) makes a redelivery recognisable even when the
 * version is in that stage again after a later round, and tells a retrying handler that the move was its own.
 */
public final class VersionLifecycle {
    public static final String ACTION = "model.stage";
    static final int MAX_ATTEMPTS = 5;

    private final RegistryStore store;
    private final ModelRegistry registry;
    private final AuditLog audit;
    private final Clock clock;

    public VersionLifecycle(RegistryStore store, AuditLog audit, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.registry = new ModelRegistry(store);
        this.audit = Objects.requireNonNull(audit, "audit");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** What a call to {@link #move} did. */
    public enum Outcome {
        /** This call moved the version. */
        MOVED,
        /** The same cause moved it before: a redelivery; the caller may carry on where it left off. */
        REPLAYED,
        /** The move was made before by another cause, or the version has moved on since: nothing to do. */
        ALREADY_MOVED;

        public boolean moved() {
            return this == MOVED;
        }
    }

    /** The version after the call, and what the call did. */
    public record Move(VersionRecord version, Outcome outcome) {
        public Move {
            Objects.requireNonNull(version, "version");
            Objects.requireNonNull(outcome, "outcome");
        }
    }

    /** {@link #move(ModelVersion, Stage, Stage, Principal, String, String)} without a cause. */
    public Move move(ModelVersion version, Stage expectedFrom, Stage to, Principal actor, String reason) {
        return move(version, expectedFrom, to, actor, reason, null);
    }

    /**
     * Moves {@code version} from {@code expectedFrom} to {@code to}. A move {@link Lifecycle} does not allow, or a
     * version in another stage that never made this move, is refused with {@code INVALID_STATE} and a message that
     * says what must happen first.
     *
     * @param cause the id of the event or request behind the move, or null
     */
    public Move move(ModelVersion version, Stage expectedFrom, Stage to, Principal actor, String reason, String cause) {
        return move(version, expectedFrom, to, actor, reason, cause, () -> { });
    }

    /**
     * {@link #move(ModelVersion, Stage, Stage, Principal, String, String)} of a move that may have stopped being due
     * while it was made: {@code stillDue} runs after the version is read and before the write conditional on what was
     * read, and throws to refuse the move. So what it checks held when the version was as the write replaces it.
     */
    public Move move(ModelVersion version, Stage expectedFrom, Stage to, Principal actor, String reason, String cause,
            Runnable stillDue) {
        Objects.requireNonNull(stillDue, "stillDue");
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(expectedFrom, "expectedFrom");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(actor, "actor");
        requireReason(version, to, reason);
        Lifecycle.require(version, expectedFrom, to);
        ConflictException lastConflict = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            VersionRecord current = registry.getVersion(version.name(), version.number());
            OptionalInt earlier = madeBefore(current.history(), expectedFrom, to, cause);
            if (earlier.isPresent()) {
                // Complete the record of that move, should the call that made it have stopped before auditing it.
                audited(current, earlier.getAsInt());
                StageChange made = current.history().get(earlier.getAsInt());
                boolean same = cause != null && cause.equals(made.cause());
                return new Move(current, same ? Outcome.REPLAYED : Outcome.ALREADY_MOVED);
            }
            if (current.stage() != expectedFrom) {
                throw outOfTurn(current, expectedFrom, to);
            }
            stillDue.run();
            StageChange change = new StageChange(expectedFrom, to, actor.id(), reason, clock.instant(), cause);
            VersionRecord saved;
            try {
                saved = store.updateVersion(current.withStage(change));
            } catch (ConflictException e) {
                if (e.code() != ErrorCode.CONCURRENT_MODIFICATION) {
                    throw e;
                }
                lastConflict = e;
                continue;
            }
            audited(saved, saved.history().size() - 1);
            return new Move(saved, Outcome.MOVED);
        }
        throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, version + " kept changing while it was being"
                + " moved to " + to.wireName() + " (" + MAX_ATTEMPTS + " attempts; last: " + lastConflict.getMessage()
                + "); try again");
    }

    /**
     * Moves {@code read}, the version as the caller read it, to {@code to} and adds {@code signature} to it in the
     * same write, conditional on the etag that was read: a signature that decides a version is kept only with the move
     * it decides, so a decision that loses a race with another leaves no signature behind. A write that another got
     * in before fails with {@code CONCURRENT_MODIFICATION}, and the caller reads the version again and decides again.
     *
     * @param cause the id of the request behind the decision
     */
    public Move moveSigned(VersionRecord read, ElectronicSignature signature, Stage to, Principal actor, String reason,
            String cause) {
        Objects.requireNonNull(read, "read");
        Objects.requireNonNull(signature, "signature");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(actor, "actor");
        requireReason(read.id(), to, reason);
        Lifecycle.require(read.id(), read.stage(), to);
        StageChange change = new StageChange(read.stage(), to, actor.id(), reason, clock.instant(), cause);
        VersionRecord saved = store.updateVersion(read.withSignature(signature, signature.signedAt()).withStage(change));
        audited(saved, saved.history().size() - 1);
        return new Move(saved, Outcome.MOVED);
    }

    private static void requireReason(ModelVersion version, Stage to, String reason) {
        if (reason == null || reason.isBlank()) {
            throw new ValidationException("say why " + version + " moves to " + to.wireName() + ": a stage change"
                    + " is recorded with its reason");
        }
    }

    /** The stages a version went through, oldest first. */
    public List<StageChange> history(ModelVersion version) {
        Objects.requireNonNull(version, "version");
        return registry.getVersion(version.name(), version.number()).history();
    }

    /** The idempotency key of the audit record of a version's history entry {@code index} (from 0). */
    public static String auditKey(ModelVersion version, int index) {
        return ACTION + ":" + version.name().value() + ":" + version.number() + ":" + index;
    }

    /**
     * The index of the entry that already made this move, if it is still relevant: the latest entry of the same
     * cause making it; otherwise the latest entry from {@code expectedFrom} to {@code to}, unless the version is
     * back in {@code expectedFrom} since (a new round, which this call may move on).
     */
    private static OptionalInt madeBefore(List<StageChange> history, Stage expectedFrom, Stage to, String cause) {
        if (cause != null) {
            for (int i = history.size() - 1; i >= 0; i--) {
                StageChange change = history.get(i);
                if (cause.equals(change.cause()) && change.from() == expectedFrom && change.to() == to) {
                    return OptionalInt.of(i);
                }
            }
        }
        for (int i = history.size() - 1; i >= 0; i--) {
            StageChange change = history.get(i);
            if (change.to() == expectedFrom) {
                return OptionalInt.empty();
            }
            if (change.from() == expectedFrom && change.to() == to) {
                return OptionalInt.of(i);
            }
        }
        return OptionalInt.empty();
    }

    private void audited(VersionRecord record, int index) {
        StageChange change = record.history().get(index);
        Map<String, String> details = new LinkedHashMap<>();
        details.put("from", change.from() == null ? "none" : change.from().wireName());
        details.put("to", change.to().wireName());
        details.put("reason", change.reason());
        details.put("packageSha256", String.valueOf(record.packageSha256()));
        if (change.cause() != null) {
            details.put("cause", change.cause());
        }
        audit.recordOnce(auditKey(record.id(), index), change.actor(), ACTION, record.id().subject(),
                change.to().wireName(), details);
    }

    private static ConflictException outOfTurn(VersionRecord current, Stage expectedFrom, Stage to) {
        StringBuilder message = new StringBuilder().append(current.id()).append(" cannot move from ")
                .append(expectedFrom.wireName()).append(" to ").append(to.wireName()).append(": it is ")
                .append(current.stage().meaning()).append('.');
        if (Lifecycle.allows(current.stage(), to)) {
            message.append(" Move it from ").append(current.stage().wireName()).append(" instead, if that is meant.");
        } else if (Lifecycle.allows(current.stage(), expectedFrom)) {
            message.append(" It must reach ").append(expectedFrom.wireName()).append(" first.");
        } else {
            message.append(' ').append(current.stage().wireName()).append(" can move to ")
                    .append(Lifecycle.next(current.stage()).stream().map(Stage::wireName).sorted().toList());
        }
        return new ConflictException(ErrorCode.INVALID_STATE, message.toString());
    }
}
