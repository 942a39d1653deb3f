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
import health.vigil.model.ModelName;
import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.EventPublisher;
import health.vigil.port.RegistryStore;
import health.vigil.port.Telemetry;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
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
 * was registered before (same sha256, under any blob name) returns that version instead of a new one.
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
        if (existing.isPresent() && !blob.eventId().equals(existing.get().sourceEventId())) {
            return duplicate(blob, existing.get());
        }
        // Either a new package, or a retry of this very event that stored the version but failed before
        // announcing it: finish the announcement instead of leaving the version without its event.
        VersionRecord version = existing.orElseGet(() -> create(blob, pkg));
        // Keyed on the version, not the event: the retry that finds the version stored completes this one record.
        audit.recordOnce(VersionLifecycle.auditKey(version.id(), 0), version.registeredBy(), ACTION,
                version.id().subject(), "registered", Map.of(
                "blob", blob.blobName(),
                "eventId", blob.eventId(),
                "packageSha256", version.packageSha256(),
                "modelSha256", version.modelSha256()));
        events.publish(VigilEvent.of(EventTypes.MODEL_REGISTERED, version.id().subject(), clock.instant(), Map.of(
                "model", name.value(),
                "version", version.version(),
                "packageSha256", version.packageSha256(),
                "modelSha256", version.modelSha256())));
        registry.markEventHandled(HANDLER, blob.eventId());
        telemetry.registration("registered");
        return RegistrationOutcome.registered(version);
    }

    private VersionRecord create(BlobCreated blob, ModelPackage pkg) {
        Instant now = clock.instant();
        ModelName name = pkg.manifest().name();
        String uploader = uploaderOf(blob);
        StageChange registered = new StageChange(null, Stage.REGISTERED, uploader, "registered from package blob '"
                + blob.blobName() + "'", now, blob.eventId());
        return registry.createNextVersion(name, number -> new VersionRecord(name, number, pkg.manifest(),
                pkg.packageSha256(), pkg.modelSha256(), blob.blobName(), pkg.packageSize(), Stage.REGISTERED,
                uploader, now, blob.eventId(), now, List.of(registered), List.of(), null));
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
        audit.record(uploaderOf(blob), ACTION, subject, "rejected", Map.of(
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
        audit.record(uploaderOf(blob), ACTION, existing.id().subject(), "duplicate", Map.of(
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
