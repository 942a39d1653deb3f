package health.vigil.functions.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class CallTest {

    /** A body read whole into one record, as the inference routes read theirs. */
    record Reading(String id, List<Double> values) {}

    private static Call call(String body) {
        return new Call(null, "req-1", Map.of(), Optional.ofNullable(body), Map.of());
    }

    @Test
    void bothEndsOfAPeriodWrittenAsDatesAreNamedInOneAnswer() {
        Call call = new Call(null, "req-1", Map.of("from", "2026-11-01", "to", "2026-11-02"), Optional.empty(),
                Map.of());

        assertThatThrownBy(() -> call.requireInstantParams("from", "to")).isInstanceOf(ValidationException.class)
                .hasMessageStartingWith("query parameters 'from' and 'to' must be ISO-8601 times like");
        Call oneBad = new Call(null, "req-1", Map.of("from", "2026-11-01T00:00:00Z", "to", "2026-11-02"),
                Optional.empty(), Map.of());
        assertThatThrownBy(() -> oneBad.requireInstantParams("from", "to"))
                .hasMessageStartingWith("query parameter 'to' must be an ISO-8601 time like");
        assertThat(oneBad.instantParam("from")).contains(java.time.Instant.parse("2026-11-01T00:00:00Z"));
    }

    @Test
    void aTimeOutsideTheYears1900To9999IsRefusedWithTheRangeAndTheEndsOfTheRangeAreTaken() {
        // Year -1 would be named 0002 by a four-digit year of era; +10000 and the largest instant have five digits or
        // more.
        for (String outside : new String[] {"-0001-06-01T00:00:00Z", "0002-01-01T00:00:00Z", "1899-12-31T23:59:59Z",
            "1900-01-01T00:30:00+01:00", "+10000-01-01T00:00:00Z", "+1000000000-12-31T23:59:59.999999999Z",
            "9999-12-31T23:00:00-01:00"}) {
            Call call = new Call(null, "req-1", Map.of("from", outside, "to", "2026-11-02T00:00:00Z"), Optional.empty(),
                    Map.of());
            assertThatThrownBy(() -> call.requireInstantParams("from", "to")).as(outside)
                    .isInstanceOf(ValidationException.class)
                    .hasMessage("query parameter 'from' must be a time in the years 1900 to 9999 (UTC), like"
                            + " 2026-11-24T00:00:00Z");
            assertThatThrownBy(() -> call.instantParam("from")).as(outside).isInstanceOf(ValidationException.class);
        }
        Call both = new Call(null, "req-1", Map.of("from", "1000-01-01T00:00:00Z", "to", "+20000-01-01T00:00:00Z"),
                Optional.empty(), Map.of());
        assertThatThrownBy(() -> both.requireInstantParams("from", "to"))
                .hasMessageStartingWith("query parameters 'from' and 'to' must be times in the years 1900 to 9999");
        // A time that is not one at all is named first, as before.
        Call mixed = new Call(null, "req-1", Map.of("from", "1000-01-01T00:00:00Z", "to", "2026-11-02"),
                Optional.empty(), Map.of());
        assertThatThrownBy(() -> mixed.requireInstantParams("from", "to"))
                .hasMessageStartingWith("query parameter 'to' must be an ISO-8601 time like");
        Call ends = new Call(null, "req-1", Map.of("from", "1900-01-01T00:00:00Z", "to", "9999-12-31T23:59:59.999Z"),
                Optional.empty(), Map.of());
        assertThat(ends.instantParam("from")).contains(java.time.Instant.parse("1900-01-01T00:00:00Z"));
        assertThat(ends.instantParam("to")).contains(java.time.Instant.parse("9999-12-31T23:59:59.999Z"));
    }

    @Test
    void aTimeWithAnOffsetIsConvertedToUtcEvenWhenItsPlusArrivesAsTheSpaceAQueryStringMakesOfIt() {
        java.time.Instant utc = java.time.Instant.parse("2026-03-28T23:30:00Z");
        // '+' in a query string is a space once decoded (both hosts decode it so): what a caller typing the offset sends.
        for (String written : new String[] {"2026-03-29T01:30:00+02:00", "2026-03-29T01:30:00 02:00",
            "2026-03-28T18:30:00-05:00", "2026-03-28T23:30:00Z", "2026-03-28T23:30:00.000Z"}) {
            Call call = new Call(null, "req-1", Map.of("from", written), Optional.empty(), Map.of());
            assertThat(call.instantParam("from")).as(written).contains(utc);
        }
        assertThat(new Call(null, "req-1", Map.of("to", "2026-03-29T01:30:00.5 02:00"), Optional.empty(), Map.of())
                .instantParam("to")).contains(utc.plusMillis(500));
        for (String notATime : new String[] {"2026-03-29T01:30:00 0200", "2026-03-29 01:30:00", "2026-03-29T01:30 02:00",
            "2026-03-29T01:30:00  02:00"}) {
            Call call = new Call(null, "req-1", Map.of("from", notATime), Optional.empty(), Map.of());
            assertThatThrownBy(() -> call.instantParam("from")).as(notATime).isInstanceOf(ValidationException.class)
                    .hasMessageContaining("%2B01:00");
        }
    }

    @Test
    void aBodyIsBoundStraightToItsRecordAsTheTreeWouldHaveBeen() {
        String body = "{\"id\": \"r1\", \"values\": [0.1, 2, -3.5e2]}";
        Reading direct = call(body).json("the reading", Reading.class);
        assertThat(direct).isEqualTo(new Reading("r1", List.of(0.1, 2.0, -350.0)));
        assertThat(direct).isEqualTo(Json.convert("the reading", call(body).json(), Reading.class));
        assertThat(call("null").json("the reading", Reading.class)).isNull();
    }

    @Test
    void aMissingOrMalformedBodyIsAClientErrorThatSaysWhereWithoutTheValues() {
        for (String blank : new String[] {null, "", "  \n"}) {
            assertThatThrownBy(() -> call(blank).json("the reading", Reading.class))
                    .isInstanceOfSatisfying(ValidationException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_JSON);
                        assertThat(e.getMessage()).contains("has no body");
                    });
        }
        assertThatThrownBy(() -> call("{\"id\": \"MRN-4471\",\n \"values\": [1, }").json("the reading", Reading.class))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MALFORMED_JSON);
                    assertThat(e.getMessage()).startsWith("the reading is not valid JSON at line 2").doesNotContain("MRN");
                });
        assertThatThrownBy(() -> call("{\"id\": \"MRN-4471\", \"colour\": \"red\"}").json("the reading", Reading.class))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.getMessage())
                        .contains("unknown field 'colour'").doesNotContain("MRN").doesNotContain("red"));
        assertThatThrownBy(() -> call("{\"id\": \"a\", \"id\": \"b\"}").json("the reading", Reading.class))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.code())
                        .isEqualTo(ErrorCode.MALFORMED_JSON));
        assertThatThrownBy(() -> call("{\"id\": \"a\"} {}").json("the reading", Reading.class))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.code())
                        .isEqualTo(ErrorCode.MALFORMED_JSON));
        assertThatThrownBy(() -> call("{\"id\": \"MRN-4471\", \"values\": \"high\"}").json("the reading", Reading.class))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.getMessage())
                        .contains("does not have the expected structure").contains("values")
                        .doesNotContain("MRN").doesNotContain("high"));
    }

    @Test
    void anActionThatReadsNoBodyRefusesOneInsteadOfIgnoringIt() {
        for (String nothing : new String[] {null, "", " \n", "{}", " { \n } "}) {
            call(nothing).requireNoBody("the version is in the path");
        }
        for (String options : new String[] {"{\"version\": 2}", "[]", "null", "x", "{"}) {
            assertThatThrownBy(() -> call(options).requireNoBody("the version is in the path"))
                    .isInstanceOfSatisfying(ValidationException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST);
                        assertThat(e.getMessage()).isEqualTo("this action reads no request body: the version is in"
                                + " the path; send no body (or {})");
                    });
        }
    }

    // A call's text names what it carried, never the body, the query's values or a header's value (an API key).
    @Test
    void aCallsTextNamesWhatItCarriedWithoutTheBodyTheQueryValuesOrTheKey() {
        String body = "{\"patientId\":\"MRN-0042 Jane Doe\",\"features\":{}}";
        for (Call call : java.util.List.of(
                new Call(new health.vigil.security.Principal("app-1", java.util.Set.of()), "req-9",
                        Map.of("patient", "MRN-0042"), Optional.of(body), Map.of("x-api-key", "secret-key-123")),
                new Call(null, "req-9", Map.of("patient", "MRN-0042"), Optional.empty(),
                        Map.of("x-api-key", "secret-key-123"), body.getBytes(java.nio.charset.StandardCharsets.UTF_8)))) {
            assertThat(call.toString()).contains("req-9", "patient", "x-api-key", String.valueOf(body.length()))
                    .doesNotContain("MRN-0042", "Jane", "secret-key-123", "features");
        }
    }
}
