package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SyntheticCohort;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * A deployed version whose output is not a probability for some patients, scored over HTTP on the local platform: a
 * logistic regression exported without its imputer gives NaN to a patient whose length of stay is missing. Its
 * evaluation data has every length of stay, so it passed its gates; on live traffic {@code /score} and the inference
 * routes answer that patient 502 {@code MODEL_OUTPUT_INVALID} naming the version, log nothing, and go on scoring
 * the patients the version can score.
 */
class ModelOutputIT {
    private static final String MODEL = SampleModels.READMISSION_NAME;
    private static final String PATIENT = "MRN-5550173";

    @Test
    void aPatientTheVersionGivesNaNIsAnswered502AndNothingIsLoggedWhileOtherPatientsAreScored() throws Exception {
        Path home = Files.createTempDirectory("vigil-model-output-it-");
        LocalPlatform platform = null;
        Path zip = Files.createTempFile("no-imputer", ".zip");
        try {
            platform = LocalPlatform.start(home, 0);
            SyntheticCohort cohort = SampleModels.readmissionCohort(2000, 4242);
            DatasetsCommand.register(platform.baseUri(), LocalAdapters.apiKey(home, DatasetsCommand.STEWARD), MODEL,
                    "evaluation.csv", everyLengthOfStay(GovernedPath.readmissionCsv(cohort)), "readmitted", "age", null,
                    List.of("admission_type"));
            Files.write(zip, SampleModels.readmissionWithoutImputation().zip());
            int version = GovernedPath.approveReadmission(platform, home, zip, "no-imputer.zip");
            new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "operator"))
                    .send("POST", "/models/" + MODEL + "/versions/" + version + "/deploy", null, 200);
            String clinicalApp = LocalAdapters.apiKey(home, "clinical-app");
            Map<String, Object> withStay = withStay(cohort);
            Map<String, Object> withoutStay = new LinkedHashMap<>(withStay);
            withoutStay.remove("length_of_stay_days");

            HttpResponse<String> scored = GovernedPath.score(platform, clinicalApp, "MRN-other", withStay);
            assertThat(scored.statusCode()).as(scored.body()).isEqualTo(200);
            HttpResponse<String> failed = GovernedPath.score(platform, clinicalApp, PATIENT, withoutStay);
            assertModelOutputInvalid(failed, withoutStay, version);

            ControlClient client = new ControlClient(platform.baseUri(), clinicalApp);
            Map<String, Object> oip = PlatformLoopScenario.oipRequest(withoutStay, PATIENT);
            for (String path : List.of("/v2/models/" + MODEL + "/infer",
                    "/v2/models/" + MODEL + "/versions/" + version + "/infer")) {
                assertModelOutputInvalid(client.exchange("POST", path, oip), withoutStay, version);
            }

            List<PredictionRecord> logged = new ArrayList<>();
            platform.platform().predictionLog().scan(new ModelName(MODEL), Instant.EPOCH, Instant.now().plusSeconds(60),
                    logged::add);
            assertThat(logged).as("only the patient the version could score").hasSize(1);
        } finally {
            Files.deleteIfExists(zip);
            GovernedPath.stopAndDelete(platform, home);
        }
    }

    private static void assertModelOutputInvalid(HttpResponse<String> response, Map<String, Object> features,
            int version) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(502);
        JsonNode error = Json.readTree("the answer", response.body().getBytes(StandardCharsets.UTF_8)).get("error");
        assertThat(error.get("code").asText()).isEqualTo("MODEL_OUTPUT_INVALID");
        String message = error.get("message").asText();
        assertThat(message).startsWith(MODEL + ":" + version + " produced an output that is not a probability for row 1"
                + " of the request (NaN): the request is valid");
        assertThat(message).doesNotContain(PATIENT);
        for (Object value : features.values()) {
            if (value instanceof Number number && number.doubleValue() != Math.rint(number.doubleValue())) {
                assertThat(message).as("the value " + value).doesNotContain(value.toString());
            }
        }
    }

    /** The dataset's header and the rows that have a length of stay (the second last cell). */
    private static byte[] everyLengthOfStay(byte[] csv) {
        return new String(csv, StandardCharsets.UTF_8).lines()
                .filter(line -> !line.matches(".*,,[01]$"))
                .collect(Collectors.joining("\n", "", "\n")).getBytes(StandardCharsets.UTF_8);
    }

    /** The first patient of the cohort with a length of stay, with every field it has. */
    private static Map<String, Object> withStay(SyntheticCohort cohort) {
        return cohort.records().stream().filter(r -> r.containsKey("length_of_stay_days")).findFirst()
                .map(LinkedHashMap::new).orElseThrow();
    }
}
