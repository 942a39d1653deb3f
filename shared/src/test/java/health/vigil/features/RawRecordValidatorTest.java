package health.vigil.features;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.assertThatCode;

import health.vigil.error.ValidationException;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
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

    @Test
    void acceptsAValidRecordWithOptionalsMissing() {
        assertThatCode(() -> validator.validate(Map.of("age", 40L, "diag", "V57.1"), "row 1")).doesNotThrowAnyException();
    }
}
