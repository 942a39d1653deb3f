package health.vigil.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.features.IdentityPipeline;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FeatureMappingTest {

    @Test
    void groupsGatherColumnsAndFeaturesKeepTheOrderOfTheirFirstColumn() {
        FeatureMapping mapping = FeatureMapping.of(List.of("age", "sex_f", "sex_m", "egfr", "egfr_missing"),
                Map.of("sex", List.of("sex_m", "sex_f"), "egfr", List.of("egfr", "egfr_missing")),
                Map.of("age", "years", "egfr", "mL/min/1.73m2"));
        assertThat(mapping.featureCount()).isEqualTo(3);
        assertThat(List.of(mapping.name(0), mapping.name(1), mapping.name(2))).containsExactly("age", "sex", "egfr");
        assertThat(mapping.columnsOf(1)).containsExactly(1, 2);
        assertThat(mapping.columnsOf(2)).containsExactly(3, 4);
        assertThat(mapping.unit(0)).isEqualTo("years");
        assertThat(mapping.unit(1)).isNull();
    }

    @Test
    void aPipelinesRawSchemaSuppliesTheUnits() {
        FeatureSchema schema = new FeatureSchema(List.of(
                Feature.numeric("lactate", "mmol/L", 0, 30), Feature.integer("prior_inpatient", "stays", 0, 50),
                Feature.bool("on_insulin")));
        FeatureMapping mapping = FeatureMapping.of(new IdentityPipeline(schema), Map.of());
        assertThat(Arrays.asList(mapping.unit(0), mapping.unit(1), mapping.unit(2)))
                .containsExactly("mmol/L", "stays", null);
    }

    @Test
    void mistakesInTheMappingAreRejectedWithTheColumnNamed() {
        assertThatThrownBy(() -> FeatureMapping.of(List.of("a", "b", "a")))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PACKAGE))
                .hasMessageContaining("input column 'a' appears twice");
        assertThatThrownBy(() -> FeatureMapping.of(List.of("a", "b"), Map.of("g", List.of("a", "c")), Map.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("feature 'g' groups column 'c', which is not one of the model's input columns");
        assertThatThrownBy(() -> FeatureMapping.of(List.of("a", "b"),
                        Map.of("g", List.of("a"), "h", List.of("a", "b")), Map.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("column 'a' is grouped into both");
        assertThatThrownBy(() -> FeatureMapping.of(List.of("a", "b"), Map.of("b", List.of("a")), Map.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("feature 'b' is both a group and a column outside it");
        assertThatThrownBy(() -> FeatureMapping.of(List.of()))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("no input columns");
    }
}
