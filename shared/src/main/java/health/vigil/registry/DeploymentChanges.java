package health.vigil.registry;

import health.vigil.audit.AuditLog;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.model.Deployment;
import health.vigil.events.VigilEvent;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.port.EventPublisher;
import health.vigil.port.RegistryStore;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * One conditional change of a model's deployment document: read it, let the caller decide the next document (empty:
 * nothing to do), and save it as the next revision on the etag that was read. A writer that loses the race reads
 * again and decides again from what the winner wrote, so two operators or instances never both apply a change and
 * no change is lost. Each written revision is then audited once and published ({@link #announceOnce}), by its writer
 * or, if that one died first, by whoever reads the document next. Used by the shadow and experiment services.
 */
public final class DeploymentChanges {
    static final int MAX_ATTEMPTS = 5;

    /** The deployment after the change, and whether this call wrote it (false: nothing to do). */
    public record Change(Deployment deployment, boolean written) {}

    private final RegistryStore store;
    private final ModelRegistry registry;
    private final AuditLog audit;
    private final Announcements announcements;
    private final Clock clock;

    public DeploymentChanges(RegistryStore store, AuditLog audit, EventPublisher events, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.registry = new ModelRegistry(store);
        this.audit = Objects.requireNonNull(audit, "audit");
        this.announcements = new Announcements(store, events);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The decision "this revision of the deployment was written by {@code action}": one audit record per revision. */
    public static String auditKey(String action, Deployment deployment) {
        return action + ":" + deployment.modelName().value() + ":revision-" + deployment.revision();
    }

    /**
     * Records the revision's decision once (keyed on action and revision, as its writer saved it) and publishes its
     * event with the record's id; does nothing once both are out. A call that died between the record and the event
     * leaves the event to the next call rather than losing it; a race publishes the same event id twice, which
     * at-least-once delivery allows.
     */
    public void announceOnce(Deployment deployment, String action, ModelVersion subject, String outcome,
            Map<String, String> details, String eventType, Map<String, Object> data) {
        String key = auditKey(action, deployment);
        if (announcements.done(key)) {
            return;
        }
        AuditRecord record = audit.recordOnce(key, deployment.updatedBy(), action, subject.subject(), outcome, details);
        announcements.publish(key, new VigilEvent(record.id(), eventType, VigilEvent.SOURCE, subject.subject(),
                clock.instant(), data));
    }

    /** The model's deployment; a 409 naming the fix when the model has none (a 404 when it does not exist). */
    public Deployment current(ModelName model, String toDoWhat) {
        return registry.deployment(model).orElseThrow(() -> {
            registry.listVersions(model);
            return new ConflictException(ErrorCode.MODEL_NOT_DEPLOYED, "model `" + model + "` has no deployment yet;"
                    + " deploy a stable version before " + toDoWhat);
        });
    }

    /**
     * Applies {@code decide} to the current document; its result must be the complete next document (its revision
     * and etag are set here).
     */
    public Change change(ModelName model, String toDoWhat, Function<Deployment, Optional<Deployment>> decide) {
        ConflictException lastConflict = null;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Deployment current = current(model, toDoWhat);
            Optional<Deployment> next = decide.apply(current);
            if (next.isEmpty()) {
                return new Change(current, false);
            }
            Deployment n = next.get();
            try {
                return new Change(store.saveDeployment(new Deployment(model, n.slots(), current.revision() + 1,
                        n.updatedBy(), n.updatedAt(), current.etag(), n.canary(), n.experiment(), n.lastChange())
                        .following(current)), true);
            } catch (ConflictException e) {
                if (e.code() != ErrorCode.CONCURRENT_MODIFICATION) {
                    throw e;
                }
                lastConflict = e;
            }
        }
        throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "the deployment of `" + model + "` kept changing"
                + " (" + MAX_ATTEMPTS + " attempts; last: " + lastConflict.getMessage() + "); try again");
    }
}
