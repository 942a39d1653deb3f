package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.audit.AuditLog;
import health.vigil.config.VigilConfig;
import health.vigil.gates.GatePolicies;
import health.vigil.gates.GatePolicy;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.emulators.AzureEmulators;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gate policy changes on the Azure adapters (policy versions as create-once blobs on Azurite, their audit records in
 * the Cosmos DB server): a change that is not conditional does not fail because another change won the race for the
 * next version number, as on the local stores. Each writer sends thresholds of its own: the same thresholds again are
 * no change.
 */
@ExtendWith(AzureEmulators.class)
class GatePoliciesOnAzureIT {
    private static final int WRITERS = 8;

    @Test
    void concurrentChangesAllSucceedWithConsecutiveVersionsEachAuditedOnce() throws Exception {
        Map<String, String> env = Fixtures.emulatorSettings(AzureEmulators.azurite().connectionString(), true);
        String database = "it-gate-policy-" + UUID.randomUUID().toString().substring(0, 8);
        env.put("VIGIL_AZURE_COSMOS_DATABASE", database);
        ModelName model = new ModelName("policy-" + UUID.randomUUID().toString().substring(0, 8));
        Principal governor = new Principal("governor-1", Set.of(Role.MODELS_APPROVE));
        Clock clock = Clock.systemUTC();
        LocalDate today = LocalDate.now(clock.withZone(ZoneOffset.UTC));

        ExecutorService pool = Executors.newFixedThreadPool(WRITERS);
        try (AzureAdapters adapters = AzureAdapters.create(VigilConfig.fromEnvironment(env))) {
            AuditLog audit = new AuditLog(adapters.auditStore(), clock);
            GatePolicies policies = new GatePolicies(adapters.artifactStore(), adapters.registryStore(), audit, clock);
            CountDownLatch go = new CountDownLatch(1);
            List<Future<GatePolicy>> changes = new ArrayList<>();
            for (int i = 0; i < WRITERS; i++) {
                ObjectNode thresholds = Json.mapper().valueToTree(GatePolicy.defaults());
                thresholds.put("maxCalibrationError", 0.04 - i * 0.001);
                GatePolicy tighter = Json.convert("the policy", thresholds, GatePolicy.class);
                changes.add(pool.submit(() -> {
                    go.await();
                    return policies.update(model, tighter, governor, "tighter calibration bar").policy();
                }));
            }
            go.countDown();
            List<Integer> versions = new ArrayList<>();
            for (Future<GatePolicy> change : changes) {
                versions.add(change.get(120, TimeUnit.SECONDS).version());
            }

            List<Integer> consecutive = IntStream.rangeClosed(1, WRITERS).boxed().toList();
            assertThat(versions).containsExactlyInAnyOrderElementsOf(consecutive);
            assertThat(policies.history(model)).extracting(GatePolicy::version)
                    .containsExactlyElementsOf(IntStream.rangeClosed(1, WRITERS).map(v -> WRITERS + 1 - v).boxed()
                            .toList());
            List<AuditRecord> changed = audit.read(today.minusDays(1), today.plusDays(1)).stream()
                    .filter(r -> r.action().equals(GatePolicies.ACTION) && r.outcome().equals("changed")
                            && r.subject().equals("/models/" + model + "/gate-policy"))
                    .toList();
            assertThat(changed).extracting(r -> Integer.parseInt(r.details().get("version")))
                    .containsExactlyInAnyOrderElementsOf(consecutive);
        } finally {
            pool.shutdownNow();
            CosmosTestDatabase.client().getDatabase(database).delete();
        }
    }
}
