package health.vigil.approval;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.audit.AuditLog;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.model.AuditRecord;
import health.vigil.model.ElectronicSignature;
import health.vigil.model.ElectronicSignature.Meaning;
import health.vigil.model.ModelVersion;
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
        VersionRecord v = version(READMISSION, 1, Stage.GATES_PASSED);
        adapters.registryStore().createNextVersion(READMISSION, n -> new VersionRecord(v.modelName(), n, v.manifest(),
                v.packageSha256(), v.modelSha256(), v.packageBlob(), v.packageSize(), Stage.GATES_PASSED,
                "data-scientist", v.registeredAt(), v.sourceEventId(), v.updatedAt(), null));
    }

    @AfterEach
    void close() {
        adapters.close();
    }

    private ApprovalService service(RegistryStore store) {
        AuditLog audit = new AuditLog(adapters.auditStore(), clock);
        return new ApprovalService(store, new VersionLifecycle(store, audit, clock), audit, event -> { }, clock,
                Set.of());
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

    private List<AuditRecord> decisions() {
        return adapters.auditStore().read("2026-11-06").stream()
                .filter(r -> r.action().equals(ApprovalService.APPROVE) || r.action().equals(ApprovalService.REJECT))
                .toList();
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
    }
}
