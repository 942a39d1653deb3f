package health.vigil.functions.common;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.security.Principal;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CallTest {

    private static boolean json(String accept) {
        Map<String, String> headers = accept == null ? Map.of() : Map.of("accept", accept);
        return new Call(Principal.SYSTEM, "r-1", Map.of(), Optional.empty(), headers).prefersJson();
    }

    @Test
    void jsonOnlyWhenTheAcceptHeaderRanksItAboveHtml() {
        assertThat(json("application/json")).isTrue();
        assertThat(json("text/html, application/json;q=0.9")).isFalse();
        assertThat(json("text/html;q=0.5, application/json")).isTrue();
        assertThat(json("application/json, text/html")).isTrue();
        assertThat(json("text/html, application/json")).isFalse();
        // What a browser sends: a page.
        assertThat(json("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")).isFalse();
        assertThat(json("*/*")).isFalse();
        assertThat(json(null)).isFalse();
        assertThat(json("application/json;q=0")).isFalse();
        assertThat(json("application/json;q=oops")).isFalse();
    }
}
