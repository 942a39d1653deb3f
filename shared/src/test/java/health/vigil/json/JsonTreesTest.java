package health.vigil.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What every request body parsed as a tree is held to, from bytes and from text alike. */
class JsonTreesTest {
    private static void refused(String body, String... says) {
        for (Runnable read : List.<Runnable>of(() -> Json.readTree("the body", body),
                () -> Json.readTree("the body", body.getBytes(StandardCharsets.UTF_8)))) {
            assertThatThrownBy(read::run).as(body).isInstanceOf(ValidationException.class)
                    .satisfies(e -> assertThat(((ValidationException) e).code()).isEqualTo(ErrorCode.MALFORMED_JSON))
                    .hasMessageStartingWith("the body").hasMessageContainingAll(says);
        }
    }

    @Test
    void aRepeatedKeyAnywhereInTheDocumentIsRefusedNotSilentlyResolved() {
        refused("{\"patientId\": \"a\", \"patientId\": \"b\"}", "line 1");
        refused("{\"features\": {\"age\": 70, \"bmi\": 20, \"age\": 18}}", "line 1");
        refused("{\"records\": [{\"features\": {}}, {\"features\": {\"x\": 1, \"x\": 1}}]}", "line 1");
        refused("{\"a\": 1,\n \"b\": {\"c\": [{\"d\": null,\n \"d\": null}]}}", "line 3");
        // The typed path keeps the parser's own detector.
        assertThatThrownBy(() -> Json.read("the body", "{\"a\": 1, \"a\": 2}".getBytes(StandardCharsets.UTF_8),
                Map.class)).isInstanceOf(ValidationException.class);
    }

    @Test
    void aLimitOfTheReaderOrARepeatedFieldIsNamedInTheMessage() {
        refused("{\"patientId\": \"a\", \"patientId\": \"b\"}", "gives the field 'patientId' more than once");
        refused("{\"MRN 5551234\": 1, \"MRN 5551234\": 2}", "gives the field (its name, not repeated here");
        refused("{\"a\": " + "[".repeat(1_200) + "]".repeat(1_200) + "}", "nests arrays or objects more than 1000 levels deep");
        refused("{\"a\": " + "9".repeat(5_000) + "}", "has a number longer than 1000 characters");
        refused("{\"" + "k".repeat(60_000) + "\": 1}", "has a field name longer than 50000 characters");
        assertThatThrownBy(() -> Json.read("the body", ("{\"a\": " + "[".repeat(1_200) + "]".repeat(1_200) + "}")
                .getBytes(StandardCharsets.UTF_8), Map.class)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("more than 1000 levels deep");
    }

    @Test
    void emptyTrailingAndBrokenDocumentsAreRefusedAsBefore() {
        refused("", "is empty");
        refused("   ", "is empty");
        refused("{} {}", "line 1");
        refused("{\"a\": tru}", "is not valid JSON", "line 1");
    }

    @Test
    void distinctKeysInDifferentObjectsAreFineAndKeepTheirOrder() {
        String body = "{\"b\": {\"x\": 1}, \"a\": {\"x\": 2}, \"c\": [{\"x\": 3}, {\"x\": 4}]}";
        assertThat(Json.readTree("the body", body)).isEqualTo(Json.readTree("the body",
                body.getBytes(StandardCharsets.UTF_8)));
        assertThat(List.copyOf(Json.readTree("the body", body).properties()).stream().map(Map.Entry::getKey))
                .containsExactly("b", "a", "c");
        assertThat(Json.readTree("the body", body).at("/c/1/x").asInt()).isEqualTo(4);
    }

    @Test
    void fieldNamesFromCallersAreNotInternedIntoTheJvmsStringTable() throws Exception {
        // A canonical copy of a made-up name is interned first: an interning parser would hand back that very string.
        String made = "field_" + java.util.UUID.randomUUID().toString().replace("-", "");
        String canonical = new String(made.toCharArray()).intern();
        byte[] body = ("{\"" + made + "\": 1}").getBytes(StandardCharsets.UTF_8);

        String fromTree = Json.readTree("a body", body).fieldNames().next();
        String fromParser;
        try (com.fasterxml.jackson.core.JsonParser parser = Json.mapper().createParser(body)) {
            parser.nextToken();
            parser.nextToken();
            fromParser = parser.currentName();
        }

        assertThat(fromTree).isEqualTo(made).isNotSameAs(canonical);
        assertThat(fromParser).isEqualTo(made).isNotSameAs(canonical);
    }
}
