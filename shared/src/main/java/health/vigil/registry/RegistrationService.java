package health.vigil.registry;

import health.vigil.modelpackage.ModelPackage;
import health.vigil.modelpackage.ModelPackageReader;
import health.vigil.audit.AuditLog;
import health.vigil.error.NotFoundException;
import health.vigil.error.PackageRejectedException;
import health.vigil.error.StoreException;
import health.vigil.events.BlobCreated;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.EventPublisher;
import health.vigil.port.RegistryStore;
import health.vigil.port.Telemetry;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Registers an uploaded model package as a new version: the handler of {@code BlobCreated} events on the
 * {@code models} container.
 *
 * <p>The model a package belongs to is the name in its manifest; the blob's name is only a file name and
 * is not compared with it (uploaders name files as they like, for example {@code readmission-2026-11.zip}).
 * Registration is idempotent twice over: a redelivered event is recognised by its id, and a package that
 * was registered before (same sha256, under any blob name) returns that version instead of a new one. Each
 * decision is audited with {@link AuditLog#recordOnce}: a version's {@code registered} record is keyed on the
 * version, a rejection or duplicate on the event, so concurrent and repeated deliveries write one record each.
 * An invalid package is audited, announced and reported as REJECTED rather than thrown, because retrying
 * cannot make it valid; store failures are thrown, so the event is delivered again.
 */
public final class RegistrationService {
    public static final String HANDLER = "RegisterModel";
    public static final String ACTION = "model.register";

    private final ArtifactStore artifacts;
    private final ModelPackageReader reader;
    private final RegistryStore registry;
    private final AuditLog audit;
    private final EventPublisher events;
    private final Clock clock;
    private final Telemetry telemetry;

    public RegistrationService(ArtifactStore artifacts, ModelPackageReader reader, RegistryStore registry, AuditLog audit,
            EventPublisher events, Clock clock, Telemetry telemetry) {
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.reader = Objects.requireNonNull(reader, "reader");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.events = Objects.requireNonNull(events, "events");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    /** The identity a version's uploader is recorded as, which approval compares with the approver's. */
    public static String uploaderOf(BlobCreated blob) {
        return "blob:" + blob.blobName();
    }

    public RegistrationOutcome register(BlobCreated blob) {
        Objects.requireNonNull(blob, "blob");
        if (!ArtifactStore.MODELS.equals(blob.container())) {
            return ignored(RegistrationOutcome.NOT_MODELS_CONTAINER, "blob '" + blob.blobName() + "' is in container '"
                    + blob.container() + "'; only blobs in '" + ArtifactStore.MODELS + "' are model packages");
        }
        if (registry.isEventHandled(HANDLER, blob.eventId())) {
            return ignored(RegistrationOutcome.EVENT_ALREADY_HANDLED, "event " + blob.eventId()
                    + " was handled before; nothing to do");
        }
        Optional<ModelPackage> read;
        try {
            read = readPackage(blob);
        } catch (PackageRejectedException e) {
            return reject(blob, e);
        }
        if (read.isEmpty()) {
            registry.markEventHandled(HANDLER, blob.eventId());
            return ignored(RegistrationOutcome.BLOB_GONE, "blob '" + blob.blobName()
                    + "' no longer exists in the models container; there is nothing to register");
        }
        ModelPackage pkg = read.get();
        ModelName name = pkg.manifest().name();
        Optional<VersionRecord> existing = registry.findByPackageSha256(name, pkg.packageSha256());
        // Either a new package, or a retry of this very event that stored the version but failed before
        // announcing it: finish the announcement instead of leaving the version without its event.
        VersionRecord version = existing.orElseGet(() -> create(blob, pkg));
        if (!blob.eventId().equals(version.sourceEventId())) {
            // Registered by another event (earlier, or concurrently with this one): this event made no version.
            return duplicate(blob, version);
        }
        AuditRecord record = audit.recordOnce(registeredKey(version), uploaderOf(blob), ACTION, version.id().subject(),
                "registered", Map.of(
                        "blob", blob.blobName(),
                        "eventId", blob.eventId(),
                        "packageSha256", version.packageSha256(),
                        "modelSha256", version.modelSha256()));
        // Published by every delivery that gets here (a replay may follow a crash before the publish), always
        // with the id of the decision's audit record, so consumers see one event however often it is sent.
        events.publish(new VigilEvent(record.id(), EventTypes.MODEL_REGISTERED, VigilEvent.SOURCE,
                version.id().subject(), clock.instant(), Map.of(
                        "model", name.value(),
                        "version", version.version(),
                        "packageSha256", version.packageSha256(),
                        "modelSha256", version.modelSha256())));
        registry.markEventHandled(HANDLER, blob.eventId());
        telemetry.registration("registered");
        return RegistrationOutcome.registered(version);
    }

    /** The decision "this version was registered": one record however many deliveries or events announce it. */
    static String registeredKey(VersionRecord version) {
        return ACTION + ":" + version.modelName().value() + ":" + version.version();
    }

    /** The decision an event led to when it made no version (rejected, or a duplicate): one record per event. */
    static String eventKey(BlobCreated blob) {
        return ACTION + ":event:" + blob.eventId();
    }

    /**
     * The registration time is read inside the store's numbering step (the factory runs there, once per number
     * tried), so {@code registeredAt} rises with the version number: versions are numbered in the order their
     * registrations commit, which is the registry's promise (not the order of uploads).
     */
    private VersionRecord create(BlobCreated blob, ModelPackage pkg) {
        ModelName name = pkg.manifest().name();
        return registry.createNextVersion(name, number -> {
            Instant now = clock.instant();
            return new VersionRecord(name, number, pkg.manifest(), pkg.packageSha256(), pkg.modelSha256(),
                    blob.blobName(), pkg.packageSize(), Stage.REGISTERED, uploaderOf(blob), now, blob.eventId(), now, null);
        });
    }

    /** The package, or empty when the blob is gone; a package that is not valid is thrown. */
    private Optional<ModelPackage> readPackage(BlobCreated blob) {
        InputStream in;
        try {
            in = artifacts.open(ArtifactStore.MODELS, blob.blobName());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
        try (in) {
            return Optional.of(reader.read(in));
        } catch (IOException e) {
            throw new StoreException("could not read blob '" + blob.blobName() + "' from the models container", e);
        }
    }

    private RegistrationOutcome reject(BlobCreated blob, PackageRejectedException e) {
        String reason = e.reason().name();
        String subject = "/packages/" + blob.blobName();
        audit.recordOnce(eventKey(blob), uploaderOf(blob), ACTION, subject, "rejected", Map.of(
                "blob", blob.blobName(),
                "eventId", blob.eventId(),
                "reason", reason));
        events.publish(VigilEvent.of(EventTypes.MODEL_REGISTRATION_REJECTED, subject, clock.instant(), Map.of(
                "blob", blob.blobName(),
                "reason", reason,
                "message", e.getMessage())));
        registry.markEventHandled(HANDLER, blob.eventId());
        telemetry.registration("rejected");
        return RegistrationOutcome.rejected(reason, e.getMessage());
    }

    private RegistrationOutcome duplicate(BlobCreated blob, VersionRecord existing) {
        audit.recordOnce(eventKey(blob), uploaderOf(blob), ACTION, existing.id().subject(), "duplicate", Map.of(
                "blob", blob.blobName(),
                "eventId", blob.eventId(),
                "packageSha256", existing.packageSha256()));
        registry.markEventHandled(HANDLER, blob.eventId());
        telemetry.registration("duplicate");
        return RegistrationOutcome.duplicate(existing, blob.blobName());
    }

    private RegistrationOutcome ignored(String reason, String message) {
        telemetry.registration("ignored");
        return RegistrationOutcome.ignored(reason, message);
    }
}
