package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig;
import health.vigil.json.Json;
import health.vigil.testing.samples.SampleModels;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A prediction past the retention period, after the purge: its lineage and its explanation say it was removed by
 * retention, rather than leave a reader to wonder whether the id was ever issued. So do a purged batch job's routes
 * and the command that reads them.
 */
class PredictionRetentionIT {

    @Test
    void theLineageAndExplanationOfAPurgedPredictionSayRetentionRemovedIt() throws Exception {
        Path home = Files.createTempDirectory("vigil-retention-it-");
        Path zip = Files.createTempFile("readmission", ".zip");
        MutableClock clock = new MutableClock(Instant.now());
        LocalPlatform platform = null;
        try {
            platform = keepingThirtyDays(home, clock);
            deployTrees(platform, home, zip);
            Map<String, Object> features = new LinkedHashMap<>(SampleModels.readmissionCohort(1, 7).records().get(0));
            features.values().removeIf(java.util.Objects::isNull);
            String clinicalApp = LocalAdapters.apiKey(home, "clinical-app");
            HttpResponse<String> scored = GovernedPath.score(platform, clinicalApp, "patient-1", features);
            assertThat(scored.statusCode()).as(scored.body()).isEqualTo(200);
            String id = Json.readTree("the answer", scored.body().getBytes(StandardCharsets.UTF_8))
                    .findValue("predictionId").asText();
            ControlClient compliance = new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "compliance"));
            ControlClient clinician = new ControlClient(platform.baseUri(), clinicalApp);
            assertThat(compliance.exchange("GET", "/predictions/" + id, null).statusCode()).isEqualTo(200);
            // An id of a time within the period that the log does not hold is not said to be purged.
            String unknown = id.substring(0, id.length() - 4) + (id.endsWith("0000") ? "1111" : "0000");
            HttpResponse<String> never = compliance.exchange("GET", "/predictions/" + unknown, null);
            assertThat(never.statusCode()).as(never.body()).isEqualTo(404);
            assertThat(never.body()).doesNotContain("retention").contains("check the id");

            clock.advance(Duration.ofDays(31));
            assertThat(platform.platform().predictionRetention().purgeExpired().predictions()).isEqualTo(1);

            for (HttpResponse<String> gone : List.of(compliance.exchange("GET", "/predictions/" + id, null),
                    clinician.exchange("GET", "/predictions/" + id + "/explanation", null,
                            Map.of("Accept", "application/json")))) {
                assertThat(gone.statusCode()).as(gone.body()).isEqualTo(404);
                assertThat(gone.body()).contains("removed by retention").contains("VIGIL_PREDICTION_RETENTION_DAYS")
                        .contains("30 days");
            }
        } finally {
            Files.deleteIfExists(zip);
            GovernedPath.stopAndDelete(platform, home);
        }
    }

    @Test
    void aBatchJobPurgedByRetentionIsGoneFromItsRoutesAndTheCommandLine() throws Exception {
        Path home = Files.createTempDirectory("vigil-batch-retention-it-");
        MutableClock clock = new MutableClock(Instant.now());
        Path zip = Files.createTempFile("readmission", ".zip");
        Path file = home.resolveSibling(home.getFileName() + "-patients.csv");
        Path out = home.resolveSibling(home.getFileName() + "-results.jsonl");
        LocalPlatform platform = null;
        try {
            platform = keepingThirtyDays(home, clock);
            deployTrees(platform, home, zip);
            List<String> fields = SampleModels.readmissionSchema().names();
            StringBuilder csv = new StringBuilder("patientId,").append(String.join(",", fields)).append('\n');
            List<Map<String, Object>> records = SampleModels.readmissionCohort(20, 7).records();
            for (int i = 0; i < records.size(); i++) {
                csv.append("patient-").append(i + 1);
                for (String field : fields) {
                    Object value = records.get(i).get(field);
                    csv.append(',').append(value == null ? "" : value.toString());
                }
                csv.append('\n');
            }
            Files.writeString(file, csv);
            CommandRun submitted = CommandRun.of(home, platform, "batch", "submit", file.toString(), "--model",
                    GovernedPath.READMISSION);
            assertThat(submitted.exit()).as(submitted.err()).isZero();
            String id = submitted.out().lines().findFirst().orElseThrow().split(" ")[1];

            clock.advance(Duration.ofDays(31));
            platform.platform().predictionRetention().purgeExpired();

            String purgedOn = java.time.LocalDate.ofInstant(clock.instant(), java.time.ZoneOffset.UTC).toString();
            ControlClient client = new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "population-health"));
            for (String route : List.of("/batches/" + id, "/batches/" + id + "/summary",
                    "/batches/" + id + "/results?offset=0")) {
                HttpResponse<String> gone = client.exchange("GET", route, null);
                assertThat(gone.statusCode()).as(route + " " + gone.body()).isEqualTo(410);
                assertThat(gone.body()).contains("PURGED_BY_RETENTION").contains("removed by retention on " + purgedOn)
                        .contains("VIGIL_PREDICTION_RETENTION_DAYS").doesNotContain("patient-");
            }
            for (CommandRun gone : List.of(CommandRun.of(home, platform, "batch", "status", id),
                    CommandRun.of(home, platform, "batch", "download", id, "--out", out.toString()))) {
                assertThat(gone.exit()).as(gone.err()).isEqualTo(1);
                assertThat(gone.err()).contains("410 PURGED_BY_RETENTION").contains("VIGIL_PREDICTION_RETENTION_DAYS");
            }
            assertThat(out).doesNotExist();
            try (var left = Files.walk(home.resolve("blobs").resolve("batch-input"))) {
                assertThat(left.filter(Files::isRegularFile).map(Path::toString))
                        .noneMatch(name -> name.endsWith(file.getFileName().toString()));
            }
        } finally {
            Files.deleteIfExists(zip);
            Files.deleteIfExists(file);
            Files.deleteIfExists(out);
            GovernedPath.stopAndDelete(platform, home);
        }
    }

    /** The sample tree model deployed as readmission version 1, its package written to {@code zip} first. */
    private static void deployTrees(LocalPlatform platform, Path home, Path zip) throws Exception {
        Files.write(zip, SampleModels.readmissionTrees().zip());
        GovernedPath.deployReadmission(platform, home, zip, "readmission.zip");
    }

    /** The local platform in {@code home} on {@code clock}, keeping predictions and batch files for 30 days. */
    private static LocalPlatform keepingThirtyDays(Path home, MutableClock clock) throws Exception {
        VigilConfig config = new VigilConfig(VigilConfig.Mode.LOCAL, home, VigilConfig.Limits.DEFAULTS,
                Duration.ofDays(30), Map.of());
        return LocalPlatform.start(config, 0, b -> b.clock(clock));
    }
}
