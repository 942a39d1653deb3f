package health.vigil.host;

import health.vigil.error.ValidationException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request's query string as the local host hands it to a function: one value per name, the first one given (as the
 * Functions host does), names and values URL-decoded as UTF-8 with {@code +} for a space. Decodes what Jetty's
 * {@code Request.extractQueryParameters} decodes under the server's default URI compliance, and refuses what it
 * refuses (a {@code %} without two hex digits after it, bytes that are not UTF-8), without its per-request builders:
 * the query of a scoring request ({@code ?explain=false}) was a tenth of what such a request allocated. One
 * difference: a last name whose UTF-8 is cut short ({@code ?a=1&b%C3}), which Jetty drops without a word, is refused
 * like every other broken encoding.
 */
final class QueryString {
    private QueryString() {}

    /** The decoded parameters of {@code raw} (the query as sent, without its {@code ?}); empty for none. */
    static Map<String, String> parse(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw == null || raw.isBlank()) {
            return query;
        }
        int start = 0;
        int length = raw.length();
        while (start <= length) {
            int end = raw.indexOf('&', start);
            if (end < 0) {
                end = length;
            }
            if (end > start) {
                int equals = raw.indexOf('=', start);
                if (equals < 0 || equals > end) {
                    query.putIfAbsent(decode(raw, start, end), "");
                } else {
                    String name = decode(raw, start, equals);
                    String value = decode(raw, equals + 1, end);
                    query.putIfAbsent(name, value);
                }
            }
            start = end + 1;
        }
        return query;
    }

    /** {@code raw[from, to)} URL-decoded; the substring itself when nothing in it is encoded. */
    private static String decode(String raw, int from, int to) {
        int i = from;
        while (i < to && raw.charAt(i) != '%' && raw.charAt(i) != '+') {
            i++;
        }
        if (i == to) {
            return raw.substring(from, to);
        }
        byte[] bytes = new byte[(to - from) * 3]; // a char that is not encoded is at most three UTF-8 bytes
        int size = 0;
        for (int k = from; k < to; k++) {
            char c = raw.charAt(k);
            if (c == '+') {
                bytes[size++] = ' ';
            } else if (c == '%') {
                int hi = k + 1 < to ? hex(raw.charAt(k + 1)) : -1;
                int lo = k + 2 < to ? hex(raw.charAt(k + 2)) : -1;
                if (hi < 0 || lo < 0) {
                    throw invalid();
                }
                bytes[size++] = (byte) (hi << 4 | lo);
                k += 2;
            } else if (c < 0x80) {
                bytes[size++] = (byte) c;
            } else {
                int n = Character.isHighSurrogate(c) && k + 1 < to && Character.isLowSurrogate(raw.charAt(k + 1)) ? 2 : 1;
                byte[] encoded = raw.substring(k, k + n).getBytes(StandardCharsets.UTF_8);
                System.arraycopy(encoded, 0, bytes, size, encoded.length);
                size += encoded.length;
                k += n - 1;
            }
        }
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes, 0, size))
                    .toString();
        } catch (CharacterCodingException e) {
            throw invalid();
        }
    }

    /** The value of an ASCII hex digit; -1 for any other character. */
    private static int hex(char c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        char lower = (char) (c | 0x20);
        return lower >= 'a' && lower <= 'f' ? lower - 'a' + 10 : -1;
    }

    private static ValidationException invalid() {
        return new ValidationException("the query string is not valid URL encoding");
    }
}
