package health.vigil.functions.scoring.score;

import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoreResult;
import health.vigil.scoring.ScoredRow;
import health.vigil.scoring.ScoringService;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.config.VigilConfig;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.json.Json;
import health.vigil.model.Explanation;
import health.vigil.model.Explanation.Factor;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

class ScoreApiTest {
    private static final ModelName MODEL = new ModelName("readmission-demo");
    private final ScoringService scoring = mock(ScoringService.class);
    private final ScoreApi api = new ScoreApi(scoring);

    @BeforeEach
    void setUp() {
        when(scoring.limits()).thenReturn(new VigilConfig.Limits(1000, 1000, 4, 2, 1000));
        when(scoring.score(any())).thenAnswer(inv -> {
            ScoreRequest request = inv.getArgument(0);
            return new ScoreResult(request.rows().stream()
                    .map(r -> new ScoredRow("p-" + r.patientId().length(), MODEL, 3, Slot.STABLE, 0.25, false,
                            "readmitted within 30 days", 0.3))
                    .toList());
        });
    }

    @Test
    void onePatientInOneDocumentOut() {
        JsonNode answer = sent(api.score(MODEL, json("{\"patientId\":\"A-1\",\"features\":{\"age\":71}}")));

        assertThat(answer.get("model").asText()).isEqualTo("readmission-demo");
        assertThat(answer.get("version").asInt()).isEqualTo(3);
        assertThat(answer.get("slot").asText()).isEqualTo("stable");
        assertThat(answer.get("risk").asDouble()).isEqualTo(0.25);
        assertThat(answer.get("decision").asBoolean()).isFalse();
        assertThat(answer.get("threshold").asDouble()).isEqualTo(0.3);
        assertThat(answer.has("predictionId")).isTrue();
        assertThat(answer.has("explanation")).isFalse();
        ScoreRequest sent = sentRequest();
        assertThat(sent.version()).isNull();
        assertThat(sent.rows()).hasSize(1);
        assertThat(sent.rows().get(0).features().get("age").asInt()).isEqualTo(71);
    }

    @Test
    void aBatchAnswersEachPatientInOrderAndMayPinAVersion() {
        JsonNode answer = sent(api.score(MODEL, json("{\"version\":2,\"records\":["
                + "{\"patientId\":\"A\",\"features\":{}},{\"patientId\":\"BB\",\"features\":{}}]}")));

        assertThat(answer.get("predictions")).hasSize(2);
        assertThat(answer.get("predictions").get(1).get("predictionId").asText()).isEqualTo("p-2");
        assertThat(sentRequest().version()).isEqualTo(2);
    }

    @Test
    void aBatchOverTheLimitIsRejectedBeforeScoring() {
        assertThatThrownBy(() -> api.score(MODEL, json("{\"records\":[{\"patientId\":\"A\",\"features\":{}},"
                + "{\"patientId\":\"B\",\"features\":{}},{\"patientId\":\"C\",\"features\":{}}]}")))
                .isInstanceOf(VigilException.class)
                .satisfies(e -> assertThat(((VigilException) e).code()).isEqualTo(ErrorCode.BATCH_TOO_LARGE))
                .hasMessageContaining("at most 2");
        verify(scoring, never()).score(any());
    }

    @Test
    void theExplanationCarriesWhatTheFeaturesBeyondTheTopFactorsAddSoItsNumbersAddUpToTheRisk() {
        // Margin 0.5 from an expected -1.5: contributions 1.5, -0.3 (left out of the top two) and 0.8 add up to 2.
        double score = 1 / (1 + Math.exp(-0.5));
        double base = 1 / (1 + Math.exp(1.5));
        double slope = (score - base) / 2;
        List<Factor> all = List.of(Factor.of("number_inpatient", 3L, "admissions", 1.5, 1.5 * slope),
                Factor.of("age_years", 75.0, "years", -0.3, -0.3 * slope),
                Factor.of("num_medications", 16L, "medications", 0.8, 0.8 * slope));
        Explanation explanation = new Explanation(score, base, 0.5, -1.5, all, List.of(all.get(0), all.get(2)),
                "Risk 0.62");

        Map<String, Object> document = ScoreApi.explanation(explanation);

        @SuppressWarnings("unchecked")
        Map<String, Object> other = (Map<String, Object>) document.get("otherFactors");
        assertThat((double) other.get("riskContribution")).isCloseTo(-0.3 * slope, within(1e-12));
        assertThat((double) other.get("logOddsContribution")).isCloseTo(-0.3, within(1e-12));
        double sum = (double) document.get("baselineRisk") + (double) other.get("riskContribution");
        for (Object factor : (List<?>) document.get("topFactors")) {
            sum += (double) ((Map<?, ?>) factor).get("riskContribution");
        }
        assertThat(sum).isCloseTo(score, within(1e-12));
    }

    @Test
    void aTopFactorWhoseValueWasMissingSaysSoAndOneWithAValueDoesNot() {
        // Margin 0.9 from an expected -0.2: contributions -0.4 (missing) and 1.5.
        double score = 1 / (1 + Math.exp(-0.9));
        double base = 1 / (1 + Math.exp(0.2));
        double slope = (score - base) / 1.1;
        List<Factor> all = List.of(Factor.missing("discharge_disposition", null, -0.4, -0.4 * slope),
                Factor.of("number_inpatient", 3L, "admissions", 1.5, 1.5 * slope));
        Explanation explanation = new Explanation(score, base, 0.9, -0.2, all, all, "Risk 0.71");

        List<?> factors = (List<?>) ScoreApi.explanation(explanation).get("topFactors");

        Map<?, ?> missing = (Map<?, ?>) factors.get(0);
        assertThat(missing.get("missing")).isEqualTo(true);
        assertThat(missing.containsKey("value")).isTrue();
        assertThat(missing.get("value")).isNull();
        assertThat(((Map<?, ?>) factors.get(1)).containsKey("missing")).isFalse();
    }

    @Test
    void malformedBodiesAreClientErrorsThatSayWhatToSend() {
        // A field the route does not take, or a value of another JSON type than its field takes, is MALFORMED_JSON, as
        // the typed routes answer them; a field missing, or of its type but breaking a rule, is INVALID_REQUEST
        // (ADR 0029).
        assertClientError("[1,2]", "JSON object", ErrorCode.MALFORMED_JSON);
        assertClientError("{\"features\":{}}", "patientId", ErrorCode.INVALID_REQUEST);
        assertClientError("{\"patientId\":null,\"features\":{}}", "patientId", ErrorCode.INVALID_REQUEST);
        assertClientError("{\"patientId\":\" \",\"features\":{}}", "patientId", ErrorCode.INVALID_REQUEST);
        assertClientError("{\"patientId\":42,\"features\":{}}", "patientId", ErrorCode.MALFORMED_JSON);
        assertClientError("{\"patientId\":\"A\"}", "features", ErrorCode.INVALID_REQUEST);
        assertClientError("{\"patientId\":\"A\",\"features\":[1]}", "features", ErrorCode.MALFORMED_JSON);
        assertClientError("{\"patientId\":\"A\",\"features\":\"age=71\"}", "features", ErrorCode.MALFORMED_JSON);
        assertClientError("{\"patientId\":\"A\",\"features\":{},\"extra\":1}", "unknown field 'extra'",
                ErrorCode.MALFORMED_JSON);
        assertClientError("{\"records\":{}}", "'records' must be an array", ErrorCode.MALFORMED_JSON);
        assertClientError("{\"records\":[7]}", "records[0]", ErrorCode.MALFORMED_JSON);
        assertClientError("{\"records\":[{\"patientId\":\"A\",\"features\":{},\"x\":1}]}",
                "records[0] has an unknown field 'x'", ErrorCode.MALFORMED_JSON);
        assertClientError("{\"patientId\":\"A\",\"features\":{},\"MRN-4471 Jane\":1}",
                "unknown field (its name, not repeated here,", ErrorCode.MALFORMED_JSON);
        assertThatThrownBy(() -> api.score(MODEL, json("{\"patientId\":\"A\",\"features\":{},\"MRN-4471 Jane\":1}")))
                .hasMessageNotContaining("MRN").hasMessageNotContaining("Jane");
        assertClientError("{\"patientId\":\"A\",\"features\":{},\"version\":0}", "'version'",
                ErrorCode.INVALID_REQUEST);
        assertClientError("{\"patientId\":\"A\",\"features\":{},\"version\":3000000000}", "'version'",
                ErrorCode.INVALID_REQUEST);
        assertClientError("{\"patientId\":\"A\",\"features\":{},\"version\":1.5}", "'version'",
                ErrorCode.MALFORMED_JSON);
        assertClientError("{\"patientId\":\"A\",\"features\":{},\"version\":\"2\"}", "'version'",
                ErrorCode.MALFORMED_JSON);
        verify(scoring, never()).score(any());
    }

    private void assertClientError(String body, String expected, ErrorCode code) {
        assertThatThrownBy(() -> api.score(MODEL, json(body)))
                .isInstanceOf(VigilException.class)
                .satisfies(e -> assertThat(((VigilException) e).code()).as(body).isEqualTo(code))
                .hasMessageContaining(expected);
    }

    private ScoreRequest sentRequest() {
        ArgumentCaptor<ScoreRequest> captor = ArgumentCaptor.forClass(ScoreRequest.class);
        verify(scoring).score(captor.capture());
        return captor.getValue();
    }

    private static JsonNode json(String text) {
        return Json.readTree("test body", text.getBytes(StandardCharsets.UTF_8));
    }

    /** The answer as it goes out: the bytes the route writes, read back. */
    private static JsonNode sent(Object answer) {
        return Json.readTree("the answer", Json.writeResponseBytes(answer));
    }

    // A prediction is written from a record now, not from a map of its fields: the same bytes as the map gave, field
    // for field and digit for digit, with and without an explanation and with a label or none.
    @Test
    void aPredictionIsWrittenByteForByteAsItsMapOfFieldsWas() {
        java.util.Random random = new java.util.Random(42);
        for (int i = 0; i < 2_000; i++) {
            Map<String, Object> explanation = random.nextBoolean() ? null
                    : Map.of("summary", "risk " + i, "baselineRisk", random.nextDouble());
            ScoreApi.Prediction prediction = new ScoreApi.Prediction("p-" + i, "model-" + (i % 7), 1 + random.nextInt(40),
                    random.nextBoolean() ? "stable" : "canary", random.nextDouble() / (1 + random.nextInt(1000)),
                    random.nextBoolean(), random.nextInt(4) == 0 ? null : "readmitted", random.nextInt(101) / 100.0,
                    explanation);
            Map<String, Object> before = new java.util.LinkedHashMap<>();
            before.put("predictionId", prediction.predictionId());
            before.put("model", prediction.model());
            before.put("version", prediction.version());
            before.put("slot", prediction.slot());
            before.put("risk", prediction.risk());
            before.put("decision", prediction.decision());
            before.put("positiveLabel", prediction.positiveLabel());
            before.put("threshold", prediction.threshold());
            if (explanation != null) {
                before.put("explanation", explanation);
            }
            assertThat(new String(Json.writeResponseBytes(prediction), java.nio.charset.StandardCharsets.UTF_8))
                    .isEqualTo(new String(Json.writeResponseBytes(before), java.nio.charset.StandardCharsets.UTF_8));
        }
    }
}
