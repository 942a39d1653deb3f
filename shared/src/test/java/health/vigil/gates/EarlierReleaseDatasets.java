package health.vigil.gates;

import health.vigil.audit.AuditLog;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.port.ArtifactStore;
import java.io.ByteArrayInputStream;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * Evaluation datasets as an earlier release registered them: written straight into the {@code datasets} container and
 * audited under the registration's key, without the checks added since, which may refuse them today.
 */
public final class EarlierReleaseDatasets {
    private EarlierReleaseDatasets() {}

    /** Stores {@code csv} under {@code declaration} as registered by {@code by} at {@code at}; the stored manifest. */
    public static EvaluationDataset store(ArtifactStore artifacts, AuditLog audit,
            EvaluationDataset.Declaration declaration, byte[] csv, String by, Instant at) {
        EvaluationDataset dataset = storeUnrecorded(artifacts, declaration, csv, by, at);
        audit.recordOnce("dataset.register:" + declaration.model() + ":" + dataset.sha256(), by, "dataset.register",
                "/datasets/" + declaration.model() + "/" + dataset.sha256(), "registered",
                Map.of("sha256", dataset.sha256()));
        return dataset;
    }

    /** {@link #store} of a registration that stopped after its manifest, before its audit record. */
    public static EvaluationDataset storeUnrecorded(ArtifactStore artifacts,
            EvaluationDataset.Declaration declaration, byte[] csv, String by, Instant at) {
        EvaluationRows.Summary summary = EvaluationRows.summarise(csv, declaration.label(), List.of(),
                java.util.Set.of());
        String sha256 = Sha256.hex(csv);
        EvaluationDataset dataset = new EvaluationDataset(declaration.model(), sha256, declaration.fileName(),
                summary.rows(), summary.positives(), summary.columns(), declaration.label(), declaration.ageColumn(),
                declaration.sexColumn(), declaration.segments(), by, at);
        artifacts.put(ArtifactStore.DATASETS, "data/" + sha256 + ".csv", new ByteArrayInputStream(csv), false);
        artifacts.put(ArtifactStore.DATASETS, "manifests/" + declaration.model() + "/" + sha256 + ".json",
                new ByteArrayInputStream(Json.writeBytes(dataset)), false);
        return dataset;
    }

    /** The {@code dataset.register} records of the audit log, from yesterday to tomorrow (UTC). */
    public static List<AuditRecord> registrations(AuditLog audit) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return audit.read(today.minusDays(1), today.plusDays(1)).stream()
                .filter(r -> r.action().equals("dataset.register")).toList();
    }
}
