package health.vigil.modelpackage;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.PackageRejectedException;
import health.vigil.error.PackageRejectedException.Reason;
import health.vigil.json.Json;
import java.util.Iterator;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The check that every text of an uploaded manifest is plain text, as the approver who signs the package reads it and
 * as the command line and the API answers show it: no control character, line or paragraph separator, invisible
 * formatting character (a direction override reverses the words after it) or broken UTF-8, in any field or map key.
 * The prose fields may hold tabs and line breaks (LF or CRLF); a carriage return alone rewrites a terminal's line.
 * A refusal names the field and the character's code point, never the text.
 */
final class ManifestText {
    /** The fields written as prose: the description, intended use, limitations, feature descriptions, card texts. */
    private static final Pattern PROSE = Pattern.compile("description|intendedUse|limitations\\[\\d+]"
            + "|features\\[\\d+]\\.description|card\\.(?!inputVariables|decisionRole)\\w+(\\[\\d+])?");
    private static final String PROSE_FIELDS = "description, intendedUse, limitations, features[].description and"
            + " the card's texts";

    private ManifestText() {
    }

    /** Refuses the manifest (as read from manifest.json) when any of its texts is not plain text. */
    static void check(JsonNode manifest) {
        check("", manifest);
    }

    private static void check(String path, JsonNode node) {
        if (node.isTextual()) {
            checkText("field '" + path + "'", node.textValue(), PROSE.matcher(path).matches());
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                check(path + "[" + i + "]", node.get(i));
            }
        } else if (node.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> fields = node.fields(); fields.hasNext(); ) {
                Map.Entry<String, JsonNode> field = fields.next();
                String key = field.getKey();
                checkText("a key of field '" + path + "'", key, false);
                String name = Json.isPlainName(key) ? key : "*";
                check(path.isEmpty() ? name : path + "." + name, field.getValue());
            }
        }
    }

    private static void checkText(String where, String text, boolean prose) {
        // Replaced one for one, so that an index into the copy is an index into the text.
        String checked = prose ? text.replace("\r\n", "  ").replace('\n', ' ').replace('\t', ' ') : text;
        int at = Json.firstUnprintable(checked);
        if (at < 0) {
            return;
        }
        int c = text.codePointAt(at);
        String lineBreak = c == '\n' || c == '\r' || c == '\t'
                ? "; tabs and line breaks (LF or CRLF) are kept only in " + PROSE_FIELDS + ", and a carriage return"
                        + " only before a line feed"
                : "";
        throw new PackageRejectedException(Reason.INVALID_MANIFEST, "manifest.json: " + where + " holds "
                + String.format(Locale.ROOT, "U+%04X", c) + " (" + kind(c) + ") at character " + (at + 1) + lineBreak
                + "; the manifest's text is signed and shown to its approver, so it must be plain text: remove it and"
                + " upload the package again");
    }

    private static String kind(int c) {
        if (c == 0xFFFD) {
            return "the replacement character, left where bytes were not UTF-8";
        }
        return switch (Character.getType(c)) {
            case Character.SURROGATE -> "half a surrogate pair";
            case Character.CONTROL -> "a control character";
            case Character.LINE_SEPARATOR, Character.PARAGRAPH_SEPARATOR -> "a line or paragraph separator";
            default -> "an invisible formatting character, such as a direction override that reverses the words"
                    + " after it";
        };
    }
}
