package health.vigil.platform;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.adapter.local.LocalAdapters;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.config.VigilConfig;
import health.vigil.events.BlobCreated;
import health.vigil.json.Json;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.port.ArtifactStore;
import health.vigil.port.RegistryStore;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.security.Principal;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
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
        Map<String, JsonNode> features = new LinkedHashMap<>();
        JsonNode record = Json.readTree("the test patient", ("{\"age\": 71, \"prior_inpatient_stays\": 2, \"hba1c\": 8.4,"
                + " \"on_insulin\": true, \"admission_type\": \"emergency\", \"length_of_stay_days\": 5}")
                .getBytes(StandardCharsets.UTF_8));
        record.fields().forEachRemaining(e -> features.put(e.getKey(), e.getValue()));
        return platform.scoring().score(new ScoreRequest(model, null, List.of(new PatientRow("patient-1", features))))
                .row(0).version();
    }

    private ModelName register(SamplePackage sample, String blob) {
        byte[] zip = sample.zip();
        ArtifactStore.StoredArtifact stored = platform.artifacts()
                .put(ArtifactStore.MODELS, blob, new ByteArrayInputStream(zip), false);
        RegistrationOutcome outcome = platform.registration().register(new BlobCreated("upload-" + blob,
                ArtifactStore.MODELS, blob, "file:" + blob, zip.length, stored.etag()));
        assertThat(outcome.kind()).as(outcome.message()).isEqualTo(RegistrationOutcome.Kind.REGISTERED);
        return outcome.version().modelName();
    }
}
