package health.vigil.explain;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.explain.FeatureMapping;
import health.vigil.features.FeaturePipeline;
import health.vigil.features.FeaturePipelines;
import health.vigil.model.LinearModel;
import health.vigil.model.TreeEnsemble;
import health.vigil.testing.samples.SampleModels;
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
    void aLogisticModelIsExplainedExactlyOnTheValuesItCombinesAfterItsOwnImputation() {
        LinearModel model = new LinearModel(new double[] {0.5, -2.0}, -1.0, new double[] {4.0, 1.0});
        Explainers.ImputingLinearShap shap = new Explainers.ImputingLinearShap(model, new double[] {3.0, 0.5});
        double[] out = new double[2];

        double margin = shap.explain(new double[] {Double.NaN, 2.0}, out);

        // The missing first input counts as its replacement 4.0: margin -1 + 0.5*4 - 2*2 = -3.
        assertThat(margin).isEqualTo(-3.0);
        assertThat(out[0]).isEqualTo(0.5 * (4.0 - 3.0));
        assertThat(out[1]).isEqualTo(-2.0 * (2.0 - 0.5));
        assertThat(out[0] + out[1]).isCloseTo(margin - shap.expectedMargin(), org.assertj.core.data.Offset.offset(1e-12));
    }

    @Test
    void explainsTreeEnsemblesOfTheRightWidthOnly() {
        TreeEnsemble trees = SampleModels.readmissionTreeEnsemble();
        FeaturePipeline identity = new health.vigil.features.IdentityPipeline(SampleModels.readmissionSchema());

        assertThat(Explainers.forModel(Optional.of(trees), identity, Optional.empty())).isPresent();
        assertThat(Explainers.forModel(Optional.empty(), identity, Optional.empty())).isEmpty();
        // A logistic model is explained from its training means; without them it is not.
        assertThat(Explainers.forModel(Optional.of(new LinearModel(new double[identity.width()], 0, null)), identity,
                Optional.empty())).isEmpty();
        assertThat(Explainers.forModel(Optional.of(new LinearModel(new double[identity.width()], 0, null)), identity,
                Optional.of(SampleModels.readmissionLogistic().reference()))).isPresent();
        FeaturePipeline narrower = new health.vigil.features.IdentityPipeline(
                new health.vigil.model.FeatureSchema(SampleModels.readmissionSchema().features().subList(0, 3)));
        assertThat(Explainers.forModel(Optional.of(trees), narrower, Optional.empty())).isEmpty();
    }
}
