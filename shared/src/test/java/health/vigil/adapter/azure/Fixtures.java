package health.vigil.adapter.azure;

import health.vigil.model.AuditRecord;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.OutputSpec;
import health.vigil.model.Provenance;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.hash.Sha256;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Small, valid domain records for the Azure adapter tests. */
final class Fixtures {
    static final Instant T0 = Instant.parse("2026-03-01T10:15:30Z");

    private Fixtures() {}

    static Manifest manifest(ModelName name) {
        return new Manifest(1, name, Manifest.BINARY_CLASSIFICATION, "30-day readmission",
                new FeatureSchema(List.of(
                        new Feature("age", FeatureType.NUMERIC, "years", 0.0, 120.0, null, true, "age at discharge"),
                        new Feature("prior_admissions", FeatureType.NUMERIC, "count", 0.0, 50.0, null, true, null))),
                null, new OutputSpec("probabilities", 1, "readmitted within 30 days", 0.3),
                "discharge planning for adult inpatients", List.of("not validated for paediatrics"), "clinical-ml",
                new Provenance(Sha256.hex("training data"), 1000, "2024-01/2024-12", "abc1234", false, "xgboost", 7L,
                        Map.of("max_depth", "4"), Map.of("xgboost", "3.0.4"), "17", "linux", T0));
    }

    static VersionRecord version(ModelName name, int number, String packageSha256) {
        return new VersionRecord(name, number, manifest(name), packageSha256, Sha256.hex("onnx " + number),
                "models/" + name + "-" + number + ".zip", 1234, Stage.REGISTERED, "alice", T0, "event-" + number, T0, null);
    }

    static AuditRecord audit(String partition, long sequence, String previousHash) {
        String hash = Sha256.hex(previousHash + "|" + partition + "|" + sequence);
        return new AuditRecord("audit-" + partition + "-" + sequence, partition, sequence, T0.plusSeconds(sequence),
                "alice", "model.approve", "/models/readmission/versions/1", "ok", Map.of("stage", "APPROVED"),
                previousHash, hash);
    }

    /**
     * The app settings of Vigil in Azure mode on the test emulators: the Cosmos DB server and the storage account of
     * {@code storageConnectionString}, resources created when {@code createResources}.
     */
    static java.util.Map<String, String> emulatorSettings(String storageConnectionString, boolean createResources) {
        health.vigil.testing.emulators.AzureEmulators.CosmosTarget cosmos =
                health.vigil.testing.emulators.AzureEmulators.cosmos();
        java.util.Map<String, String> env = new java.util.HashMap<>();
        env.put("VIGIL_MODE", "azure");
        env.put("VIGIL_AZURE_COSMOS_ENDPOINT", cosmos.endpoint());
        env.put("VIGIL_AZURE_COSMOS_KEY", cosmos.key());
        env.put("VIGIL_AZURE_COSMOS_CONNECTION_MODE", "gateway");
        env.put("VIGIL_AZURE_STORAGE_CONNECTION_STRING", storageConnectionString);
        env.put("VIGIL_AZURE_CREATE_RESOURCES", Boolean.toString(createResources));
        return env;
    }
}
