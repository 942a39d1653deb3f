package health.vigil.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RawRecordValidatorTest {
    private final RawRecordValidator validator = new RawRecordValidator(new FeatureSchema(List.of(
            Feature.integer("age", "years", 18, 110),
            Feature.categorical("sex", List.of("Female", "Male")).optional(),
            Feature.code("diag", Icd9Groups.PATTERN).optional())));

    @Test
    void namesTheFeatureAndRuleButNeverTheValue() {
        Map<String, Object> r = new HashMap<>(Map.of("age", 212L));
        assertThatThrownBy(() -> validator.validate(r, "row 3")).isInstanceOf(ValidationException.class)
                .hasMessageContaining("row 3").hasMessageContaining("'age' is out of range; allowed range is 18-110")
                .hasMessageNotContaining("212");
        Map<String, Object> code = new HashMap<>(Map.of("age", 40L, "diag", "4280"));
        assertThatThrownBy(() -> validator.validate(code, "row 4")).hasMessageContaining("'diag' is not a code")
                .hasMessageNotContaining("4280");
        assertThatThrownBy(() -> validator.validate(Map.of("age", 40L, "sex", "F"), "row 5"))
                .hasMessageContaining("'sex' is not one of the allowed categories");
        assertThatThrownBy(() -> validator.validate(Map.of("sex", "Male"), "row 6"))
                .hasMessageContaining("required feature 'age'");
        assertThatThrownBy(() -> validator.validate(Map.of("age", 40.0), "row 7"))
                .hasMessageContaining("'age' must be a whole number");
    }

    @Test
    void aRefusedValueOfAnOptionalFeatureSaysHowToSendItWhenItIsNotKnown() {
        // A source's own mark for a missing value ("?" in the UCI files) is a value, and is refused as one.
        assertThatThrownBy(() -> validator.validate(Map.of("age", 40L, "sex", "?"), "row 10"))
                .hasMessageContaining("'sex' is not one of the allowed categories [Female, Male]; it is optional:"
                        + " when it is not known, leave it out or send null")
                .hasMessageNotContaining("?;");
        assertThatThrownBy(() -> validator.validate(Map.of("age", 40L, "diag", "?"), "row 11"))
                .hasMessageEndingWith("; it is optional: when it is not known, leave it out or send null");
        // A required feature has no such way out.
        assertThatThrownBy(() -> validator.validate(Map.of("age", 212L), "row 12"))
                .hasMessageNotContaining("optional");
    }

    @Test
    void anUnknownFeatureIsNamedOnlyWhenItsNameIsAPlainName() {
        assertThatThrownBy(() -> validator.validate(Map.of("age", 40L, "weight_kg", 80.0), "row 8"))
                .hasMessageContaining("row 8 has an unknown feature 'weight_kg'; the schema lists [age, sex, diag]");
        // A key that is not a name may be a patient's details typed where a feature name goes: never repeated.
        assertThatThrownBy(() -> validator.validate(Map.of("age", 40L, "MRN-4471 Jane Doe", 1.0), "row 9"))
                .hasMessageContaining("row 9 has an unknown feature (its name, not repeated here,")
                .hasMessageNotContaining("MRN").hasMessageNotContaining("Jane");
    }

    // Scoring refuses such a value (RecordValidator), so an evaluation row holding one is a row the version cannot
    // score, not one its model is given as Infinity.
    @Test
    void aNumberBeyondA32BitFloatIsRefusedAsScoringRefusesItEvenWithoutARange() {
        RawRecordValidator unbounded = new RawRecordValidator(new FeatureSchema(List.of(
                new Feature("dose", FeatureType.NUMERIC, "mg", null, null, null, true, null),
                new Feature("level", FeatureType.NUMERIC, null, 0.0, Double.MAX_VALUE, null, false, null))));

        assertThatThrownBy(() -> unbounded.validate(Map.of("dose", 1e39), "row 2"))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_FEATURE))
                .hasMessage("row 2 feature 'dose' must be a finite number; it is too large for the model's input,"
                        + " a 32-bit float (beyond ±3.4e38)");
        assertThatThrownBy(() -> unbounded.validate(Map.of("dose", -1e39), "row 3"))
                .hasMessageContaining("'dose' must be a finite number; it is too large");
        assertThatThrownBy(() -> unbounded.validate(Map.of("dose", 1.0, "level", 1e300), "row 4"))
                .hasMessageEndingWith("a 32-bit float (beyond ±3.4e38); it is optional: when it is not known, leave"
                        + " it out or send null")
                .hasMessageNotContaining("1e300").hasMessageNotContaining("1.0E300");
        // The largest float itself reaches the model as it is.
        assertThatCode(() -> unbounded.validate(Map.of("dose", (double) Float.MAX_VALUE), "row 5"))
                .doesNotThrowAnyException();
    }

    @Test
    void acceptsAValidRecordWithOptionalsMissing() {
        assertThatCode(() -> validator.validate(Map.of("age", 40L, "diag", "V57.1"), "row 1")).doesNotThrowAnyException();
    }
}
