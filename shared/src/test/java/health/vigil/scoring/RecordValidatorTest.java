package health.vigil.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ErrorCode;
import health.vigil.json.Json;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import health.vigil.registry.ServiceFixtures;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class RecordValidatorTest {
    /** What a refusal of an optional feature's value ends with. */
    private static final String OPTIONAL = "; it is optional: when it is not known, leave it out or send null";
    // age: integer 18-110 years; sex: female/male/unknown; bmi: optional numeric 10-80 kg/m2; diabetic: boolean.
    private final RecordValidator validator = new RecordValidator(ServiceFixtures.schema());

    private static Map<String, JsonNode> json(String body) {
        try {
            return Json.mapper().readValue(body, new TypeReference<Map<String, JsonNode>>() {});
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The single problem the record has; asserts it is INVALID_FEATURE and does not echo {@code sent}. */
    private String problem(String body, String sent) {
        FeatureValidationException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                FeatureValidationException.class, () -> validator.validate(json(body)));
        assertThat(e).as("expected a validation problem").isNotNull();
        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FEATURE);
        assertThat(e.httpStatus()).isEqualTo(400);
        assertThat(e.problems()).hasSize(1);
        assertThat(e.getMessage()).isEqualTo(e.problems().get(0));
        if (sent != null) {
            assertThat(e.getMessage()).doesNotContain(sent);
        }
        return e.getMessage();
    }

    // The typed values are an array beside the schema's names: as a map they must behave as the map of before did.
    @Test
    void typedValuesBehaveAsAReadOnlyMapInSchemaOrderWithMissingOptionalsPresentAsNull() {
        Map<String, Object> values = validator.validate(json("{\"diabetic\": false, \"sex\": \"female\", \"age\": 40}"));
        java.util.LinkedHashMap<String, Object> expected = new java.util.LinkedHashMap<>();
        expected.put("age", 40L);
        expected.put("sex", "female");
        expected.put("bmi", null);
        expected.put("diabetic", false);

        assertThat(values).isEqualTo(expected).hasSameHashCodeAs(expected).hasSize(4);
        assertThat(List.copyOf(values.keySet())).containsExactly("age", "sex", "bmi", "diabetic");
        assertThat(values.containsKey("bmi")).isTrue();
        assertThat(values.get("bmi")).isNull();
        assertThat(values.containsKey("weight")).isFalse();
        assertThat(values.get("weight")).isNull();
        assertThat(values.get(null)).isNull();
        assertThat(values.containsKey(null)).isFalse();
        assertThatThrownBy(() -> values.put("age", 41L)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> values.entrySet().iterator().next().setValue(41L))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> values.keySet().remove("age")).isInstanceOf(UnsupportedOperationException.class);
        assertThat(values).containsEntry("age", 40L);
    }

    // A scoring request's features are read where the parsed body holds them; the row must still be read-only.
    @Test
    void aRowOfParsedFieldsReadsTheFieldsInOrderAndCannotChangeThem() throws Exception {
        JsonNode features = Json.mapper().readTree("{\"sex\": \"male\", \"age\": 70, \"bmi\": null}");
        PatientRow row = PatientRow.ofFields("p-1", features);

        Map<String, JsonNode> copied = json("{\"sex\": \"male\", \"age\": 70, \"bmi\": null}");
        assertThat(row.features()).isEqualTo(copied).hasSize(3);
        assertThat(row).isEqualTo(new PatientRow("p-1", copied));
        assertThat(List.copyOf(row.features().keySet())).containsExactly("sex", "age", "bmi");
        assertThat(row.features().containsKey("bmi")).isTrue();
        assertThat(row.features().get("bmi").isNull()).isTrue();
        assertThat(row.features().containsKey("diabetic")).isFalse();
        assertThatThrownBy(() -> row.features().put("age", null)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> row.features().remove("age")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> row.features().keySet().iterator().remove())
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> row.features().entrySet().iterator().next().setValue(null))
                .isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> row.features().entrySet().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThat(features.size()).isEqualTo(3);
        assertThat(row.toString()).doesNotContain("male").doesNotContain("70").doesNotContain("p-1");
        assertThat(validator.check(0, row.features(), Set.of()).problems())
                .containsExactly("feature `diabetic` is required but missing");
    }

    @Test
    void aValidRecordBecomesTypedValuesInSchemaOrder() {
        Map<String, Object> values = validator.validate(json(
                "{\"diabetic\": true, \"sex\": \"male\", \"age\": 70, \"bmi\": 27.5}"));

        assertThat(values).containsExactly(Map.entry("age", 70L), Map.entry("sex", "male"),
                Map.entry("bmi", 27.5), Map.entry("diabetic", true));
        assertThat(values.get("age")).isInstanceOf(Long.class);
        assertThat(values.get("bmi")).isInstanceOf(Double.class);
    }

    @Test
    void aMissingOrNullOptionalFeatureIsNull() {
        assertThat(validator.validate(json("{\"age\": 70, \"sex\": \"female\", \"diabetic\": false}")))
                .containsEntry("bmi", null).hasSize(4);
        assertThat(validator.validate(json("{\"age\": 70, \"sex\": \"female\", \"bmi\": null, \"diabetic\": false}")))
                .containsEntry("bmi", null);
    }

    @Test
    void aWholeNumberWrittenWithADecimalPointIsAnInteger() {
        assertThat(validator.validate(json("{\"age\": 70.0, \"sex\": \"female\", \"diabetic\": false}")))
                .containsEntry("age", 70L);
    }

    @Test
    void aNumericFeatureTakesIntegersToo() {
        assertThat(validator.validate(json("{\"age\": 70, \"sex\": \"female\", \"bmi\": 30, \"diabetic\": false}")))
                .containsEntry("bmi", 30.0);
    }

    @Test
    void aMissingRequiredFeatureIsNamed() {
        assertThat(problem("{\"sex\": \"female\", \"diabetic\": false}", null))
                .isEqualTo("feature `age` is required but missing");
    }

    @Test
    void anExplicitNullForARequiredFeatureIsNamed() {
        assertThat(problem("{\"age\": null, \"sex\": \"female\", \"diabetic\": false}", null))
                .isEqualTo("feature `age` is required and cannot be null");
    }

    @Test
    void anUnknownFeatureListsTheValidNames() {
        assertThat(problem("{\"age\": 70, \"agee\": 70, \"sex\": \"female\", \"diabetic\": false}", null))
                .isEqualTo("feature `agee` is not an input of this model; valid features are: age, sex, bmi, diabetic");
    }

    @Test
    void anUnknownFieldWhoseNameCouldBeAnythingIsNotEchoed() {
        assertThat(problem("{\"age\": 70, \"Jane Doe 1970-01-01\": 1, \"sex\": \"female\", \"diabetic\": false}",
                "Jane Doe")).contains("not a valid feature name (not shown)").contains("valid features are: age, sex");
    }

    // Hyphens and dots are in no feature name, but in record numbers, dates and phone numbers typed as keys.
    @ParameterizedTest
    @ValueSource(strings = {"MRN-4417-0093", "1970-01-01", "555.123.4567"})
    void anUnknownFieldNamedLikeARecordNumberDateOrPhoneIsNotEchoed(String key) {
        assertThat(problem("{\"age\": 70, \"" + key + "\": 1, \"sex\": \"female\", \"diabetic\": false}", key))
                .isEqualTo("a field whose name is not a valid feature name (not shown) is not an input of this"
                        + " model; valid features are: age, sex, bmi, diabetic");
    }

    @Test
    void anUnknownFieldAcceptedForAnotherVersionIsIgnored() {
        RecordValidator.Checked checked = validator.check(1,
                json("{\"age\": 70, \"egfr\": 55, \"sex\": \"female\", \"diabetic\": false}"), Set.of("egfr"));

        assertThat(checked.valid()).isTrue();
        assertThat(checked.values()).doesNotContainKey("egfr");
    }

    @Test
    void aNumberSentAsAStringIsTheWrongTypeAndSaysHowToSendIt() {
        assertThat(problem("{\"age\": \"71\", \"sex\": \"female\", \"diabetic\": false}", "71"))
                .isEqualTo("feature `age` must be a JSON number (integer); got a string: send it without quotes");
    }

    @Test
    void otherWrongTypesSayTheExpectedType() {
        assertThat(problem("{\"age\": 70, \"sex\": 1, \"diabetic\": false}", null))
                .startsWith("feature `sex` must be a string (categorical); got a number");
        assertThat(problem("{\"age\": 70, \"sex\": \"female\", \"diabetic\": \"yes\"}", "yes"))
                .isEqualTo("feature `diabetic` must be true or false (boolean); got a string");
        assertThat(problem("{\"age\": 70, \"sex\": \"female\", \"bmi\": [27], \"diabetic\": true}", null))
                .isEqualTo("feature `bmi` must be a JSON number (numeric); got an array" + OPTIONAL);
        assertThat(problem("{\"age\": {\"v\": 7}, \"sex\": \"female\", \"diabetic\": true}", null))
                .isEqualTo("feature `age` must be a JSON number (integer); got an object");
        assertThat(problem("{\"age\": 70, \"sex\": \"female\", \"diabetic\": 1}", null))
                .isEqualTo("feature `diabetic` must be true or false (boolean); got a number");
    }

    @ParameterizedTest
    @CsvSource({"212, age", "17, age", "-3, age"})
    void anIntegerOutOfRangeGivesTheRangeButNotTheValue(String value, String feature) {
        assertThat(problem("{\"age\": " + value + ", \"sex\": \"female\", \"diabetic\": false}", value))
                .isEqualTo("feature `age` is out of range; allowed range is 18 to 110 years");
    }

    @Test
    void aNumberOutOfRangeGivesTheRangeButNotTheValue() {
        assertThat(problem("{\"age\": 70, \"sex\": \"female\", \"bmi\": 80.25, \"diabetic\": false}", "80.25"))
                .isEqualTo("feature `bmi` is out of range; allowed range is 10 to 80 kg/m2" + OPTIONAL);
    }

    /**
     * As the feature pipeline's validator says it: a refused value of an optional feature says how to send one that is
     * not known (a source's own mark for a missing value, such as "?" in the UCI files, is a value, refused as one).
     */
    @Test
    void aRefusedValueOfAnOptionalFeatureSaysHowToSendItWhenItIsNotKnown() {
        RecordValidator withRace = new RecordValidator(new FeatureSchema(List.of(
                Feature.integer("age", "years", 18, 110),
                Feature.categorical("race", List.of("Caucasian", "AfricanAmerican")).optional())));
        assertThatThrownBy(() -> withRace.validate(1, json("{\"age\": 40, \"race\": \"?\"}")))
                .isInstanceOf(FeatureValidationException.class)
                .hasMessage("row 1: feature `race` is not one of the allowed categories: Caucasian, AfricanAmerican"
                        + " (categories are case-sensitive); it is optional: when it is not known, leave it out or send"
                        + " null");
        assertThat(problem("{\"age\": 70, \"sex\": \"female\", \"bmi\": \"?\", \"diabetic\": false}", "?"))
                .isEqualTo("feature `bmi` must be a JSON number (numeric); got a string: send it without quotes"
                        + OPTIONAL);
        assertThat(problem("{\"age\": 70, \"sex\": \"female\", \"bmi\": \"NaN\", \"diabetic\": false}", null))
                .isEqualTo("feature `bmi` must be a finite number; NaN and Infinity are not allowed" + OPTIONAL);
        // A required feature has no such way out (nor has age out of range, above).
        assertThat(problem("{\"age\": \"NaN\", \"sex\": \"female\", \"diabetic\": false}", null))
                .isEqualTo("feature `age` must be a finite number; NaN and Infinity are not allowed");
    }

    @Test
    void theBoundsThemselvesAreInRange() {
        assertThat(validator.validate(json("{\"age\": 18, \"sex\": \"female\", \"bmi\": 80, \"diabetic\": false}")))
                .containsEntry("age", 18L).containsEntry("bmi", 80.0);
        assertThat(validator.validate(json("{\"age\": 110, \"sex\": \"female\", \"bmi\": 10, \"diabetic\": false}")))
                .containsEntry("age", 110L);
    }

    @Test
    void oneSidedRangesSayWhichSide() {
        RecordValidator oneSided = new RecordValidator(new FeatureSchema(List.of(
                new Feature("creatinine", FeatureType.NUMERIC, "mg/dL", 0.0, null, null, true, null),
                new Feature("delta", FeatureType.NUMERIC, null, null, 0.5, null, true, null))));

        assertThatThrownBy(() -> oneSided.validate(json("{\"creatinine\": -1, \"delta\": 0.75}")))
                .isInstanceOfSatisfying(FeatureValidationException.class, e -> assertThat(e.problems()).containsExactly(
                        "feature `creatinine` is out of range; it must be at least 0 mg/dL",
                        "feature `delta` is out of range; it must be at most 0.5"));
    }

    @Test
    void anIntegerWithAFractionIsRejectedWithoutEchoingIt() {
        assertThat(problem("{\"age\": 70.5, \"sex\": \"female\", \"diabetic\": false}", "70.5"))
                .isEqualTo("feature `age` must be a whole number (integer); it has a fractional part");
    }

    @ParameterizedTest
    @ValueSource(strings = {"NaN", "Infinity", "-Infinity", "nan", "-inf"})
    void notANumberAndInfinityAsStringsAreRejectedAsNonFinite(String spelling) {
        assertThat(problem("{\"age\": 70, \"sex\": \"female\", \"bmi\": \"" + spelling + "\", \"diabetic\": false}", null))
                .startsWith("feature `bmi` must be a finite number; NaN and Infinity are not allowed");
    }

    @Test
    void aNumberThatOverflowsADoubleIsRejectedNotTreatedAsInfinity() {
        Map<String, JsonNode> record = json("{\"age\": 70, \"sex\": \"female\", \"bmi\": 1e400, \"diabetic\": false}");
        assertThat(Double.isInfinite(record.get("bmi").doubleValue())).as("the JSON parser overflows to infinity").isTrue();

        assertThat(problem("{\"age\": 70, \"sex\": \"female\", \"bmi\": 1e400, \"diabetic\": false}", "1e400"))
                .startsWith("feature `bmi` must be a finite number; it is too large for a 64-bit float");
        assertThat(problem("{\"age\": 1" + "0".repeat(400) + ", \"sex\": \"female\", \"diabetic\": false}", null))
                .startsWith("feature `age` must be a finite number");
    }

    @Test
    void aNumberBeyondTheModelsThirtyTwoBitFloatIsRejectedWhenNoRangeCatchesIt() {
        // The model takes 32-bit floats: 1e39 is a finite double, but would reach it as Infinity.
        RecordValidator unbounded = new RecordValidator(new FeatureSchema(List.of(
                new Feature("dose", FeatureType.NUMERIC, null, null, null, null, true, null),
                new Feature("level", FeatureType.NUMERIC, null, -1e300, 1e300, null, false, null))));
        String tooLarge = "feature `dose` must be a finite number; it is too large for the model's input, a 32-bit"
                + " float (beyond ±3.4e38)";

        for (String sent : new String[] {"1e39", "-1e39", "3.5e38", "1.7976931348623157e308"}) {
            FeatureValidationException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                    FeatureValidationException.class, () -> unbounded.validate(json("{\"dose\": " + sent + "}")));
            assertThat(e).as(sent).isNotNull();
            assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FEATURE);
            assertThat(e.httpStatus()).isEqualTo(400);
            assertThat(e.problems()).as(sent).containsExactly(tooLarge);
        }
        assertThatThrownBy(() -> unbounded.validate(json("{\"dose\": 1, \"level\": 1e39}")))
                .isInstanceOf(FeatureValidationException.class)
                .hasMessage("feature `level` must be a finite number; it is too large for the model's input, a 32-bit"
                        + " float (beyond ±3.4e38); it is optional: when it is not known, leave it out or send null");
        // The largest float is still a number the model can take.
        assertThat(unbounded.validate(json("{\"dose\": 3.4e38, \"level\": -3.4e38}")))
                .containsEntry("dose", 3.4e38).containsEntry("level", -3.4e38);
    }

    @Test
    void anIntegerBeyondSixtyFourBitsIsRejectedWhenNoRangeCatchesIt() {
        RecordValidator unbounded = new RecordValidator(new FeatureSchema(List.of(
                new Feature("count", FeatureType.INTEGER, null, null, null, null, true, null))));

        assertThatThrownBy(() -> unbounded.validate(json("{\"count\": 36893488147419103232}")))
                .isInstanceOf(FeatureValidationException.class)
                .hasMessage("feature `count` does not fit a 64-bit integer");
        assertThat(unbounded.validate(json("{\"count\": 9223372036854775807}"))).containsEntry("count", Long.MAX_VALUE);
    }

    @Test
    void anUnknownCategoryListsTheAllowedOnesWithoutEchoingTheValue() {
        assertThat(problem("{\"age\": 70, \"sex\": \"Xyzzy\", \"diabetic\": false}", "Xyzzy"))
                .isEqualTo("feature `sex` is not one of the allowed categories: female, male, unknown"
                        + " (categories are case-sensitive)");
    }

    @Test
    void aRowNumberPrefixesEveryProblemAndAllProblemsOfTheRowAreListed() {
        assertThatThrownBy(() -> validator.validate(3, json("{\"age\": 212, \"sex\": \"Xyzzy\", \"size\": 1}")))
                .isInstanceOfSatisfying(FeatureValidationException.class, e -> {
                    assertThat(e.problems()).containsExactly(
                            "row 3: feature `age` is out of range; allowed range is 18 to 110 years",
                            "row 3: feature `sex` is not one of the allowed categories: female, male, unknown"
                                    + " (categories are case-sensitive)",
                            "row 3: feature `diabetic` is required but missing",
                            "row 3: feature `size` is not an input of this model; valid features are: age, sex, bmi, diabetic");
                    assertThat(e.getMessage()).isEqualTo(String.join("; ", e.problems()));
                });
    }

    @Test
    void aLongListOfProblemsIsCountedAfterTheFirstTwenty() {
        List<String> problems = java.util.stream.IntStream.rangeClosed(1, 25).mapToObj(i -> "row " + i + ": x").toList();

        FeatureValidationException e = new FeatureValidationException(problems);

        assertThat(e.getMessage()).contains("row 20: x").doesNotContain("row 21").endsWith("; and 5 more problems");
        assertThat(e.problems()).hasSize(25);
    }

    @Test
    void aNullRecordIsMissingEveryRequiredFeature() {
        assertThatThrownBy(() -> validator.validate(2, null)).isInstanceOfSatisfying(FeatureValidationException.class,
                e -> assertThat(e.problems()).containsExactly("row 2: feature `age` is required but missing",
                        "row 2: feature `sex` is required but missing", "row 2: feature `diabetic` is required but missing"));
    }

    @Test
    void anInvalidCodeIsRefusedInThePatternsWordsWhenTheFeatureHasThemNeverWithTheValueSent() {
        RecordValidator readmission = new RecordValidator(health.vigil.features.ReadmissionFeatures.pipeline().rawSchema());
        List<String> problems = readmission.check(1, json("{\"diag_1\": \"MRN-0042\"}"), Set.of()).problems();

        assertThat(problems).filteredOn(p -> p.contains("diag_1")).singleElement().asString()
                .contains("feature `diag_1` must be an ICD-9-CM code such as 428, 250.01, V57.1 or E880.9")
                .doesNotContain("\\d", "MRN-0042");

        // Without words for its pattern, a code feature's refusal quotes the pattern, as before.
        RecordValidator plain = new RecordValidator(new FeatureSchema(List.of(Feature.code("ward", "[A-Z][0-9]"))));
        assertThat(plain.check(1, json("{\"ward\": \"MRN-0042\"}"), Set.of()).problems()).singleElement().asString()
                .contains("must be a code matching [A-Z][0-9]").doesNotContain("MRN-0042");
    }
}
