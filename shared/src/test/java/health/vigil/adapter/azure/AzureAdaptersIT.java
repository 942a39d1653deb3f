package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.config.VigilConfig;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.testing.emulators.AzureEmulators;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The factory the apps and {@code vigil up --azure-emulators} use: from app settings alone it creates the
 * database, containers and blob containers on emulators and gives working ports.
 */
@ExtendWith(AzureEmulators.class)
class AzureAdaptersIT {

    @Test
    void buildsEveryStoreFromSettingsAndCreatesWhatIsMissing() throws Exception {
        Map<String, String> env = Fixtures.emulatorSettings(AzureEmulators.azurite().connectionString(), true);
        String database = "it-factory-" + UUID.randomUUID().toString().substring(0, 8);
        env.put("VIGIL_AZURE_COSMOS_DATABASE", database);
        ModelName model = new ModelName("factory-" + UUID.randomUUID().toString().substring(0, 8));

        try (AzureAdapters adapters = AzureAdapters.create(VigilConfig.fromEnvironment(env))) {
            VersionRecord v1 = adapters.registryStore().createNextVersion(model,
                    n -> Fixtures.version(model, n, "a".repeat(64)));
            assertThat(adapters.registryStore().findVersion(model, 1)).contains(v1);

            assertThat(adapters.auditStore().tryAppend(Fixtures.audit("2026-03-01", 1, null))).isTrue();
            assertThat(adapters.auditStore().partitions()).containsExactly("2026-03-01");

            PredictionRecord p = new PredictionRecord("p-1", model, 1, Slot.STABLE, "f".repeat(64), Fixtures.T0,
                    new float[] {1f}, 0.4, false, null);
            adapters.predictionLog().append(List.of(p));
            List<PredictionRecord> scanned = new ArrayList<>();
            adapters.predictionLog().scan(model, Fixtures.T0, Fixtures.T0.plusSeconds(1), scanned::add);
            assertThat(scanned).containsExactly(p);

            String blob = model + "/1.zip";
            ArtifactStore.StoredArtifact stored = adapters.artifactStore().put(ArtifactStore.MODELS, blob,
                    new ByteArrayInputStream("package".getBytes(StandardCharsets.UTF_8)), false);
            assertThat(adapters.artifactStore().describe(ArtifactStore.MODELS, blob)).contains(stored);
            for (String container : List.of(ArtifactStore.DATASETS, ArtifactStore.AUDIT_EXPORTS)) {
                assertThat(adapters.artifactStore().list(container, model.value())).isEmpty();
            }

            // No Event Grid or Key Vault emulator: those ports are absent rather than half-configured.
            assertThat(adapters.eventPublisher()).isEmpty();
            assertThat(adapters.secretProvider()).isEmpty();
            adapters.telemetry().registration("registered");
        } finally {
            CosmosTestDatabase.client().getDatabase(database).delete();
        }
    }
}
