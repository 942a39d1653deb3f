package health.vigil.functions.common;

import java.util.Objects;

/**
 * A handler's answer that is a web page (or a fragment of one) rather than JSON: {@link HttpApi} sends it as
 * {@code text/html} with a Content-Security-Policy that lets the page load nothing from anywhere.
 */
public record HtmlPage(String markup) {
    public HtmlPage {
        Objects.requireNonNull(markup, "markup");
    }
}
