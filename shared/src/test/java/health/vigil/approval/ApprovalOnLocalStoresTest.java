package health.vigil.approval;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.audit.AuditLog;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.error.AccessDeniedException;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.model.AuditRecord;
import health.vigil.model.ElectronicSignature;
import health.vigil.model.ElectronicSignature.Meaning;
import health.vigil.model.Manifest;
import health.vigil.model.ModelVersion;
import health.vigil.model.Provenance;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.port.RegistryStore;
import health.vigil.registry.VersionLifecycle;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Approvals on the real local stores (the SQLite registry and audit log), with two approvers deciding one version
 * at the same moment: the decision that lands is the only one the version and the audit trail show.
 */
class ApprovalOnLocalStoresTest {
    private static final Instant NOW = Instant.parse("2026-11-06T09:30:00Z");
    private static final ModelVersion V1 = new ModelVersion(READMISSION, 1);
    private static final Principal APPROVER = new Principal("approver", "Dr Avery Approver", Set.of(Role.MODELS_APPROVE));
    private static final Principal SECOND = new Principal("approver-2", "Dr Blake Second", Set.of(Role.MODELS_APPROVE));

    @TempDir
    Path home;
    private LocalAdapters adapters;
    private final Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);

    @BeforeEach
    void aVersionWhoseGatesPassed() {
        adapters = LocalAdapters.at(home, PredictionLogDurability.DEFAULT);
        register(Stage.GATES_PASSED);
    }

    /** The model's next version, uploaded by the data scientist, in {@code stage}. */
    private VersionRecord register(Stage stage) {
        return register(stage, "data-scientist", Map.of());
    }

    /** The model's next version, uploaded by {@code uploader}, its provenance carrying {@code parameters}. */
    private VersionRecord register(Stage stage, String uploader, Map<String, String> parameters) {
        return adapters.registryStore().createNextVersion(READMISSION, n -> {
            VersionRecord v = version(READMISSION, n, stage);
            Manifest m = v.manifest();
            Provenance p = m.provenance();
            Manifest manifest = new Manifest(m.formatVersion(), m.name(), m.task(), m.description(), m.features(),
                    m.featurePipeline(), m.output(), m.intendedUse(), m.limitations(), m.owner(),
                    new Provenance(p.datasetSha256(), p.datasetRows(), p.datasetDateRange(), p.codeCommit(),
                            p.codeDirty(), p.trainer(), p.seed(), parameters, p.libraries(), p.javaVersion(), p.os(),
                            p.trainedAt()), m.card());
            return new VersionRecord(v.modelName(), n, manifest, v.packageSha256(), v.modelSha256(), v.packageBlob(),
                    v.packageSize(), stage, uploader, v.registeredAt(), v.sourceEventId(), v.updatedAt(), null);
        });
    }

    /** The model's next version, retrained by the platform from {@code parent} as the retraining service records it. */
    private VersionRecord retrainedFrom(VersionRecord parent) {
        return register(Stage.GATES_PASSED, Principal.RETRAINING, Map.of(Provenance.PARENT_VERSION,
                Integer.toString(parent.version()), Provenance.PARENT_PACKAGE_SHA256, parent.packageSha256()));
    }

    @AfterEach
    void close() {
        adapters.close();
    }

    private ApprovalService service(RegistryStore store) {
        AuditLog audit = new AuditLog(adapters.auditStore(), clock);
        return new ApprovalService(store, new VersionLifecycle(store, audit, clock), audit, event -> { }, clock,
                Set.of(), version -> List.of());
    }

    /**
     * The registry, making {@code decision} once, right after the first version write it is asked for; what that
     * decision failed with goes to {@code failure}.
     */
    private RegistryStore interleaved(Consumer<ApprovalService> decision, AtomicReference<RuntimeException> failure) {
        RegistryStore real = adapters.registryStore();
        AtomicReference<Runnable> pending = new AtomicReference<>(() -> {
            try {
                decision.accept(service(real));
            } catch (RuntimeException e) {
                failure.set(e);
            }
        });
        return (RegistryStore) Proxy.newProxyInstance(RegistryStore.class.getClassLoader(),
                new Class<?>[] {RegistryStore.class}, (proxy, method, args) -> {
                    Object result;
                    try {
                        result = method.invoke(real, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                    if (method.getName().equals("updateVersion")) {
                        Runnable next = pending.getAndSet(null);
                        if (next != null) {
                            next.run();
                        }
                    }
                    return result;
                });
    }

    private List<AuditRecord> signings() {
        return adapters.auditStore().read("2026-11-06").stream()
                .filter(r -> r.action().equals(ApprovalService.APPROVE) || r.action().equals(ApprovalService.REJECT))
                .toList();
    }

    /** The decisions made: every approval or rejection record but those of refused attempts. */
    private List<AuditRecord> decisions() {
        return signings().stream().filter(r -> !r.outcome().equals("refused")).toList();
    }

    private List<AuditRecord> refusals() {
        return signings().stream().filter(r -> r.outcome().equals("refused")).toList();
    }

    @Test
    void aRejectionThatArrivesWhileAnApprovalIsBeingSignedLeavesOneDecisionAndOnlyItsSignature() {
        AtomicReference<RuntimeException> rejection = new AtomicReference<>();
        RegistryStore store = interleaved(
                approvals -> approvals.reject(V1, SECOND, "subgroup calibration not acceptable"), rejection);

        ApprovalService.Decision approval = service(store).approve(V1, APPROVER, "every gate passed");

        VersionRecord stored = adapters.registryStore().findVersion(READMISSION, 1).orElseThrow();
        assertThat(approval.approvalsStillNeeded()).isZero();
        assertThat(stored.stage()).isEqualTo(Stage.APPROVED);
        assertThat(stored.signatures()).as("a rejection that lost leaves no signature on an approved version")
                .extracting(ElectronicSignature::meaning).containsExactly(Meaning.APPROVED_FOR_CANARY);
        assertThat(rejection.get()).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE));
        assertThat(decisions()).as("the audit trail holds the one decision that was made")
                .singleElement().satisfies(r -> {
                    assertThat(r.action()).isEqualTo(ApprovalService.APPROVE);
                    assertThat(r.actor()).isEqualTo("approver");
                });
        assertThat(refusals()).as("the rejection that lost is on record as an attempt the lifecycle refused")
                .singleElement().satisfies(r -> {
                    assertThat(r.action()).isEqualTo(ApprovalService.REJECT);
                    assertThat(r.actor()).isEqualTo("approver-2");
                    assertThat(r.details()).containsEntry("reason", "INVALID_STATE")
                            .containsEntry("message", rejection.get().getMessage());
                });
    }

    @Test
    void anApprovalThatArrivesWhileARejectionIsBeingSignedIsRefusedAndLeavesNothing() {
        AtomicReference<RuntimeException> approval = new AtomicReference<>();
        RegistryStore store = interleaved(approvals -> approvals.approve(V1, SECOND, "looks fine to me"), approval);

        service(store).reject(V1, APPROVER, "calibration slope far from 1");

        VersionRecord stored = adapters.registryStore().findVersion(READMISSION, 1).orElseThrow();
        assertThat(stored.stage()).isEqualTo(Stage.REJECTED);
        assertThat(stored.signatures()).extracting(ElectronicSignature::meaning).containsExactly(Meaning.REJECTED);
        assertThat(approval.get()).isInstanceOfSatisfying(ConflictException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE));
        assertThat(decisions()).singleElement().extracting(AuditRecord::action).isEqualTo(ApprovalService.REJECT);
        assertThatThrownBy(() -> service(adapters.registryStore()).approve(V1, SECOND, "looks fine to me"))
                .isInstanceOf(ConflictException.class);
        assertThat(refusals()).as("both of the second approver's attempts, the one that lost and the one after it")
                .hasSize(2).allSatisfy(r -> {
                    assertThat(r.action()).isEqualTo(ApprovalService.APPROVE);
                    assertThat(r.actor()).isEqualTo("approver-2");
                    assertThat(r.details()).containsEntry("stage", "rejected");
                });
    }

    @Test
    void anApprovalOrRejectionTheLifecycleRefusesIsAuditedAsRefusedWithItsReasonAndNothingElseChanges() {
        VersionRecord failed = register(Stage.GATES_FAILED);
        ModelVersion v2 = failed.id();
        ApprovalService approvals = service(adapters.registryStore());

        ConflictException refused = catchThrowableOfType(() -> approvals.approve(v2, APPROVER,
                "the subgroup gaps look acceptable to me"), ConflictException.class);

        assertThat(refused.code()).isEqualTo(ErrorCode.INVALID_STATE);
        VersionRecord stored = adapters.registryStore().findVersion(READMISSION, 2).orElseThrow();
        assertThat(stored.stage()).isEqualTo(Stage.GATES_FAILED);
        assertThat(stored.signatures()).isEmpty();
        AuditRecord attempt = refusals().get(0);
        assertThat(refusals()).hasSize(1);
        assertThat(List.of(attempt.action(), attempt.actor(), attempt.subject()))
                .containsExactly(ApprovalService.APPROVE, "approver", "/models/readmission/versions/2");
        assertThat(attempt.details()).as("the justification of a refused attempt is not kept").isEqualTo(Map.of(
                "reason", "INVALID_STATE", "message", refused.getMessage(), "stage", "gates_failed",
                "packageSha256", failed.packageSha256()));
        assertThat(decisions()).isEmpty();

        approvals.reject(v2, APPROVER, "calibration slope far from 1");
        assertThatThrownBy(() -> approvals.reject(v2, SECOND, "agreed, reject")).isInstanceOf(ConflictException.class);

        assertThat(decisions()).singleElement().extracting(AuditRecord::outcome).isEqualTo("rejected");
        assertThat(refusals()).hasSize(2).last().satisfies(r -> {
            assertThat(r.action()).isEqualTo(ApprovalService.REJECT);
            assertThat(r.actor()).isEqualTo("approver-2");
            assertThat(r.details()).containsEntry("stage", "rejected");
        });
    }

    @Test
    void theUploaderOfTheVersionARetrainingReRanMayNotSignItNorItsRetrainedSuccessors() {
        VersionRecord parent = adapters.registryStore().findVersion(READMISSION, 1).orElseThrow();
        ModelVersion retrained = retrainedFrom(parent).id();
        ModelVersion retrainedAgain = retrainedFrom(adapters.registryStore().findVersion(READMISSION, 2).orElseThrow())
                .id();
        Principal parentUploader = new Principal("Data-Scientist", "Dana Scientist", Set.of(Role.MODELS_APPROVE));
        ApprovalService approvals = service(adapters.registryStore());

        AccessDeniedException refused = catchThrowableOfType(() -> approvals.approve(retrained, parentUploader,
                "retrained on fresh data, gates passed"), AccessDeniedException.class);
        AccessDeniedException refusedAgain = catchThrowableOfType(() -> approvals.reject(retrainedAgain,
                parentUploader, "calibration drifted"), AccessDeniedException.class);

        assertThat(List.of(refused.code(), refusedAgain.code())).containsOnly(ErrorCode.SEPARATION_OF_DUTIES);
        assertThat(refused.getMessage()).isEqualTo("'Data-Scientist' uploaded readmission:1, the version readmission:2"
                + " was retrained from: a retraining re-runs that upload's recipe and code, so its uploader may not sign"
                + " the result; another approver must");
        assertThat(refusedAgain.getMessage()).startsWith("'Data-Scientist' uploaded readmission:1, the version"
                + " readmission:3 was retrained from (through readmission:2): ");
        assertThat(refusals()).hasSize(2).allSatisfy(r -> {
            assertThat(r.actor()).isEqualTo("Data-Scientist");
            assertThat(r.details()).containsEntry("reason", "SEPARATION_OF_DUTIES")
                    .containsEntry("uploader", Principal.RETRAINING)
                    .containsEntry("retrainedFrom", "readmission:1")
                    .containsEntry("retrainedFromUploader", "data-scientist");
        });
        assertThat(adapters.registryStore().findVersion(READMISSION, 2).orElseThrow().signatures()).isEmpty();
        assertThat(adapters.registryStore().findVersion(READMISSION, 3).orElseThrow().signatures()).isEmpty();

        // Anyone else signs as usual.
        assertThat(approvals.approve(retrained, APPROVER, "retrained on fresh data, gates passed").version().stage())
                .isEqualTo(Stage.APPROVED);
    }

    @Test
    void onlyTheLineageThePlatformWroteIsFollowed() {
        VersionRecord parent = adapters.registryStore().findVersion(READMISSION, 1).orElseThrow();
        // A person's upload that claims a parent is theirs alone: the parent's uploader may review it.
        ModelVersion claimed = register(Stage.GATES_PASSED, "colleague", Map.of(Provenance.PARENT_VERSION, "1",
                Provenance.PARENT_PACKAGE_SHA256, parent.packageSha256())).id();
        // A retrained version whose recorded parent is not the package registered under that number.
        ModelVersion astray = register(Stage.GATES_PASSED, Principal.RETRAINING, Map.of(Provenance.PARENT_VERSION, "1",
                Provenance.PARENT_PACKAGE_SHA256, "0".repeat(64))).id();
        Principal parentUploader = new Principal("data-scientist", Set.of(Role.MODELS_APPROVE));
        ApprovalService approvals = service(adapters.registryStore());

        assertThat(approvals.approve(claimed, parentUploader, "reviewed a colleague's model").version().stage())
                .isEqualTo(Stage.APPROVED);
        assertThatThrownBy(() -> approvals.approve(astray, APPROVER, "gates passed"))
                .isInstanceOfSatisfying(AccessDeniedException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.SEPARATION_OF_DUTIES))
                .hasMessageContaining("readmission:3 was retrained by the platform, but readmission:3 names no"
                        + " registered version it was retrained from");
        assertThat(approvals.reject(astray, APPROVER, "nobody can answer for its lineage").version().stage())
                .isEqualTo(Stage.REJECTED);
    }

    @Test
    void signingAgainWhatOneSignedBeforeIsNoRefusalAndWritesNothing() {
        ApprovalService approvals = service(adapters.registryStore());
        approvals.approve(V1, APPROVER, "every gate passed");
        int records = adapters.auditStore().read("2026-11-06").size();

        approvals.approve(V1, APPROVER, "every gate passed");

        assertThat(adapters.auditStore().read("2026-11-06")).hasSize(records);
        assertThat(refusals()).isEmpty();
    }
}
