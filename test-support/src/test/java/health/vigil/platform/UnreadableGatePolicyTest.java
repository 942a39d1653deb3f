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
import health.vigil.model.AuditRecord;
import health.vigil.model.ExperimentMetric;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Stage;
import health.vigil.port.ArtifactStore;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.governance.SetUpRegistration;
import health.vigil.testing.samples.SampleModels;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model's newest stored gate policy that does not read (written badly below the platform) is the platform's fault,
 * never the caller's: every route that reads the policy answers 500 {@code GATE_POLICY_UNREADABLE} naming the model and
 * the version, a refused request is recorded as the lifecycle's refusals are, and a new policy set in its place is in
 * force again.
 */
class UnreadableGatePolicyTest {
    private static final Principal STEWARD = new Principal("data-steward", Set.of(Role.DATASETS_REGISTER));
    private static final Principal OPERATOR = new Principal("operator", Set.of(Role.DEPLOYMENTS_OPERATE));

    @TempDir
    Path home;

    @Test
    void aDeployACanaryStartAnExperimentAndTheGatesAreRefusedAsTheServersFaultUntilANewPolicyIsSet() {
        try (VigilPlatform platform = platform()) {
            ModelName model = versionOneLiveVersionTwoRegisteredAndACanaryRequired(platform);
            damagePolicy(platform, model);

            assertUnreadable(() -> platform.gates().onRegistered(new ModelVersion(model, 2), "registered-2"));
            SetUpApproval.approve(platform, new ModelVersion(model, 2));
            assertUnreadable(() -> platform.deployments().deploy(model, 2, OPERATOR));
            assertUnreadable(() -> platform.canaries().start(model, new CanaryService.StartCommand(2, null, null, null),
                    OPERATOR));
            assertUnreadable(() -> platform.experiments().start(model, new ExperimentService.StartCommand(2, null,
                    ExperimentPlan.of(ExperimentMetric.FLAG_RATE, 0.20, 0.05, null, null, null, 9_999)), OPERATOR));

            assertThat(platform.deployments().current(model).orElseThrow().slots()).singleElement()
                    .satisfies(slot -> assertThat(slot.version()).isEqualTo(1));
            assertThat(refused(platform)).extracting(AuditRecord::action)
                    .containsExactly("deployment.deploy", "deployment.canary", "deployment.experiment");
            assertThat(refused(platform)).allSatisfy(r -> assertThat(r.details())
                    .containsEntry("reason", "GATE_POLICY_UNREADABLE"));

            setPolicy(platform, model, true, "version 1 was damaged");
            VigilException required = catchThrowableOfType(() -> platform.deployments().deploy(model, 2, OPERATOR),
                    VigilException.class);
            assertThat(required).isNotNull();
            assertThat(required.code()).isEqualTo(ErrorCode.CANARY_REQUIRED);
        }
    }

    @Test
    void aCanaryIsNotPromotedByHandWhileThePolicyThatWouldAllowItDoesNotRead() {
        try (VigilPlatform platform = platform()) {
            ModelName model = versionOneLiveVersionTwoRegisteredAndACanaryRequired(platform);
            SetUpApproval.approve(platform, new ModelVersion(model, 2));
            platform.canaries().start(model, new CanaryService.StartCommand(2, null, null, null), OPERATOR);
            damagePolicy(platform, model);

            assertUnreadable(() -> platform.canaries().promote(model, OPERATOR));

            assertThat(platform.deployments().current(model).orElseThrow().stable().version()).isEqualTo(1);
            assertThat(platform.registry().getVersion(model, 2).stage()).isEqualTo(Stage.CANARY);
            assertThat(refused(platform)).singleElement().satisfies(r -> {
                assertThat(r.action()).isEqualTo(CanaryService.ACTION);
                assertThat(r.details()).containsEntry("reason", "GATE_POLICY_UNREADABLE");
            });
        }
    }

    private static void assertUnreadable(Executable request) {
        VigilException refused = catchThrowableOfType(request::execute, VigilException.class);
        assertThat(refused).as("refused").isNotNull();
        assertThat(refused.code()).isEqualTo(ErrorCode.GATE_POLICY_UNREADABLE);
        assertThat(refused.httpStatus()).isEqualTo(500);
        assertThat(refused.getMessage()).contains("version 1 of the gate policy of `readmission-demo`",
                "vigil models gate-policy readmission-demo --set FILE --reason TEXT").doesNotContain("0.6.5");
    }

    private VigilPlatform platform() {
        return VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { }).build();
    }

    /** Two versions of a model, the first deployed, and a gate policy (version 1) that requires a canary. */
    private static ModelName versionOneLiveVersionTwoRegisteredAndACanaryRequired(VigilPlatform platform) {
        SetUpRegistration.register(platform, SampleModels.readmissionLogistic(), "logistic.zip");
        ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionTrees(), "trees.zip");
        SetUpApproval.approve(platform, new ModelVersion(model, 1));
        platform.deployments().deploy(model, 1, Principal.SYSTEM);
        setPolicy(platform, model, true, "new versions go live by canary");
        return model;
    }

    private static void setPolicy(VigilPlatform platform, ModelName model, boolean requireCanary, String reason) {
        ObjectNode policy = Json.mapper().valueToTree(GatePolicy.defaults());
        policy.put("requireCanary", requireCanary);
        platform.gatePolicies().update(model, Json.convert("the policy", policy, GatePolicy.class), STEWARD, reason);
    }

    /** Version 1 of the model's policy replaced below the platform by a file cut off mid-value. */
    private static void damagePolicy(VigilPlatform platform, ModelName model) {
        byte[] cut = "{\"version\": 1, \"aurocFloor\": 0.6.5".getBytes(StandardCharsets.UTF_8);
        platform.artifacts().put(ArtifactStore.DATASETS, "gate-policies/" + model.value() + "/1.json",
                new ByteArrayInputStream(cut), true);
    }

    private static List<AuditRecord> refused(VigilPlatform platform) {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return platform.audit().read(today.minusDays(1), today).stream()
                .filter(r -> r.outcome().equals("refused")).toList();
    }
}
