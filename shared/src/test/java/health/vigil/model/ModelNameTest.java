package health.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ModelNameTest {
    private static final Pattern RULE = Pattern.compile(ModelName.PATTERN);

    @Test
    void aNameIsAcceptedExactlyWhenItMatchesTheDocumentedPattern() {
        List<String> names = new ArrayList<>(List.of("readmission-risk", "abc", "a1b", "a-b", "ab", "abc-", "1abc",
                "-abc", "Abc", "aBc", "a_b", "a.b", "a b", "a\u00e9b", "a\u0661b", "ab\u212A", "a".repeat(63),
                "a".repeat(64), "a".repeat(62) + "-", "a" + "-".repeat(61) + "b", ""));
        Random random = new Random(11);
        String alphabet = "az09-AZ_.é\u212A\u0661 ";
        for (int n = 0; n < 50_000; n++) {
            StringBuilder name = new StringBuilder();
            int length = random.nextInt(8) == 0 ? 60 + random.nextInt(6) : random.nextInt(8);
            for (int k = 0; k < length; k++) {
                name.append(random.nextInt(4) == 0 ? alphabet.charAt(random.nextInt(alphabet.length()))
                        : (char) ('a' + random.nextInt(26)));
            }
            names.add(name.toString());
        }
        for (String name : names) {
            boolean rule = RULE.matcher(name).matches();
            assertThat(ModelName.isValid(name)).as(name).isEqualTo(rule);
            if (rule) {
                assertThat(new ModelName(name).value()).isEqualTo(name);
            } else {
                assertThatThrownBy(() -> new ModelName(name)).isInstanceOf(ValidationException.class)
                        .hasMessageContaining("is not valid");
            }
        }
        assertThat(ModelName.isValid(null)).isFalse();
    }

    @Test
    void aRefusedNameIsRepeatedOnlyWhenItLooksLikeAName() {
        assertThatThrownBy(() -> new ModelName("Readmission_Risk")).hasMessageStartingWith(
                "model name 'Readmission_Risk' is not valid: use 3-63 lower-case letters");
        // Spaces, slashes, digits of a date with a name: what a patient's details look like, never repeated.
        // Nor an identifier in a model's place: hyphens and leading digits are not a plain name.
        for (String typed : List.of("john smith 1950", "MRN 4471/Jane Doe", "x".repeat(81), "MRN-0012345",
                "123-45-6789", "Smith-John")) {
            assertThatThrownBy(() -> new ModelName(typed)).isInstanceOf(ValidationException.class)
                    .hasMessageStartingWith("model name (not repeated here: it has characters or a length no model"
                            + " name has) is not valid")
                    .hasMessageNotContaining("john").hasMessageNotContaining("Jane").hasMessageNotContaining("xxx")
                    .hasMessageNotContaining("0012345").hasMessageNotContaining("6789").hasMessageNotContaining("Smith");
        }
    }
}
