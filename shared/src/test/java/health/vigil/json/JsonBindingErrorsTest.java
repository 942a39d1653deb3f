package health.vigil.json;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a caller reads when a body parses as JSON but does not bind to the type it was sent for. */
class JsonBindingErrorsTest {

    record Tensor(String name, List<Long> shape) {}

    record Request(List<Tensor> inputs, Map<String, Tensor> named) {}

    private static String problem(String json) {
        ValidationException e = catchThrowableOfType(() -> Json.read("the request", json, Request.class),
                ValidationException.class);
        assertThat(e).as("expected a refusal of " + json).isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_JSON);
        return e.getMessage();
    }

    @Test
    void aValueOfTheWrongTypeIsPlacedByTheFieldsTheCallerWroteWithoutJavaClassNames() {
        assertThat(problem("{\"inputs\": [1]}"))
                .isEqualTo("the request does not have the expected structure (at inputs[0]) at line 1, column 13");
        assertThat(problem("{\"inputs\": [{\"name\": \"a\", \"shape\": [1]}, {\"name\": \"b\", \"shape\": \"wide\"}]}"))
                .startsWith("the request does not have the expected structure (at inputs[1].shape)")
                .doesNotContain("wide").doesNotContain("java.");
        assertThat(problem("{\"named\": {\"age\": {\"shape\": {}}}}"))
                .startsWith("the request does not have the expected structure (at named.age.shape)");
        assertThat(problem("{\"inputs\": 3}")).startsWith("the request does not have the expected structure (at inputs)");
    }

    @Test
    void aKeyThatIsNotAFieldNameIsNotEchoed() {
        assertThat(problem("{\"named\": {\"MRN-4471 Jane Doe\": {\"shape\": \"x\"}}}"))
                .startsWith("the request does not have the expected structure (at named.*.shape)")
                .doesNotContain("MRN").doesNotContain("Jane");
    }

    @Test
    void anUnknownFieldIsNamedOnlyWhenItsNameIsAPlainName() {
        assertThat(problem("{\"inputs\": [], \"colour\": 1}")).startsWith("the request has an unknown field 'colour'");
        assertThat(problem("{\"inputs\": [], \"MRN-4471 Jane Doe\": 1}"))
                .startsWith("the request has an unknown field (its name, not repeated here, is not letters, digits and"
                        + " underscores)")
                .doesNotContain("MRN").doesNotContain("Jane");
        assertThat(problem("{\"inputs\": [{\"name\": \"a\", \"shape\": [1], \"1961-05-02\": 0}]}"))
                .startsWith("the request has an unknown field (its name").doesNotContain("1961");
    }

    record Limited(int count, double share) {
        Limited {
            if (count > 100) {
                throw new ValidationException("count is " + count + "; use 100 or fewer");
            }
        }
    }

    @Test
    void numbersAreNumbersAndWholeNumbersAreWhole() {
        for (String body : new String[] {"{\"count\": 10.5, \"share\": 0.5}", "{\"count\": \"10\", \"share\": 0.5}",
                "{\"count\": 10, \"share\": \"0.5\"}", "{\"count\": true, \"share\": 0.5}"}) {
            ValidationException e = catchThrowableOfType(() -> Json.read("the body", body, Limited.class),
                    ValidationException.class);
            assertThat(e).as(body).isNotNull();
            assertThat(e.code()).as(body).isEqualTo(ErrorCode.MALFORMED_JSON);
        }
        assertThat(Json.read("the body", "{\"count\": 10, \"share\": 1}", Limited.class).share()).isEqualTo(1.0);
    }

    record Named(String id) {}

    @Test
    void textIsTextAndANumberOrTrueIsNotConvertedToIt() {
        for (String body : new String[] {"{\"id\": 5}", "{\"id\": 5.5}", "{\"id\": true}"}) {
            ValidationException e = catchThrowableOfType(() -> Json.read("the body", body, Named.class),
                    ValidationException.class);
            assertThat(e).as(body).isNotNull();
            assertThat(e.code()).as(body).isEqualTo(ErrorCode.MALFORMED_JSON);
            assertThat(e.getMessage()).as(body).contains("(at id)").doesNotContain("java.lang");
        }
        assertThat(Json.read("the body", "{\"id\": \"5\"}", Named.class).id()).isEqualTo("5");
    }

    @Test
    void aValueThatBreaksItsRecordsRuleIsThatRulesErrorWithoutAPlaceThatIsNotThere() {
        ValidationException read = catchThrowableOfType(() -> Json.read("the body", "{\"count\": 500, \"share\": 0}",
                Limited.class), ValidationException.class);
        assertThat(read.code()).as("the JSON was fine; the value was not").isEqualTo(ErrorCode.INVALID_REQUEST);
        assertThat(read.getMessage()).isEqualTo("the body at line 1, column 26: count is 500; use 100 or fewer");
        ValidationException converted = catchThrowableOfType(() -> Json.convert("the body",
                Json.readTree("t", "{\"count\": 500, \"share\": 0}"), Limited.class), ValidationException.class);
        assertThat(converted.getMessage()).isEqualTo("the body: count is 500; use 100 or fewer");
    }

    @Test
    void aSyntaxErrorInsideAFieldIsStillCalledOne() {
        assertThat(problem("{\"inputs\": [{\"name\": \"a\",\n \"shape\": [1, }]}"))
                .startsWith("the request is not valid JSON at line 2");
    }
}
