package health.vigil.registry;

import health.vigil.audit.AuditLog;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.PackageRejectedException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.events.BlobCreated;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.hash.Sha256;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import health.vigil.model.VersionRecord;
import health.vigil.modelpackage.ModelPackage;
import health.vigil.modelpackage.ModelPackageReader;
import health.vigil.port.ArtifactStore;
import health.vigil.port.ArtifactStore.StoredArtifact;
import health.vigil.port.EventPublisher;
import health.vigil.port.RegistryStore;
import health.vigil.port.Telemetry;
import health.vigil.security.Principal;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Registers an uploaded model package as a new version: the handler of {@code BlobCreated} events on the
 * {@code models} container.
 *
 * <p>The model a package belongs to is the name in its manifest; the blob's name is only a file name and
 * is not compared with it (uploaders name files as they like, for example {@code readmission-2026-11.zip}).
 * Registration is idempotent twice over: a redelivered event is recognised by its id, and a package that
 * was registered before (same sha256, under any blob name) returns that version instead of a new one. Each
 * decision is audited with {@link AuditLog#recordOnce}: a version's {@code registered} record is keyed on the
 * version, a rejection on the blob's version (its ETag) and a duplicate on the blob and its package, so concurrent
 * and repeated deliveries, and a file raised again under a new event id, write one record each.
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

    /** The uploader of a blob nobody is recorded for: approval refuses such a version (ADR 0010). */
    public static final String UNATTRIBUTED = "unattributed";
    private static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,195}\\.zip");

    /**
     * Who uploaded the package in a blob, which approval compares with the approver: the authenticated principal
     * the control API recorded when it stored the blob or, for a file dropped into the local folder, the
     * operating-system user who owns it (a pipeline identity). Never the blob's name or anything in the package.
     * Taken from the description of the very version whose bytes are read, never described again after the read: a
     * blob replaced meanwhile would lend its uploader to the package that was read (ADR 0010).
     */
    private static String uploaderOf(StoredArtifact version) {
        return version.uploadedBy() == null ? UNATTRIBUTED : version.uploadedBy();
    }

    /**
     * A package uploaded through the control API ({@code POST /models/{name}/packages}) by an authenticated
     * principal: read and checked first (an invalid package, or one whose manifest names another model, is refused
     * and never stored), stored with its uploader recorded, and registered at once; the storage event that follows
     * finds it registered. Uploading the same package again answers with its version.
     */
    public RegistrationOutcome upload(ModelName model, String fileName, byte[] content, Principal uploader) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(uploader, "uploader");
        if (fileName == null || !FILE_NAME.matcher(fileName).matches()) {
            throw new ValidationException("fileName must be a plain file name ending in .zip, at most 200 letters,"
                    + " digits, '.', '_' or '-', such as readmission-2026-11.zip");
        }
        ModelPackage pkg;
        try {
            pkg = reader.read(new ByteArrayInputStream(content));
        } catch (PackageRejectedException e) {
            refusedUpload(model, fileName, content, uploader, e.reason().name());
            throw e;
        }
        if (!pkg.manifest().name().equals(model)) {
            refusedUpload(model, fileName, content, uploader, "MODEL_MISMATCH");
            throw new ValidationException("the package's manifest names model `" + pkg.manifest().name()
                    + "`, but it was uploaded to /models/" + model + "/packages; upload it to /models/"
                    + pkg.manifest().name() + "/packages");
        }
        String eventId = "upload:" + fileName + ":" + pkg.packageSha256();
        Optional<VersionRecord> existing = registry.findByPackageSha256(model, pkg.packageSha256());
        // A retry of this very upload that stored its version and stopped before announcing it registers again
        // under the same event id, which finishes the announcement; either way a known package is a duplicate.
        boolean unannounced = existing.isPresent() && eventId.equals(existing.get().sourceEventId())
                && !registry.isEventHandled(HANDLER, eventId);
        if (existing.isPresent() && !unannounced) {
            return RegistrationOutcome.duplicate(existing.get(), fileName);
        }
        try {
            artifacts.put(ArtifactStore.MODELS, fileName, new ByteArrayInputStream(content), false, uploader.id());
        } catch (ConflictException e) {
            if (!storedUploadHolds(fileName, pkg.packageSha256())) {
                refusedUpload(model, fileName, content, uploader, "FILE_NAME_TAKEN");
                throw new ConflictException(ErrorCode.CONFLICT, "the models container already holds a package named '"
                        + fileName + "' with other content; packages are immutable: upload under another file name");
            }
            // The same bytes under the same name: a retry of an upload that stopped before registering.
        }
        RegistrationOutcome outcome = register(new BlobCreated(eventId, ArtifactStore.MODELS, fileName, null,
                content.length, null));
        if (outcome.kind() == RegistrationOutcome.Kind.IGNORED) {
            // A retried upload whose registration finished meanwhile: answer with that version.
            return registry.findByPackageSha256(model, pkg.packageSha256())
                    .map(v -> RegistrationOutcome.duplicate(v, fileName)).orElse(outcome);
        }
        return outcome;
    }

    /**
     * Whether the upload stored under {@code fileName} is the package with this sha256. A store may describe a blob
     * without its sha256 (the local one between linking a file into place and recording its digest, so for the
     * whole time a concurrent upload of the same bytes is being stored; or a file dropped by hand): its bytes are
     * digested then, rather than taking the same package for other content.
     */
    private boolean storedUploadHolds(String fileName, String packageSha256) {
        Optional<StoredArtifact> stored = artifacts.describe(ArtifactStore.MODELS, fileName);
        if (stored.isEmpty() || stored.get().sha256() != null) {
            return stored.map(StoredArtifact::sha256).filter(packageSha256::equals).isPresent();
        }
        try (InputStream upload = artifacts.open(ArtifactStore.MODELS, fileName)) {
            return packageSha256.equals(Sha256.hex(upload));
        } catch (NotFoundException gone) {
            return false;
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new StoreException("could not read blob '" + fileName + "' from the models container", e);
        }
    }

    /**
     * An upload refused before anything was stored is still a decision: audited like an invalid package, once per
     * uploader, route, file name and bytes ({@link #refusedUploadKey}), so a retry of the same upload writes nothing.
     */
    private void refusedUpload(ModelName model, String fileName, byte[] content, Principal uploader, String reason) {
        boolean decided = audit.recordFirst(refusedUploadKey(model, fileName, content, uploader, reason),
                uploader.id(), ACTION, "/packages/" + fileName, "rejected", Map.of("blob", fileName, "reason", reason))
                .appended();
        if (decided) {
            telemetry.registration("rejected");
        }
    }

    /**
     * The decision "this upload was refused": a client retrying after a lost answer sends the same bytes under the same
     * name to the same route, and is refused for the same reason. Another uploader, file name, model or content is
     * another upload and another record. The caller's parts are digested, so the key stays short whatever they hold.
     */
    static String refusedUploadKey(ModelName model, String fileName, byte[] content, Principal uploader,
            String reason) {
        return ACTION + ":refused-upload:" + Sha256.hex(String.join("\n", uploader.id(), model.value(), fileName,
                reason)) + ":" + Sha256.hex(content);
    }

    public RegistrationOutcome register(BlobCreated blob) {
        Objects.requireNonNull(blob, "blob");
        blob.requireContainer(HANDLER, ArtifactStore.MODELS);
        if (registry.isEventHandled(HANDLER, blob.eventId())) {
            return ignored(RegistrationOutcome.EVENT_ALREADY_HANDLED, "event " + blob.eventId()
                    + " was handled before; nothing to do");
        }
        // One version of the blob is described, read, kept and attributed: every read of it below is pinned to this
        // ETag, so bytes and uploader cannot come from two different uploads under the same name.
        Optional<StoredArtifact> stored = artifacts.describe(ArtifactStore.MODELS, blob.blobName());
        Optional<ModelPackage> read;
        try {
            read = stored.isEmpty() ? Optional.empty() : readPackage(blob, stored.get());
        } catch (PackageRejectedException e) {
            return reject(blob, e, stored.get());
        }
        if (read.isEmpty()) {
            registry.markEventHandled(HANDLER, blob.eventId());
            return ignored(RegistrationOutcome.BLOB_GONE, "blob '" + blob.blobName()
                    + "' no longer exists in the models container; there is nothing to register");
        }
        ModelPackage pkg = read.get();
        String uploader = uploaderOf(stored.get());
        keepRegisteredBytes(blob, stored.get(), pkg);
        ModelName name = pkg.manifest().name();
        // Either a new package, or a version this very event stored already: a delivery of the event at the same
        // time as this one, or an earlier one that failed before announcing the version, which is finished here
        // instead of leaving the version without its event.
        RegistryStore.NewVersion numbered = registry.findByPackageSha256(name, pkg.packageSha256())
                .map(found -> new RegistryStore.NewVersion(found, false))
                .orElseGet(() -> create(blob, pkg, uploader));
        VersionRecord version = numbered.version();
        if (!blob.eventId().equals(version.sourceEventId())) {
            // Registered by another event (earlier, or concurrently with this one): this event made no version.
            return registeredByAnotherEvent(blob, version, uploader);
        }
        announceRegistered(version);
        // Only the call that stored the version registered it; any other found it, as a later upload of the same
        // package does (the store tells exactly one of them that it created the version).
        return numbered.created() ? RegistrationOutcome.registered(version)
                : RegistrationOutcome.duplicate(version, blob.blobName());
    }

    /**
     * The decision "registered" for the version's own event: its audit record and {@code Vigil.Model.Registered},
     * then that event marked handled. Run by every delivery that gets here (a replay may follow a crash before the
     * publish); the record is keyed on the version, so a retry completes the one record, and the event always
     * carries the record's id, so consumers see one event however often it is sent. The call that appended the record
     * counts the registration in telemetry.
     */
    private void announceRegistered(VersionRecord version) {
        AuditLog.Once once = audit.recordFirst(registeredKey(version), version.registeredBy(), ACTION,
                version.id().subject(), "registered", Map.of(
                        "blob", version.packageBlob(),
                        "eventId", version.sourceEventId(),
                        "packageSha256", version.packageSha256(),
                        "modelSha256", version.modelSha256()));
        AuditRecord record = once.record();
        events.publish(new VigilEvent(record.id(), EventTypes.MODEL_REGISTERED, VigilEvent.SOURCE,
                version.id().subject(), clock.instant(), Map.of(
                        "model", version.modelName().value(),
                        "version", version.version(),
                        "packageSha256", version.packageSha256(),
                        "modelSha256", version.modelSha256())));
        registry.markEventHandled(HANDLER, version.sourceEventId());
        if (once.appended()) {
            telemetry.registration("registered");
        }
    }

    /**
     * An event for a package another event registered. The storage event of the very blob the version was
     * registered from (the control API registers an upload as it stores it; Event Grid redelivers or announces a
     * blob twice) is nothing new: it is marked handled and not recorded. Another blob with the same package is a
     * duplicate upload, a decision recorded once per event.
     */
    private RegistrationOutcome registeredByAnotherEvent(BlobCreated blob, VersionRecord version, String uploader) {
        if (blob.blobName().equals(version.packageBlob())) {
            if (version.sourceEventId() != null && !registry.isEventHandled(HANDLER, version.sourceEventId())) {
                // The event that registered it stopped before announcing it and may never be retried (an upload
                // whose caller gave up): this event of the same blob announces it instead.
                announceRegistered(version);
            }
            registry.markEventHandled(HANDLER, blob.eventId());
            return ignored(RegistrationOutcome.ALREADY_REGISTERED, "blob '" + blob.blobName() + "' is "
                    + version.id() + " already");
        }
        return duplicate(blob, version, uploader);
    }

    /** The decision "this version was registered": the first entry of its lifecycle history, recorded once. */
    static String registeredKey(VersionRecord version) {
        return VersionLifecycle.auditKey(version.id(), 0);
    }

    /**
     * The decision "the package in this version of the blob was refused": one record per blob and ETag, whichever
     * events brought it (a storage event sent twice; the local drop folder raising a file again, under a new event
     * id, whose event was on its way when the host stopped). Other bytes stored under the name since have another
     * ETag, and are another decision. Per event only for a store that gives a blob no ETag.
     */
    static String rejectionKey(BlobCreated blob, StoredArtifact version) {
        return version.etag() == null ? ACTION + ":event:" + blob.eventId()
                : ACTION + ":rejected:" + blob.blobName() + ":" + version.etag();
    }

    /**
     * The decision "this blob holds a package already registered": one record per blob and package, whichever event
     * brought it (an upload through the API and the storage event of the blob it stored are two events of one act).
     */
    static String duplicateKey(BlobCreated blob, VersionRecord existing) {
        return ACTION + ":duplicate:" + blob.blobName() + ":" + existing.packageSha256();
    }

    /**
     * The registration time is read inside the store's numbering step (the factory runs there, once per number
     * tried), so {@code registeredAt} rises with the version number: versions are numbered in the order their
     * registrations commit, which is the registry's promise (not the order of uploads).
     */
    private RegistryStore.NewVersion create(BlobCreated blob, ModelPackage pkg, String uploader) {
        ModelName name = pkg.manifest().name();
        return registry.createVersionOnce(name, number -> {
            Instant now = clock.instant();
            StageChange registered = new StageChange(null, Stage.REGISTERED, uploader, "registered from package blob '"
                    + blob.blobName() + "'", now, blob.eventId());
            return new VersionRecord(name, number, pkg.manifest(), pkg.packageSha256(), pkg.modelSha256(),
                    blob.blobName(), pkg.packageSize(), Stage.REGISTERED, uploader, now, blob.eventId(), now,
                    List.of(registered), List.of(), null);
        });
    }

    /**
     * Copies the upload into {@link ArtifactStore#PACKAGES} under its sha256, where it is never overwritten, so the
     * bytes a version was registered with stay there whatever later happens to the uploaded blob. The copy is
     * checked against the sha256 the package was read with before the store makes it visible: if the upload was
     * replaced between the two reads, nothing is kept and the event is retried (it then registers what the blob
     * holds by then).
     */
    private void keepRegisteredBytes(BlobCreated blob, StoredArtifact version, ModelPackage pkg) {
        String kept = ArtifactStore.registeredPackage(pkg.packageSha256());
        if (artifacts.describe(ArtifactStore.PACKAGES, kept).isPresent()) {
            return;
        }
        InputStream upload;
        try {
            upload = openVersion(blob, version);
        } catch (NotFoundException gone) {
            throw new StoreException("blob '" + blob.blobName() + "' was removed while it was being registered;"
                    + " the event is retried", gone);
        }
        try (upload) {
            artifacts.put(ArtifactStore.PACKAGES, kept, new ExpectedContent(upload, pkg.packageSha256(), blob.blobName()),
                    false);
        } catch (ConflictException alreadyKept) {
            if (alreadyKept.code() != ErrorCode.CONFLICT) {
                throw alreadyKept;
            }
        } catch (IOException e) {
            throw new StoreException("could not read blob '" + blob.blobName() + "' from the models container", e);
        }
    }

    /** A stream that fails at its end unless what passed through it has the expected sha256. */
    private static final class ExpectedContent extends java.io.FilterInputStream {
        private final java.security.MessageDigest digest = Sha256.newDigest();
        private final String expected;
        private final String blobName;
        private boolean checked;

        ExpectedContent(InputStream in, String expected, String blobName) {
            super(in);
            this.expected = expected;
            this.blobName = blobName;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                digest.update(b, off, n);
            } else if (n < 0 && !checked) {
                checked = true; // a reader may ask again after the end; the digest is final by then
                if (!expected.equals(Sha256.hex(digest))) {
                    throw new StoreException("blob '" + blobName + "' changed while it was being registered; the"
                            + " event is retried", null);
                }
            }
            return n;
        }
    }

    /**
     * Opens the blob only while it is {@code version}. A blob replaced or removed since it was described is a
     * {@link StoreException}, so the event is retried and registers, or finds gone, what the blob holds by then.
     */
    private InputStream openVersion(BlobCreated blob, StoredArtifact version) {
        if (version.etag() == null) {
            return artifacts.open(ArtifactStore.MODELS, blob.blobName());
        }
        try {
            return artifacts.open(ArtifactStore.MODELS, blob.blobName(), 0, version.etag());
        } catch (ConflictException changed) {
            throw new StoreException("blob '" + blob.blobName() + "' changed while it was being registered; the"
                    + " event is retried", changed);
        }
    }

    /** The package in {@code version} of the blob, or empty when the blob is gone; an invalid package is thrown. */
    private Optional<ModelPackage> readPackage(BlobCreated blob, StoredArtifact version) {
        InputStream in;
        try {
            in = openVersion(blob, version);
        } catch (NotFoundException e) {
            return Optional.empty();
        }
        try (in) {
            return Optional.of(reader.read(in));
        } catch (IOException e) {
            throw new StoreException("could not read blob '" + blob.blobName() + "' from the models container", e);
        }
    }

    private RegistrationOutcome reject(BlobCreated blob, PackageRejectedException e, StoredArtifact version) {
        String reason = e.reason().name();
        String subject = "/packages/" + blob.blobName();
        AuditLog.Once once = audit.recordFirst(rejectionKey(blob, version), uploaderOf(version), ACTION, subject,
                "rejected", Map.of(
                        "blob", blob.blobName(),
                        "eventId", blob.eventId(),
                        "reason", reason));
        AuditRecord record = once.record();
        // Under the record's id: a delivery that died before marking the event handled sends the same event again.
        events.publish(new VigilEvent(record.id(), EventTypes.MODEL_REGISTRATION_REJECTED, VigilEvent.SOURCE, subject,
                clock.instant(), Map.of("blob", blob.blobName(), "reason", reason, "message", e.getMessage())));
        registry.markEventHandled(HANDLER, blob.eventId());
        if (once.appended()) {
            telemetry.registration("rejected");
        }
        return RegistrationOutcome.rejected(reason, e.getMessage());
    }

    private RegistrationOutcome duplicate(BlobCreated blob, VersionRecord existing, String uploader) {
        boolean decided = audit.recordFirst(duplicateKey(blob, existing), uploader, ACTION, existing.id().subject(),
                "duplicate", Map.of(
                        "blob", blob.blobName(),
                        "eventId", blob.eventId(),
                        "packageSha256", existing.packageSha256())).appended();
        registry.markEventHandled(HANDLER, blob.eventId());
        if (decided) {
            telemetry.registration("duplicate");
        }
        return RegistrationOutcome.duplicate(existing, blob.blobName());
    }

    private RegistrationOutcome ignored(String reason, String message) {
        telemetry.registration("ignored");
        return RegistrationOutcome.ignored(reason, message);
    }
}
