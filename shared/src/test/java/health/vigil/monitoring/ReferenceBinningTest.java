package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import health.vigil.model.ReferenceProfile.FeatureProfile;
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
}
