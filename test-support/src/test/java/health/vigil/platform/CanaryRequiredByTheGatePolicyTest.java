package health.vigil.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.canary.CanaryService;
import health.vigil.config.VigilConfig;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.experiment.ExperimentPlan;
import health.vigil.experiment.ExperimentService;
import health.vigil.gates.GatePolicy;
import health.vigil.json.Json;
import health.vigil.model.CanaryStatus;
import health.vigil.model.ExperimentMetric;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.governance.SetUpRegistration;
import health.vigil.testing.samples.SampleModels;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform's deploys, canary promotions and experiments read each model's gate policy in force: one that requires
 * a canary refuses a direct deploy, an operator's promotion of a canary the analysis has not judged, and an experiment
 * whose treatment has never been stable.
 */
class CanaryRequiredByTheGatePolicyTest {
    private static final Principal STEWARD = new Principal("data-steward", Set.of(Role.DATASETS_REGISTER));

    @TempDir
    Path home;

    @Test
    void aDirectDeployOfANewVersionIsRefusedOnceTheModelsGatePolicyRequiresACanary() {
        try (VigilPlatform platform = platform()) {
            ModelName model = versionOneLiveAndACanaryRequired(platform);

            VigilException refused = catchThrowableOfType(
                    () -> platform.deployments().deploy(model, 2, Principal.SYSTEM), VigilException.class);

            assertThat(refused).isNotNull();
            assertThat(refused.code()).isEqualTo(ErrorCode.CANARY_REQUIRED);
            assertThat(platform.deployments().current(model).orElseThrow().stable().version()).isEqualTo(1);
            assertThat(TestPatient.scoredVersion(platform, model)).isEqualTo(1);
        }
    }

    @Test
    void aCanaryTheAnalysisHasNotJudgedIsNotPromotedByHandOnceTheModelsGatePolicyRequiresACanary() {
        try (VigilPlatform platform = platform()) {
            ModelName model = versionOneLiveAndACanaryRequired(platform);
            platform.canaries().start(model, new CanaryService.StartCommand(2, null, null, null), Principal.SYSTEM);

            VigilException refused = catchThrowableOfType(
                    () -> platform.canaries().promote(model, Principal.SYSTEM), VigilException.class);

            assertThat(refused).isNotNull();
            assertThat(refused.code()).isEqualTo(ErrorCode.CANARY_NOT_JUDGED);
            assertThat(platform.deployments().current(model).orElseThrow().stable().version()).isEqualTo(1);
            assertThat(platform.deployments().current(model).orElseThrow().canary().status())
                    .isEqualTo(CanaryStatus.RUNNING);
        }
    }

    @Test
    void aCanaryThatStartsOnAlmostAllTrafficIsRefusedOnceTheModelsGatePolicyRequiresACanary() {
        try (VigilPlatform platform = platform()) {
            ModelName model = versionOneLiveAndACanaryRequired(platform);

            VigilException refused = catchThrowableOfType(() -> platform.canaries().start(model,
                    new CanaryService.StartCommand(2, List.of(9_999, 10_000), null, null), Principal.SYSTEM),
                    VigilException.class);

            assertThat(refused).as("refused").isNotNull();
            assertThat(refused.code()).isEqualTo(ErrorCode.CANARY_REQUIRED);
            assertThat(refused.getMessage()).contains("99.99 %", "maxFirstCanaryStep 2500");
            assertThat(platform.deployments().current(model).orElseThrow().canary()).isNull();
            assertThat(TestPatient.scoredVersion(platform, model)).isEqualTo(1);
            // The demo's ramp starts within the default cap.
            assertThat(platform.canaries().start(model, new CanaryService.StartCommand(2, List.of(2_000, 5_000,
                    10_000), null, null), Principal.SYSTEM).canary().weightBasisPoints()).isEqualTo(2_000);
        }
    }

    @Test
    void aCanaryStartsNoHigherThanTheFirstStepTheModelsGatePolicySets() {
        try (VigilPlatform platform = platform()) {
            ModelName model = versionOneLiveAndACanaryRequired(platform);
            ObjectNode capped = Json.mapper().valueToTree(platform.gatePolicies().current(model));
            capped.put("maxFirstCanaryStep", 100);
            platform.gatePolicies().update(model, Json.convert("the policy", capped, GatePolicy.class), STEWARD,
                    "new versions start on 1 % of patients");

            VigilException refused = catchThrowableOfType(() -> platform.canaries().start(model,
                    new CanaryService.StartCommand(2, List.of(2_000, 5_000, 10_000), null, null), Principal.SYSTEM),
                    VigilException.class);

            assertThat(refused).as("refused").isNotNull();
            assertThat(refused.code()).isEqualTo(ErrorCode.CANARY_REQUIRED);
            assertThat(refused.getMessage()).contains("first step is 20 %", "at most 1 % (maxFirstCanaryStep 100)");
            assertThat(platform.canaries().start(model, new CanaryService.StartCommand(2, null, null, null),
                    Principal.SYSTEM).canary().weightBasisPoints()).isEqualTo(100);
        }
    }

    @Test
    void anExperimentWhoseTreatmentHasNeverBeenStableIsRefusedOnceTheModelsGatePolicyRequiresACanary() {
        try (VigilPlatform platform = platform()) {
            ModelName model = versionOneLiveAndACanaryRequired(platform);

            VigilException refused = catchThrowableOfType(() -> platform.experiments().start(model,
                    new ExperimentService.StartCommand(2, null, ExperimentPlan.of(ExperimentMetric.FLAG_RATE, 0.20,
                            0.05, null, null, null, 9_999)), Principal.SYSTEM), VigilException.class);

            assertThat(refused).isNotNull();
            assertThat(refused.code()).isEqualTo(ErrorCode.CANARY_REQUIRED);
            assertThat(platform.deployments().current(model).orElseThrow().slots()).singleElement()
                    .satisfies(slot -> assertThat(slot.version()).isEqualTo(1));
            assertThat(TestPatient.scoredVersion(platform, model)).isEqualTo(1);
        }
    }

    private VigilPlatform platform() {
        return VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { }).build();
    }

    /**
     * Two approved versions of a model, the first deployed, and a gate policy that requires new versions to come
     * through a canary.
     */
    private static ModelName versionOneLiveAndACanaryRequired(VigilPlatform platform) {
        SetUpRegistration.register(platform, SampleModels.readmissionLogistic(), "logistic.zip");
        ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionTrees(), "trees.zip");
        SetUpApproval.approve(platform, new ModelVersion(model, 1));
        SetUpApproval.approve(platform, new ModelVersion(model, 2));
        platform.deployments().deploy(model, 1, Principal.SYSTEM);
        ObjectNode requiring = Json.mapper().valueToTree(GatePolicy.defaults());
        requiring.put("requireCanary", true);
        platform.gatePolicies().update(model, Json.convert("the policy", requiring, GatePolicy.class), STEWARD,
                "new versions go live by canary");
        return model;
    }
}
