package health.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SyntheticCohort;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * The governed way a package reaches live traffic on a running local platform, for tests that need a deployed
 * model and are about something else: the data steward registers the evaluation dataset, the data scientist
 * uploads, the gates pass, the approver signs and the operator deploys, each with their own key.
 */
public final class GovernedPath {
    static final String READMISSION = SampleModels.READMISSION_NAME;

    private GovernedPath() {}

    /** The sample readmission cohort as the CSV a data steward registers: the raw fields, the outcome, nothing else. */
    static byte[] readmissionCsv(SyntheticCohort cohort) {
        List<String> fields = SampleModels.readmissionSchema().names();
        StringBuilder csv = new StringBuilder(String.join(",", fields)).append(",readmitted\n");
        for (int i = 0; i < cohort.rows(); i++) {
            Map<String, Object> record = cohort.records().get(i);
            for (String field : fields) {
                Object value = record.get(field);
                csv.append(value == null ? "" : value.toString()).append(',');
            }
            csv.append(cohort.outcomes()[i] ? '1' : '0').append('\n');
        }
        return csv.toString().getBytes(StandardCharsets.UTF_8);
    }

    /**
     * Starts the local platform in {@code home} with the sample readmission model deployed (version 1, logistic) and
     * its tree model approved beside it (version 2).
     */
    static LocalPlatform startWithStableAndApprovedCandidate(Path home) throws Exception {
        LocalPlatform platform = LocalPlatform.start(home, 0);
        Path stable = Files.createTempFile("stable", ".zip");
        Path candidate = Files.createTempFile("candidate", ".zip");
        try {
            Files.write(stable, SampleModels.readmissionLogistic().zip());
            Files.write(candidate, SampleModels.readmissionTrees().zip());
            deployReadmission(platform, home, stable, "readmission.zip");
            approveReadmission(platform, home, candidate, "readmission-trees.zip");
        } finally {
            Files.deleteIfExists(stable);
            Files.deleteIfExists(candidate);
        }
        return platform;
    }

    /** Stops the platform (if it started) and deletes its home. */
    static void stopAndDelete(LocalPlatform platform, Path home) throws Exception {
        if (platform != null) {
            platform.close();
        }
        deleteTree(home);
    }

    /** Deletes a folder and everything in it; nothing when {@code root} is null (a start that failed early). */
    static void deleteTree(Path root) throws java.io.IOException {
        if (root == null) {
            return;
        }
        try (var files = Files.walk(root)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /** Registers an evaluation dataset for the sample readmission model, uploads {@code zip} and deploys it. */
    static JsonNode deployReadmission(LocalPlatform platform, Path home, Path zip, String fileName) throws Exception {
        String steward = LocalAdapters.apiKey(home, DatasetsCommand.STEWARD);
        DatasetsCommand.register(platform.baseUri(), steward, READMISSION, "evaluation.csv",
                readmissionCsv(SampleModels.readmissionCohort(2000, 4242)), "readmitted", "age", null,
                List.of("admission_type"));
        int version = approveReadmission(platform, home, zip, fileName);
        ControlClient operator = new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "operator"));
        return operator.send("POST", "/models/" + READMISSION + "/versions/" + version + "/deploy", null, 200);
    }

    /**
     * Uploads {@code zip} for the sample readmission model (whose evaluation dataset is registered), waits for its
     * gates to pass and has the approver sign it; returns its version number.
     */
    static int approveReadmission(LocalPlatform platform, Path home, Path zip, String fileName) throws Exception {
        return approve(platform, home, READMISSION, zip, fileName);
    }

    /**
     * Uploads {@code zip} for {@code model} as the data scientist, waits for its gates to pass and has the approver
     * sign it; returns its version number.
     */
    public static int approve(LocalPlatform platform, Path home, String model, Path zip, String fileName)
            throws Exception {
        ControlClient api = new ControlClient(platform.baseUri(), null);
        HttpResponse<String> uploaded = ModelsCommand.upload(api.as(LocalAdapters.apiKey(home, "data-scientist")),
                model, zip, fileName);
        if (uploaded.statusCode() / 100 != 2) {
            throw new AssertionError("upload refused: " + uploaded.body());
        }
        int version = ControlClient.parse(uploaded.body()).at("/version/version").asInt();
        ControlClient operator = api.as(LocalAdapters.apiKey(home, "operator"));
        String path = "/models/" + model + "/versions/" + version;
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        String stage = "";
        while (Instant.now().isBefore(deadline) && stage.matches("|REGISTERED|GATES_RUNNING")) {
            Thread.sleep(100);
            stage = operator.send("GET", path, null, 200).get("stage").asText();
        }
        if (!stage.equals("GATES_PASSED")) {
            throw new AssertionError(path + " is " + stage + ": " + operator.send("GET", path + "/gates", null, 200));
        }
        HttpResponse<String> approved = ModelsCommand.decide(api.as(LocalAdapters.apiKey(home, "approver")), "approve",
                model, version, "gates passed on the platform's evaluation data");
        if (approved.statusCode() != 200) {
            throw new AssertionError("approval refused: " + approved.body());
        }
        return version;
    }

    /**
     * Scores one patient of the sample readmission model over HTTP, leaving out the fields the record lacks, through
     * the CLI's client (safe to share between threads on reused connections).
     */
    static HttpResponse<String> score(LocalPlatform platform, String key, String patient, Map<String, Object> features)
            throws Exception {
        Map<String, Object> present = new java.util.LinkedHashMap<>();
        features.forEach((k, v) -> {
            if (v != null) {
                present.put(k, v);
            }
        });
        return new ControlClient(platform.baseUri(), key).exchange("POST", "/score/" + READMISSION,
                Map.of("patientId", patient, "features", present));
    }
}
