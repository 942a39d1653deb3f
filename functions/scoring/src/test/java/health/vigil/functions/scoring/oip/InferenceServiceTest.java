package health.vigil.functions.scoring.oip;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.manifest;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import health.vigil.config.VigilConfig;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.json.Json;
import health.vigil.model.Deployment;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.TrafficSlot;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.ModelRegistry;
import health.vigil.scoring.LoadedModels;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoreResult;
import health.vigil.scoring.ScoredRow;
import health.vigil.scoring.ScoringService;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

class InferenceServiceTest {
    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final ModelRegistry registry = new ModelRegistry(store);
    private final ScoringService scoring = mock(ScoringService.class);
    private final InferenceService service = new InferenceService(scoring, registry);

    @Test
    void anInferenceRequestIsScoredByTheScoringServiceAndAnsweredInTheProtocol() {
        when(scoring.limits()).thenReturn(VigilConfig.Limits.DEFAULTS);
        when(scoring.score(any())).thenReturn(new ScoreResult(List.of(
                new ScoredRow("p-1", READMISSION, 3, Slot.STABLE, 0.7, true, "readmitted", 0.3))));
        InferenceRequest request = Json.read("request", """
                {"id": "r1", "parameters": {"patient_ids": ["MRN-1"]},
                 "inputs": [{"name": "age", "shape": [1], "datatype": "INT64", "data": [70]}]}"""
                .getBytes(StandardCharsets.UTF_8), InferenceRequest.class);

        InferenceResponse response = service.infer(READMISSION, 3, request);

        ArgumentCaptor<ScoreRequest> sent = ArgumentCaptor.forClass(ScoreRequest.class);
        verify(scoring).score(sent.capture());
        assertThat(sent.getValue().version()).isEqualTo(3);
        assertThat(sent.getValue().rows().get(0).patientId()).isEqualTo("MRN-1");
        assertThat(response.modelVersion()).isEqualTo("3");
        assertThat(response.id()).isEqualTo("r1");
        assertThat(response.outputs().get(0).data()).isEqualTo(List.of(0.7));
    }

    @Test
    void metadataDescribesTheDeployedStableVersion() {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.REGISTERED, manifest(READMISSION,
                new FeatureSchema(List.of(Feature.numeric("egfr", null, 0, 200))), 0.5)));
        store.saveDeployment(Deployment.stableOnly(READMISSION, 1, 1, "ops", Instant.parse("2026-11-05T00:00:00Z"), null));

        ModelMetadataResponse deployed = service.metadata(READMISSION, null);
        ModelMetadataResponse second = service.metadata(READMISSION, 2);

        // Only what may be named in the path: version 2 is registered, not deployed, and inference on it is refused.
        assertThat(deployed.versions()).containsExactly("1");
        assertThat(second.versions()).containsExactly("1");
        assertThat(deployed.inputs()).extracting(ModelMetadataResponse.TensorMetadata::name)
                .containsExactly("age", "sex", "bmi", "diabetic");
        assertThat(second.inputs()).extracting(ModelMetadataResponse.TensorMetadata::name).containsExactly("egfr");
    }

    @Test
    void theShadowVersionIsNeitherOfferedNorReadyForInferenceByNumber() {
        store.put(version(READMISSION, 1, Stage.PRODUCTION));
        store.put(version(READMISSION, 2, Stage.ROLLED_BACK));
        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL),
                new TrafficSlot(Slot.SHADOW, 2, 1_000)), 1, "ops", Instant.parse("2026-11-05T00:00:00Z"), null));
        LoadedModels loaded = mock(LoadedModels.class);
        when(scoring.models()).thenReturn(loaded);
        when(loaded.isReady(any(ModelVersion.class))).thenReturn(true);

        assertThat(service.metadata(READMISSION, null).versions()).containsExactly("1");
        assertThat(service.isReady(READMISSION, 1)).isTrue();
        assertThat(service.isReady(READMISSION, 2)).as("the shadow answers no request").isFalse();
    }

    @Test
    void metadataOfAModelNeverDeployedDescribesItsLatestVersion() {
        store.put(version(READMISSION, 1, Stage.REGISTERED));
        store.put(version(READMISSION, 2, Stage.REGISTERED, manifest(READMISSION,
                new FeatureSchema(List.of(Feature.numeric("egfr", null, 0, 200))), 0.5)));

        assertThat(service.metadata(READMISSION, null).inputs()).extracting(ModelMetadataResponse.TensorMetadata::name)
                .containsExactly("egfr");
        assertThat(service.metadata(READMISSION, null).versions()).isEmpty();
    }

    @Test
    void metadataOfAnUnknownModelIsNotFound() {
        assertThatThrownBy(() -> service.metadata(ModelName.of("adherence"), null))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND));
    }
}
