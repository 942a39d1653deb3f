package health.vigil.cli;

import health.vigil.html.HtmlText;

/**
 * Text that callers wrote (justifications, reasons, names, messages quoting them) as the CLI prints it on one line
 * of an operator's terminal: every control character, line break and tab, and every character that would reorder
 * or hide what follows (as the cards name them), shown by name as {@code [U+001B]}, so no stored text can move the
 * cursor, rewrite the screen or forge a line of output.
 */
final class TerminalText {
    private TerminalText() {}

    static String shown(String text) {
        return HtmlText.named(text.replace("\t", "[U+0009]").replace("\r", "[U+000D]").replace("\n", "[U+000A]"));
    }
}
