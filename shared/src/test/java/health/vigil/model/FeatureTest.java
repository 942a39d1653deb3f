package health.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.util.Arrays;
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

    /** Upload holds categories to short printable words spelled once (ManifestLimits); a stored version is read as stored. */
    @Test
    void aCategoricalFeatureListsCategoriesEachOnce() {
        assertThat(categorical(List.of("emergency", "elective", "[70-80)", "café")).categories()).hasSize(4);
        assertThatThrownBy(() -> categorical(List.of())).hasMessageContaining("lists no categories");
        assertThatThrownBy(() -> categorical(List.of("emergency", "elective", "emergency")))
                .isInstanceOf(ValidationException.class).hasMessageContaining("lists a category twice");
        assertThatThrownBy(() -> categorical(Arrays.asList("emergency", null)))
                .isInstanceOf(ValidationException.class).hasMessageContaining("lists a category that is null");
        List<String> many = IntStream.range(0, 2_000).mapToObj(i -> "c" + i).toList();
        assertThat(categorical(many).categories()).hasSize(2_000);
        assertThat(categorical(List.of("caf\u00e9", "cafe\u0301", "x".repeat(150), "")).categories()).hasSize(4);
    }

    @Test
    void aCodeFeatureMayCarryItsPatternInWordsWhichAManifestReadsAndWritesAndNoOtherFeatureMay() {
        String manifestFeature = "{\"name\":\"diag_1\",\"type\":\"code\",\"required\":false,"
                + "\"pattern\":\"\\\\d{3}\",\"patternDescription\":\"a three-digit ICD-9 code such as 428\"}";
        Feature read = health.vigil.json.Json.read("a feature", manifestFeature.getBytes(
                java.nio.charset.StandardCharsets.UTF_8), Feature.class);

        assertThat(read.patternInWords()).isEqualTo("a three-digit ICD-9 code such as 428");
        assertThat(health.vigil.json.Json.write(read)).contains("\"patternDescription\":\"a three-digit ICD-9 code");
        assertThat(health.vigil.json.Json.write(Feature.code("diag_1", "\\d{3}"))).doesNotContain("patternDescription");
        assertThat(Feature.code("diag_1", "\\d{3}").patternInWords()).isEqualTo("a code matching \\d{3}");
        assertThatThrownBy(() -> Feature.numeric("age", "years", 0, 120).withPatternDescription("a whole number"))
                .hasMessageContaining("only code features describe their pattern");
        assertThatThrownBy(() -> Feature.code("diag_1", "\\d{3}").withPatternDescription(" "))
                .hasMessageContaining("is blank");
    }

    @Test
    void codesAreMatchedValueByValueOnEveryThreadWithMatchersKeptPerThread() throws Exception {
        Feature icd9 = Feature.code("diag_1", "(V\\d{2}|E\\d{3}|\\d{3})(\\.\\d{1,2})?");
        Feature digits = Feature.code("other", "\\d{3}");
        String[] values = {"250.01", "V58", "E888.1", "25", "2500", "V5", "250.", "abc", "", "4"};
        boolean[] expected = {true, true, true, false, false, false, false, false, false, false};
        java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(4);
        try {
            List<java.util.concurrent.Future<?>> runs = new java.util.ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int offset = t;
                runs.add(threads.submit(() -> {
                    for (int n = 0; n < 5_000; n++) {
                        int k = (n * 7 + offset) % values.length;
                        assertThat(icd9.matchesPattern(values[k])).as(values[k]).isEqualTo(expected[k]);
                        assertThat(digits.matchesPattern(values[k])).as(values[k]).isEqualTo(values[k].matches("\\d{3}"));
                    }
                }));
            }
            for (java.util.concurrent.Future<?> run : runs) {
                run.get();
            }
        } finally {
            threads.shutdownNow();
        }
        assertThat(icd9.matchesPattern(null)).isFalse();
        assertThat(Feature.numeric("age", null, 0, 1).matchesPattern("250")).isFalse();
    }
}
