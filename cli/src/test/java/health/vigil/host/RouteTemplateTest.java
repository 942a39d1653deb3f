package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RouteTemplateTest {

    private static List<String> path(String p) {
        return HttpFunctionHandler.PathSegments.decode(p);
    }

    @Test
    void literalsMatchCaseInsensitivelyAndParametersCaptureDecodedSegments() {
        RouteTemplate t = RouteTemplate.parse("v2/models/{name}/infer");

        assertThat(t.match(path("/V2/Models/readmission%20risk/infer"))).contains(Map.of("name", "readmission risk"));
        assertThat(t.match(path("/v2/models/a%2Fb/infer"))).contains(Map.of("name", "a/b"));
        assertThat(t.match(path("/v2/models/readmission"))).isEmpty();
        assertThat(t.match(path("/v2/models/readmission/infer/extra"))).isEmpty();
        assertThat(t.match(path("/v2/models/readmission/infer/"))).contains(Map.of("name", "readmission"));
    }

    @Test
    void intConstraintAcceptsOnlyWholeNumbersInRange() {
        RouteTemplate t = RouteTemplate.parse("/models/{name}/versions/{version:int}");

        assertThat(t.match(path("/models/m/versions/12"))).contains(Map.of("name", "m", "version", "12"));
        assertThat(t.match(path("/models/m/versions/-3"))).isPresent();
        assertThat(t.match(path("/models/m/versions/1.5"))).isEmpty();
        assertThat(t.match(path("/models/m/versions/latest"))).isEmpty();
        assertThat(t.match(path("/models/m/versions/99999999999"))).isEmpty();
    }

    @Test
    void otherConstraints() {
        assertThat(RouteTemplate.parse("x/{id:guid}").match(path("/x/0f8fad5b-d9cb-469f-a165-70867728950e"))).isPresent();
        assertThat(RouteTemplate.parse("x/{id:guid}").match(path("/x/not-a-guid"))).isEmpty();
        assertThat(RouteTemplate.parse("x/{a:alpha}").match(path("/x/abc"))).isPresent();
        assertThat(RouteTemplate.parse("x/{a:alpha}").match(path("/x/abc1"))).isEmpty();
        assertThat(RouteTemplate.parse("x/{a:minlength(3):maxlength(5)}").match(path("/x/ab"))).isEmpty();
        assertThat(RouteTemplate.parse("x/{a:minlength(3):maxlength(5)}").match(path("/x/abcd"))).isPresent();
        assertThat(RouteTemplate.parse("x/{a:range(1,10)}").match(path("/x/11"))).isEmpty();
        assertThat(RouteTemplate.parse("x/{a:range(1,10)}").match(path("/x/10"))).isPresent();
        assertThat(RouteTemplate.parse("x/{a:bool}").match(path("/x/TRUE"))).isPresent();
    }

    @Test
    void optionalAndCatchAllParameters() {
        RouteTemplate optional = RouteTemplate.parse("greet/{who?}");
        assertThat(optional.match(path("/greet"))).contains(Map.of());
        assertThat(optional.match(path("/greet/ann"))).contains(Map.of("who", "ann"));
        assertThat(optional.match(path("/greet/ann/bob"))).isEmpty();

        RouteTemplate catchAll = RouteTemplate.parse("files/{*rest}");
        assertThat(catchAll.match(path("/files/a/b/c.zip"))).contains(Map.of("rest", "a/b/c.zip"));
        assertThat(catchAll.match(path("/files"))).contains(Map.of());
    }

    @Test
    void literalSegmentsTakePrecedenceOverParameters() {
        List<RouteTemplate> routes = new ArrayList<>(Arrays.asList(
                RouteTemplate.parse("models/{*rest}"),
                RouteTemplate.parse("models/{name?}"),
                RouteTemplate.parse("models/{name}"),
                RouteTemplate.parse("models/{name:int}"),
                RouteTemplate.parse("models/latest")));
        routes.sort(null);

        assertThat(routes).extracting(RouteTemplate::toString)
                .containsExactly("models/latest", "models/{name:int}", "models/{name}", "models/{name?}", "models/{*rest}");
    }

    @Test
    void sameShapeMeansSamePathsWhateverTheParameterNamesAndCase() {
        assertThat(RouteTemplate.parse("/Models/{id}/").shape()).isEqualTo(RouteTemplate.parse("models/{name}").shape());
        assertThat(RouteTemplate.parse("models/{id:int}").shape()).isNotEqualTo(RouteTemplate.parse("models/{name}").shape());
    }

    @Test
    void templatesTheHostCannotHonourAreRefused() {
        assertThatThrownBy(() -> RouteTemplate.parse("models/{name=default}")).isInstanceOf(ValidationException.class)
                .hasMessageContaining("without a default value");
        assertThatThrownBy(() -> RouteTemplate.parse("models/{a}.{b}")).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> RouteTemplate.parse("models/{a?}/x")).isInstanceOf(ValidationException.class)
                .hasMessageContaining("only trailing parameters can be optional");
        assertThatThrownBy(() -> RouteTemplate.parse("{*a}/x")).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> RouteTemplate.parse("x/{a}/{A}")).isInstanceOf(ValidationException.class)
                .hasMessageContaining("twice");
        assertThatThrownBy(() -> RouteTemplate.parse("x/{a:regex(^\\d+$)}")).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> RouteTemplate.parse("x/{a:datetime}")).isInstanceOf(ValidationException.class)
                .hasMessageContaining("constraint datetime");
    }

    /** How paths were split before, with String.split: the reference the hand-written split must agree with. */
    private static List<String> splitAsBefore(String rawPath) {
        List<String> segments = new ArrayList<>();
        if (rawPath.isEmpty() || rawPath.equals("/")) {
            return segments;
        }
        String path = rawPath.startsWith("/") ? rawPath.substring(1) : rawPath;
        if (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        segments.addAll(Arrays.asList(path.split("/", -1)));
        return segments;
    }

    @Test
    void pathsSplitAsStringSplitDidOnRandomPaths() {
        String[] pieces = {"/", "/", "a", "score", "v2", "", "x y", "é"};
        java.util.Random random = new java.util.Random(49);
        for (int n = 0; n < 20_000; n++) {
            StringBuilder raw = new StringBuilder();
            for (int k = random.nextInt(8); k > 0; k--) {
                raw.append(pieces[random.nextInt(pieces.length)]);
            }
            String path = raw.toString();
            assertThat(HttpFunctionHandler.PathSegments.decode(path)).as(path).isEqualTo(splitAsBefore(path));
        }
        assertThat(HttpFunctionHandler.PathSegments.decode(null)).isEmpty();
    }
}
