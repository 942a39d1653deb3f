package health.vigil.contract;

import health.vigil.model.AuditRecord;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.adapter.onnx.OnnxModelWriter;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.OutputSpec;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Provenance;
import health.vigil.model.ReferenceProfile;
import health.vigil.modelpackage.ModelPackageWriter;
import health.vigil.monitoring.ReferenceBinning;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Records the contract suites store; names are unique per call so suites can share one real backend. */
public final class ContractFixtures {
    public static final Instant T0 = Instant.parse("2026-03-01T08:00:00.123456789Z");

    private ContractFixtures() {}

    /** A model name no other test uses, e.g. {@code readmission-3f9c1a2b}. */
    public static ModelName uniqueModel(String stem) {
        return new ModelName(stem + "-" + UUID.randomUUID().toString().substring(0, 8));
    }

    public static Manifest manifest(ModelName name) {
        return new Manifest(Manifest.FORMAT_VERSION, name, Manifest.BINARY_CLASSIFICATION,
                "30-day readmission risk after discharge",
                new FeatureSchema(List.of(Feature.integer("age", "years", 18, 110), Feature.bool("prior_admission"),
                        Feature.categorical("discharge_to", List.of("home", "snf", "rehab")))),
                Manifest.IDENTITY_PIPELINE,
                new OutputSpec("probabilities", 1, "readmitted within 30 days", 0.3),
                "care coordinators prioritising follow-up calls", List.of("adults only"), "clinical-ml",
                new Provenance("a".repeat(64), 1200, "2024-01/2024-12", "0123abcd", false, "gbt", 42L,
                        Map.of("trees", "50"), Map.of("xgboost", "3.0.4"), "17", "linux", T0));
    }

    /**
     * A valid model package of {@link #manifest}: a logistic regression over its three features and the reference
     * profile of 40 made-up rows. {@code note} goes into {@code evaluation.json}, so different notes make different
     * packages (different sha256) of one model.
     */
    public static byte[] packageZip(ModelName model, String note) {
        Manifest manifest = manifest(model);
        int rows = 40;
        float[] inputs = new float[rows * 3];
        double[] scores = new double[rows];
        for (int r = 0; r < rows; r++) {
            inputs[r * 3] = 18 + r * 2;
            inputs[r * 3 + 1] = r % 2;
            inputs[r * 3 + 2] = r % 3;
            scores[r] = (r + 0.5) / rows;
        }
        ReferenceProfile reference = ReferenceBinning.profile(
                manifest.features().features().stream().map(ReferenceBinning.InputColumn::of).toList(), inputs, rows, scores);
        byte[] onnx = OnnxModelWriter.logisticRegression(new double[] {0.02, 0.6, 0.3}, -2.0);
        return ModelPackageWriter.write(manifest, onnx, reference, Map.of("note", note));
    }

    /** A freshly registered version record (no etag) built for {@code version}. */
    public static VersionRecord version(ModelName model, int version, String packageSha256) {
        return version(model, version, packageSha256, Stage.REGISTERED);
    }

    public static VersionRecord version(ModelName model, int version, String packageSha256, Stage stage) {
        return new VersionRecord(model, version, manifest(model), packageSha256, sha256("onnx-" + version),
                "models/" + model + "/" + version + ".zip", 4096 + version, stage, "alice@example.org",
                T0.plusSeconds(version), "event-" + UUID.randomUUID(), T0.plusSeconds(version), null);
    }

    public static AuditRecord audit(String partition, long sequence, String actor, String previousHash) {
        String hash = sha256(previousHash + "|" + partition + "|" + sequence + "|" + actor);
        return new AuditRecord(UUID.randomUUID().toString(), partition, sequence, T0.plusMillis(sequence), actor,
                "model.approve", "/models/readmission/versions/" + sequence, "succeeded",
                Map.of("version", Long.toString(sequence)), previousHash, hash);
    }

    public static PredictionRecord prediction(ModelName model, String id, Instant time, float... features) {
        return new PredictionRecord(id, model, 1, Slot.STABLE, sha256("patient-" + id), time, features, 0.25,
                false, "{\"age\":0.1}");
    }

    /** sha256 computed with the JDK directly, independently of the project's helper. */
    public static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String sha256(String text) {
        return sha256(text.getBytes(StandardCharsets.UTF_8));
    }
}
