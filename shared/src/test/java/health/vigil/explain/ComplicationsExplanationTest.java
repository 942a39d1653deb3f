package health.vigil.explain;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.features.ComplicationsFeatures;
import health.vigil.features.DefinedPipeline;
import health.vigil.model.Explanation;
import health.vigil.model.Explanation.Factor;
import health.vigil.model.LinearModel;
import health.vigil.model.ReferenceProfile;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** How the complications model's explanation reads the kidney function it computes from the patient's creatinine. */
class ComplicationsExplanationTest {
    private static final DefinedPipeline PIPELINE = ComplicationsFeatures.pipeline();

    /**
     * The explainer scoring builds for a logistic regression of the complications pipeline, in which eGFR weighs most
     * (lower kidney function, higher risk), measured against training means where eGFR averages 80.
     */
    private static ClinicalExplainer explainer() {
        double[] weights = new double[PIPELINE.width()];
        weights[PIPELINE.columns().indexOf("egfr")] = -0.05;
        weights[PIPELINE.columns().indexOf("asa_class")] = 0.01;
        List<ReferenceProfile.FeatureProfile> means = new ArrayList<>();
        for (String column : PIPELINE.columns()) {
            double mean = column.equals("egfr") ? 80.0 : column.equals("asa_class") ? 2.0 : 0.0;
            means.add(new ReferenceProfile.FeatureProfile(column, null, null, null, 0.0, mean));
        }
        Explainers.Found found = Explainers.find(Optional.of(new LinearModel(weights, 2.0, null)), PIPELINE,
                Optional.of(new ReferenceProfile(1000, means, null)));
        assertThat(found.whyNone()).isNull();
        return found.explainer().orElseThrow();
    }

    /** A validated surgical case, every optional field missing (null) unless {@code given} names it. */
    private static Map<String, Object> operation(Map<String, Object> given) {
        Map<String, Object> record = new HashMap<>();
        PIPELINE.rawSchema().names().forEach(name -> record.put(name, null));
        record.putAll(Map.of("procedure_type", "colorectal", "asa_class", 3L, "emergency", false, "age", 70L,
                "duration_min", 180.0));
        ComplicationsFeatures.COMORBIDITIES.forEach(name -> record.put(name, false));
        record.putAll(given);
        return record;
    }

    private static Explanation explain(Map<String, Object> record) {
        float[] row = PIPELINE.transform(record);
        double[] inputs = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            inputs[i] = row[i];
        }
        return explainer().explain(inputs, record);
    }

    private static Factor egfr(Explanation explanation) {
        return explanation.contributions().stream().filter(f -> f.feature().equals("egfr")).findFirst().orElseThrow();
    }

    @Test
    void anEgfrFilledInForACreatinineNotMeasuredIsMissingNotAMeasuredKidneyFunction() {
        Explanation explanation = explain(operation(Map.of("sex", "Female")));

        Factor egfr = egfr(explanation);
        assertThat(egfr.missing()).isTrue();
        assertThat(egfr.value()).isNull();
        // The stand-in's contribution is still there, and still adds up with the others to the risk.
        assertThat(egfr.marginContribution()).isNotZero();
        assertThat(explanation.topFactors()).extracting(Factor::feature).contains("egfr");
        assertThat(explanation.summary()).contains("eGFR missing (").doesNotContain("eGFR 90", "mL/min/1.73m2");
    }

    @Test
    void anEgfrComputedFromAMeasuredCreatinineShowsItsOwnValueInItsUnit() {
        Explanation explanation = explain(operation(Map.of("sex", "Female", "creatinine", 1.4)));

        Factor egfr = egfr(explanation);
        assertThat(egfr.missing()).isFalse();
        assertThat((Double) egfr.value()).isEqualTo(ComplicationsFeatures.ckdEpi2021(1.4, 70, true),
                org.assertj.core.api.Assertions.within(1e-4));
        assertThat(egfr.unit()).isEqualTo("mL/min/1.73m2");
        assertThat(explanation.summary()).contains("eGFR 40.47 mL/min/1.73m2 (+");
    }
}
