package health.vigil.functions.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ContentNegotiationTest {
    private static final List<String> CARD = List.of("application/json", "text/html", "text/markdown");

    private static String choose(String accept) {
        return ContentNegotiation.choose(Optional.ofNullable(accept), CARD);
    }

    @Test
    void noAcceptHeaderOrAnythingGetsTheRoutesFirstType() {
        assertThat(choose(null)).isEqualTo("application/json");
        assertThat(choose("*/*")).isEqualTo("application/json");
    }

    @Test
    void aBrowsersAcceptHeaderGetsHtml() {
        assertThat(choose("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")).isEqualTo("text/html");
    }

    @Test
    void theMostSpecificRangeDecidesAndTheHighestQualityWins() {
        assertThat(choose("text/*;q=0.5, text/markdown")).isEqualTo("text/markdown");
        assertThat(choose("text/markdown;q=0.2, application/json;q=0.1")).isEqualTo("text/markdown");
        // text/html is excluded by its own range even though text/* would admit it.
        assertThat(choose("text/html;q=0, text/*")).isEqualTo("text/markdown");
        assertThat(choose("TEXT/HTML")).isEqualTo("text/html");
    }

    @Test
    void nothingOfferedIsNotAcceptable() {
        for (String accept : List.of("image/png", "application/json;q=0", "application/xml, text/csv", "nonsense")) {
            assertThatThrownBy(() -> choose(accept)).isInstanceOfSatisfying(VigilException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.NOT_ACCEPTABLE));
        }
        assertThat(ErrorCode.NOT_ACCEPTABLE.httpStatus()).isEqualTo(406);
    }
}
