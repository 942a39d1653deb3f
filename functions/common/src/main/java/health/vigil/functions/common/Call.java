package health.vigil.functions.common;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.IdempotencyKey;
import health.vigil.security.Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * One HTTP call after authentication: who is calling, its query, its headers (names in lower case) and its body
 * parsed on demand. A route that takes its body as bytes (the scoring routes, {@link HttpApi#handleBytes}) has it in
 * {@code bytes} and parses the UTF-8 there, without a string of the whole body; {@code body} is then empty.
 */
public record Call(Principal principal, String requestId, Map<String, String> query, Optional<String> body,
        Map<String, String> headers, byte[] bytes) {

    /** A body that says nothing: an empty JSON object. */
    private static final Pattern EMPTY_OBJECT = Pattern.compile("\\{\\s*}");

    /**
     * A time written in a query string with its offset's {@code +} not encoded: decoded, that {@code +} is a space,
     * so {@code 2026-03-29T01:30:00+02:00} arrives as {@code 2026-03-29T01:30:00 02:00}. A space there can mean
     * nothing else.
     */
    private static final java.time.Instant EARLIEST_TIME = java.time.Instant.parse("1900-01-01T00:00:00Z");
    private static final java.time.Instant LATEST_TIME = java.time.Instant.parse("9999-12-31T23:59:59.999999999Z");
    private static final Pattern DECODED_PLUS_OFFSET =
            Pattern.compile("(\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}(?:\\.\\d+)?) (\\d{2}:\\d{2})");

    public Call {
        headers = headers == null ? Map.of() : Map.copyOf(headers);
        body = body == null ? Optional.empty() : body;
    }

    /** A call whose body came as text. */
    public Call(Principal principal, String requestId, Map<String, String> query, Optional<String> body,
            Map<String, String> headers) {
        this(principal, requestId, query, body, headers, null);
    }

    /** The header that makes a request which changes something safe to send again ({@link IdempotencyKey}). */
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";

    /** The answer's header that says the request was sent again under its key and the first one had done it. */
    public static final String IDEMPOTENT_REPLAYED = "Idempotent-Replayed";

    /** The request's {@value #IDEMPOTENCY_KEY}, if it sent one; a malformed one is refused (400) saying the form. */
    public Optional<IdempotencyKey> idempotencyKey() {
        return IdempotencyKey.of(header(IDEMPOTENCY_KEY).orElse(null));
    }

    /** A request header by its name in any case. */
    public Optional<String> header(String name) {
        return Optional.ofNullable(headers.get(name.toLowerCase(java.util.Locale.ROOT)));
    }

    /** The body as JSON; a missing or malformed body is a 400 that says where it went wrong. */
    public JsonNode json() {
        if (bytes != null) {
            return Json.readTree("the request body", utf8Document(bytes));
        }
        return Json.readTree("the request body", text());
    }

    /**
     * The body bound straight to {@code type}, with no tree in between: for bodies that are read whole into one
     * record. Errors as {@link #json()}, naming the body as {@code what}.
     */
    public <T> T json(String what, Class<T> type) {
        if (bytes != null) {
            return Json.read(what, utf8Document(bytes), type);
        }
        return Json.read(what, text(), type);
    }

    /**
     * For actions that the path and query say everything about: a body is refused, not ignored, so that a caller
     * who sent options (a version, a time window) learns that they were not read. No body, a blank one or an empty
     * object pass; {@code instead} tells the caller where the action's inputs go.
     */
    public void requireNoBody(String instead) {
        String text = (bytes != null ? new String(bytes, java.nio.charset.StandardCharsets.UTF_8)
                : body.orElse("")).strip();
        if (!text.isEmpty() && !EMPTY_OBJECT.matcher(text).matches()) {
            throw new ValidationException(ErrorCode.INVALID_REQUEST, "this action reads no request body: " + instead
                    + "; send no body (or {})");
        }
    }

    private String text() {
        String text = body.orElse("");
        if (text.isBlank()) {
            throw noBody();
        }
        return text;
    }

    /**
     * {@code bytes}, unless they hold nothing but JSON's white space (the same 400 as an empty text body) or are not
     * UTF-8 by their first four bytes. The parser would recognise UTF-16 and UTF-32 by their zero bytes and read them;
     * bodies are UTF-8 on every route, and a JSON text in UTF-8 has no zero byte anywhere, so one among the first
     * four is refused here. A UTF-8 byte order mark is skipped by the parser (RFC 8259 8.1 allows it). Any other byte
     * is left to the parser to judge, bytes that are not UTF-8 included.
     */
    private static byte[] utf8Document(byte[] bytes) {
        for (int i = 0; i < Math.min(4, bytes.length); i++) {
            if (bytes[i] == 0) {
                throw new ValidationException(ErrorCode.MALFORMED_JSON, "the request body is not UTF-8 (it starts as"
                        + " UTF-16 or UTF-32 does): send the JSON document as UTF-8");
            }
        }
        for (byte b : bytes) {
            if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
                return bytes;
            }
        }
        throw noBody();
    }

    private static ValidationException noBody() {
        return new ValidationException(ErrorCode.MALFORMED_JSON, "the request has no body: send a JSON document");
    }

    public Optional<String> queryParam(String name) {
        return Optional.ofNullable(query.get(name)).filter(v -> !v.isBlank());
    }

    /**
     * A moment as an ISO-8601 query parameter (Z, or an offset converted to UTC); anything else is a 400 that shows
     * the form.
     */
    public Optional<java.time.Instant> instantParam(String name) {
        requireInstantParams(name);
        return queryParam(name).flatMap(Call::instant);
    }

    /**
     * Refuses at once every one of {@code names} that is given and is not an ISO-8601 time, naming them all, so that a
     * caller who wrote both ends of a period as dates learns of both in one answer; then every one that falls outside
     * the years 1900 to 9999 (UTC), the years the audit log's days and outcomes' times are kept in. A report's id, a
     * log's hour partition and a file name write a time's year with four digits: a year before 1 would read as the
     * year of its era (year -1 as 0002), another window's name.
     */
    public void requireInstantParams(String... names) {
        List<String> bad = new ArrayList<>();
        List<String> outOfRange = new ArrayList<>();
        for (String name : names) {
            queryParam(name).ifPresent(v -> instant(v).ifPresentOrElse(t -> {
                if (t.isBefore(EARLIEST_TIME) || t.isAfter(LATEST_TIME)) {
                    outOfRange.add("'" + name + "'");
                }
            }, () -> bad.add("'" + name + "'")));
        }
        if (!bad.isEmpty()) {
            throw new ValidationException((bad.size() == 1 ? "query parameter " + bad.get(0) + " must be an ISO-8601"
                    + " time" : "query parameters " + String.join(" and ", bad) + " must be ISO-8601 times")
                    + " like 2026-11-24T00:00:00Z (with Z for UTC, or an offset such as +01:00, written %2B01:00 in a"
                    + " URL, which is converted to UTC)");
        }
        if (!outOfRange.isEmpty()) {
            throw new ValidationException((outOfRange.size() == 1 ? "query parameter " + outOfRange.get(0)
                    + " must be a time" : "query parameters " + String.join(" and ", outOfRange) + " must be times")
                    + " in the years 1900 to 9999 (UTC), like 2026-11-24T00:00:00Z");
        }
    }

    private static Optional<java.time.Instant> instant(String value) {
        java.util.regex.Matcher plus = DECODED_PLUS_OFFSET.matcher(value);
        String text = plus.matches() ? plus.group(1) + "+" + plus.group(2) : value;
        try {
            return Optional.of(java.time.Instant.parse(text));
        } catch (java.time.format.DateTimeParseException e) {
            return Optional.empty();
        }
    }

    /**
     * Refuses a query parameter the route does not take, rather than ignoring it: {@code ?version=2} on a route that
     * scores the deployed version, or {@code ?Explain=false} (names are case-sensitive), would otherwise be answered
     * as if it had not been sent. {@code code}, the function key Azure Functions reads from the query, is always
     * allowed. A name is repeated only when it is a plain name.
     */
    public void takesOnlyQuery(java.util.Set<String> names) {
        for (String name : query.keySet()) {
            if (!names.contains(name) && !name.equals(FUNCTION_KEY)) {
                throw new ValidationException("query parameter " + health.vigil.json.Json.quotedName(name)
                        + " is not one this route takes; it takes " + (names.isEmpty() ? "none"
                        : String.join(", ", new java.util.TreeSet<>(names))) + " (names are case-sensitive)");
            }
        }
    }

    /**
     * Who called and what the call carried by name and size only: the body holds patient data, the query may hold an
     * identifier and the headers a caller's API key, and a record's own text would print them all.
     */
    @Override
    public String toString() {
        int bodySize = bytes != null ? bytes.length : body.map(String::length).orElse(0);
        return "Call[principal=" + (principal == null ? null : principal.id()) + ", requestId=" + requestId
                + ", query=" + (query == null ? java.util.Set.of() : new java.util.TreeSet<>(query.keySet()))
                + ", headers=" + new java.util.TreeSet<>(headers.keySet()) + ", body="
                + (bytes != null ? bodySize + " bytes" : bodySize + " characters") + "]";
    }

    /** The query parameter in which Azure Functions accepts a function key. */
    private static final String FUNCTION_KEY = "code";

    /** A boolean query parameter; anything but true/false is a 400. */
    public boolean flag(String name, boolean fallback) {
        return queryParam(name).map(v -> switch (v.toLowerCase(java.util.Locale.ROOT)) {
            case "true", "1", "yes" -> true;
            case "false", "0", "no" -> false;
            default -> throw new ValidationException("query parameter '" + name + "' must be true or false"
                    + " (1 and yes, 0 and no are read the same)");
        }).orElse(fallback);
    }
}
