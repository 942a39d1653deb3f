package health.vigil.registry;

import health.vigil.model.Deployment;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.OutputSpec;
import health.vigil.model.Provenance;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Manifests and version records that the service tests share. */
public final class ServiceFixtures {
    public static final ModelName READMISSION = ModelName.of("readmission");
    public static final Instant REGISTERED_AT = Instant.parse("2026-11-02T10:15:30Z");

    private ServiceFixtures() {}

    /** A readmission schema with one feature of every type; {@code bmi} is optional. */
    public static FeatureSchema schema() {
        return new FeatureSchema(List.of(
                Feature.integer("age", "years", 18, 110),
                Feature.categorical("sex", List.of("female", "male", "unknown")),
                Feature.numeric("bmi", "kg/m2", 10, 80).optional(),
                Feature.bool("diabetic")));
    }

    public static Provenance provenance() {
        return new Provenance("ab".repeat(32), 5000, "2019-2024", "0123abc", false, "xgboost", 42L,
                Map.of("max_depth", "4"), Map.of("xgboost4j", "3.0.4"), "17", "linux", REGISTERED_AT);
    }

    public static Manifest manifest(ModelName name) {
        return manifest(name, schema(), 0.3);
    }

    public static Manifest manifest(ModelName name, FeatureSchema schema, double threshold) {
        return new Manifest(Manifest.FORMAT_VERSION, name, Manifest.BINARY_CLASSIFICATION, "30-day readmission risk",
                schema, Manifest.IDENTITY_PIPELINE, new OutputSpec("probabilities", 1, "readmitted within 30 days", threshold),
                "care coordinators prioritising follow-up calls", List.of("adults only"), "clinical-ml", provenance());
    }

    public static VersionRecord version(ModelName name, int number, Stage stage) {
        return version(name, number, stage, manifest(name));
    }

    public static VersionRecord version(ModelName name, int number, Stage stage, Manifest manifest) {
        return new VersionRecord(name, number, manifest, sha('p', number), sha('m', number), name + "-v" + number + ".zip",
                1234, stage, "blob:" + name + "-v" + number + ".zip", REGISTERED_AT, "event-" + number, REGISTERED_AT,
                "etag-" + number);
    }

    /**
     * Version 1 of readmission in production, version 2 ramping out as its canary (revision 7 of the deployment: 75 %
     * and 25 %), and version 3 approved, to deploy over the canary.
     */
    public static void canaryOfVersion2Over1(InMemoryRegistryStore store, Instant at) {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.CANARY));
        store.put(version(READMISSION, 3, Stage.APPROVED));
        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, 7_500),
                new TrafficSlot(Slot.CANARY, 2, 2_500)), 7, "canary-controller", at, null));
    }

    /** A made-up but well-formed sha256: 64 hex digits derived from a letter and a number. */
    public static String sha(char kind, int number) {
        String seed = Integer.toHexString(kind) + Integer.toHexString(number);
        return (seed + "0".repeat(64)).substring(0, 64);
    }
}
