package health.vigil.audit;

import java.nio.charset.StandardCharsets;

/**
 * Netstrings ({@code <UTF-8 byte length>:<bytes>,}): the unambiguous serialisation behind audit record hashes
 * and evidence signatures. Length prefixes mean no choice of field contents can make two different sequences
 * of values serialise to the same bytes.
 */
final class Netstrings {
    private Netstrings() {}

    static void append(StringBuilder out, String value) {
        out.append(value.getBytes(StandardCharsets.UTF_8).length).append(':').append(value).append(',');
    }
}
