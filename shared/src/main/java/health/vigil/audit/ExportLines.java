package health.vigil.audit;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The lines of an export read as docs/audit-evidence-format.md defines them: each a JSON object of exactly the
 * record's members, each of its JSON type, in UTF-8 and ending in one LF byte, the last line too. A general JSON
 * binding is more forgiving (a time given as a number or with an offset, a missing hash, a byte order mark, a CR
 * before the LF), and a verifier that forgave what the format refuses would judge evidence otherwise than another
 * verifier of the same format.
 */
final class ExportLines {
    private static final Set<String> MEMBERS = Set.of("id", "partition", "sequence", "time", "actor", "action",
            "subject", "outcome", "details", "previousHash", "hash");
    private static final String[] REQUIRED_TEXT = {"id", "partition", "actor", "action", "subject", "outcome", "time",
        "hash"};

    /** Why a line is not a record; its message says what is wrong, never what the line holds. */
    static final class Malformed extends Exception {
        Malformed(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * The longest line read whole: an audit record is a few kilobytes (a Cosmos document holds at most 2 MB), so a
     * longer line was not written by Vigil, and reading it on would let a forged file take all the memory there is.
     */
    static final int MAX_LINE_BYTES = 4 << 20;

    private final InputStream in;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(1024);
    private boolean endedInLineFeed = true;
    private boolean tooLong;

    /** Reads lines from {@code in}, which should be buffered. */
    ExportLines(InputStream in) {
        this.in = in;
    }

    /** The next line's bytes without its LF, or null at the end; {@link #endedInLineFeed} says whether it had one. */
    byte[] next() throws IOException {
        line.reset();
        tooLong = false;
        for (int b; (b = in.read()) != -1; ) {
            if (b == '\n') {
                endedInLineFeed = true;
                return line.toByteArray();
            }
            if (line.size() == MAX_LINE_BYTES) {
                // Not read to its end: the caller refuses the file at this line.
                tooLong = true;
                endedInLineFeed = false;
                return line.toByteArray();
            }
            line.write(b);
        }
        endedInLineFeed = false;
        return line.size() == 0 ? null : line.toByteArray();
    }

    /** Whether the line {@link #next} returned last was cut at {@link #MAX_LINE_BYTES}, its end not read. */
    boolean tooLong() {
        return tooLong;
    }

    /** Whether the line {@link #next} returned last ended in LF, as every line of an export must. */
    boolean endedInLineFeed() {
        return endedInLineFeed;
    }

    /** The record a line holds (without its LF). */
    static AuditRecord record(byte[] bytes) throws Malformed {
        for (byte b : bytes) {
            if (b == '\r') {
                throw new Malformed("it holds a carriage return; lines end in one LF byte");
            }
        }
        String text = EvidenceValues.utf8(bytes);
        if (text == null) {
            throw new Malformed("it is not UTF-8");
        }
        if (text.startsWith("\uFEFF")) {
            throw new Malformed("it begins with a byte order mark");
        }
        JsonNode node;
        try {
            node = Json.readTree("it", text);
        } catch (ValidationException e) {
            throw new Malformed(e.getMessage());
        }
        if (!node.isObject()) {
            throw new Malformed("it is not a JSON object");
        }
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!MEMBERS.contains(name)) {
                throw new Malformed("it has a member the format does not have: " + Json.quotedName(name));
            }
        }
        for (String name : REQUIRED_TEXT) {
            text(node, name);
        }
        JsonNode sequence = node.get("sequence");
        if (sequence == null) {
            throw new Malformed("it has no 'sequence'");
        }
        if (!sequence.isIntegralNumber() || !sequence.canConvertToLong() || sequence.longValue() < 0) {
            throw new Malformed("'sequence' is not a whole number (an integer from 0 to 9223372036854775807)");
        }
        Instant time = EvidenceValues.time(node.get("time").textValue());
        if (time == null) {
            throw new Malformed("'time' is not a time like 2026-11-03T09:15:27.120Z");
        }
        return new AuditRecord(text(node, "id"), text(node, "partition"), sequence.longValue(), time,
                text(node, "actor"), text(node, "action"), text(node, "subject"), text(node, "outcome"), details(node),
                previousHash(node), text(node, "hash"));
    }

    private static String text(JsonNode record, String name) throws Malformed {
        JsonNode value = record.get(name);
        if (value == null) {
            throw new Malformed("it has no '" + name + "'");
        }
        if (!value.isTextual()) {
            throw new Malformed("'" + name + "' is not a string");
        }
        return unicode(value.textValue(), "'" + name + "'");
    }

    private static String previousHash(JsonNode record) throws Malformed {
        JsonNode value = record.get("previousHash");
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isTextual()) {
            throw new Malformed("'previousHash' is not a string");
        }
        return unicode(value.textValue(), "'previousHash'");
    }

    private static Map<String, String> details(JsonNode record) throws Malformed {
        JsonNode value = record.get("details");
        Map<String, String> details = new TreeMap<>();
        if (value == null || value.isNull()) {
            return details;
        }
        if (!value.isObject()) {
            throw new Malformed("'details' is not an object of strings");
        }
        for (Iterator<Map.Entry<String, JsonNode>> entries = value.fields(); entries.hasNext(); ) {
            Map.Entry<String, JsonNode> entry = entries.next();
            if (!entry.getValue().isTextual()) {
                throw new Malformed("'details' is not an object of strings");
            }
            details.put(unicode(entry.getKey(), "a key of 'details'"),
                    unicode(entry.getValue().textValue(), "a value of 'details'"));
        }
        return details;
    }

    private static String unicode(String text, String what) throws Malformed {
        if (!EvidenceValues.isUnicode(text)) {
            throw new Malformed(what + " holds text that is not valid Unicode (an unpaired surrogate)");
        }
        return text;
    }
}
