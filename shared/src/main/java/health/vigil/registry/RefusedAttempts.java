package health.vigil.registry;

import health.vigil.audit.AuditLog;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.VersionRecord;
import health.vigil.port.RegistryStore;
import health.vigil.security.Principal;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The evidence of a caller's decision that the lifecycle refused: approving a version whose gates did not pass,
 * deploying or ramping out one that was never approved, deploying one directly that its model's policy lets reach
 * patients only through a canary, rolling back to one that cannot serve, promoting a canary that has ended, stopping a
 * shadow that was never set. Nothing changed, but a governance board asks who tried (an approval
 * of a version whose gates were judged on a production version, dataset or policy no longer in force among them), so
 * each such attempt is one audit record of the attempted action, outcome
 * {@value #OUTCOME}: the caller, the version (or the model) it named, the refusal's code as {@code reason} and the
 * platform's own message, with the version's stage and package sha256 when it exists. Nothing the caller wrote is
 * kept (a justification stays with signatures that were made).
 *
 * <p>A change of the deployment sent on a revision another change has since replaced ({@link RevisionConflict}, 409
 * {@code CONFLICT} of an {@code If-Match}) is refused the same way, and its record also names both revisions.
 *
 * <p>Only callers' requests come through here, never an event or a timer, and every request refused is an attempt
 * of its own, so each is recorded ({@link AuditLog#record}), as a refused signature or a refused request is. A
 * request that answers as done without changing anything (the same approver signing again, a deploy of what already
 * serves) is not refused and records nothing.
 */
public final class RefusedAttempts {
    public static final String OUTCOME = "refused";
    /**
     * The detail that says which request of an action was refused, where one action has several (a deploy or a
     * rollback; a canary's start, promote, pause, resume or abort; a shadow's set or stop; an experiment's start or stop).
     */
    public static final String REQUEST = "request";
    /**
     * The refusals of a version's or a deployment's state (409), and of a request whose model's gate policy in force
     * does not read (500, until a new policy is set): sending the request again changes nothing.
     */
    static final Set<ErrorCode> LIFECYCLE = EnumSet.of(ErrorCode.INVALID_STATE, ErrorCode.GATES_OUT_OF_DATE,
            ErrorCode.VERSION_NOT_SERVABLE, ErrorCode.MODEL_NOT_DEPLOYED, ErrorCode.CANARY_REQUIRED,
            ErrorCode.CANARY_NOT_JUDGED, ErrorCode.GATE_POLICY_UNREADABLE);

    private final RegistryStore store;
    private final AuditLog audit;

    public RefusedAttempts(RegistryStore store, AuditLog audit) {
        this.store = Objects.requireNonNull(store, "store");
        this.audit = Objects.requireNonNull(audit, "audit");
    }

    /**
     * Runs {@code attempt}, {@code actor}'s {@code action} on version {@code version} of {@code model} (below 1: an
     * action that named no version, such as a rollback to whatever was retired last), recording it if the lifecycle
     * refuses it or the deployment has moved on from the revision its caller read.
     */
    public <T> T attempt(Principal actor, String action, ModelName model, int version, Map<String, String> details,
            Supplier<T> attempt) {
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(model, "model");
        try {
            return attempt.get();
        } catch (VigilException refusal) {
            if (LIFECYCLE.contains(refusal.code()) || refusal instanceof RevisionConflict) {
                record(actor, action, model, version, details, refusal);
            }
            throw refusal;
        }
    }

    /**
     * The details every refused record of a caller's request holds, whatever refused it (the lifecycle here, separation
     * of duties in the approval and gate policy services): the refusal's code as {@code reason}, which an auditor
     * filters on, and the platform's message as {@code message}. More may be added to the map returned.
     */
    public static Map<String, String> details(VigilException refusal) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("reason", refusal.code().name());
        details.put("message", String.valueOf(refusal.getMessage()));
        return details;
    }

    private void record(Principal actor, String action, ModelName model, int version, Map<String, String> details,
            VigilException refusal) {
        Map<String, String> recorded = new LinkedHashMap<>(details);
        recorded.putAll(details(refusal));
        if (refusal instanceof RevisionConflict conflict) {
            recorded.put("expectedRevision", Long.toString(conflict.expectedRevision()));
            conflict.currentRevision().ifPresent(current -> recorded.put("currentRevision", Long.toString(current)));
        }
        try {
            Optional<VersionRecord> named = version < 1 ? Optional.empty() : store.findVersion(model, version);
            named.ifPresent(found -> {
                recorded.put("stage", found.stage().wireName());
                recorded.put("packageSha256", String.valueOf(found.packageSha256()));
            });
            audit.record(actor.id(), action, version < 1 ? "/models/" + model.value()
                    : new ModelVersion(model, version).subject(), OUTCOME, recorded);
        } catch (RuntimeException unrecorded) {
            // The attempt must not go unrecorded: the caller is told the store failed (and retries), not the refusal.
            unrecorded.addSuppressed(refusal);
            throw unrecorded;
        }
    }
}
