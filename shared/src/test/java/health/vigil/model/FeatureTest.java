package health.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

/**
 * What a manifest may declare of a feature: a name that is a name (never repeated when it is not), and categories a
 * reviewer can read as the model will take them.
 */
class FeatureTest {
    private static Feature categorical(List<String> categories) {
        return Feature.categorical("admission_type", categories);
    }

    @Test
    void aNameThatIsNotANameIsRefusedWithoutBeingRepeated() {
        for (String name : new String[] {"a\u0007\u001b[31mPATIENT-MRN-5551234\n", "mrn PATIENT-MRN-5551234",
                "a".repeat(10_000), "9lives"}) {
            assertThatThrownBy(() -> Feature.numeric(name, null, 0, 1)).isInstanceOf(ValidationException.class)
                    .hasMessageContaining("is not valid").hasMessageNotContaining("5551234")
                    .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(300));
        }
        assertThatThrownBy(() -> Feature.numeric(null, null, 0, 1)).hasMessageContaining("has no name");
    }

    @Test
    void aSchemaNamesEachFeatureOnceWhateverTheCase() {
        assertThatThrownBy(() -> FeatureSchema.of(List.of(Feature.numeric("age", "years", 0, 120),
                Feature.numeric("age", "years", 0, 120)))).hasMessageContaining("'age' appears twice");
        assertThatThrownBy(() -> FeatureSchema.of(List.of(Feature.numeric("age", "years", 0, 120),
                Feature.numeric("Age", "years", 0, 120)))).hasMessageContaining("'age' and 'Age' differ only in case");
        assertThat(FeatureSchema.of(List.of(Feature.numeric("age", "years", 0, 120),
                Feature.numeric("age_at_admission", "years", 0, 120))).size()).isEqualTo(2);
    }

    @Test
    void categoriesAreShortPrintableWordsEachSpelledOnce() {
        assertThat(categorical(List.of("emergency", "elective", "[70-80)", "café")).categories()).hasSize(4);
        for (String bad : new String[] {"", "x".repeat(101), "emer\u001bgency", "line\nbreak", "evil\u202etxt",
                "z\ud800"}) {
            assertThatThrownBy(() -> categorical(List.of("emergency", bad))).as(bad.length() > 20 ? "long" : bad)
                    .isInstanceOf(ValidationException.class).hasMessageContaining("lists a category that is");
        }
        // é as one character, and as e followed by a combining accent: the same word to a reader, two model inputs.
        assertThatThrownBy(() -> categorical(List.of("caf\u00e9", "cafe\u0301")))
                .hasMessageContaining("lists a category twice");
        List<String> many = new ArrayList<>(IntStream.range(0, Feature.MAX_CATEGORIES + 1).mapToObj(i -> "c" + i)
                .toList());
        assertThatThrownBy(() -> categorical(many)).hasMessageContaining("at most " + Feature.MAX_CATEGORIES);
        assertThat(categorical(many.subList(0, Feature.MAX_CATEGORIES)).categories())
                .hasSize(Feature.MAX_CATEGORIES);
    }
}
