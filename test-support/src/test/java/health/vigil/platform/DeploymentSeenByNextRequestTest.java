package health.vigil.platform;

import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.governance.SetUpRegistration;
import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.config.VigilConfig;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.port.RegistryStore;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import health.vigil.security.Principal;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scoring path caches each model's deployment; a deploy or rollback, by this process or another one on the
 * same registry file, must still apply to the very next request.
 */
class DeploymentSeenByNextRequestTest {
    @TempDir
    Path home;

    private VigilPlatform platform;
    private ModelName model;

    @BeforeEach
    void twoRegisteredVersions() {
        platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { }).build();
        register(SampleModels.readmissionLogistic(), "logistic.zip");
        model = register(SampleModels.readmissionTrees(), "trees.zip");
        SetUpApproval.approve(platform, new ModelVersion(model, 1));
        SetUpApproval.approve(platform, new ModelVersion(model, 2));
    }

    @Test
    void aDeployAndARollbackAreScoredByTheVeryNextRequest() {
        try (VigilPlatform p = platform) {
            p.deployments().deploy(model, 1, Principal.SYSTEM);
            assertThat(scoredVersion()).isEqualTo(1);
            assertThat(scoredVersion()).isEqualTo(1);

            p.deployments().deploy(model, 2, Principal.SYSTEM);
            assertThat(p.scoring().models().isLoaded(new ModelVersion(model, 2)))
                    .as("the deploy returned before the version was loaded: the next patient would pay for it").isTrue();
            assertThat(scoredVersion()).isEqualTo(2);

            p.deployments().deploy(model, 1, Principal.SYSTEM);
            assertThat(scoredVersion()).isEqualTo(1);
        }
    }

    @Test
    void aDeploymentSavedByAnotherProcessOnTheRegistryFileIsScoredByTheVeryNextRequest() {
        try (VigilPlatform p = platform) {
            p.deployments().deploy(model, 1, Principal.SYSTEM);
            assertThat(scoredVersion()).isEqualTo(1);

            // A second store on the same file, as the CLI beside `vigil up` opens it.
            try (LocalAdapters adapters = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT)) {
                RegistryStore other = adapters.registryStore();
                Deployment current = other.findDeployment(model).orElseThrow();
                other.saveDeployment(Deployment.stableOnly(model, 2, current.revision() + 1, "ops", current.updatedAt(),
                        current.etag()));
            }
            assertThat(scoredVersion()).isEqualTo(2);
        }
    }

    private int scoredVersion() {
        return TestPatient.scoredVersion(platform, model);
    }

    private ModelName register(SamplePackage sample, String blob) {
        return SetUpRegistration.register(platform, sample, blob);
    }
}
