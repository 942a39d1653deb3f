package health.vigil.scoring.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.JsonGenerator;
import health.vigil.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class ScoredLineTest {

    /** The line as Jackson's generator writes it with Java's double text: what every results file held before. */
    private static String jacksonLine(long row, String id, int version, double score, boolean decision, String label,
            double threshold) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator json = Json.mapper().getFactory().createGenerator(out)) {
            json.writeStartObject();
            json.writeNumberField("row", row);
            json.writeStringField("status", "scored");
            json.writeStringField("predictionId", id);
            json.writeNumberField("version", version);
            json.writeNumberField("score", score);
            json.writeBooleanField("decision", decision);
            json.writeStringField("positiveLabel", label);
            json.writeFieldName("threshold");
            json.writeRawValue(Double.toString(threshold));
            json.writeEndObject();
            json.writeRaw('\n');
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    private static String line(ScoredLine writer, long row, String id, int version, double score, boolean decision) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        writer.write(row, id, version, score, decision, out);
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aScoredRowsLineIsTheLineJacksonWritesForEveryScoreAFloatCanGive() throws IOException {
        SplittableRandom random = new SplittableRandom(18);
        ScoredLine writer = new ScoredLine("readmitted", 0.35);
        for (int i = 0; i < 200_000; i++) {
            long row = i < 100 ? i : random.nextLong(0, Long.MAX_VALUE);
            String id = new UUID(random.nextLong(), random.nextLong()).toString();
            int version = random.nextInt(1, Integer.MAX_VALUE);
            // ONNX Runtime's probabilities are floats; every float from 0 to 1 is a score it can give.
            double score = Float.intBitsToFloat(random.nextInt(0, Float.floatToIntBits(1f) + 1));
            boolean decision = score >= 0.35;
            assertThat(line(writer, row, id, version, score, decision))
                    .isEqualTo(jacksonLine(row, id, version, score, decision, "readmitted", 0.35));
        }
    }

    @Test
    void edgeScoresAndLabelsThatNeedEscapingReadTheSame() throws IOException {
        String[] labels = {"yes", "say \"yes\"", "back\\slash", "tab\tand\nnewline", "réadmis", "\u0001", "日本"};
        double[] scores = {0.0, -0.0, 1.0, Double.MIN_VALUE, Double.MIN_NORMAL, Float.MIN_VALUE, Float.MIN_NORMAL,
            0.1, 0.5, 1e-7, 1e-3, 9.999999e-4, 0.3333333432674408, Math.nextDown(1.0), Math.nextUp(0.0),
            Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 1e23, 2e-3};
        for (String label : labels) {
            ScoredLine writer = new ScoredLine(label, 0.5);
            for (double score : scores) {
                String expected = jacksonLine(7, "00000000-0000-3000-8000-000000000000", 3, score, false, label, 0.5);
                String actual = line(writer, 7, "00000000-0000-3000-8000-000000000000", 3, score, false);
                assertThat(Json.mapper().readTree(actual)).isEqualTo(Json.mapper().readTree(expected));
                assertThat(actual).endsWith("\n");
                if (score == (float) score || Double.isNaN(score)) {
                    assertThat(actual).isEqualTo(expected);
                }
            }
        }
    }

    @Test
    void anyDoublesTextReadsBackAsTheSameDouble() throws IOException {
        SplittableRandom random = new SplittableRandom(21);
        ScoredLine writer = new ScoredLine("yes", 0.5);
        for (int i = 0; i < 200_000; i++) {
            double score = i % 2 == 0 ? random.nextDouble() : Double.longBitsToDouble(random.nextLong());
            if (!Double.isFinite(score)) {
                continue;
            }
            String actual = line(writer, i, "id", 1, score, true);
            double read = Json.mapper().readTree(actual).get("score").doubleValue();
            assertThat(Double.doubleToRawLongBits(read)).as("score %s", score)
                    .isEqualTo(Double.doubleToRawLongBits(score));
        }
    }
}
