package health.vigil.functions.scoring.oip;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.registry.ServiceFixtures;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoreResult;
import health.vigil.scoring.ScoredRow;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class OpenInferenceProtocolTest {
    private static final String IDS3 = "\"parameters\": {\"patient_ids\": [\"MRN-1\", \"MRN-2\", \"MRN-3\"]}";

    private static InferenceRequest parse(String json) {
        return Json.read("inference request", json.getBytes(StandardCharsets.UTF_8), InferenceRequest.class);
    }

    private static ScoreRequest convert(String json) {
        return OpenInferenceProtocol.toScoreRequest(READMISSION, null, parse(json), 1000);
    }

    private static String age(String shape, String datatype, String data) {
        return "{\"name\": \"age\", \"shape\": " + shape + ", \"datatype\": \"" + datatype + "\", \"data\": " + data + "}";
    }

    /** The message of the 400 that converting {@code json} gives; it must not contain {@code sent}. */
    private static String rejection(String json, String sent) {
        ValidationException e = org.assertj.core.api.Assertions.catchThrowableOfType(ValidationException.class,
                () -> convert(json));
        assertThat(e).as("expected a 400").isNotNull();
        assertThat(e.httpStatus()).isEqualTo(400);
        if (sent != null) {
            assertThat(e.getMessage()).doesNotContain(sent);
        }
        return e.getMessage();
    }

    @Test
    void oneTensorPerFeatureBecomesOneRowPerPatient() {
        ScoreRequest request = OpenInferenceProtocol.toScoreRequest(READMISSION, 2, parse("""
                {"id": "req-7",
                 "parameters": {"patient_ids": ["MRN-1", "MRN-2", "MRN-3"]},
                 "inputs": [
                   {"name": "age", "shape": [3], "datatype": "INT64", "data": [70, 45, 80]},
                   {"name": "sex", "shape": [3, 1], "datatype": "BYTES", "data": [["male"], ["female"], ["male"]]},
                   {"name": "bmi", "shape": [3, 1], "datatype": "FP64", "data": [27.5, null, 31]},
                   {"name": "diabetic", "shape": [3], "datatype": "BOOL", "data": [true, false, true]}
                 ]}"""), 1000);

        assertThat(request.model()).isEqualTo(READMISSION);
        assertThat(request.version()).isEqualTo(2);
        assertThat(request.rows()).extracting(PatientRow::patientId).containsExactly("MRN-1", "MRN-2", "MRN-3");
        PatientRow second = request.rows().get(1);
        assertThat(second.features().keySet()).containsExactly("age", "sex", "bmi", "diabetic");
        assertThat(second.features().get("age").intValue()).isEqualTo(45);
        assertThat(second.features().get("sex").textValue()).isEqualTo("female");
        assertThat(second.features().get("bmi").isNull()).isTrue();
        assertThat(second.features().get("diabetic").booleanValue()).isFalse();
        assertThat(request.rows().get(2).features().get("bmi").doubleValue()).isEqualTo(31.0);
    }

    @Test
    void anFp32ValueBeyondTheModelsThirtyTwoBitFloatIsRefusedAsAnInvalidFeature() {
        // The model's inputs are 32-bit floats: 1e39 would reach it as Infinity. Scoring's validator refuses it.
        ScoreRequest request = convert("{\"parameters\": {\"patient_ids\": [\"MRN-1\"]}, \"inputs\": [{\"name\":"
                + " \"dose\", \"shape\": [1], \"datatype\": \"FP32\", \"data\": [1e39]}]}");
        health.vigil.scoring.RecordValidator validator = new health.vigil.scoring.RecordValidator(
                new health.vigil.model.FeatureSchema(List.of(new health.vigil.model.Feature("dose",
                        health.vigil.model.FeatureType.NUMERIC, null, null, null, null, true, null))));

        health.vigil.scoring.FeatureValidationException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                health.vigil.scoring.FeatureValidationException.class,
                () -> validator.validate(1, request.rows().get(0).features()));

        assertThat(e).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FEATURE);
        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.getMessage()).isEqualTo("row 1: feature `dose` must be a finite number; it is too large for the"
                + " model's input, a 32-bit float (beyond ±3.4e38)").doesNotContain("1e39", "1.0E39");
    }

    @Test
    void anIdTheAnswerCouldNotRepeatAsSentIsRefused() {
        String inputs = "\"inputs\": [" + age("[3]", "INT64", "[70, 45, 80]") + "]";
        for (String id : new String[] {"req-\\ud800-x", "req-\\u202e", "a\\u0000b", "x".repeat(257)}) {
            assertThat(rejection("{\"id\": \"" + id + "\", " + IDS3 + ", " + inputs + "}", null)).as(id)
                    .startsWith("id must be at most 256 printable characters");
        }
        assertThat(convert("{\"id\": \"" + "x".repeat(256) + "\", " + IDS3 + ", " + inputs + "}").rows()).hasSize(3);
    }

    @Test
    void inputsAreRequired() {
        assertThat(rejection("{" + IDS3 + ", \"inputs\": []}", null)).startsWith("inputs is empty");
        assertThat(rejection("{" + IDS3 + "}", null)).startsWith("inputs is empty");
    }

    @Test
    void patientIdsAreRequiredOnePerRowAsStrings() {
        String age3 = "\"inputs\": [" + age("[3]", "INT64", "[70, 45, 80]") + "]";

        assertThat(rejection("{" + age3 + "}", null)).startsWith("parameters.patient_ids is missing");
        assertThat(rejection("{\"parameters\": {\"patient_ids\": \"MRN-1\"}, " + age3 + "}", "MRN-1"))
                .startsWith("parameters.patient_ids must be an array of strings");
        assertThat(rejection("{\"parameters\": {\"patient_ids\": [\"MRN-1\", \"MRN-2\"]}, " + age3 + "}", "MRN"))
                .isEqualTo("parameters.patient_ids has 2 ids but the inputs have 3 rows; send one id per row");
        assertThat(rejection("{\"parameters\": {\"patient_ids\": [\"MRN-1\", \"MRN-2\"]}, \"inputs\": ["
                + age("[1]", "INT64", "[70]") + "]}", "MRN"))
                .isEqualTo("parameters.patient_ids has 2 ids but the inputs have 1 row; send one id per row");
        assertThat(rejection("{\"parameters\": {\"patient_ids\": [\"MRN-1\", 4242, \"MRN-3\"]}, " + age3 + "}", "4242"))
                .startsWith("parameters.patient_ids[1] is not a string");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "[3, 2]|has shape [3, 2]; use [N] or [N, 1]: one value per patient",
            "[3, 1, 1]|has shape [3, 1, 1]; use [N] or [N, 1]: one value per patient",
            "[0]|has shape [0]; N (the number of patients) must be at least 1",
            "[-1]|has shape [-1]; N (the number of patients) must be at least 1",
            "[]|has no shape: give [N] or [N, 1] for N patients"})
    void shapesOtherThanOneValuePerPatientAreRejected(String shape, String expected) {
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [" + age(shape, "INT64", "[70, 45, 80]") + "]}", null))
                .isEqualTo("input `age` " + expected);
    }

    @Test
    void dataMustHoldExactlyOneValuePerPatient() {
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [" + age("[3]", "INT64", "[70, 45]") + "]}", "70"))
                .isEqualTo("input `age` has shape [3] but 2 values in data; send exactly one value per patient");
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [" + age("[3]", "INT64", "[70]") + "]}", "70"))
                .isEqualTo("input `age` has shape [3] but 1 value in data; send exactly one value per patient");
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [" + age("[3]", "INT64", "{\"v\": 1}") + "]}", null))
                .startsWith("input `age` has no data array");
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [" + age("[3]", "INT64", "[[70], [45], [80]]") + "]}", "70"))
                .startsWith("input `age` has a nested array at data[0]");
    }

    @Test
    void everyInputMustHaveTheSameNumberOfRows() {
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [" + age("[3]", "INT64", "[70, 45, 80]")
                + ", {\"name\": \"sex\", \"shape\": [2], \"datatype\": \"BYTES\", \"data\": [\"male\", \"female\"]}]}", "male"))
                .isEqualTo("input `sex` has 2 rows but input `age` has 3; every input holds one value per patient");
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [" + age("[3]", "INT64", "[70, 45, 80]")
                + ", {\"name\": \"sex\", \"shape\": [1], \"datatype\": \"BYTES\", \"data\": [\"male\"]}]}", "male"))
                .isEqualTo("input `sex` has 1 row but input `age` has 3; every input holds one value per patient");
    }

    @Test
    void anInputAppearsOnce() {
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [" + age("[3]", "INT64", "[70, 45, 80]") + ", "
                + age("[3]", "INT64", "[70, 45, 80]") + "]}", null))
                .isEqualTo("input `age` appears twice; send each feature once");
    }

    @Test
    void unsupportedOrMissingDatatypesAreNamedWithTheSupportedOnes() {
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [" + age("[3]", "FP16", "[70, 45, 80]") + "]}", null))
                .isEqualTo("input `age` has datatype FP16, which Vigil does not take; use FP32, FP64, INT32, INT64"
                        + " (numbers), BOOL (true/false) and BYTES (strings, for categorical features)");
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [{\"name\": \"age\", \"shape\": [3], \"data\": [1, 2, 3]}]}", null))
                .startsWith("input `age` has no datatype; use FP32");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "INT64|[70, 70.5, 80]|70.5|input `age` is INT64 but data[1] (row 2) is not a whole number",
            "INT32|[70, 3000000000, 80]|3000000000|input `age` is INT32 but data[1] (row 2) is outside the INT32 range",
            "INT64|[70, 99999999999999999999, 80]|99999999999999999999|input `age` is INT64 but data[1] (row 2) is outside the INT64 range",
            "INT32|[70, 2147483648, 80]|2147483648|input `age` is INT32 but data[1] (row 2) is outside the INT32 range",
            "INT32|[70, -2147483649, 80]|2147483649|input `age` is INT32 but data[1] (row 2) is outside the INT32 range",
            "INT64|[70, 9223372036854775808, 80]|9223372036854775808|input `age` is INT64 but data[1] (row 2) is outside the INT64 range",
            "INT64|[70, -9223372036854775809, 80]|9223372036854775809|input `age` is INT64 but data[1] (row 2) is outside the INT64 range",
            "FP64|[70, \"71\", 80]|71|input `age` is FP64 but data[1] (row 2) is not a number",
            "BOOL|[true, \"yes\", false]|yes|input `age` is BOOL but data[1] (row 2) is not true or false",
            "BYTES|[\"a\", 17, \"b\"]|17|input `age` is BYTES but data[1] (row 2) is not a string"})
    void valuesThatDoNotFitTheDatatypeAreRejectedWithoutEchoingThem(String datatype, String data, String sent,
            String expected) {
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [" + age("[3]", datatype, data) + "]}", sent)).isEqualTo(expected);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "INT32|[-2147483648, 0, 2147483647]",
            "INT64|[-9223372036854775808, 2147483648, 9223372036854775807]"})
    void wholeNumbersUpToTheEndsOfTheirDatatypesRangeAreTaken(String datatype, String data) {
        ScoreRequest request = convert("{" + IDS3 + ", \"inputs\": [" + age("[3]", datatype, data) + "]}");
        assertThat(request.rows()).extracting(r -> r.features().get("age").asText())
                .containsExactlyElementsOf(java.util.Arrays.asList(data.replaceAll("[\\[\\] ]", "").split(",")));
    }

    @Test
    void aBatchOverTheLimitIsRefusedFromItsShape() {
        ValidationException e = org.assertj.core.api.Assertions.catchThrowableOfType(ValidationException.class,
                () -> OpenInferenceProtocol.toScoreRequest(READMISSION, null,
                        parse("{" + IDS3 + ", \"inputs\": [" + age("[3]", "INT64", "[70, 45, 80]") + "]}"), 2));

        assertThat(e.code()).isEqualTo(ErrorCode.BATCH_TOO_LARGE);
        assertThat(e.getMessage()).contains("3 rows").contains("at most 2");
    }

    @Test
    void onlyTheModelsOutputsCanBeRequested() {
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [" + age("[3]", "INT64", "[70, 45, 80]")
                + "], \"outputs\": [{\"name\": \"logits\"}]}", null))
                .isEqualTo("outputs names `logits` that this model does not have; its outputs are probability and decision");
    }

    @Test
    void anInputNameThatIsNotAFeatureNameIsNotEchoed() {
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [{\"name\": \"Jane Doe\", \"shape\": [3, 4], \"datatype\": \"FP64\","
                + " \"data\": [1, 2, 3]}]}", "Jane")).startsWith("inputs[0] (its name is not a valid feature name)");
    }

    @Test
    void namesAndDatatypesThatCouldBeValuesAreDescribedNotEchoed() {
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [{\"name\": \"MRN-4411\", \"shape\": [3], \"datatype\": \"FP64\","
                + " \"data\": [1, 2, 3]}, {\"name\": \"MRN-4411\", \"shape\": [3], \"datatype\": \"FP64\","
                + " \"data\": [1, 2, 3]}]}", "MRN")).startsWith("inputs[1] (its name is not a valid feature name) appears twice");
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [" + age("[3]", "MRN-4411", "[70, 45, 80]") + "]}", "MRN"))
                .isEqualTo("input `age` has a datatype the Open Inference Protocol does not define; use FP32, FP64, INT32,"
                        + " INT64 (numbers), BOOL (true/false) and BYTES (strings, for categorical features)");
        assertThat(rejection("{" + IDS3 + ", \"inputs\": [" + age("[3]", "INT64", "[70, 45, 80]")
                + "], \"outputs\": [{\"name\": \"MRN-4411\"}]}", "MRN"))
                .startsWith("outputs names an output that this model does not have");
    }

    private static ScoreResult twoRows(int secondVersion, Slot secondSlot) {
        return new ScoreResult(List.of(
                new ScoredRow("p-1", READMISSION, 1, Slot.STABLE, 0.6, true, "readmitted", 0.3),
                new ScoredRow("p-2", READMISSION, secondVersion, secondSlot, 0.25, false, "readmitted", 0.3)));
    }

    @Test
    void theResponseHasProbabilityAndDecisionOutputsAndPerRowIds() throws Exception {
        InferenceRequest request = parse("{\"id\": \"req-7\", " + IDS3 + ", \"inputs\": []}");

        InferenceResponse response = OpenInferenceProtocol.toResponse(READMISSION, request, twoRows(1, Slot.STABLE));

        JsonNode json = Json.mapper().readTree(Json.write(response));
        assertThat(json.get("model_name").textValue()).isEqualTo("readmission");
        assertThat(json.get("model_version").textValue()).isEqualTo("1");
        assertThat(json.get("id").textValue()).isEqualTo("req-7");
        assertThat(json.at("/parameters/prediction_ids").toString()).isEqualTo("[\"p-1\",\"p-2\"]");
        assertThat(json.at("/outputs/0").toString())
                .isEqualTo("{\"name\":\"probability\",\"datatype\":\"FP64\",\"shape\":[2],\"data\":[0.6,0.25]}");
        assertThat(json.at("/outputs/1").toString())
                .isEqualTo("{\"name\":\"decision\",\"datatype\":\"BOOL\",\"shape\":[2],\"data\":[true,false]}");
        assertThat(json.toString()).doesNotContain("MRN");
    }

    @Test
    void aBatchSplitBetweenVersionsNamesEachRowsVersionInsteadOfOne() throws Exception {
        InferenceResponse response = OpenInferenceProtocol.toResponse(READMISSION, null, twoRows(2, Slot.CANARY));

        JsonNode json = Json.mapper().readTree(Json.write(response));
        assertThat(json.has("model_version")).isFalse();
        assertThat(json.at("/parameters/model_versions").toString()).isEqualTo("[1,2]");
        assertThat(json.at("/parameters/slots").toString()).isEqualTo("[\"stable\",\"canary\"]");
    }

    @Test
    void requestedOutputsAreTheOnlyOnesReturned() {
        InferenceRequest request = parse("{" + IDS3 + ", \"inputs\": [], \"outputs\": [{\"name\": \"decision\"}]}");

        InferenceResponse response = OpenInferenceProtocol.toResponse(READMISSION, request, twoRows(1, Slot.STABLE));

        assertThat(response.outputs()).extracting(InferenceOutput::name).containsExactly("decision");
    }

    @Test
    void metadataListsScorableVersionsAndTheFeaturesAsTypedTensors() throws Exception {
        ModelMetadataResponse metadata = OpenInferenceProtocol.metadata(READMISSION, List.of(1, 3),
                ServiceFixtures.manifest(READMISSION));

        JsonNode json = Json.mapper().readTree(Json.write(metadata));
        assertThat(json.get("name").textValue()).isEqualTo("readmission");
        assertThat(json.get("versions").toString()).isEqualTo("[\"1\",\"3\"]");
        assertThat(json.get("platform").textValue()).isEqualTo("onnxruntime_onnx");
        assertThat(json.get("inputs").toString()).isEqualTo("[{\"name\":\"age\",\"datatype\":\"INT64\",\"shape\":[-1]},"
                + "{\"name\":\"sex\",\"datatype\":\"BYTES\",\"shape\":[-1]},"
                + "{\"name\":\"bmi\",\"datatype\":\"FP64\",\"shape\":[-1]},"
                + "{\"name\":\"diabetic\",\"datatype\":\"BOOL\",\"shape\":[-1]}]");
        assertThat(json.get("outputs").toString()).isEqualTo("[{\"name\":\"probability\",\"datatype\":\"FP64\",\"shape\":[-1]},"
                + "{\"name\":\"decision\",\"datatype\":\"BOOL\",\"shape\":[-1]}]");
    }

    @Test
    void requestsNeverPrintPatientIdsOrData() {
        InferenceRequest request = parse("{" + IDS3 + ", \"inputs\": [" + age("[3]", "INT64", "[71, 45, 80]") + "]}");

        assertThat(request.toString()).doesNotContain("MRN").doesNotContain("71").contains("age");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "\"Explain\": true | 'Explain'",
        "\"explian\": true | 'explian'",
        "\"version\": 2 | 'version'",
        "\"MRN 2048-77\": true | not repeated here"})
    void aRequestParameterThisRouteDoesNotTakeIsRefusedNotIgnored(String parameter, String named) {
        ValidationException e = org.assertj.core.api.Assertions.catchThrowableOfType(ValidationException.class,
                () -> convert("{\"parameters\": {\"patient_ids\": [\"MRN-1\"], " + parameter + "}, \"inputs\": ["
                        + age("[1]", "INT64", "[70]") + "]}"));

        assertThat(e).as("expected a 400").isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_JSON);
        assertThat(e.getMessage()).contains("parameters has a field", named, "it takes patient_ids and explain")
                .doesNotContain("2048");
    }

    @Test
    void theParametersAProtocolClientLibrarySendsByItselfAreAcceptedAndChangeNothing() {
        ScoreRequest request = convert("{\"parameters\": {\"patient_ids\": [\"MRN-1\"], \"binary_data_output\":"
                + " true, \"sequence_id\": 7, \"sequence_start\": true, \"sequence_end\": true, \"priority\": 1,"
                + " \"timeout\": 5000}, \"inputs\": [" + age("[1]", "INT64", "[70]") + "]}");

        assertThat(request.rows()).extracting(PatientRow::patientId).containsExactly("MRN-1");
        assertThat(request.explain()).isFalse();
    }

    /**
     * A request built by a client library's table codec (one tensor per column) names its content type for the whole
     * request, as a tensor may for itself: accepted, and the answer is JSON as ever.
     */
    @Test
    void aRequestWideContentTypeIsAcceptedAndChangesNothing() {
        ScoreRequest request = convert("{\"parameters\": {\"content_type\": \"pd\", \"patient_ids\": [\"MRN-1\"]},"
                + " \"inputs\": [" + age("[1]", "INT64", "[70]") + "]}");

        assertThat(request.rows()).extracting(PatientRow::patientId).containsExactly("MRN-1");
        assertThat(request.explain()).isFalse();
    }
}
