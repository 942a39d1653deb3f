package health.vigil.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.explain.FeatureMapping;
import health.vigil.features.FeaturePipeline;
import health.vigil.features.FeaturePipelines;
import health.vigil.model.LinearModel;
import health.vigil.model.TreeEnsemble;
import health.vigil.samples.SampleModels;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class ExplainersTest {

    private static List<String> columnsOf(FeatureMapping mapping, String feature) {
        int f = IntStream.range(0, mapping.featureCount()).filter(i -> mapping.name(i).equals(feature)).findFirst()
                .orElseThrow(() -> new AssertionError("no feature " + feature));
        return Arrays.stream(mapping.columnsOf(f)).mapToObj(c -> mapping.columns().get(c)).toList();
    }

    @Test
    void groupsOneHotIndicatorAndDerivedGroupColumnsUnderTheRawFeatureTheyComeFrom() {
        FeaturePipeline readmission = FeaturePipelines.standard().all().stream()
                .filter(p -> p.id().startsWith("readmission@")).findFirst().orElseThrow();

        FeatureMapping mapping = Explainers.mapping(readmission);

        assertThat(columnsOf(mapping, "gender")).containsExactly("gender=Female", "gender_missing");
        assertThat(columnsOf(mapping, "diag_1")).contains("diag_1_group=circulatory", "diag_1_missing")
                .allSatisfy(c -> assertThat(c).startsWith("diag_1_"));
        assertThat(columnsOf(mapping, "time_in_hospital")).containsExactly("time_in_hospital");
        // Derived columns with names of their own stand as features a clinician can read.
        assertThat(columnsOf(mapping, "age_years")).containsExactly("age_years");
        assertThat(columnsOf(mapping, "prior_visits")).containsExactly("prior_visits");
        int grouped = IntStream.range(0, mapping.featureCount()).map(f -> mapping.columnsOf(f).length).sum();
        assertThat(grouped).isEqualTo(readmission.width());
    }

    @Test
    void explainsTreeEnsemblesOfTheRightWidthOnly() {
        TreeEnsemble trees = SampleModels.readmissionTreeEnsemble();
        FeaturePipeline identity = new health.vigil.features.IdentityPipeline(SampleModels.readmissionSchema());

        assertThat(Explainers.forModel(Optional.of(trees), identity)).isPresent();
        assertThat(Explainers.forModel(Optional.empty(), identity)).isEmpty();
        assertThat(Explainers.forModel(Optional.of(new LinearModel(new double[identity.width()], 0, null)), identity))
                .isEmpty();
        FeaturePipeline narrower = new health.vigil.features.IdentityPipeline(
                new health.vigil.model.FeatureSchema(SampleModels.readmissionSchema().features().subList(0, 3)));
        assertThat(Explainers.forModel(Optional.of(trees), narrower)).isEmpty();
    }
}
