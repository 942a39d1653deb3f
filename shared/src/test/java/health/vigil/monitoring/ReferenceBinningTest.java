package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import health.vigil.model.Feature;
import health.vigil.model.FeatureType;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import health.vigil.monitoring.ReferenceBinning.InputColumn;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ReferenceBinningTest {

    @Test
    void binsAreClosedBelowAndTheOuterBinsOpenEnded() {
        double[] edges = {0, 1, 2, 3};
        assertThat(ReferenceBinning.binOf(edges, -5)).isZero();
        assertThat(ReferenceBinning.binOf(edges, 0)).isZero();
        assertThat(ReferenceBinning.binOf(edges, Math.nextDown(1.0))).isZero();
        assertThat(ReferenceBinning.binOf(edges, 1)).isEqualTo(1);
        assertThat(ReferenceBinning.binOf(edges, 2)).isEqualTo(2);
        assertThat(ReferenceBinning.binOf(edges, 3)).isEqualTo(2);
        assertThat(ReferenceBinning.binOf(edges, 1e300)).isEqualTo(2);
        assertThat(ReferenceBinning.binOf(new double[] {4, 5}, 100)).isZero();
    }

    @Test
    void decilesOfOneToAHundred() {
        double[] values = IntStream.rangeClosed(1, 100).asDoubleStream().toArray();
        FeatureProfile p = ReferenceBinning.numericProfile("age", values, 10);
        assertThat(p.binEdges()).containsExactly(1.0, 11.0, 21.0, 31.0, 41.0, 51.0, 61.0, 71.0, 81.0, 91.0, 100.0);
        assertThat(p.proportions()).hasSize(10).allSatisfy(s -> assertThat(s).isCloseTo(0.1, within(1e-15)));
        assertThat(p.missingRate()).isZero();
    }

    @Test
    void tiedQuantilesCollapseIntoOneEdge() {
        // 70 zeros and 30 ones: every decile is 0 or 1, so one interior edge at 1 remains.
        double[] values = IntStream.range(0, 100).mapToDouble(i -> i < 70 ? 0 : 1).toArray();
        FeatureProfile p = ReferenceBinning.numericProfile("flag", values, 10);
        assertThat(p.binEdges()).containsExactly(0.0, 1.0, Math.nextUp(1.0));
        assertThat(p.proportions()).containsExactly(0.7, 0.3);
    }

    @Test
    void aConstantFeatureGetsBinsBelowAtAndAboveTheConstant() {
        FeatureProfile p = ReferenceBinning.numericProfile("c", new double[] {5, 5, 5, Double.NaN}, 10);
        double[] edges = p.binEdges().stream().mapToDouble(Double::doubleValue).toArray();
        assertThat(p.proportions()).containsExactly(0.0, 1.0, 0.0);
        assertThat(p.missingRate()).isEqualTo(0.25);
        assertThat(ReferenceBinning.binOf(edges, 4.9)).isZero();
        assertThat(ReferenceBinning.binOf(edges, 5)).isEqualTo(1);
        assertThat(ReferenceBinning.binOf(edges, 5.1)).isEqualTo(2);
    }

    @Test
    void categoryFrequenciesFromCodes() {
        FeatureProfile p = ReferenceBinning.categoricalProfile("sex", List.of("F", "M"),
                new double[] {0, 1, 1, 1, Double.NaN});
        assertThat(p.categoryFrequencies()).containsEntry("F", 0.25).containsEntry("M", 0.75);
        assertThat(p.missingRate()).isEqualTo(0.2);
        assertThatThrownBy(() -> ReferenceBinning.categoricalProfile("sex", List.of("F", "M"), new double[] {2}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("not a category index");
    }

    @Test
    void meansAreOfThePresentValuesAsTheModelReceivesThem() {
        FeatureProfile numeric = ReferenceBinning.numericProfile("x", new double[] {1, 2, Double.NaN, 6}, 10);
        assertThat(numeric.mean()).isEqualTo(3.0);
        // A boolean's mean is its share of true (code 1); a categorical one's the mean category index.
        FeatureProfile flag = ReferenceBinning.categoricalProfile("flag", ReferenceBinning.BOOLEAN_CATEGORIES,
                new double[] {1, 0, 0, 0, Double.NaN});
        assertThat(flag.mean()).isEqualTo(0.25);
        FeatureProfile ward = ReferenceBinning.categoricalProfile("ward", List.of("a", "b", "c"), new double[] {0, 2, 2, 1});
        assertThat(ward.mean()).isEqualTo(1.25);
    }

    @Test
    void aWholeProfileFromRowMajorInputs() {
        List<InputColumn> columns = List.of(InputColumn.numeric("age"), InputColumn.binary("on_insulin"),
                InputColumn.categorical("ward", List.of("a", "b")));
        // Four rows of (age, on_insulin, ward); row 3 has no age.
        float[] inputs = {30, 1, 0, 50, 0, 1, Float.NaN, 0, 1, 70, 0, 1};
        ReferenceProfile profile = ReferenceBinning.profile(columns, inputs, 4, new double[] {0.1, 0.4, 0.6});
        assertThat(profile.rows()).isEqualTo(4);
        assertThat(profile.scoreSampleRows()).isEqualTo(3); // the scores, not the feature rows
        assertThat(profile.features()).extracting(FeatureProfile::name).containsExactly("age", "on_insulin", "ward");
        FeatureProfile age = profile.features().get(0);
        assertThat(age.missingRate()).isEqualTo(0.25);
        assertThat(age.mean()).isEqualTo(50.0);
        // Three present ages; interior edges at the values with floor(i * 3 / 10) below them: 30 (the minimum,
        // merged), 50 and 70, so the top edge steps just past the maximum.
        assertThat(age.binEdges()).containsExactly(30.0, 50.0, 70.0, Math.nextUp(70.0));
        assertThat(age.proportions()).containsExactly(1.0 / 3, 1.0 / 3, 1.0 / 3);
        assertThat(profile.features().get(1).categoryFrequencies()).containsEntry("true", 0.25).containsEntry("false", 0.75);
        assertThat(profile.features().get(2).categoryFrequencies()).containsEntry("a", 0.25).containsEntry("b", 0.75);
        assertThat(profile.score().name()).isEqualTo("score");
        assertThat(profile.score().mean()).isCloseTo(1.1 / 3, within(1e-15));
        assertThatThrownBy(() -> ReferenceBinning.profile(columns, inputs, 3, new double[] {0.1}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("needs 9 values; got 12");
    }

    @Test
    void rawFeaturesAreProfiledAsTheIdentityPipelineEncodesThem() {
        assertThat(InputColumn.of(Feature.numeric("hba1c", "%", 3, 20)).isNumeric()).isTrue();
        assertThat(InputColumn.of(new Feature("on_insulin", FeatureType.BOOLEAN, null, null, null, null, true, null))
                .categories()).containsExactly("false", "true");
        assertThat(InputColumn.of(new Feature("ward", FeatureType.CATEGORICAL, null, null, null, List.of("a", "b"), true,
                null)).categories()).containsExactly("a", "b");
        assertThatThrownBy(() -> InputColumn.of(new Feature("diag_1", FeatureType.CODE, null, null, null, null, false,
                null, "\\d{3}"))).isInstanceOf(ValidationException.class).hasMessageContaining("is a code");
    }
}
