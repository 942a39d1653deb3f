package health.vigil.cli;

import health.vigil.model.ModelName;
import health.vigil.scoring.ScoreRequest;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.samples.PatientRows;
import health.vigil.testing.samples.SampleModels;
import java.util.List;
import java.util.Map;

/** A local platform with something recorded: the readmission sample deployed and three patients scored. */
public final class ScoredPlatform {
    private ScoredPlatform() {}

    /**
     * Deploys the readmission sample as version 1 on {@code local} and scores three synthetic patients with it, in two
     * requests (two patients, then one); returns the model.
     */
    public static ModelName deployAndScoreThreePatients(LocalPlatform local) {
        ModelName model = SetUpApproval.deployFirstVersion(local.platform(), SampleModels.readmissionLogistic(),
                "uploads/readmission.zip");
        Map<String, Object> patient = Map.of("age", 71, "prior_inpatient_stays", 2, "hba1c", 8.4, "on_insulin", true,
                "admission_type", "emergency", "length_of_stay_days", 5);
        local.platform().scoring().score(new ScoreRequest(model, null, List.of(PatientRows.of("p-1", patient),
                PatientRows.of("p-2", patient))));
        local.platform().scoring().score(new ScoreRequest(model, null, List.of(PatientRows.of("p-3", patient))));
        return model;
    }
}
