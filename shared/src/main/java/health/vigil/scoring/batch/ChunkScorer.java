package health.vigil.scoring.batch;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ValidationException;
import health.vigil.explain.ClinicalExplainer;
import health.vigil.json.Json;
import health.vigil.model.Explanation;
import health.vigil.model.ModelOutputs;
import health.vigil.model.OutputSpec;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.RecordValidator;
import health.vigil.scoring.ScorableModel;
import health.vigil.scoring.ScoringService;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Scores one chunk of a batch file with one version: each row is checked on its own (a refused row is reported
 * with its reasons and the others are scored), the valid rows go through the version's feature pipeline into one
 * matrix and one ONNX Runtime run, and are explained when asked. The same validator, pipeline, runtime and
 * explainer as {@code POST /score}; what differs is that one bad row refuses that row, not the request, and so does a
 * row whose output is not a probability, which {@code /score} answers with a 502. A CSV row of a model with the
 * identity pipeline is first offered to the {@link CsvRowDecoder}, which writes a plainly valid row straight into the
 * matrix; whatever it does not vouch for takes the general path.
 */
final class ChunkScorer {
    private static final int TOP_FACTORS = 5;

    private final String batchId;
    private final RowIds ids;
    private final ScorableModel model;
    private final Pseudonymizer pseudonymizer;
    private final boolean explain;
    private final RowParser parser;
    private final CsvRowDecoder decoder;

    /** {@code decoder} is null when every row takes the general path (JSON Lines, explanations, other pipelines). */
    ChunkScorer(String batchId, PredictionIdForm idForm, ScorableModel model, Pseudonymizer pseudonymizer,
            boolean explain, RowParser parser, CsvRowDecoder decoder) {
        this.batchId = batchId;
        this.ids = new RowIds(idForm, batchId);
        this.model = model;
        this.pseudonymizer = pseudonymizer;
        this.explain = explain;
        this.parser = parser;
        this.decoder = explain ? null : decoder;
    }

    /**
     * A line of the file as read (its bytes are {@code line[0, length)}; the array is reused for a later chunk's
     * row once this chunk is scored and written), or the reason it is not a row at all.
     */
    record Row(long number, byte[] line, int length, String malformed) {}

    /** A chunk's outcome: the predictions to log, and per row either its prediction or its refusal reasons. */
    record Outcome(List<PredictionRecord> predictions, Map<Long, PredictionRecord> scored,
            Map<Long, List<String>> refused) {}

    /** One MD5 per thread, instead of a provider look-up and a new digest for every row. */
    private static final ThreadLocal<MessageDigest> MD5 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("MD5");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime provides MD5", e);
        }
    });

    /**
     * The prediction id of a row of a job whose ids are {@link PredictionIdForm#DIGESTED} (every job planned before the
     * form was recorded), logged at {@code time}: a version 7 UUID like every
     * prediction id (ADR 0014), so the clinician's view and the lineage find it by the id alone, whose 48 time bits
     * are {@code time}'s milliseconds and whose other 74 bits are taken from MD5 of {@code batch:{id}:row:{row}}. A
     * run logs the rows after a checkpoint at that checkpoint's time, so a run resumed from the same checkpoint
     * makes the same ids and finds what an interrupted run logged.
     */
    static String predictionId(String batchId, long row, Instant time) {
        return predictionId(idPrefix(batchId), row, time.toEpochMilli());
    }

    /** The prediction id of a row of a job whose ids take {@code form}, logged at {@code time}. */
    static String predictionId(PredictionIdForm form, String batchId, long row, Instant time) {
        return new RowIds(form, batchId).of(row, time.toEpochMilli());
    }

    /**
     * The prediction ids of one job's rows in the form it was planned with, its prefix (and for the
     * {@link PredictionIdForm#MIXED} form its key) worked out once, so that many rows cost no digest of the job.
     */
    static final class RowIds {
        private final byte[] prefix;
        /** Null for the {@link PredictionIdForm#DIGESTED} form. */
        private final IdKey key;

        RowIds(PredictionIdForm form, String batchId) {
            this.prefix = idPrefix(batchId);
            this.key = form == PredictionIdForm.MIXED ? IdKey.of(prefix) : null;
        }

        /** The id of row {@code row} logged at {@code millis}. */
        String of(long row, long millis) {
            return key != null ? key.predictionId(row, millis) : predictionId(prefix, row, millis);
        }
    }

    /**
     * What a job's ids of the {@link PredictionIdForm#MIXED} form are made from: 74 bits of MD5 of
     * {@code batch:{id}:row:}, digested once per job instead of once per row (ADR 0038).
     */
    private record IdKey(long offset, long tag) {
        static IdKey of(byte[] prefix) {
            ByteBuffer bits = ByteBuffer.wrap(MD5.get().digest(prefix));
            return new IdKey(bits.getLong(), bits.getLong() & 0x3FFL);
        }

        /**
         * A version 7 UUID: the 48 time bits are {@code millis}; the 74 others are the 64 bits of the row number
         * plus the key's offset through SplitMix64's finalizer, which maps distinct 64-bit values to distinct ones,
         * so the rows of a job logged in one millisecond never share an id, and 10 bits of the key.
         */
        String predictionId(long row, long millis) {
            long mixed = row + offset;
            mixed = (mixed ^ (mixed >>> 30)) * 0xBF58476D1CE4E5B9L;
            mixed = (mixed ^ (mixed >>> 27)) * 0x94D049BB133111EBL;
            mixed ^= mixed >>> 31;
            long high = (millis << 16) | 0x7000L | (mixed >>> 52);
            long low = 0x8000000000000000L | ((mixed & 0x000FFFFFFFFFFFFFL) << 10) | tag;
            return new UUID(high, low).toString();
        }
    }

    /**
     * The id earlier releases gave the row: {@link UUID#nameUUIDFromBytes} of {@code batch:{id}:row:{row}} (version 3).
     * A run resumed from a checkpoint that an earlier release wrote also looks for these.
     */
    static String legacyPredictionId(String batchId, long row) {
        byte[] md5 = digest(idPrefix(batchId), row);
        md5[6] = (byte) ((md5[6] & 0x0f) | 0x30);
        md5[8] = (byte) ((md5[8] & 0x3f) | 0x80);
        ByteBuffer bits = ByteBuffer.wrap(md5);
        return new UUID(bits.getLong(), bits.getLong()).toString();
    }

    /** {@code batch:{id}:row:} in UTF-8, what every prediction id of the job is digested from before its row. */
    private static byte[] idPrefix(String batchId) {
        return ("batch:" + batchId + ":row:").getBytes(StandardCharsets.UTF_8);
    }

    private static String predictionId(byte[] prefix, long row, long millis) {
        ByteBuffer bits = ByteBuffer.wrap(digest(prefix, row));
        long first = bits.getLong();
        long second = bits.getLong();
        long high = (millis << 16) | 0x7000L | (first & 0x0FFFL);
        long low = (second & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new UUID(high, low).toString();
    }

    /** MD5 of the prefix and the row's decimal digits, without a String for each row. */
    private static byte[] digest(byte[] prefix, long row) {
        MessageDigest digest = MD5.get();
        digest.update(prefix);
        byte[] digits = new byte[20];
        int at = digits.length;
        long rest = row;
        do {
            digits[--at] = (byte) ('0' + Math.abs(rest % 10));
            rest /= 10;
        } while (rest != 0);
        if (row < 0) {
            digits[--at] = '-';
        }
        digest.update(digits, at, digits.length - at);
        return digest.digest();
    }

    /**
     * Scores the rows not in {@code alreadyLogged} (predictions of an earlier, interrupted attempt); their
     * predictions are logged at {@code time}, the time of the checkpoint the run started from.
     */
    Outcome score(List<Row> rows, Map<Long, PredictionRecord> alreadyLogged, Instant time) {
        long millis = time.toEpochMilli();
        Map<Long, List<String>> refused = new LinkedHashMap<>();
        Map<Long, PredictionRecord> scored = new LinkedHashMap<>(alreadyLogged);
        RecordValidator validator = model.validator();
        int width = model.pipeline().width();
        List<Row> valid = new ArrayList<>(rows.size());
        List<Map<String, Object>> values = new ArrayList<>(rows.size());
        List<String> pseudonyms = new ArrayList<>(rows.size());
        float[] matrix = new float[rows.size() * width];
        for (Row row : rows) {
            if (alreadyLogged.containsKey(row.number())) {
                continue;
            }
            if (row.malformed() != null) {
                refused.put(row.number(), List.of("malformed row: " + row.malformed()));
                continue;
            }
            int offset = valid.size() * width;
            String patientId = decoder == null ? null : decoder.decode(row.line(), row.length(), matrix, offset);
            Map<String, Object> checkedValues = null;
            if (patientId == null) {
                PatientRow parsed;
                try {
                    parsed = parser.parse(row.number(), row.line(), row.length());
                } catch (RowParser.MalformedRow e) {
                    refused.put(row.number(), List.of("malformed row: " + e.getMessage()));
                    continue;
                }
                RecordValidator.Checked checked = validator.check(0, parsed.features(), Set.of());
                if (!checked.valid()) {
                    refused.put(row.number(), checked.problems());
                    continue;
                }
                patientId = parsed.patientId();
                checkedValues = checked.values();
            }
            String pseudonym;
            try {
                pseudonym = pseudonymizer.pseudonym(patientId);
                if (checkedValues != null) {
                    model.pipeline().transform(checkedValues, matrix, offset);
                }
            } catch (ValidationException e) {
                refused.put(row.number(), List.of(e.getMessage()));
                continue;
            }
            valid.add(row);
            values.add(checkedValues);
            pseudonyms.add(pseudonym);
        }
        List<PredictionRecord> predictions = new ArrayList<>(valid.size());
        if (!valid.isEmpty()) {
            float[] inputs = valid.size() == rows.size() ? matrix : Arrays.copyOf(matrix, valid.size() * width);
            double[] scores = ScoringService.run(model, inputs, valid.size());
            OutputSpec output = model.record().manifest().output();
            ClinicalExplainer explainer = explain ? model.explainer().orElse(null) : null;
            double[] explained = explainer == null ? null : new double[width];
            for (int j = 0; j < valid.size(); j++) {
                if (!ModelOutputs.isProbability(scores[j])) {
                    refused.put(valid.get(j).number(), List.of(outputRefusal(scores[j])));
                    continue;
                }
                String explanation = null;
                if (explainer != null) {
                    for (int c = 0; c < width; c++) {
                        explained[c] = matrix[j * width + c];
                    }
                    Explanation e = explainer.explain(explained, values.get(j));
                    explanation = ScoringService.loggedExplanation(e);
                }
                long number = valid.get(j).number();
                PredictionRecord record = new PredictionRecord(ids.of(number, millis),
                        model.id().name(), model.id().number(), Slot.BATCH, pseudonyms.get(j), time,
                        Arrays.copyOfRange(matrix, j * width, (j + 1) * width), scores[j],
                        scores[j] >= output.threshold(), explanation, batchId);
                predictions.add(record);
                scored.put(number, record);
            }
        }
        return new Outcome(predictions, scored, refused);
    }

    /**
     * Why a valid row got no score: the version's output for it is not a probability. Named by its kind (NaN, above 1,
     * below 0), not its value, so that a job's refusals counted by reason stay a handful of kinds.
     */
    private String outputRefusal(double output) {
        return model.id() + " produced an output that is not a probability (" + ModelOutputs.kind(output)
                + ") for this row: the row is valid, the model version fails on it (MODEL_OUTPUT_INVALID)";
    }

    /**
     * Appends the chunk's lines of the results file to {@code out}, in row order: a scored row's prediction (with its
     * top factors when explained: feature and signed contribution, never the value), or a refused row's reasons.
     */
    void writeResults(List<Row> rows, Outcome outcome, ByteArrayOutputStream out) {
        OutputSpec output = model.record().manifest().output();
        ScoredLine scoredLine = new ScoredLine(output.positiveLabel(), output.threshold());
        // The same text Jackson writes for the number, made once rather than for every row.
        String threshold = Double.toString(output.threshold());
        JsonGenerator json = null;
        try {
            for (Row row : rows) {
                PredictionRecord p = outcome.scored().get(row.number());
                if (p != null && p.explanation() == null) {
                    scoredLine.write(row.number(), p.predictionId(), p.version(), p.score(), p.decision(), out);
                    continue;
                }
                if (json == null) {
                    json = Json.mapper().getFactory().createGenerator(out);
                    json.setRootValueSeparator(null);
                }
                json.writeStartObject();
                json.writeNumberField("row", row.number());
                if (p != null) {
                    json.writeStringField("status", "scored");
                    json.writeStringField("predictionId", p.predictionId());
                    json.writeNumberField("version", p.version());
                    json.writeNumberField("score", p.score());
                    json.writeBooleanField("decision", p.decision());
                    json.writeStringField("positiveLabel", output.positiveLabel());
                    json.writeFieldName("threshold");
                    json.writeRawValue(threshold);
                    writeFactors(json, p.explanation());
                } else {
                    json.writeStringField("status", "refused");
                    json.writeArrayFieldStart("reasons");
                    for (String reason : outcome.refused().getOrDefault(row.number(), List.of())) {
                        json.writeString(reason);
                    }
                    json.writeEndArray();
                }
                json.writeEndObject();
                json.writeRaw('\n');
                // The next scored line goes straight to out: this one must be there first.
                json.flush();
            }
            if (json != null) {
                json.close();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The top factors from the explanation the prediction log keeps (so a resumed row reads the same). */
    private static void writeFactors(JsonGenerator json, String logged) throws IOException {
        JsonNode contributions = Json.mapper().readTree(logged).path("contributions");
        List<Map.Entry<String, JsonNode>> factors = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = contributions.fields(); it.hasNext(); ) {
            factors.add(it.next());
        }
        factors.sort(Comparator.comparingDouble((Map.Entry<String, JsonNode> e) -> -Math.abs(e.getValue().get(0).asDouble()))
                .thenComparing(Map.Entry::getKey));
        json.writeArrayFieldStart("topFactors");
        for (Map.Entry<String, JsonNode> f : factors.subList(0, Math.min(TOP_FACTORS, factors.size()))) {
            double margin = f.getValue().get(0).asDouble();
            json.writeStartObject();
            json.writeStringField("feature", f.getKey());
            json.writeNumberField("marginContribution", margin);
            json.writeNumberField("probabilityContribution", f.getValue().get(1).asDouble());
            json.writeStringField("direction", Explanation.Direction.of(margin).wireName());
            json.writeEndObject();
        }
        json.writeEndArray();
    }
}
