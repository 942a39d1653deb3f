package health.vigil.scoring.batch;

import com.fasterxml.jackson.core.io.NumberOutput;
import health.vigil.json.Json;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The results-file line of a scored row without explanation, written straight as bytes: the line Jackson's
 * generator writes for the same fields, in the same order, without its per-field escaping checks. Only the row
 * number, prediction id, version, score and decision change from row to row; the rest of the line (the positive
 * label as Jackson escapes it, the threshold) is made once per chunk.
 *
 * <p>The score is written as the shortest decimal that reads back as the same double (Jackson's Schubfach writer,
 * {@link NumberOutput#toString(double, boolean)}), about twice as fast as Java 17's {@link Double#toString}. The
 * two always read back as the same double; their text was the same on every float score tried, and can differ only
 * where Java 17 writes more digits than needed ({@code ScoredLineTest}; ADR 0021).
 */
final class ScoredLine {
    private static final byte[] ROW = ascii("{\"row\":");
    private static final byte[] PREDICTION_ID = ascii(",\"status\":\"scored\",\"predictionId\":\"");
    private static final byte[] VERSION = ascii("\",\"version\":");
    private static final byte[] SCORE = ascii(",\"score\":");
    private static final byte[] DECISION_TRUE = ascii(",\"decision\":true,\"positiveLabel\":");
    private static final byte[] DECISION_FALSE = ascii(",\"decision\":false,\"positiveLabel\":");

    /** The positive label as a JSON string, the threshold field, the object's end and the newline. */
    private final byte[] tail;
    private byte[] line = new byte[256];

    ScoredLine(String positiveLabel, double threshold) {
        // The same text Jackson writes for the label and the threshold, made once rather than for every row.
        byte[] label = Json.writeBytes(positiveLabel);
        byte[] rest = ascii(",\"threshold\":" + Double.toString(threshold) + "}\n");
        this.tail = java.util.Arrays.copyOf(label, label.length + rest.length);
        System.arraycopy(rest, 0, tail, label.length, rest.length);
    }

    /** Appends the line of a scored row; {@code predictionId} is a UUID's text (ASCII, nothing to escape). */
    void write(long row, String predictionId, int version, double score, boolean decision, ByteArrayOutputStream out) {
        // A score is checked to be a probability before it gets here; were one not finite, it would be quoted, as
        // Jackson's generator quotes it.
        String scoreText = Double.isFinite(score) ? NumberOutput.toString(score, true) : "\"" + score + "\"";
        int needed = ROW.length + 20 + PREDICTION_ID.length + predictionId.length() + VERSION.length + 11
                + SCORE.length + scoreText.length() + DECISION_FALSE.length + tail.length;
        if (needed > line.length) {
            line = new byte[needed];
        }
        int at = put(ROW, 0);
        at = putDigits(row, at);
        at = put(PREDICTION_ID, at);
        at = putAscii(predictionId, at);
        at = put(VERSION, at);
        at = putDigits(version, at);
        at = put(SCORE, at);
        at = putAscii(scoreText, at);
        at = put(decision ? DECISION_TRUE : DECISION_FALSE, at);
        at = put(tail, at);
        out.write(line, 0, at);
    }

    private int put(byte[] bytes, int at) {
        System.arraycopy(bytes, 0, line, at, bytes.length);
        return at + bytes.length;
    }

    /** A text that is ASCII by construction (a UUID, a number), one byte per character. */
    private int putAscii(String text, int at) {
        for (int i = 0; i < text.length(); i++) {
            line[at + i] = (byte) text.charAt(i);
        }
        return at + text.length();
    }

    private int putDigits(long value, int at) {
        if (value < 0) {
            // Not a row number or version Vigil makes; written as Jackson would, through the JDK.
            return putAscii(Long.toString(value), at);
        }
        int digits = 1;
        for (long rest = value / 10; rest != 0; rest /= 10) {
            digits++;
        }
        long rest = value;
        for (int i = at + digits - 1; i >= at; i--) {
            line[i] = (byte) ('0' + rest % 10);
            rest /= 10;
        }
        return at + digits;
    }

    private static byte[] ascii(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
