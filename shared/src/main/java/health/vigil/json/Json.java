package health.vigil.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.StreamWriteFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.util.TokenBuffer;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import java.io.IOException;

/**
 * The one JSON setup of Vigil: strict on input (unknown properties, trailing tokens and duplicate keys are
 * errors), ISO-8601 instants, and error messages that give line and column without echoing the content.
 */
public final class Json {
    private static final ObjectMapper MAPPER = builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    /**
     * For answers to callers, whose text is read, never hashed: doubles in the shortest digits that read back as
     * the same double (Schubfach), written in about half the time Java 17's Double.toString takes; in the
     * {@link Answer} view, which leaves out what only the stored document keeps ({@link Stored}).
     */
    private static final ObjectWriter RESPONSE_WRITER = MAPPER.writerWithView(Answer.class)
            .with(StreamWriteFeature.USE_FAST_DOUBLE_WRITER);

    /**
     * The view of a property the stored document keeps and no answer shows ({@code @JsonView(Json.Stored.class)}),
     * such as a ramp's bucket salt: the stores write and read documents in no view, so they keep it.
     */
    public static final class Stored {
        private Stored() {}
    }

    /** The view answers are written in ({@link #writeResponse}, {@link #answerTree}): all but {@link Stored}. */
    public static final class Answer {
        private Answer() {}
    }

    /**
     * For trees: a repeated key is refused as the tree is built (the object's map says it already had the key), not
     * by the parser's duplicate detector, which keeps a hash set of every object's names on the side: 1.6 KB of the
     * 5.2 KB a scoring request's body took to parse. The detector is made with the parser from its factory's
     * features, so trees get a mapper of their own. Either way a repeated key is an error, never a dropped value.
     */
    private static final ObjectMapper TREE_MAPPER = builder()
            .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
            .build();

    /**
     * The settings both mappers share: strict on input, ISO-8601 instants, no source in error locations, and field
     * names not interned. Jackson interns every field name it reads into the JVM's string table by default, and
     * names come from callers: about 65,000 scoring requests with a made-up field each (all refused) took the table
     * from 17,000 to 32,500-66,400 strings, which every young collection then visits (docs/benchmarks.md). Names are
     * still canonicalized in the parser's own bounded table.
     */
    private static JsonMapper.Builder builder() {
        return JsonMapper.builder(JsonFactory.builder().disable(JsonFactory.Feature.INTERN_FIELD_NAMES).build())
                .addModule(new JavaTimeModule())
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                // A whole number is written as one: 10.5 for a count is refused, not cut to 10; and a number is a
                // number, a string a string ("0.05" for a threshold, 5 for a justification are refused, not converted).
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(com.fasterxml.jackson.databind.MapperFeature.ALLOW_COERCION_OF_SCALARS)
                // That feature leaves text fields alone: without this a number or true/false bound to a String
                // ({"id": 5}) became "5". Refused as any other value of the wrong type.
                .withCoercionConfig(com.fasterxml.jackson.databind.type.LogicalType.Textual, text -> text
                        .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Integer,
                                com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
                        .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Float,
                                com.fasterxml.jackson.databind.cfg.CoercionAction.Fail)
                        .setCoercion(com.fasterxml.jackson.databind.cfg.CoercionInputShape.Boolean,
                                com.fasterxml.jackson.databind.cfg.CoercionAction.Fail))
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(StreamReadFeature.INCLUDE_SOURCE_IN_LOCATION)
                // Correctly rounded like Double.parseDouble, without its big-integer slow path for long decimals
                // (a scoring request's features are decimals). Writing keeps the JDK's text: audit records are hashed.
                .enable(StreamReadFeature.USE_FAST_DOUBLE_PARSER);
    }

    /** A name that error messages may repeat: one a field or a feature could have. */
    private static final java.util.regex.Pattern PLAIN_NAME = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,63}");

    private Json() {}

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** A response body; see {@link #RESPONSE_WRITER}. Not for anything hashed or signed: use {@link #write}. */
    public static String writeResponse(Object value) {
        try {
            return RESPONSE_WRITER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /**
     * {@link #writeResponse}'s text as the UTF-8 bytes a reply sends, written as bytes from the start: no text
     * buffer, string and second copy per answer (the host sends a byte body as it is).
     */
    public static byte[] writeResponseBytes(Object value) {
        try {
            return RESPONSE_WRITER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /**
     * A streaming generator of UTF-8 over {@code out} for text that is read back as values and never hashed, such as
     * the explanations the prediction log keeps: doubles as {@link #writeResponse} writes them.
     */
    public static JsonGenerator readBackGenerator(java.io.OutputStream out) throws IOException {
        return RESPONSE_WRITER.createGenerator(out, com.fasterxml.jackson.core.JsonEncoding.UTF8);
    }

    /** {@code value} as {@link #writeResponse} writes it, as a tree for an answer that adds to it. */
    public static ObjectNode answerTree(Object value) {
        try (TokenBuffer buffer = new TokenBuffer(MAPPER, false)) {
            RESPONSE_WRITER.writeValue(buffer, value);
            return (ObjectNode) MAPPER.readTree(buffer.asParser());
        } catch (IOException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    public static byte[] writeBytes(Object value) {
        try {
            return MAPPER.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** Parses a tree; malformed input is a MALFORMED_JSON {@link ValidationException} naming line and column. */
    public static JsonNode readTree(String what, byte[] content) {
        try {
            return present(what, TREE_MAPPER.readTree(content));
        } catch (JsonProcessingException e) {
            throw malformed(what, e);
        } catch (java.io.IOException e) {
            throw new ValidationException(ErrorCode.MALFORMED_JSON, what + " could not be read: " + e.getClass().getSimpleName());
        }
    }

    /**
     * {@link #readTree(String, byte[])} of text already decoded (a request body handed over as a string): parsed from
     * the characters, without encoding them back into bytes first.
     */
    public static JsonNode readTree(String what, String content) {
        try {
            return present(what, TREE_MAPPER.readTree(content));
        } catch (JsonProcessingException e) {
            throw malformed(what, e);
        }
    }

    /** The parsed document, or a MALFORMED_JSON error when there was none. */
    private static JsonNode present(String what, JsonNode node) {
        if (node == null || node.isMissingNode()) {
            throw new ValidationException(ErrorCode.MALFORMED_JSON, what + " is empty: send a JSON document");
        }
        return node;
    }

    public static <T> T read(String what, byte[] content, Class<T> type) {
        try {
            return MAPPER.readValue(content, type);
        } catch (JsonProcessingException e) {
            throw malformed(what, e);
        } catch (java.io.IOException e) {
            throw new ValidationException(ErrorCode.MALFORMED_JSON, what + " could not be read: " + e.getClass().getSimpleName());
        }
    }

    /**
     * {@link #read(String, byte[], Class)} of text already decoded (a request body handed over as a string): bound
     * from the characters as they are parsed, without a tree in between.
     */
    public static <T> T read(String what, String content, Class<T> type) {
        try {
            return MAPPER.readValue(content, type);
        } catch (JsonProcessingException e) {
            throw malformed(what, e);
        }
    }

    /** Binds an already parsed tree to a type, with the same error reporting as {@link #read}. */
    public static <T> T convert(String what, JsonNode tree, Class<T> type) {
        try {
            return MAPPER.treeToValue(tree, type);
        } catch (JsonProcessingException e) {
            throw malformed(what, e);
        } catch (IllegalArgumentException e) {
            throw new ValidationException(ErrorCode.MALFORMED_JSON, what + " does not have the expected structure");
        }
    }

    private static final java.util.regex.Pattern READER_LIMIT = java.util.regex.Pattern.compile("maximum allowed \\((\\d+)");
    /** The parser's and the tree builder's words for a repeated key, with the key between the quotes. */
    private static final java.util.regex.Pattern DUPLICATE_FIELD = java.util.regex.Pattern.compile(
            "Duplicate field '(.*)'(?: for `ObjectNode`: not allowed when .*)?", java.util.regex.Pattern.DOTALL);

    /**
     * What the reader refused, in words, when it was a limit it keeps (nesting depth, number, name or text length), a
     * field given twice or bytes that are not UTF-8; null for anything else. Says which limit and how large it is,
     * or the field when its name is a plain name, never the value.
     */
    public static String readerProblem(JsonProcessingException e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (!(t instanceof JsonProcessingException found) || found.getOriginalMessage() == null) {
                continue;
            }
            String message = found.getOriginalMessage();
            if (found instanceof com.fasterxml.jackson.core.exc.StreamConstraintsException) {
                return limit(message);
            }
            if (message.startsWith("Invalid UTF-8")) {
                // Read from bytes, which are read as UTF-8 and nothing else: say so, never which bytes they were.
                return "has bytes that are not UTF-8 (send JSON as UTF-8)";
            }
            java.util.regex.Matcher duplicate = DUPLICATE_FIELD.matcher(message);
            if (duplicate.matches()) {
                return "gives the field " + quotedName(duplicate.group(1)) + " more than once";
            }
        }
        return null;
    }

    /**
     * Why one line of a JSON Lines file did not read, as words that follow "it" or "the line": the {@link #readerProblem}
     * when there is one, else that it is not valid JSON; with the column where reading stopped when the parser knows
     * it. Never a value from the line.
     */
    public static String lineProblem(JsonProcessingException e) {
        // A limit of the parser (nesting deeper than it reads, a number too long) has no location.
        com.fasterxml.jackson.core.JsonLocation at = e.getLocation();
        String problem = readerProblem(e);
        return (problem == null ? "is not valid JSON" : problem)
                + (at == null || at.getColumnNr() < 1 ? "" : " (column " + at.getColumnNr() + " of the line)");
    }

    private static String limit(String message) {
        java.util.regex.Matcher max = READER_LIMIT.matcher(message);
        if (!max.find()) {
            return "passes a limit of the JSON reader (nesting depth, or the length of a number, name or text)";
        }
        String limit = max.group(1);
        if (message.startsWith("Document nesting depth")) {
            return "nests arrays or objects more than " + limit + " levels deep";
        }
        if (message.startsWith("Number")) {
            return "has a number longer than " + limit + " characters";
        }
        if (message.startsWith("Name length")) {
            return "has a field name longer than " + limit + " characters";
        }
        if (message.startsWith("String value length")) {
            return "has a text value longer than " + limit + " characters";
        }
        return "passes a limit of the JSON reader (" + limit + ")";
    }

    /**
     * A message that says where the JSON went wrong without quoting it (it may hold patient data).
     * Validation problems thrown from records' constructors keep their own message.
     */
    /**
     * The refusal of a required field of a body read as a tree that is not there or not of its type (ADR 0029): left
     * out or {@code null}, it breaks the request's rule, {@code INVALID_REQUEST}; present as another JSON type, the
     * body does not fit the route, {@code MALFORMED_JSON}, as a body bound to a record is answered.
     */
    public static ValidationException missingOrWrongType(JsonNode value, String message) {
        boolean missing = value == null || value.isMissingNode() || value.isNull();
        return new ValidationException(missing ? ErrorCode.INVALID_REQUEST : ErrorCode.MALFORMED_JSON, message);
    }

    public static ValidationException malformed(String what, JsonProcessingException e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        JsonLocation at = e.getLocation();
        // A tree converted to a record has no text, and so no line: say where only when there is a where.
        String where = at == null || at.getLineNr() < 1 ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
        if (root instanceof ValidationException ve) {
            // The JSON was read; a value in it broke a rule of its record: the record's own code and message.
            return new ValidationException(ve.code(), what + where + ": " + ve.getMessage());
        }
        if (root instanceof NullPointerException npe && npe.getMessage() != null) {
            return new ValidationException(ErrorCode.MALFORMED_JSON, what + where + ": " + npe.getMessage());
        }
        String readerProblem = readerProblem(e);
        if (readerProblem != null) {
            return new ValidationException(ErrorCode.MALFORMED_JSON, what + " " + readerProblem + where);
        }
        String path = e instanceof com.fasterxml.jackson.databind.JsonMappingException jme ? fieldPath(jme) : null;
        // Binding straight to a type wraps a syntax error met inside a field in a mapping error: still a syntax error.
        boolean syntax = e instanceof com.fasterxml.jackson.core.JsonParseException
                || root instanceof com.fasterxml.jackson.core.JsonParseException;
        String kind = syntax ? "is not valid JSON"
                : e instanceof com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException u
                        ? "has an unknown field " + quotedName(u.getPropertyName())
                        : "does not have the expected structure" + (path == null ? "" : " (at " + path + ")");
        return new ValidationException(ErrorCode.MALFORMED_JSON, what + " " + kind + where);
    }

    /**
     * Whether {@code text} is a name an error message may repeat back to the caller: letters, digits and underscores,
     * starting with a letter or underscore, at most 64, as a field or a feature is named. Anything else the caller
     * put where a name goes is described, never echoed: it may be a value pasted into the wrong place.
     */
    public static boolean isPlainName(String text) {
        return text != null && PLAIN_NAME.matcher(text).matches();
    }

    /**
     * Whether text taken from a request came through decoding intact: no U+FFFD (what a lenient decoder puts for bytes
     * that were not UTF-8) and no unpaired surrogate (which UTF-8 cannot carry). Text that fails would be hashed,
     * stored or pseudonymised as something other than what the caller holds.
     */
    public static boolean isIntactText(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\uFFFD') {
                return false;
            }
            if (Character.isHighSurrogate(c)) {
                if (i + 1 >= text.length() || !Character.isLowSurrogate(text.charAt(i + 1))) {
                    return false;
                }
                i++;
            } else if (Character.isLowSurrogate(c)) {
                return false;
            }
        }
        return true;
    }

    /**
     * Whether text is {@link #isIntactText intact} and holds no control character, line or paragraph separator, or
     * format character (a direction override, say): text that a log line, a key or a reviewer's page shows as it is
     * without it writing or disguising anything there.
     */
    public static boolean isPrintableText(String text) {
        return firstUnprintable(text) < 0;
    }

    /**
     * Where the first character is that makes text not {@link #isPrintableText printable} (the index of its first
     * {@code char}), or -1 when there is none. Characters are taken whole, so an invisible tag character beyond the
     * Basic Multilingual Plane (U+E0041) counts as the format character it is.
     */
    public static int firstUnprintable(String text) {
        for (int i = 0; i < text.length(); ) {
            int c = text.codePointAt(i);
            if (c == 0xFFFD || Character.getType(c) == Character.SURROGATE || Character.isISOControl(c)
                    || c == 0x2028 || c == 0x2029 || Character.getType(c) == Character.FORMAT) {
                return i;
            }
            i += Character.charCount(c);
        }
        return -1;
    }

    /**
     * Whether text says something a reader can see: it holds a letter or a digit. Space of any script (a no-break or
     * an ideographic space), punctuation alone, or a character that draws nothing (a Hangul filler, the blank braille
     * pattern) is no reason to keep in a signed record.
     */
    public static boolean saysSomething(String text) {
        return text != null && text.codePoints().anyMatch(c -> Character.isLetterOrDigit(c) && c != 0x115F
                && c != 0x1160 && c != 0x3164 && c != 0xFFA0);
    }

    /**
     * A name the caller wrote, for an error message: quoted when it is a plain name ({@link #isPlainName}), otherwise
     * said to be not one and never repeated (a key can be a patient's details typed where a field name goes).
     */
    public static String quotedName(String name) {
        return isPlainName(name) ? "'" + name + "'" : "(its name, not repeated here, is not letters, digits and underscores)";
    }

    /**
     * Where in the document binding failed, as the caller wrote it ({@code inputs[0].shape}), not as Jackson's path
     * reference names it (with Java class names between the fields); null at the top level. A key that does not look
     * like a field name (a map's key can be anything the caller typed) is shown as {@code *}, never echoed.
     */
    public static String fieldPath(com.fasterxml.jackson.databind.JsonMappingException e) {
        StringBuilder path = new StringBuilder();
        for (com.fasterxml.jackson.databind.JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                String name = isPlainName(ref.getFieldName()) ? ref.getFieldName() : "*";
                path.append(path.length() == 0 ? "" : ".").append(name);
            } else if (ref.getIndex() >= 0) {
                path.append('[').append(ref.getIndex()).append(']');
            }
        }
        return path.length() == 0 ? null : path.toString();
    }
}
