package health.vigil.cli;

import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Stage;
import health.vigil.scoring.ScoreRequest;
import health.vigil.security.Principal;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.governance.SetUpRegistration;
import health.vigil.testing.samples.PatientRows;
import health.vigil.testing.samples.SampleModels;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** A local platform with something recorded: the readmission sample deployed and three patients scored. */
public final class ScoredPlatform {
    private ScoredPlatform() {}

    /**
     * Deploys the readmission sample as version 1 on {@code local} and scores three synthetic patients with it, in two
     * requests (two patients, then one); returns the model.
     *
     * <p>The registration's event runs the version's gates on the bus's own thread, and they fail (no evaluation
     * dataset is registered). The set-up waits for that run to end before it approves the version: moved by hand
     * under the run, the version would no longer be in gates running when the run records its outcome, and the run
     * would fail and be counted as a background function's failure, or the set-up would find the version failed
     * between two of its moves.
     */
    public static ModelName deployAndScoreThreePatients(LocalPlatform local) throws InterruptedException {
        ModelName model = SetUpRegistration.register(local.platform(), SampleModels.readmissionLogistic(),
                "uploads/readmission.zip");
        if (!local.host().eventBus().awaitIdle(Duration.ofSeconds(30))) {
            throw new IllegalStateException("the gate run of " + model + " version 1 did not end within 30 s");
        }
        ModelVersion version = new ModelVersion(model, 1);
        // The run failed the version for want of a dataset, which these tests do not need: it is taken back to gates
        // running here, as a re-run of the gates would, so that the set-up can move it on.
        if (local.platform().registry().getVersion(model, 1).stage() == Stage.GATES_FAILED) {
            local.platform().lifecycle().move(version, Stage.GATES_FAILED, Stage.GATES_RUNNING,
                    new Principal("test-set-up", java.util.Set.of()), "set up for a test of what follows approval");
        }
        SetUpApproval.approve(local.platform(), version);
        local.platform().deployments().deploy(model, 1, Principal.SYSTEM);
        Map<String, Object> patient = Map.of("age", 71, "prior_inpatient_stays", 2, "hba1c", 8.4, "on_insulin", true,
                "admission_type", "emergency", "length_of_stay_days", 5);
        local.platform().scoring().score(new ScoreRequest(model, null, List.of(PatientRows.of("p-1", patient),
                PatientRows.of("p-2", patient))));
        local.platform().scoring().score(new ScoreRequest(model, null, List.of(PatientRows.of("p-3", patient))));
        return model;
    }
}
