package health.vigil.gates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryArtifactStore;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.error.VigilException;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.port.RegistryStore;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.CapturedLog;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.logging.Level;
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

        assertThatThrownBy(() -> policies.update(MODEL, floor(0.70), STEWARD, "a stricter floor"))
                .isInstanceOf(StoreException.class);
        assertThat(policies.current(MODEL).version()).as("the policy was stored").isEqualTo(1);
        assertThat(changes(store)).as("but not its record").isEmpty();

        assertThat(policies.update(MODEL, floor(0.72), SECOND, "the next change").policy().version()).isEqualTo(2);

        List<AuditRecord> changes = changes(store);
        assertThat(changes).extracting(AuditRecord::actor).containsExactly("data-steward", "second-steward");
        assertThat(changes.get(0).details()).containsEntry("version", "1").containsEntry("reason", "a stricter floor")
                .containsEntry("completedBy", "second-steward");
        assertThat(changes.get(1).details()).containsEntry("version", "2").doesNotContainKey("completedBy");
        policies.update(MODEL, floor(0.74), SECOND, "a third");
        assertThat(changes(store)).as("each version recorded once").hasSize(3);
    }

    @Test
    void theThresholdsInForceSentAgainChangeNothingAndRecordNothing() {
        RegistryStore registry = Mockito.mock(RegistryStore.class);
        Mockito.when(registry.listVersions(MODEL)).thenReturn(List.of());
        InMemoryAuditStore store = new InMemoryAuditStore();
        GatePolicies policies = new GatePolicies(new InMemoryArtifactStore(), registry,
                new AuditLog(store, Clock.systemUTC()), Clock.systemUTC());

        GatePolicies.Change defaults = policies.update(MODEL, GatePolicy.defaults(), STEWARD, "the defaults, stated");
        assertThat(defaults.changed()).isFalse();
        assertThat(defaults.policy().version()).isZero();
        GatePolicies.Change first = policies.update(MODEL, floor(0.70), STEWARD, "a stricter floor");
        assertThat(first.changed()).isTrue();
        assertThat(first.policy().version()).isEqualTo(1);

        // A retry of the same request, and the same thresholds sent by someone else for another reason.
        GatePolicies.Change retried = policies.update(MODEL, floor(0.70), STEWARD, "a stricter floor");
        GatePolicies.Change again = policies.update(MODEL, floor(0.70), SECOND, "re-applied from the script");

        for (GatePolicies.Change unchanged : List.of(retried, again)) {
            assertThat(unchanged.changed()).isFalse();
            assertThat(unchanged.policy()).isEqualTo(first.policy());
        }
        assertThat(policies.history(MODEL)).extracting(GatePolicy::version).containsExactly(1);
        assertThat(changes(store)).singleElement()
                .satisfies(r -> assertThat(r.details()).containsEntry("version", "1"));
        assertThat(policies.update(MODEL, floor(0.65), SECOND, "back to the default floor").policy().version())
                .as("the defaults' thresholds are a change from a stored policy").isEqualTo(2);
    }

    /**
     * A threshold written as -0.0 is the threshold 0, and the card fields a version must provide are a set: neither
     * spelling is a change of the policy, or a script that writes them differently would put reports out of date.
     */
    @Test
    void aZeroWrittenAsMinusZeroOrCardFieldsInAnotherOrderAreTheSameThresholds() {
        List<String> fields = List.of(health.vigil.model.CardFacts.FIELDS.get(0),
                health.vigil.model.CardFacts.FIELDS.get(1));
        GatePolicy written = with(with(GatePolicy.defaults(), "nonInferiorityMargin", 0.0), "requiredCardFields",
                fields);
        GatePolicy rewritten = with(with(GatePolicy.defaults(), "nonInferiorityMargin", -0.0), "requiredCardFields",
                List.of(fields.get(1), fields.get(0)));

        assertThat(rewritten.sameThresholds(written)).isTrue();
        assertThat(written.sameThresholds(rewritten)).isTrue();
        assertThat(with(written, "nonInferiorityMargin", 0.01).sameThresholds(written)).isFalse();
        assertThat(with(written, "requiredCardFields", fields.subList(0, 1)).sameThresholds(written)).isFalse();
    }

    /**
     * Whether a model's new versions must come through a canary is part of its policy: turning it on is a change, and
     * a policy sent or stored before the setting existed reads as not requiring one.
     */
    @Test
    void requiringACanaryIsAChangeOfThePolicyAndAPolicyWithoutTheSettingRequiresNone() {
        RegistryStore registry = Mockito.mock(RegistryStore.class);
        Mockito.when(registry.listVersions(MODEL)).thenReturn(List.of());
        GatePolicies policies = new GatePolicies(new InMemoryArtifactStore(), registry,
                new AuditLog(new InMemoryAuditStore(), Clock.systemUTC()), Clock.systemUTC());
        com.fasterxml.jackson.databind.node.ObjectNode older = health.vigil.json.Json.mapper()
                .valueToTree(GatePolicy.defaults());
        older.remove("requireCanary");

        assertThat(health.vigil.json.Json.convert("the policy", older, GatePolicy.class).requireCanary()).isFalse();
        assertThat(policies.current(MODEL).requireCanary()).isFalse();
        GatePolicy requiring = with(GatePolicy.defaults(), "requireCanary", true);
        assertThat(requiring.sameThresholds(GatePolicy.defaults())).isFalse();
        GatePolicies.Change change = policies.update(MODEL, requiring, STEWARD, "new versions go live by canary");

        assertThat(change.changed()).isTrue();
        assertThat(policies.current(MODEL).version()).isEqualTo(1);
        assertThat(policies.current(MODEL).requireCanary()).isTrue();
    }

    /**
     * The cap on a new version's first canary step is part of the policy: 25 % in one stored before it existed, a
     * change when set otherwise, and refused outside 1 to 5,000 basis points (above half, most patients would be on the
     * version before the analysis judged it).
     */
    @Test
    void theCapOnACanarysFirstStepIsPartOfThePolicyAndAtMostHalfOfTheTraffic() {
        com.fasterxml.jackson.databind.node.ObjectNode older = health.vigil.json.Json.mapper()
                .valueToTree(GatePolicy.defaults());
        older.remove("maxFirstCanaryStep");

        assertThat(health.vigil.json.Json.convert("the policy", older, GatePolicy.class).maxFirstCanaryStep())
                .isEqualTo(2_500);
        assertThat(with(GatePolicy.defaults(), "maxFirstCanaryStep", 100).sameThresholds(GatePolicy.defaults()))
                .isFalse();
        assertThat(with(GatePolicy.defaults(), "maxFirstCanaryStep", 5_000).maxFirstCanaryStep()).isEqualTo(5_000);
        for (int outside : new int[] {0, 5_001, 10_000}) {
            assertThatThrownBy(() -> with(GatePolicy.defaults(), "maxFirstCanaryStep", outside))
                    .isInstanceOf(health.vigil.error.ValidationException.class)
                    .hasMessageContaining("maxFirstCanaryStep is " + outside).hasMessageContaining("use 1 to 5000");
        }
    }

    private static GatePolicy with(GatePolicy policy, String field, Object value) {
        com.fasterxml.jackson.databind.node.ObjectNode thresholds = health.vigil.json.Json.mapper().valueToTree(policy);
        thresholds.set(field, health.vigil.json.Json.mapper().valueToTree(value));
        return health.vigil.json.Json.convert("the policy", thresholds, GatePolicy.class);
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
        assertThat(changes(store)).singleElement().satisfies(r -> {
            assertThat(r.outcome()).isEqualTo("refused");
            // Recorded as a refused approval is: the code as the reason, the platform's message beside it.
            assertThat(r.details()).containsEntry("reason", "SEPARATION_OF_DUTIES")
                    .containsEntry("detail", "uploader of version 1");
            assertThat(r.details().get("message")).contains("uploaded version 1 of `readmission`");
        });
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

    /**
     * A stored version that does not read (written badly below the platform, or with a threshold out of range) is the
     * platform's fault, not the caller's: 500 GATE_POLICY_UNREADABLE naming the model, the version and the fix, logged
     * once, with nothing of the file in the message or the log. Setting a new policy still works, and is then in force.
     */
    @Test
    void aNewestPolicyThatDoesNotReadIsAServerErrorThatANewPolicyReplaces() {
        RegistryStore registry = Mockito.mock(RegistryStore.class);
        Mockito.when(registry.listVersions(MODEL)).thenReturn(List.of());
        InMemoryAuditStore store = new InMemoryAuditStore();
        InMemoryArtifactStore artifacts = new InMemoryArtifactStore();
        GatePolicies policies = new GatePolicies(artifacts, registry, new AuditLog(store, Clock.systemUTC()),
                Clock.systemUTC());
        policies.update(MODEL, floor(0.70), STEWARD, "a stricter floor");
        policies.update(MODEL, floor(0.72), STEWARD, "stricter still");

        for (String written : List.of("{\"aurocFloor\": 0.7 SECRET-TEXT", "{\"version\": 2, \"aurocFloor\": 7.5}")) {
            overwrite(artifacts, "gate-policies/readmission/2.json", written);
            try (CapturedLog logged = CapturedLog.of(GatePolicies.class)) {
                for (var read : List.<Runnable>of(() -> policies.current(MODEL), () -> policies.history(MODEL),
                        () -> policies.current(MODEL))) {
                    assertThatThrownBy(read::run).isInstanceOfSatisfying(VigilException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.GATE_POLICY_UNREADABLE);
                        assertThat(e.httpStatus()).isEqualTo(500);
                    }).hasMessageContaining("version 2 of the gate policy of `readmission`")
                            .hasMessageContaining("vigil models gate-policy readmission --set FILE --reason TEXT")
                            .hasMessageNotContaining("SECRET").hasMessageNotContaining("7.5");
                }
                assertThat(logged.records()).as("logged once").singleElement().satisfies(r -> {
                    assertThat(r.getLevel()).isEqualTo(Level.SEVERE);
                    assertThat(r.getMessage()).contains("version 2", "`readmission`").doesNotContain("SECRET", "7.5");
                    assertThat(r.getThrown()).isNull();
                });
            }
        }

        GatePolicies.Change replaced = policies.update(MODEL, floor(0.72), SECOND, "version 2 was damaged");

        assertThat(replaced.changed()).as("not taken for the thresholds in force").isTrue();
        assertThat(policies.current(MODEL).version()).isEqualTo(3);
        assertThat(policies.current(MODEL).aurocFloor()).isEqualTo(0.72);
        // The damaged version is no longer in force: the history leaves it out (a gap in the numbers) and reads.
        assertThat(policies.history(MODEL)).extracting(GatePolicy::version).containsExactly(3, 1);
        assertThat(changes(store)).extracting(r -> r.details().get("version")).containsExactly("1", "2", "3");
    }

    private static void overwrite(InMemoryArtifactStore artifacts, String name, String content) {
        artifacts.put(health.vigil.port.ArtifactStore.DATASETS, name, new java.io.ByteArrayInputStream(
                content.getBytes(java.nio.charset.StandardCharsets.UTF_8)), true);
    }

    private static GatePolicy floor(double aurocFloor) {
        com.fasterxml.jackson.databind.node.ObjectNode thresholds =
                health.vigil.json.Json.mapper().valueToTree(GatePolicy.defaults());
        thresholds.put("aurocFloor", aurocFloor);
        return health.vigil.json.Json.convert("the policy", thresholds, GatePolicy.class);
    }

    private static List<AuditRecord> changes(InMemoryAuditStore store) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return java.util.stream.Stream.of(today.minusDays(1), today) // a run across midnight sees both days
                .flatMap(day -> store.read(day.toString()).stream())
                .filter(r -> r.action().equals(GatePolicies.ACTION)).toList();
    }
}
