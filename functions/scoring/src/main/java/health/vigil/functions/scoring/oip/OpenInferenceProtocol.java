package health.vigil.functions.scoring.oip;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.FeatureType;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.functions.scoring.score.ScoreApi;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoreResult;
import health.vigil.scoring.ScoredRow;
import health.vigil.text.Words;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Translates between the Open Inference Protocol v2 and Vigil's scoring requests and results. A request
 * carries one tensor per feature (shape [N] or [N, 1]) and the patients' ids in
 * {@code parameters.patient_ids}; it becomes N patient rows. Tensor-level mistakes (shape, datatype,
 * lengths) are reported here, naming the input; feature rules are left to the scoring service's validator.
 */
public final class OpenInferenceProtocol {
    public static final String PROBABILITY = "probability";
    public static final String DECISION = "decision";
    private static final List<String> OUTPUTS = List.of(PROBABILITY, DECISION);
    /** The Open Inference Protocol's tensor datatypes: an unsupported one of these is named in the error. */
    private static final java.util.Set<String> PROTOCOL_DATATYPES = java.util.Set.of("BOOL", "UINT8", "UINT16",
            "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES");

    /** The tensor datatypes Vigil accepts, and what their JSON elements must be. */
    enum Datatype {
        FP32, FP64, INT32, INT64, BOOL, BYTES;

        static final String SUPPORTED = "FP32, FP64, INT32, INT64 (numbers), BOOL (true/false) and BYTES (strings,"
                + " for categorical features)";
    }

    private OpenInferenceProtocol() {}

    /** The datatype a feature's tensor has in model metadata. */
    public static String datatypeOf(FeatureType type) {
        return switch (type) {
            case NUMERIC -> "FP64";
            case INTEGER -> "INT64";
            case BOOLEAN -> "BOOL";
            case CATEGORICAL, CODE -> "BYTES";
        };
    }

    /**
     * The scoring request an inference request stands for. {@code maxRows} is checked before the rows are
     * built, so an oversized request costs little.
     */
    /** The request parameter that asks for explanations, and the response parameter that carries them. */
    public static final String EXPLAIN = "explain";
    /** The longest request id an answer repeats. */
    static final int MAX_REQUEST_ID = 256;
    public static final String EXPLANATIONS = "explanations";
    /**
     * Request parameters that the protocol's extensions define and client libraries send by themselves (binary
     * output, sequence and scheduling hints, and the request-wide {@code content_type} a table codec sets when it
     * builds one tensor per column): accepted and change nothing, as a tensor's {@code binary_data} and
     * {@code content_type} are. Any other name besides {@code patient_ids} and {@code explain} is refused: a misspelt
     * {@code Explain} or a {@code version} put here would otherwise be answered as if it had not been sent.
     */
    private static final Set<String> PROTOCOL_PARAMETERS = Set.of("binary_data_output", "sequence_id",
            "sequence_start", "sequence_end", "priority", "timeout", "content_type");

    public static ScoreRequest toScoreRequest(ModelName model, Integer version, InferenceRequest request, int maxRows) {
        if (request == null) {
            throw invalid("the request body is empty: send an inference request with inputs and parameters.patient_ids");
        }
        if (request.id() != null && (request.id().length() > MAX_REQUEST_ID
                || !health.vigil.json.Json.isPrintableText(request.id()))) {
            throw invalid("id must be at most " + MAX_REQUEST_ID + " printable characters (no control or formatting"
                    + " characters, no half surrogate pairs): the response repeats it as sent");
        }
        for (String name : request.parameters().keySet()) {
            if (!name.equals(InferenceRequest.PATIENT_IDS) && !name.equals(EXPLAIN)
                    && !PROTOCOL_PARAMETERS.contains(name)) {
                throw new ValidationException(ErrorCode.MALFORMED_JSON, "parameters has a field "
                        + Json.quotedName(name) + " that this route does not take; it takes patient_ids and explain"
                        + " (names are case-sensitive; a version goes in the path:"
                        + " /v2/models/{name}/versions/{version}/infer)");
            }
        }
        requestedOutputs(request);
        List<InferenceInput> inputs = request.inputs();
        if (inputs.isEmpty()) {
            throw invalid("inputs is empty: send one tensor per feature, named after the feature");
        }
        Map<String, List<JsonNode>> columns = new LinkedHashMap<>();
        long rows = -1;
        Label first = null;
        for (int k = 0; k < inputs.size(); k++) {
            InferenceInput input = inputs.get(k);
            if (input == null) {
                throw invalid("inputs[" + k + "] is null: send a tensor with name, shape, datatype and data");
            }
            if (input.name() == null || input.name().isBlank()) {
                throw invalid("inputs[" + k + "] has no name: name each tensor after the feature it holds");
            }
            Label label = new Label(k, input.name());
            if (columns.containsKey(input.name())) {
                throw invalid(label + " appears twice; send each feature once");
            }
            Datatype datatype = datatype(input, label);
            long n = rowsOf(input, label);
            if (n > maxRows) {
                throw new ValidationException(ErrorCode.BATCH_TOO_LARGE, label + " has " + n + " rows; at most " + maxRows
                        + " are scored at once: split the request into smaller batches");
            }
            if (rows < 0) {
                rows = n;
                first = label;
            } else if (n != rows) {
                throw invalid(label + " has " + Words.count(n, "row") + " but " + first + " has " + rows
                        + "; every input holds one value per patient");
            }
            List<JsonNode> values = flatten(input, label);
            if (values.size() != n) {
                throw invalid(label + " has shape " + input.shape() + " but " + Words.count(values.size(), "value")
                        + " in data; send exactly one value per patient");
            }
            for (int i = 0; i < values.size(); i++) {
                checkElement(datatype, values.get(i), label, i);
            }
            columns.put(input.name(), values);
        }
        List<String> patientIds = patientIds(request, (int) rows);
        List<PatientRow> patientRows = new ArrayList<>((int) rows);
        for (int i = 0; i < rows; i++) {
            Map<String, JsonNode> features = new LinkedHashMap<>();
            for (Map.Entry<String, List<JsonNode>> column : columns.entrySet()) {
                features.put(column.getKey(), column.getValue().get(i));
            }
            patientRows.add(new PatientRow(patientIds.get(i), features));
        }
        return new ScoreRequest(model, version, patientRows, explain(request));
    }

    /**
     * {@code parameters.explain}: true asks for each prediction's top contributing factors (in the response's
     * {@code parameters.explanations}); false or absent leaves them out, as a plain inference server would.
     */
    private static boolean explain(InferenceRequest request) {
        JsonNode explain = request.parameters() == null ? null : request.parameters().get(EXPLAIN);
        if (explain == null || explain.isNull()) {
            return false;
        }
        if (!explain.isBoolean()) {
            throw invalid("parameters.explain must be true or false");
        }
        return explain.asBoolean();
    }

    /** The response for a scored request; {@code request.outputs} picks the outputs, all by default. */
    public static InferenceResponse toResponse(ModelName model, InferenceRequest request, ScoreResult result) {
        Set<String> wanted = requestedOutputs(request);
        List<String> predictionIds = new ArrayList<>();
        List<Integer> versions = new ArrayList<>();
        List<String> slots = new ArrayList<>();
        List<Double> probabilities = new ArrayList<>();
        List<Boolean> decisions = new ArrayList<>();
        for (ScoredRow row : result.rows()) {
            predictionIds.add(row.predictionId());
            versions.add(row.version());
            slots.add(row.slot().wireName());
            probabilities.add(row.score());
            decisions.add(row.decision());
        }
        List<Long> shape = List.of((long) result.size());
        List<InferenceOutput> outputs = new ArrayList<>();
        if (wanted.contains(PROBABILITY)) {
            outputs.add(new InferenceOutput(PROBABILITY, "FP64", shape, null, probabilities));
        }
        if (wanted.contains(DECISION)) {
            outputs.add(new InferenceOutput(DECISION, "BOOL", shape, null, decisions));
        }
        Set<Integer> distinct = new LinkedHashSet<>(versions);
        String modelVersion = distinct.size() == 1 ? distinct.iterator().next().toString() : null;
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put(InferenceResponse.PREDICTION_IDS, predictionIds);
        parameters.put(InferenceResponse.MODEL_VERSIONS, versions);
        parameters.put(InferenceResponse.SLOTS, slots);
        if (result.rows().stream().anyMatch(r -> r.explanation() != null)) {
            parameters.put(EXPLANATIONS, result.rows().stream()
                    .map(r -> r.explanation() == null ? null : ScoreApi.explanation(r.explanation()))
                    .toList());
        }
        return new InferenceResponse(model.value(), modelVersion, request == null ? null : request.id(), parameters, outputs);
    }

    /**
     * Model metadata: the versions that may be asked for by number ({@code servable}: those the deployment holds), and
     * the inputs of the described version's manifest.
     */
    public static ModelMetadataResponse metadata(ModelName model, List<Integer> servable, Manifest described) {
        List<String> scorable = servable.stream().map(v -> Integer.toString(v)).toList();
        List<ModelMetadataResponse.TensorMetadata> inputs = described.features().features().stream()
                .map(f -> new ModelMetadataResponse.TensorMetadata(f.name(), datatypeOf(f.type()), List.of(-1L)))
                .toList();
        List<ModelMetadataResponse.TensorMetadata> outputs = List.of(
                new ModelMetadataResponse.TensorMetadata(PROBABILITY, "FP64", List.of(-1L)),
                new ModelMetadataResponse.TensorMetadata(DECISION, "BOOL", List.of(-1L)));
        return new ModelMetadataResponse(model.value(), scorable, ModelMetadataResponse.PLATFORM, inputs, outputs);
    }

    private static Set<String> requestedOutputs(InferenceRequest request) {
        if (request == null || request.outputs() == null || request.outputs().isEmpty()) {
            return new LinkedHashSet<>(OUTPUTS);
        }
        Set<String> wanted = new LinkedHashSet<>();
        for (RequestedOutput output : request.outputs()) {
            String name = output == null ? null : output.name();
            if (name == null || !OUTPUTS.contains(name)) {
                throw invalid("outputs names " + (Json.isPlainName(name) ? "`" + name + "`"
                        : "an output") + " that this model does not have; its outputs are " + String.join(" and ", OUTPUTS));
            }
            wanted.add(name);
        }
        return wanted;
    }

    private static Datatype datatype(InferenceInput input, Label label) {
        String raw = input.datatype();
        if (raw == null || raw.isBlank()) {
            throw invalid(label + " has no datatype; use " + Datatype.SUPPORTED);
        }
        try {
            return Datatype.valueOf(raw.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            String name = raw.trim().toUpperCase(Locale.ROOT);
            throw invalid(PROTOCOL_DATATYPES.contains(name)
                    ? label + " has datatype " + name + ", which Vigil does not take; use " + Datatype.SUPPORTED
                    : label + " has a datatype the Open Inference Protocol does not define; use " + Datatype.SUPPORTED);
        }
    }

    private static long rowsOf(InferenceInput input, Label label) {
        List<Long> shape = input.shape();
        if (shape == null || shape.isEmpty()) {
            throw invalid(label + " has no shape: give [N] or [N, 1] for N patients");
        }
        if (shape.contains(null)) {
            throw invalid(label + " has a null dimension in its shape: give [N] or [N, 1] for N patients");
        }
        if (shape.size() > 2 || (shape.size() == 2 && shape.get(1) != 1L)) {
            throw invalid(label + " has shape " + shape + "; use [N] or [N, 1]: one value per patient");
        }
        long n = shape.get(0);
        if (n < 1) {
            throw invalid(label + " has shape " + shape + "; N (the number of patients) must be at least 1");
        }
        return n;
    }

    /** The tensor's values: a flat array, or for shape [N, 1] also an array of one-element arrays. */
    private static List<JsonNode> flatten(InferenceInput input, Label label) {
        JsonNode data = input.data();
        if (data == null || !data.isArray()) {
            throw invalid(label + " has no data array: send its values as a JSON array, in row order");
        }
        boolean column = input.shape().size() == 2;
        List<JsonNode> values = new ArrayList<>(data.size());
        for (int i = 0; i < data.size(); i++) {
            JsonNode element = data.get(i);
            if (element.isArray()) {
                if (!column || element.size() != 1 || element.get(0).isContainerNode()) {
                    throw invalid(label + " has a nested array at data[" + i + "]; data is a flat array of N values,"
                            + " or for shape [N, 1] an array of N one-value arrays");
                }
                element = element.get(0);
            } else if (element.isObject()) {
                throw invalid(label + " has an object at data[" + i + "]; data holds plain values");
            }
            values.add(element);
        }
        return values;
    }

    private static void checkElement(Datatype datatype, JsonNode value, Label label, int i) {
        if (value.isNull()) {
            return;
        }
        switch (datatype) {
            case FP32, FP64 -> {
                if (!value.isNumber()) {
                    throw invalid(at(datatype, label, i) + " is not a number");
                }
            }
            case INT32, INT64 -> {
                if (!value.isIntegralNumber()) {
                    throw invalid(at(datatype, label, i) + " is not a whole number");
                }
                // Exact range checks on the parsed number (an int, a long or a big integer node), with no
                // BigInteger made for every value.
                boolean fits = datatype == Datatype.INT32 ? value.canConvertToInt() : value.canConvertToLong();
                if (!fits) {
                    throw invalid(at(datatype, label, i) + " is outside the " + datatype + " range");
                }
            }
            case BOOL -> {
                if (!value.isBoolean()) {
                    throw invalid(at(datatype, label, i) + " is not true or false");
                }
            }
            case BYTES -> {
                if (!value.isTextual()) {
                    throw invalid(at(datatype, label, i) + " is not a string");
                }
            }
        }
    }

    /** Where an element is, for its error message: built only when there is an error to report. */
    private static String at(Datatype datatype, Label label, int i) {
        return label + " is " + datatype + " but data[" + i + "] (row " + (i + 1) + ")";
    }

    /**
     * An input as error messages name it: by its name when it could be a feature's, otherwise by its position.
     * The text is made only when a message needs it, not for every input of every request.
     */
    private record Label(int index, String name) {
        @Override
        public String toString() {
            return Json.isPlainName(name) ? "input `" + name + "`"
                    : "inputs[" + index + "] (its name is not a valid feature name)";
        }
    }

    private static List<String> patientIds(InferenceRequest request, int rows) {
        JsonNode ids = request.parameters().get(InferenceRequest.PATIENT_IDS);
        if (ids == null || ids.isNull()) {
            throw invalid("parameters.patient_ids is missing: send one patient identifier per row, in row order;"
                    + " Vigil pseudonymises them before they are used or stored");
        }
        if (!ids.isArray()) {
            throw invalid("parameters.patient_ids must be an array of strings, one per row");
        }
        if (ids.size() != rows) {
            throw invalid("parameters.patient_ids has " + Words.count(ids.size(), "id") + " but the inputs have "
                    + Words.count(rows, "row") + "; send one id per row");
        }
        List<String> out = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            JsonNode id = ids.get(i);
            if (!id.isTextual()) {
                throw invalid("parameters.patient_ids[" + i + "] is not a string; send every identifier as a string");
            }
            out.add(id.textValue());
        }
        return out;
    }

    private static ValidationException invalid(String message) {
        return new ValidationException(ErrorCode.INVALID_REQUEST, message);
    }
}
