package health.vigil.gates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryArtifactStore;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.error.StoreException;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.port.RegistryStore;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.mockito.Mockito;

/** A gate policy change and its audit record: a change stored without its record is recorded before the next. */
class GatePoliciesTest {
    private static final ModelName MODEL = new ModelName("readmission");
    private static final Principal STEWARD = new Principal("data-steward", Set.of(Role.DATASETS_REGISTER));
    private static final Principal SECOND = new Principal("second-steward", Set.of(Role.DATASETS_REGISTER));

    @Test
    void aChangeStoredBeforeTheAuditStoreFailedIsRecordedInItsAuthorsNameBeforeTheNextChange() {
        AtomicBoolean outage = new AtomicBoolean(true);
        InMemoryAuditStore store = Mockito.spy(new InMemoryAuditStore());
        Mockito.doAnswer(call -> {
            if (outage.getAndSet(false)) {
                throw new StoreException("the audit store is not answering (a test outage)", null);
            }
            return call.callRealMethod();
        }).when(store).tryAppendOnce(Mockito.anyString(), Mockito.any());
        RegistryStore registry = Mockito.mock(RegistryStore.class);
        Mockito.when(registry.listVersions(MODEL)).thenReturn(List.of());
        GatePolicies policies = new GatePolicies(new InMemoryArtifactStore(), registry,
                new AuditLog(store, Clock.systemUTC()), Clock.systemUTC());

        assertThatThrownBy(() -> policies.update(MODEL, GatePolicy.defaults(), STEWARD, "a stricter floor"))
                .isInstanceOf(StoreException.class);
        assertThat(policies.current(MODEL).version()).as("the policy was stored").isEqualTo(1);
        assertThat(changes(store)).as("but not its record").isEmpty();

        assertThat(policies.update(MODEL, GatePolicy.defaults(), SECOND, "the next change").version()).isEqualTo(2);

        List<AuditRecord> changes = changes(store);
        assertThat(changes).extracting(AuditRecord::actor).containsExactly("data-steward", "second-steward");
        assertThat(changes.get(0).details()).containsEntry("version", "1").containsEntry("reason", "a stricter floor")
                .containsEntry("completedBy", "second-steward");
        assertThat(changes.get(1).details()).containsEntry("version", "2").doesNotContainKey("completedBy");
        policies.update(MODEL, GatePolicy.defaults(), SECOND, "a third");
        assertThat(changes(store)).as("each version recorded once").hasSize(3);
    }

    @Test
    void anotherSpellingOfAnUploaderCannotSetTheBarTheirVersionIsJudgedBy() {
        InMemoryAuditStore store = new InMemoryAuditStore();
        RegistryStore registry = Mockito.mock(RegistryStore.class);
        Mockito.when(registry.listVersions(MODEL)).thenReturn(List.of(health.vigil.registry.ServiceFixtures.version(
                MODEL, 1, health.vigil.model.Stage.GATES_PASSED)));
        String uploader = registry.listVersions(MODEL).get(0).registeredBy();
        GatePolicies policies = new GatePolicies(new InMemoryArtifactStore(), registry,
                new AuditLog(store, Clock.systemUTC()), Clock.systemUTC());
        Principal spelledOtherwise = new Principal(" " + uploader.toUpperCase(java.util.Locale.ROOT) + "\u200b",
                Set.of(Role.DATASETS_REGISTER));

        assertThatThrownBy(() -> policies.update(MODEL, GatePolicy.defaults(), spelledOtherwise, "a lower floor"))
                .isInstanceOfSatisfying(health.vigil.error.AccessDeniedException.class,
                        e -> assertThat(e.code()).isEqualTo(health.vigil.error.ErrorCode.SEPARATION_OF_DUTIES));
        assertThat(policies.current(MODEL).version()).isZero();
        assertThat(changes(store)).singleElement().extracting(AuditRecord::outcome).isEqualTo("refused");
    }

    @Test
    void aReasonThatSaysNothingIsRefused() {
        RegistryStore registry = Mockito.mock(RegistryStore.class);
        Mockito.when(registry.listVersions(MODEL)).thenReturn(List.of());
        InMemoryAuditStore store = new InMemoryAuditStore();
        GatePolicies policies = new GatePolicies(new InMemoryArtifactStore(), registry,
                new AuditLog(store, Clock.systemUTC()), Clock.systemUTC());

        for (String empty : new String[] {"\u00a0", "\u2800", "-"}) {
            assertThatThrownBy(() -> policies.update(MODEL, GatePolicy.defaults(), STEWARD, empty))
                    .isInstanceOf(health.vigil.error.ValidationException.class).hasMessageContaining("needs a reason");
        }
        assertThat(policies.current(MODEL).version()).isZero();
        assertThat(changes(store)).isEmpty();
    }

    private static List<AuditRecord> changes(InMemoryAuditStore store) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return java.util.stream.Stream.of(today.minusDays(1), today) // a run across midnight sees both days
                .flatMap(day -> store.read(day.toString()).stream())
                .filter(r -> r.action().equals(GatePolicies.ACTION)).toList();
    }
}
