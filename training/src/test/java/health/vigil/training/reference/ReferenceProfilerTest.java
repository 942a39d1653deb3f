package health.vigil.training.reference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.features.Column;
import health.vigil.features.Columns;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import health.vigil.training.data.FeatureMatrix;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReferenceProfilerTest {

    @Test
    void decileEdgesAndSharesOfAContinuousColumn() {
        double[] values = new double[100];
        for (int i = 0; i < 100; i++) {
            values[i] = i + 1; // 1..100
        }
        FeatureProfile profile = ReferenceProfiler.continuous("x", values);
        // Nearest-rank deciles of 1..100: 1, 10, 20, ..., 100.
        assertThat(profile.binEdges()).containsExactly(1.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 100.0);
        // [1,10) holds 9 values, [90,100] holds 11, the rest 10 each.
        assertThat(profile.proportions().get(0)).isCloseTo(0.09, within(1e-12));
        assertThat(profile.proportions().get(9)).isCloseTo(0.11, within(1e-12));
        assertThat(profile.proportions().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void discreteColumnsMergeDuplicateEdgesAndConstantOnesBecomeASingleCategory() {
        double[] counts = new double[1000];
        for (int i = 0; i < counts.length; i++) {
            counts[i] = i < 700 ? 0 : i < 900 ? 1 : 2; // 70 % zeros
        }
        FeatureProfile profile = ReferenceProfiler.continuous("visits", counts);
        assertThat(profile.binEdges()).containsExactly(0.0, 1.0, 2.0);
        assertThat(profile.proportions()).containsExactly(0.7, 0.3);
        FeatureProfile constant = ReferenceProfiler.continuous("c", new double[] {3, 3, 3});
        assertThat(constant.binEdges()).isNull();
        assertThat(constant.categoryFrequencies()).containsExactly(java.util.Map.entry("3", 1.0));
    }

    @Test
    void binaryColumnsAreProfiledByTheShareOfOnes() {
        List<Column> columns = List.of(Columns.missing("x"), Columns.value("y", 0));
        float[] values = {1, 5, 0, 6, 0, 7, 0, 8};
        ReferenceProfile profile = ReferenceProfiler.profile(FeatureMatrix.copyOf(values, 4, List.of("x_missing", "y")),
                columns, new double[] {0.1, 0.2, 0.3, 0.4});
        assertThat(profile.rows()).isEqualTo(4);
        assertThat(profile.features().get(0).categoryFrequencies()).containsEntry("1", 0.25).containsEntry("0", 0.75);
        assertThat(profile.features().get(1).binEdges()).isNotNull();
        assertThat(profile.score().name()).isEqualTo("score");
    }
}
