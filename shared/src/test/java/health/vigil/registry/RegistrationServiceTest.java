package health.vigil.registry;

import static org.mockito.ArgumentMatchers.anyBoolean;
import java.util.Set;
import health.vigil.error.ValidationException;
import health.vigil.security.Role;
import health.vigil.security.Principal;
import health.vigil.port.ArtifactStore.StoredArtifact;
import health.vigil.modelpackage.ModelPackage;
import health.vigil.modelpackage.ModelPackageReader;
import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.manifest;
import static health.vigil.registry.ServiceFixtures.sha;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoInteractions;
import static org.mockito.Mockito.when;

import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.audit.MutableClock;
import health.vigil.error.NotFoundException;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
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
import health.vigil.port.ModelRuntime;
import health.vigil.port.RegistryStore;
import health.vigil.port.Telemetry;
import health.vigil.registry.RegistrationOutcome.Kind;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.IntFunction;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;
import org.mockito.InOrder;

class RegistrationServiceTest {
    private static final Instant NOW = Instant.parse("2026-11-05T14:00:00Z");
    private static final String PACKAGE_SHA = sha('p', 99);
    private static final String MODEL_SHA = sha('m', 99);

    private final ArtifactStore artifacts = mock(ArtifactStore.class);
    private final ModelPackageReader reader = mock(ModelPackageReader.class);
    private final RegistryStore registry = mock(RegistryStore.class);
    private final EventPublisher events = mock(EventPublisher.class);
    private final Telemetry telemetry = mock(Telemetry.class);
    private final InMemoryAuditStore auditStore = new InMemoryAuditStore();
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
    private final RegistrationService service = new RegistrationService(artifacts, reader, registry,
            new AuditLog(auditStore, clock), events, clock, telemetry);

    private final BlobCreated upload = new BlobCreated("evt-1", "models", "uploads/readmission-nov.zip",
            "https://example.blob/models/uploads/readmission-nov.zip", 1234, "0x1");
    private final AtomicBoolean streamClosed = new AtomicBoolean();

    @BeforeEach
    void packageInTheStore() {
        InputStream stream = new ByteArrayInputStream(new byte[] {1, 2, 3}) {
            @Override
            public void close() {
                streamClosed.set(true);
            }
        };
        when(artifacts.open("models", "uploads/readmission-nov.zip")).thenReturn(stream);
        // A read of a version of a blob opens the blob as the test set it up, unless a test says that version is gone.
        when(artifacts.open(anyString(), anyString(), org.mockito.ArgumentMatchers.anyLong(), anyString()))
                .thenAnswer(call -> artifacts.open(call.<String>getArgument(0), call.<String>getArgument(1)));
        when(artifacts.describe("models", "uploads/readmission-nov.zip")).thenReturn(Optional.of(new StoredArtifact(
                "models", "uploads/readmission-nov.zip", 1234, PACKAGE_SHA, "0x1", "data-scientist")));
    }

    /** While the package is being checked, another upload replaces the blob under the same name. */
    private void givenTheBlobIsReplacedWhileThePackageIsChecked(Runnable checked) {
        when(reader.read(any())).thenAnswer(call -> {
            when(artifacts.describe("models", "uploads/readmission-nov.zip")).thenReturn(Optional.of(new StoredArtifact(
                    "models", "uploads/readmission-nov.zip", 99, sha('x', 99), "0x2", "approver")));
            checked.run();
            return new ModelPackage(manifest(READMISSION), new byte[] {9}, null, PACKAGE_SHA, MODEL_SHA, 1234,
                    new ModelRuntime.Signature(List.of(), List.of()));
        });
    }

    private void givenAValidPackage() {
        when(reader.read(any())).thenReturn(new ModelPackage(manifest(READMISSION), new byte[] {9}, null, PACKAGE_SHA,
                MODEL_SHA, 1234, new ModelRuntime.Signature(List.of(), List.of())));
    }

    private void givenTheStoreAssignsVersion(int number) {
        when(registry.createVersionOnce(eq(READMISSION), any())).thenAnswer(call -> {
            IntFunction<VersionRecord> factory = call.getArgument(1);
            return new RegistryStore.NewVersion(factory.apply(number).withEtag("etag-new"), true);
        });
    }

    private List<AuditRecord> audit() {
        return auditStore.read(LocalDate.ofInstant(NOW, ZoneOffset.UTC).toString());
    }

    @Test
    void aValidPackageBecomesTheNextVersionNamedByItsManifest() {
        givenAValidPackage();
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.empty());
        givenTheStoreAssignsVersion(3);

        RegistrationOutcome outcome = service.register(upload);

        assertThat(outcome.kind()).isEqualTo(Kind.REGISTERED);
        VersionRecord v = outcome.version();
        assertThat(v.id().toString()).isEqualTo("readmission:3");
        assertThat(v.stage()).isEqualTo(Stage.REGISTERED);
        assertThat(v.packageBlob()).isEqualTo("uploads/readmission-nov.zip");
        assertThat(v.packageSha256()).isEqualTo(PACKAGE_SHA);
        assertThat(v.modelSha256()).isEqualTo(MODEL_SHA);
        assertThat(v.packageSize()).isEqualTo(1234);
        assertThat(v.registeredBy()).isEqualTo("data-scientist");
        assertThat(v.history()).singleElement().satisfies(change -> {
            assertThat(change.from()).isNull();
            assertThat(change.to()).isEqualTo(Stage.REGISTERED);
            assertThat(change.actor()).isEqualTo("data-scientist");
            assertThat(change.cause()).isEqualTo("evt-1");
        });
        assertThat(v.registeredAt()).isEqualTo(NOW);
        assertThat(v.sourceEventId()).isEqualTo("evt-1");
        assertThat(streamClosed).isTrue();
        verify(telemetry).registration("registered");
        verify(artifacts).put(eq("packages"), eq(PACKAGE_SHA + ".zip"), any(), eq(false));
    }

    @Test
    void anUploadReplacedBetweenItsTwoReadsIsNotKeptNorRegistered() {
        givenAValidPackage();
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.empty());
        // The store reads what it is given to the end, as the real ones do before they make a blob visible; the
        // bytes in the models container (1, 2, 3) are not the ones the package was read and hashed as.
        when(artifacts.put(eq("packages"), anyString(), any(), eq(false))).thenAnswer(call -> {
            call.<InputStream>getArgument(2).readAllBytes();
            return null;
        });

        assertThatThrownBy(() -> service.register(upload))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.getMessage())
                        .contains("changed while it was being registered"));
        verify(registry, never()).createVersionOnce(any(), any());
        verify(registry, never()).markEventHandled(anyString(), anyString());
        assertThat(audit()).isEmpty();
    }

    // Approval refuses the uploader as approver (ADR 0010): the version read from one upload must not be put down to
    // whoever replaced the blob while it was being checked, or that person's own package could be approved by them.
    @Test
    void aVersionIsPutDownToTheUploaderOfTheBytesReadNotToWhoeverReplacedTheBlobSince() {
        givenTheBlobIsReplacedWhileThePackageIsChecked(() -> { });
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.empty());
        givenTheStoreAssignsVersion(3);
        // Kept by an earlier delivery that failed before it numbered the version: the upload is not read again.
        when(artifacts.describe("packages", PACKAGE_SHA + ".zip")).thenReturn(Optional.of(
                new StoredArtifact("packages", PACKAGE_SHA + ".zip", 1234, PACKAGE_SHA, "etag")));

        VersionRecord version = service.register(upload).version();

        assertThat(version.registeredBy()).isEqualTo("data-scientist");
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.actor()).isEqualTo("data-scientist"));
    }

    @Test
    void aRefusedPackageIsPutDownToItsUploaderNotToWhoeverReplacedTheBlobWhileItWasChecked() {
        givenTheBlobIsReplacedWhileThePackageIsChecked(() -> {
            throw new PackageRejectedException(PackageRejectedException.Reason.MISSING_ENTRY, "the package has no"
                    + " model.onnx");
        });

        assertThat(service.register(upload).kind()).isEqualTo(Kind.REJECTED);

        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.actor()).isEqualTo("data-scientist"));
    }

    @Test
    void aBlobReplacedAfterItWasDescribedIsNotReadAndTheEventIsRetried() {
        givenAValidPackage();
        when(artifacts.open("models", "uploads/readmission-nov.zip", 0L, "0x1"))
                .thenThrow(ArtifactStore.versionGone("models", "uploads/readmission-nov.zip", true));

        assertThatThrownBy(() -> service.register(upload))
                .isInstanceOfSatisfying(StoreException.class, e -> assertThat(e.getMessage())
                        .contains("changed while it was being registered"));
        verifyNoInteractions(reader);
        verify(registry, never()).createVersionOnce(any(), any());
        verify(registry, never()).markEventHandled(anyString(), anyString());
        assertThat(audit()).isEmpty();
    }

    @Test
    void theUploadIsKeptWhenItIsWhatWasChecked_evenForAStoreThatReadsAgainAfterTheEnd() {
        String sha = health.vigil.hash.Sha256.hex(new byte[] {1, 2, 3});
        when(reader.read(any())).thenReturn(new ModelPackage(manifest(READMISSION), new byte[] {9}, null, sha,
                MODEL_SHA, 3, new ModelRuntime.Signature(List.of(), List.of())));
        when(registry.findByPackageSha256(READMISSION, sha)).thenReturn(Optional.empty());
        givenTheStoreAssignsVersion(3);
        when(artifacts.put(eq("packages"), eq(sha + ".zip"), any(), eq(false))).thenAnswer(call -> {
            InputStream in = call.getArgument(2);
            assertThat(in.readAllBytes()).containsExactly(1, 2, 3);
            assertThat(in.read()).isEqualTo(-1);
            assertThat(in.read(new byte[8], 0, 8)).isEqualTo(-1);
            return null;
        });

        assertThat(service.register(upload).kind()).isEqualTo(Kind.REGISTERED);
    }

    @Test
    void aPackageKeptBeforeIsNotCopiedAgain() {
        givenAValidPackage();
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.empty());
        givenTheStoreAssignsVersion(3);
        when(artifacts.describe("packages", PACKAGE_SHA + ".zip")).thenReturn(Optional.of(
                new ArtifactStore.StoredArtifact("packages", PACKAGE_SHA + ".zip", 1234, PACKAGE_SHA, "etag")));

        assertThat(service.register(upload).kind()).isEqualTo(Kind.REGISTERED);
        verify(artifacts, never()).put(eq("packages"), anyString(), any(), org.mockito.ArgumentMatchers.anyBoolean());
    }

    @Test
    void aBlobWithoutARecordedUploaderIsUnattributedWhateverItsNameOrManifestSay() {
        givenAValidPackage();
        when(artifacts.describe("models", "uploads/readmission-nov.zip")).thenReturn(Optional.of(new StoredArtifact(
                "models", "uploads/readmission-nov.zip", 1234, PACKAGE_SHA, "0x1")));
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.empty());
        givenTheStoreAssignsVersion(3);

        assertThat(service.register(upload).version().registeredBy()).isEqualTo(RegistrationService.UNATTRIBUTED);
    }

    @Test
    void anUploadIsStoredWithItsUploaderAndRegisteredAtOnce() {
        givenAValidPackage();
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.empty());
        givenTheStoreAssignsVersion(3);
        when(artifacts.open("models", "readmission-nov.zip")).thenReturn(new ByteArrayInputStream(new byte[] {1}));
        when(artifacts.describe("models", "readmission-nov.zip")).thenReturn(Optional.of(new StoredArtifact(
                "models", "readmission-nov.zip", 1, PACKAGE_SHA, "0x2", "data-scientist")));
        Principal scientist = new Principal("data-scientist", Set.of(Role.MODELS_UPLOAD));

        RegistrationOutcome outcome = service.upload(READMISSION, "readmission-nov.zip", new byte[] {1}, scientist);

        assertThat(outcome.kind()).isEqualTo(Kind.REGISTERED);
        assertThat(outcome.version().registeredBy()).isEqualTo("data-scientist");
        verify(artifacts).put(eq("models"), eq("readmission-nov.zip"), any(), eq(false), eq("data-scientist"));
    }

    @Test
    void anUploadToAnotherModelsRouteIsRefusedBeforeItIsStored() {
        givenAValidPackage();
        Principal scientist = new Principal("data-scientist", Set.of(Role.MODELS_UPLOAD));

        assertThatThrownBy(() -> service.upload(ModelName.of("adherence"), "readmission.zip", new byte[] {1}, scientist))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("the package's manifest names model `readmission`");
        assertThatThrownBy(() -> service.upload(READMISSION, "../escape.zip", new byte[] {1}, scientist))
                .isInstanceOf(ValidationException.class).hasMessageContaining("plain file name");
        verify(artifacts, never()).put(any(), any(), any(), anyBoolean(), any());
        // The refusal of a package is a decision, audited like an invalid package's (a malformed request is not).
        assertThat(audit()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo("rejected");
            assertThat(r.actor()).isEqualTo("data-scientist");
            assertThat(r.details()).containsEntry("reason", "MODEL_MISMATCH");
        });
    }

    // A client that lost the answer to a refused upload sends it again: the refusal is one decision, one record.
    @Test
    void aRefusedUploadSentAgainIsOneRecordWhileAnotherUploadIsItsOwn() {
        when(reader.read(any())).thenThrow(new PackageRejectedException(PackageRejectedException.Reason.MISSING_ENTRY,
                "the package has no model.onnx"));
        Principal scientist = new Principal("data-scientist", Set.of(Role.MODELS_UPLOAD));
        Principal colleague = new Principal("colleague", Set.of(Role.MODELS_UPLOAD));

        for (int attempt = 0; attempt < 3; attempt++) {
            assertThatThrownBy(() -> service.upload(READMISSION, "readmission-nov.zip", new byte[] {1}, scientist))
                    .isInstanceOf(PackageRejectedException.class);
        }

        assertThat(audit()).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo("rejected");
            assertThat(r.actor()).isEqualTo("data-scientist");
            assertThat(r.details()).containsEntry("reason", "MISSING_ENTRY");
        });
        verify(telemetry, times(1)).registration("rejected");

        // Other bytes, another file name or another uploader are other uploads, each refused on its own record.
        assertThatThrownBy(() -> service.upload(READMISSION, "readmission-nov.zip", new byte[] {2}, scientist))
                .isInstanceOf(PackageRejectedException.class);
        assertThatThrownBy(() -> service.upload(READMISSION, "readmission-dec.zip", new byte[] {1}, scientist))
                .isInstanceOf(PackageRejectedException.class);
        assertThatThrownBy(() -> service.upload(READMISSION, "readmission-nov.zip", new byte[] {1}, colleague))
                .isInstanceOf(PackageRejectedException.class);
        assertThat(audit()).hasSize(4).allSatisfy(r -> assertThat(r.outcome()).isEqualTo("rejected"));
        assertThat(audit()).extracting(AuditRecord::actor)
                .containsExactly("data-scientist", "data-scientist", "data-scientist", "colleague");
        verify(telemetry, times(4)).registration("rejected");
        verify(artifacts, never()).put(any(), any(), any(), anyBoolean(), any());
    }

    @Test
    void registrationIsAuditedAnnouncedAndThenMarkedHandled() {
        givenAValidPackage();
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.empty());
        givenTheStoreAssignsVersion(3);

        service.register(upload);

        AuditRecord record = audit().get(0);
        assertThat(record.action()).isEqualTo("model.register");
        assertThat(record.outcome()).isEqualTo("registered");
        assertThat(record.subject()).isEqualTo("/models/readmission/versions/3");
        assertThat(record.actor()).isEqualTo("data-scientist");
        assertThat(record.details()).containsEntry("blob", "uploads/readmission-nov.zip")
                .containsEntry("packageSha256", PACKAGE_SHA);
        ArgumentCaptor<VigilEvent> published = ArgumentCaptor.forClass(VigilEvent.class);
        InOrder order = inOrder(registry, events);
        order.verify(registry).createVersionOnce(eq(READMISSION), any());
        order.verify(events).publish(published.capture());
        order.verify(registry).markEventHandled("RegisterModel", "evt-1");
        VigilEvent event = published.getValue();
        assertThat(event.type()).isEqualTo(EventTypes.MODEL_REGISTERED);
        assertThat(event.subject()).isEqualTo("/models/readmission/versions/3");
        assertThat(event.data()).isEqualTo(Map.of("model", "readmission", "version", 3,
                "packageSha256", PACKAGE_SHA, "modelSha256", MODEL_SHA));
    }

    @Test
    void theSamePackageUploadedAgainReturnsTheExistingVersionWithoutANewVersionOrEvent() {
        givenAValidPackage();
        VersionRecord existing = version(READMISSION, 2, Stage.PRODUCTION);
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.of(existing));

        RegistrationOutcome outcome = service.register(upload);

        assertThat(outcome.kind()).isEqualTo(Kind.DUPLICATE);
        assertThat(outcome.version()).isEqualTo(existing);
        assertThat(outcome.message()).contains("readmission:2").contains("no new version");
        verify(registry, never()).createVersionOnce(any(), any());
        verifyNoInteractions(events);
        verify(registry).markEventHandled("RegisterModel", "evt-1");
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("duplicate"));
        verify(telemetry).registration("duplicate");
    }

    @Test
    void aDuplicateBlobSeenThroughTwoEventsIsOneDecision() {
        givenAValidPackage();
        VersionRecord existing = version(READMISSION, 2, Stage.PRODUCTION);
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.of(existing));

        // The API's upload registers under its own event id; the storage event of the blob it stored follows.
        service.register(upload);
        RegistrationOutcome second = service.register(new BlobCreated("evt-storage", upload.container(),
                upload.blobName(), null, 10, null));

        assertThat(second.kind()).isEqualTo(Kind.DUPLICATE);
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("duplicate"));
        verify(registry).markEventHandled("RegisterModel", "evt-1");
        verify(registry).markEventHandled("RegisterModel", "evt-storage");
        verify(telemetry, times(1)).registration("duplicate");
    }

    @Test
    void aRetryOfAnEventThatStoredItsVersionButFailedBeforeAnnouncingItFinishesTheJob() {
        givenAValidPackage();
        VersionRecord storedByFirstAttempt = new VersionRecord(READMISSION, 3, manifest(READMISSION), PACKAGE_SHA,
                MODEL_SHA, upload.blobName(), 1234, Stage.REGISTERED, "blob:" + upload.blobName(), NOW, "evt-1", NOW, "e");
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.of(storedByFirstAttempt));

        RegistrationOutcome outcome = service.register(upload);

        // The first attempt stored the version, so this one found it, as a replay of a finished one would.
        assertThat(outcome.kind()).isEqualTo(Kind.DUPLICATE);
        assertThat(outcome.version()).isEqualTo(storedByFirstAttempt);
        verify(registry, never()).createVersionOnce(any(), any());
        verify(events).publish(any());
        verify(registry).markEventHandled("RegisterModel", "evt-1");
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("registered"));
    }

    @Test
    void aDeliveryWhoseVersionAnotherDeliveryOfTheSameEventStoredAtOnceIsToldItFoundIt() {
        givenAValidPackage();
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.empty());
        // Both deliveries looked before either numbered the package; the store kept the other one's record.
        VersionRecord storedByTheOther = new VersionRecord(READMISSION, 3, manifest(READMISSION), PACKAGE_SHA,
                MODEL_SHA, upload.blobName(), 1234, Stage.REGISTERED, "data-scientist", NOW, "evt-1", NOW, "e");
        when(registry.createVersionOnce(eq(READMISSION), any()))
                .thenReturn(new RegistryStore.NewVersion(storedByTheOther, false));

        RegistrationOutcome outcome = service.register(upload);

        assertThat(outcome.kind()).isEqualTo(Kind.DUPLICATE);
        assertThat(outcome.version()).isEqualTo(storedByTheOther);
        // Announcing it is the same for every delivery of the event: one record, one event id.
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("registered"));
        verify(events).publish(any());
        verify(registry).markEventHandled("RegisterModel", "evt-1");
    }

    /** The event id an upload of readmission-nov.zip registers under. */
    private static final String UPLOAD_EVENT = "upload:readmission-nov.zip:" + PACKAGE_SHA;

    /** A valid package that an upload stored as version 3 of blob {@code blobName} under {@link #UPLOAD_EVENT}. */
    private VersionRecord givenAVersionRegisteredByTheUploadOf(String blobName) {
        givenAValidPackage();
        VersionRecord stored = new VersionRecord(READMISSION, 3, manifest(READMISSION), PACKAGE_SHA, MODEL_SHA, blobName,
                1234, Stage.REGISTERED, "data-scientist", NOW, UPLOAD_EVENT, NOW, "e");
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.of(stored));
        return stored;
    }

    @Test
    void aRetriedUploadWhoseRegistrationStoppedBeforeItsEventFinishesTheAnnouncementOnce() {
        String eventId = UPLOAD_EVENT;
        VersionRecord storedByFirstAttempt = givenAVersionRegisteredByTheUploadOf("readmission-nov.zip");
        doThrow(new ConflictException(ErrorCode.CONFLICT, "exists")).when(artifacts)
                .put(eq("models"), eq("readmission-nov.zip"), any(), eq(false), eq("data-scientist"));
        when(artifacts.describe("models", "readmission-nov.zip")).thenReturn(Optional.of(new StoredArtifact(
                "models", "readmission-nov.zip", 1, PACKAGE_SHA, "0x2", "data-scientist")));
        when(artifacts.open("models", "readmission-nov.zip")).thenAnswer(call -> new ByteArrayInputStream(new byte[] {1}));
        Principal scientist = new Principal("data-scientist", Set.of(Role.MODELS_UPLOAD));

        RegistrationOutcome retried = service.upload(READMISSION, "readmission-nov.zip", new byte[] {1}, scientist);

        // The first attempt stored the version: the retry finishes its announcement and is told it found it.
        assertThat(retried.kind()).isEqualTo(Kind.DUPLICATE);
        assertThat(retried.version()).isEqualTo(storedByFirstAttempt);
        verify(registry, never()).createVersionOnce(any(), any());
        verify(events).publish(any());
        verify(registry).markEventHandled("RegisterModel", eventId);
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("registered"));

        // Once announced, the same upload again is the duplicate it always was: nothing more is published.
        when(registry.isEventHandled("RegisterModel", eventId)).thenReturn(true);
        RegistrationOutcome again = service.upload(READMISSION, "readmission-nov.zip", new byte[] {1}, scientist);
        assertThat(again.kind()).isEqualTo(Kind.DUPLICATE);
        verify(events, times(1)).publish(any());
    }

    /**
     * An upload of {1, 2, 3} as readmission-nov.zip whose name another put took first, while the local store still
     * describes that file without a sha256 (its put has linked the file but not yet recorded the digest).
     */
    private RegistrationOutcome uploadUnderANameJustTakenBy(byte[] stored) {
        byte[] content = {1, 2, 3};
        String sha = health.vigil.hash.Sha256.hex(content);
        when(reader.read(any())).thenReturn(new ModelPackage(manifest(READMISSION), new byte[] {9}, null, sha,
                MODEL_SHA, content.length, new ModelRuntime.Signature(List.of(), List.of())));
        when(registry.findByPackageSha256(READMISSION, sha)).thenReturn(Optional.empty());
        givenTheStoreAssignsVersion(3);
        doThrow(new ConflictException(ErrorCode.CONFLICT, "exists")).when(artifacts)
                .put(eq("models"), eq("readmission-nov.zip"), any(), eq(false), eq("data-scientist"));
        when(artifacts.describe("models", "readmission-nov.zip")).thenReturn(Optional.of(new StoredArtifact(
                "models", "readmission-nov.zip", stored.length, null, "0x2", "data-scientist")));
        when(artifacts.open("models", "readmission-nov.zip")).thenAnswer(call -> new ByteArrayInputStream(stored));
        return service.upload(READMISSION, "readmission-nov.zip", content,
                new Principal("data-scientist", Set.of(Role.MODELS_UPLOAD)));
    }

    @Test
    void theSameBytesStoredUnderTheNameAtOnceByAnotherUploadAreNotAConflict() {
        RegistrationOutcome outcome = uploadUnderANameJustTakenBy(new byte[] {1, 2, 3});

        assertThat(outcome.version().version()).isEqualTo(3);
        assertThat(audit()).extracting(AuditRecord::outcome).doesNotContain("rejected");
    }

    @Test
    void otherBytesUnderTheNameAreAConflictEvenWhenTheStoreHasNotRecordedTheirSha256() {
        assertThatThrownBy(() -> uploadUnderANameJustTakenBy(new byte[] {4, 5, 6}))
                .isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
                    assertThat(e.getMessage()).contains("with other content");
                });
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.details()).containsEntry("reason", "FILE_NAME_TAKEN"));
        verify(registry, never()).createVersionOnce(any(), any());
    }

    @Test
    void theStorageEventOfAnUploadThatStoppedBeforeAnnouncingItsVersionAnnouncesIt() {
        String uploadEvent = UPLOAD_EVENT;
        givenAVersionRegisteredByTheUploadOf(upload.blobName());

        RegistrationOutcome outcome = service.register(upload);

        assertThat(outcome.kind()).isEqualTo(Kind.IGNORED);
        assertThat(outcome.reason()).isEqualTo(RegistrationOutcome.ALREADY_REGISTERED);
        ArgumentCaptor<VigilEvent> published = ArgumentCaptor.forClass(VigilEvent.class);
        verify(events).publish(published.capture());
        assertThat(published.getValue().type()).isEqualTo(EventTypes.MODEL_REGISTERED);
        assertThat(published.getValue().id()).isEqualTo(audit().get(0).id());
        verify(registry).markEventHandled("RegisterModel", uploadEvent);
        verify(registry).markEventHandled("RegisterModel", "evt-1");
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.details()).containsEntry("eventId", uploadEvent));
    }

    @Test
    void theStorageEventOfAnAnnouncedUploadChangesNothing() {
        String uploadEvent = UPLOAD_EVENT;
        givenAVersionRegisteredByTheUploadOf(upload.blobName());
        when(registry.isEventHandled("RegisterModel", uploadEvent)).thenReturn(true);

        assertThat(service.register(upload).reason()).isEqualTo(RegistrationOutcome.ALREADY_REGISTERED);

        verifyNoInteractions(events);
        assertThat(audit()).isEmpty();
        verify(registry).markEventHandled("RegisterModel", "evt-1");
    }

    @Test
    void anEventThatLostTheRaceToRegisterItsPackageToAnotherEventIsADuplicateNotASecondRegistration() {
        givenAValidPackage();
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.empty());
        // Another event announcing the same package numbered it first, between this event's lookup and its create.
        VersionRecord theirs = new VersionRecord(READMISSION, 3, manifest(READMISSION), PACKAGE_SHA, MODEL_SHA,
                "uploads/other-name.zip", 1234, Stage.REGISTERED, "blob:uploads/other-name.zip", NOW, "evt-0", NOW, "e");
        when(registry.createVersionOnce(eq(READMISSION), any())).thenReturn(new RegistryStore.NewVersion(theirs, false));

        RegistrationOutcome outcome = service.register(upload);

        assertThat(outcome.kind()).isEqualTo(Kind.DUPLICATE);
        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("duplicate"));
        verifyNoInteractions(events);
    }

    @Test
    void aRetryAfterTheRecordWasWrittenWritesNoSecondRecordAndRepublishesTheSameEvent() {
        givenAValidPackage();
        VersionRecord stored = new VersionRecord(READMISSION, 3, manifest(READMISSION), PACKAGE_SHA, MODEL_SHA,
                upload.blobName(), 1234, Stage.REGISTERED, "blob:" + upload.blobName(), NOW, "evt-1", NOW, "e");
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.of(stored));
        // The first attempt recorded and published, then died before marking the event handled.
        service.register(upload);
        packageInTheStore();

        service.register(upload);

        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("registered"));
        ArgumentCaptor<VigilEvent> published = ArgumentCaptor.forClass(VigilEvent.class);
        verify(events, times(2)).publish(published.capture());
        assertThat(published.getAllValues()).extracting(VigilEvent::id).containsOnly(audit().get(0).id());
        // Counted by the attempt that wrote the record, not again by the retry.
        verify(telemetry, times(1)).registration("registered");
    }

    @Test
    void aVersionIsStampedWithTheMomentItIsNumberedNotWhenItsRegistrationStarted() {
        givenAValidPackage();
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.empty());
        MutableClock ticking = new MutableClock(NOW);
        RegistrationService timed = new RegistrationService(artifacts, reader, registry,
                new AuditLog(auditStore, ticking), events, ticking, telemetry);
        when(registry.createVersionOnce(eq(READMISSION), any())).thenAnswer(call -> {
            // Waits behind registrations that commit first, then numbers this one.
            ticking.advance(Duration.ofSeconds(5));
            IntFunction<VersionRecord> factory = call.getArgument(1);
            return new RegistryStore.NewVersion(factory.apply(7).withEtag("etag-new"), true);
        });

        VersionRecord registered = timed.register(upload).version();

        assertThat(registered.version()).isEqualTo(7);
        assertThat(registered.registeredAt()).isEqualTo(NOW.plusSeconds(5));
    }

    @Test
    void aRedeliveredEventIsIgnoredWithoutReadingThePackage() {
        when(registry.isEventHandled("RegisterModel", "evt-1")).thenReturn(true);

        RegistrationOutcome outcome = service.register(upload);

        assertThat(outcome.kind()).isEqualTo(Kind.IGNORED);
        assertThat(outcome.reason()).isEqualTo(RegistrationOutcome.EVENT_ALREADY_HANDLED);
        verifyNoInteractions(reader, events);
        verify(registry, never()).createVersionOnce(any(), any());
        assertThat(audit()).isEmpty();
    }

    @Test
    void blobsOutsideTheModelsContainerAreRefusedAsAWrongSubscriptionAndNothingIsRead() {
        // Only a subscription with the wrong filter delivers one: refused (dead-lettered, seen), not acknowledged.
        assertThatThrownBy(() -> service.register(new BlobCreated("evt-2", "datasets", "x.csv", null, 1, null)))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.code().httpStatus()).isEqualTo(400))
                .hasMessage("RegisterModel handles BlobCreated events of the 'models' container only and this one's"
                        + " blob is in container 'datasets'; check the event subscription's filter: the subject must"
                        + " begin with /blobServices/default/containers/models/");
        verifyNoInteractions(reader, registry, events);
        assertThat(audit()).isEmpty();
    }

    @Test
    void anInvalidPackageIsRejectedAuditedAndAnnouncedButNotThrown() {
        when(reader.read(any())).thenThrow(new PackageRejectedException(PackageRejectedException.Reason.MISSING_ENTRY,
                "the package has no model.onnx: add the ONNX model as model.onnx at the top level of the zip"));

        RegistrationOutcome outcome = service.register(upload);

        assertThat(outcome.kind()).isEqualTo(Kind.REJECTED);
        assertThat(outcome.reason()).isEqualTo("MISSING_ENTRY");
        assertThat(outcome.message()).contains("no model.onnx");
        assertThat(outcome.versionRecord()).isEmpty();
        verify(registry, never()).createVersionOnce(any(), any());
        AuditRecord record = audit().get(0);
        assertThat(record.outcome()).isEqualTo("rejected");
        assertThat(record.details()).containsEntry("reason", "MISSING_ENTRY")
                .containsEntry("blob", "uploads/readmission-nov.zip");
        ArgumentCaptor<VigilEvent> published = ArgumentCaptor.forClass(VigilEvent.class);
        verify(events).publish(published.capture());
        assertThat(published.getValue().type()).isEqualTo(EventTypes.MODEL_REGISTRATION_REJECTED);
        assertThat(published.getValue().id()).as("the audited decision's id").isEqualTo(record.id());
        assertThat(published.getValue().data()).containsOnlyKeys("blob", "reason", "message")
                .containsEntry("reason", "MISSING_ENTRY");
        verify(registry).markEventHandled("RegisterModel", "evt-1");
        verify(telemetry).registration("rejected");
        assertThat(streamClosed).isTrue();
    }

    // The same stored file raised again under a new event id (the local drop folder raises a file whose event was on
    // its way when the host stopped; a storage event sent twice) is one refusal: one record, one announcement.
    @Test
    void anInvalidPackageBroughtByTwoEventsOfTheSameBlobVersionIsOneRefusal() {
        when(reader.read(any())).thenThrow(new PackageRejectedException(PackageRejectedException.Reason.MISSING_ENTRY,
                "the package has no model.onnx"));
        BlobCreated raisedAgain = new BlobCreated("evt-9", "models", "uploads/readmission-nov.zip", null, 1234, "0x1");

        assertThat(service.register(upload).kind()).isEqualTo(Kind.REJECTED);
        assertThat(service.register(raisedAgain).kind()).isEqualTo(Kind.REJECTED);

        assertThat(audit()).singleElement().satisfies(r -> assertThat(r.outcome()).isEqualTo("rejected"));
        ArgumentCaptor<VigilEvent> published = ArgumentCaptor.forClass(VigilEvent.class);
        verify(events, times(2)).publish(published.capture());
        assertThat(published.getAllValues()).extracting(VigilEvent::id).containsOnly(audit().get(0).id());
        verify(registry).markEventHandled("RegisterModel", "evt-9");
        verify(telemetry, times(1)).registration("rejected");

        // Other bytes stored under the name since (another ETag) are another refusal.
        when(artifacts.describe("models", "uploads/readmission-nov.zip")).thenReturn(Optional.of(new StoredArtifact(
                "models", "uploads/readmission-nov.zip", 99, sha('x', 99), "0x2", "data-scientist")));
        service.register(new BlobCreated("evt-10", "models", "uploads/readmission-nov.zip", null, 99, "0x2"));
        assertThat(audit()).hasSize(2);
    }

    @Test
    void aStoreFailureWhileCreatingTheVersionIsThrownSoTheEventIsRetried() {
        givenAValidPackage();
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.empty());
        when(registry.createVersionOnce(eq(READMISSION), any()))
                .thenThrow(new StoreException("registry unavailable", new RuntimeException("timeout")));

        assertThatThrownBy(() -> service.register(upload)).isInstanceOf(StoreException.class);

        verifyNoInteractions(events);
        verify(registry, never()).markEventHandled(anyString(), anyString());
        assertThat(audit()).isEmpty();
    }

    @Test
    void aFailedPublishLeavesTheEventUnhandledSoItIsRetried() {
        givenAValidPackage();
        when(registry.findByPackageSha256(READMISSION, PACKAGE_SHA)).thenReturn(Optional.empty());
        givenTheStoreAssignsVersion(1);
        doThrow(new StoreException("event grid unavailable", new RuntimeException())).when(events).publish(any());

        assertThatThrownBy(() -> service.register(upload)).isInstanceOf(StoreException.class);

        verify(registry, never()).markEventHandled(anyString(), anyString());
    }

    @Test
    void aBlobDeletedBeforeRegistrationIsIgnoredAndNotRetried() {
        when(artifacts.open("models", "gone.zip")).thenThrow(new NotFoundException(ErrorCode.NOT_FOUND, "no blob"));

        RegistrationOutcome outcome = service.register(new BlobCreated("evt-3", "models", "gone.zip", null, 1, null));

        assertThat(outcome.kind()).isEqualTo(Kind.IGNORED);
        assertThat(outcome.reason()).isEqualTo(RegistrationOutcome.BLOB_GONE);
        verify(registry).markEventHandled("RegisterModel", "evt-3");
        verifyNoInteractions(reader, events);
    }

    @Test
    void twoPackagesOfDifferentModelsAreNumberedPerModel() {
        ModelName adherence = ModelName.of("adherence");
        when(reader.read(any())).thenReturn(new ModelPackage(manifest(adherence), new byte[] {9}, null, PACKAGE_SHA,
                MODEL_SHA, 1234, new ModelRuntime.Signature(List.of(), List.of())));
        when(registry.findByPackageSha256(adherence, PACKAGE_SHA)).thenReturn(Optional.empty());
        when(registry.createVersionOnce(eq(adherence), any())).thenAnswer(call -> {
            IntFunction<VersionRecord> factory = call.getArgument(1);
            return new RegistryStore.NewVersion(factory.apply(1), true);
        });

        RegistrationOutcome outcome = service.register(upload);

        assertThat(outcome.version().id().toString()).isEqualTo("adherence:1");
        verify(registry).findByPackageSha256(adherence, PACKAGE_SHA);
    }
}
