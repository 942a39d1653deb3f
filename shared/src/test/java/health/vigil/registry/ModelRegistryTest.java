package health.vigil.registry;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.version;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.json.Json;
import health.vigil.model.Deployment;
import health.vigil.model.Displaced;
import health.vigil.model.IdempotencyKey;
import health.vigil.model.ModelName;
import health.vigil.model.RecentRequest;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.port.RegistryStore;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class ModelRegistryTest {
    private final RegistryStore store = mock(RegistryStore.class);
    private final ModelRegistry registry = new ModelRegistry(store);
    private final VersionRecord v1 = version(READMISSION, 1, Stage.RETIRED);
    private final VersionRecord v2 = version(READMISSION, 2, Stage.PRODUCTION);
    private final VersionRecord v3 = version(READMISSION, 3, Stage.REGISTERED);

    @Test
    void getVersionReturnsTheStoredRecord() {
        when(store.findVersion(READMISSION, 2)).thenReturn(Optional.of(v2));

        assertThat(registry.getVersion(READMISSION, 2)).isEqualTo(v2);
    }

    @Test
    void anUnknownVersionSaysWhichVersionsExist() {
        when(store.findVersion(READMISSION, 7)).thenReturn(Optional.empty());
        when(store.listVersions(READMISSION)).thenReturn(List.of(v1, v2, v3));

        assertThatThrownBy(() -> registry.getVersion(READMISSION, 7))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.VERSION_NOT_FOUND))
                .hasMessageContaining("`readmission` has no version 7").hasMessageContaining("1 to 3");
    }

    @Test
    void versionZeroIsNotFoundWithoutAskingTheStoreForIt() {
        when(store.listVersions(READMISSION)).thenReturn(List.of(v1));

        assertThatThrownBy(() -> registry.getVersion(READMISSION, 0))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.VERSION_NOT_FOUND))
                .hasMessageContaining("versions are 1 (");
    }

    @Test
    void anUnknownModelListsTheRegisteredOnes() {
        ModelName missing = ModelName.of("adherence");
        when(store.findVersion(missing, 1)).thenReturn(Optional.empty());
        when(store.listVersions(missing)).thenReturn(List.of());
        when(store.listModels()).thenReturn(List.of(ModelName.of("post-op"), READMISSION));

        assertThatThrownBy(() -> registry.getVersion(missing, 1))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND))
                .hasMessageContaining("`adherence` is not registered")
                .hasMessageContaining("registered models: post-op, readmission");
        assertThatThrownBy(() -> registry.listVersions(missing))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND));
    }

    @Test
    void summaryGivesTheLatestVersionTheCountAndTheDeployment() {
        Deployment deployment = Deployment.stableOnly(READMISSION, 2, 4, "ops", Instant.parse("2026-11-03T00:00:00Z"), "e");
        when(store.listVersions(READMISSION)).thenReturn(List.of(v1, v2, v3));
        when(store.findDeployment(READMISSION)).thenReturn(Optional.of(deployment));

        ModelSummary summary = registry.summary(READMISSION);

        assertThat(summary.versionCount()).isEqualTo(3);
        assertThat(summary.latest()).isEqualTo(v3);
        assertThat(summary.currentDeployment()).contains(deployment);
    }

    @Test
    void aSummaryAsCallersReadItLeavesOutTheKeyedRequestsItsDeploymentRemembers() {
        Instant at = Instant.parse("2026-11-03T00:00:00Z");
        Deployment deployment = Deployment.stableOnly(READMISSION, 2, 4, "ops", at, "e").remembering(RecentRequest.of(
                new IdempotencyKey("deploy-2"), "ops", RecentRequest.DEPLOY, OptionalInt.of(2), 4, 2, at));
        when(store.listVersions(READMISSION)).thenReturn(List.of(v1, v2, v3));
        when(store.findDeployment(READMISSION)).thenReturn(Optional.of(deployment));

        JsonNode answered = Json.mapper().valueToTree(registry.summary(READMISSION));

        assertThat(answered.at("/deployment/slots/0/version").asInt()).isEqualTo(2);
        assertThat(answered.at("/deployment/revision").asLong()).isEqualTo(4);
        assertThat(answered.path("deployment").has("requests")).as(answered.toString()).isFalse();
        assertThat(answered.toString()).doesNotContain("deploy-2");
    }

    @Test
    void aSummaryLeavesOutWhatItsDeploymentKeepsOfItsDeployForTheDeploysRecord() {
        Deployment deployment = Deployment.stableOnly(READMISSION, 3, 5, "ops", Instant.parse("2026-11-03T00:00:00Z"),
                "e").keeping(OptionalInt.of(1), Optional.of(new Displaced(2, Displaced.EXPERIMENT)));
        when(store.listVersions(READMISSION)).thenReturn(List.of(v1, v2, v3));
        when(store.findDeployment(READMISSION)).thenReturn(Optional.of(deployment));

        JsonNode answered = Json.mapper().valueToTree(registry.summary(READMISSION)).path("deployment");

        assertThat(answered.path("revision").asLong()).isEqualTo(5);
        assertThat(answered.has(Deployment.KEPT_PREVIOUS)).as(answered.toString()).isFalse();
        assertThat(answered.has(Deployment.KEPT_DISPLACED)).as(answered.toString()).isFalse();
    }

    @Test
    void summaryOfAModelNeverDeployedHasNoDeployment() {
        when(store.listVersions(READMISSION)).thenReturn(List.of(v1));
        when(store.findDeployment(READMISSION)).thenReturn(Optional.empty());

        assertThat(registry.summary(READMISSION).currentDeployment()).isEmpty();
    }

    @Test
    void modelsAreListedInNameOrder() {
        when(store.listModels()).thenReturn(List.of(READMISSION, ModelName.of("adherence")));

        assertThat(registry.listModels()).containsExactly(ModelName.of("adherence"), READMISSION);
    }
}
