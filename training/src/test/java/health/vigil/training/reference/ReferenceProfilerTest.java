package health.vigil.training.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.features.Column;
import health.vigil.features.Columns;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import health.vigil.training.data.FeatureMatrix;
import java.util.List;
import java.util.function.IntToDoubleFunction;
import org.junit.jupiter.api.Test;

/** The training data's profile follows the bin convention drift checks read ({@code ReferenceBinning}). */
class ReferenceProfilerTest {

    /** Profiles one continuous column of {@code n} rows. */
    private static FeatureProfile continuous(int n, IntToDoubleFunction value) {
        float[] values = new float[n];
        double[] scores = new double[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) value.applyAsDouble(i);
            scores[i] = 0.5;
        }
        return ReferenceProfiler.profile(FeatureMatrix.copyOf(values, n, List.of("x")), List.of(Columns.value("x", 0)),
                scores).features().get(0);
    }

    @Test
    void decileEdgesAndSharesOfAContinuousColumn() {
        FeatureProfile profile = continuous(100, i -> i + 1); // 1..100
        // Interior edges at the values with 10 i of the 100 below them, outer edges at the minimum and maximum.
        assertThat(profile.binEdges()).containsExactly(1.0, 11.0, 21.0, 31.0, 41.0, 51.0, 61.0, 71.0, 81.0, 91.0, 100.0);
        // [1,11) holds 1..10, ..., [91,100] holds 91..100: ten values each.
        assertThat(profile.proportions()).hasSize(10).allSatisfy(s -> assertThat(s).isCloseTo(0.1, within(1e-12)));
        assertThat(profile.mean()).isCloseTo(50.5, within(1e-12));
        assertThat(profile.missingRate()).isZero();
    }

    @Test
    void discreteColumnsMergeDuplicateEdgesAndConstantOnesGetBinsAroundTheirValue() {
        FeatureProfile profile = continuous(1000, i -> i < 700 ? 0 : i < 900 ? 1 : 2); // 70 % zeros
        // Each value keeps its own bin; the top edge steps just past the maximum, which is also a decile.
        assertThat(profile.binEdges()).containsExactly(0.0, 1.0, 2.0, Math.nextUp(2.0));
        assertThat(profile.proportions()).containsExactly(0.7, 0.2, 0.1);
        assertThat(profile.mean()).isCloseTo(0.4, within(1e-12));
        FeatureProfile constant = continuous(3, i -> 3);
        // Below, at and above the constant, so that a move either way shows as drift.
        assertThat(constant.binEdges()).containsExactly(Math.nextDown(3.0), 3.0, Math.nextUp(3.0),
                Math.nextUp(Math.nextUp(3.0)));
        assertThat(constant.proportions()).containsExactly(0.0, 1.0, 0.0);
        assertThat(constant.categoryFrequencies()).isNull();
    }

    @Test
    void binaryColumnsAreProfiledByTheShareOfOnes() {
        List<Column> columns = List.of(Columns.missing("x"), Columns.value("y", 0));
        float[] values = {1, 5, 0, 6, 0, 7, 0, 8};
        ReferenceProfile profile = ReferenceProfiler.profile(FeatureMatrix.copyOf(values, 4, List.of("x_missing", "y")),
                columns, new double[] {0.1, 0.2, 0.3, 0.4});
        assertThat(profile.rows()).isEqualTo(4);
        // 0 and 1 as the boolean categories drift checks read for 0/1 columns.
        assertThat(profile.features().get(0).categoryFrequencies()).containsEntry("true", 0.25)
                .containsEntry("false", 0.75).hasSize(2);
        assertThat(profile.features().get(0).mean()).isEqualTo(0.25);
        assertThat(profile.features().get(1).binEdges()).isNotNull();
        assertThat(profile.features().get(1).mean()).isCloseTo(6.5, within(1e-12));
        assertThat(profile.score().name()).isEqualTo("score");
        assertThat(profile.score().mean()).isCloseTo(0.25, within(1e-12));
    }
}
