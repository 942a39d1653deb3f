package health.vigil.training.synthetic;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.features.FeaturePipeline;
import health.vigil.features.RawRecordValidator;
import health.vigil.training.ClinicalModel;
import health.vigil.training.data.Dataset;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class GeneratorsTest {

    @ParameterizedTest
    @EnumSource(ClinicalModel.class)
    void sameSeedSameDataDifferentSeedDifferentData(ClinicalModel model) {
        Dataset a = model.synthetic(500, 1).dataset();
        Dataset b = model.synthetic(500, 1).dataset();
        Dataset c = model.synthetic(500, 2).dataset();
        assertThat(a.sha256()).isEqualTo(b.sha256()).isNotEqualTo(c.sha256());
        assertThat(a.records()).isEqualTo(b.records());
    }

    @ParameterizedTest
    @EnumSource(ClinicalModel.class)
    void everyRecordIsValidForTheRawSchemaWithSomeMissingValuesAndSyntheticKeys(ClinicalModel model) {
        SyntheticData synthetic = model.synthetic(2_000, 3);
        Dataset data = synthetic.dataset();
        FeaturePipeline pipeline = model.pipeline();
        RawRecordValidator validator = new RawRecordValidator(pipeline.rawSchema());
        long withMissing = 0;
        for (int i = 0; i < data.size(); i++) {
            Map<String, Object> record = data.records().get(i);
            validator.validate(record, "row " + i);
            if (pipeline.rawSchema().features().stream().anyMatch(f -> !f.required() && !record.containsKey(f.name()))) {
                withMissing++;
            }
            assertThat(data.patientKeys().get(i)).matches("synthetic-patient-\\d+");
            assertThat(synthetic.trueProbability()[i]).isBetween(0.0, 1.0);
        }
        assertThat(withMissing).isPositive();
        double prevalence = (double) data.positives() / data.size();
        assertThat(prevalence).isBetween(0.05, 0.6);
    }
}
