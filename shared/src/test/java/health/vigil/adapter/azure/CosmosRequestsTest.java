package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.CosmosException;
import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.CosmosItemResponse;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.hash.Sha256;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.Stage;
import health.vigil.model.StageChange;
import health.vigil.model.VersionRecord;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

/**
 * How the Cosmos DB adapters build their requests — ids, partition keys, ETag conditions — checked without a
 * server, so what the npm server cannot show (how a request would reach the real service) is pinned here too.
 */
class CosmosRequestsTest {
    private static final ModelName MODEL = new ModelName("readmission");
    private final CosmosContainer container = mock(CosmosContainer.class);

    private static CosmosException status(int status) {
        CosmosException e = mock(CosmosException.class);
        when(e.getStatusCode()).thenReturn(status);
        when(e.getSubStatusCode()).thenReturn(0);
        return e;
    }

    @SuppressWarnings("unchecked")
    private static CosmosItemResponse<ObjectNode> response(String etag) {
        CosmosItemResponse<ObjectNode> r = mock(CosmosItemResponse.class);
        when(r.getETag()).thenReturn(etag);
        return r;
    }

    @Test
    void anUpdateReplacesTheVersionDocumentInTheModelsPartitionOnlyIfTheEtagMatches() {
        CosmosItemResponse<ObjectNode> answer0 = response("\"etag-2\"");
        VersionRecord read = Fixtures.version(MODEL, 2, "a".repeat(64)).withEtag("\"etag-1\"");
        when(container.replaceItem(any(ObjectNode.class), anyString(), any(PartitionKey.class),
                any(CosmosItemRequestOptions.class))).thenReturn(answer0);

        VersionRecord updated = new CosmosRegistryStore(container).updateVersion(read.withStage(new StageChange(null, Stage.APPROVED, "store-test", "written directly to the store", Fixtures.T0)));

        ArgumentCaptor<ObjectNode> doc = ArgumentCaptor.forClass(ObjectNode.class);
        ArgumentCaptor<CosmosItemRequestOptions> options = ArgumentCaptor.forClass(CosmosItemRequestOptions.class);
        verify(container).replaceItem(doc.capture(), eq("version-2"), eq(new PartitionKey("readmission")), options.capture());
        assertThat(options.getValue().getIfMatchETag()).isEqualTo("\"etag-1\"");
        assertThat(doc.getValue().path("id").asText()).isEqualTo("version-2");
        assertThat(doc.getValue().path("modelName").asText()).isEqualTo("readmission");
        assertThat(doc.getValue().path("type").asText()).isEqualTo("version");
        assertThat(doc.getValue().path("packageSha256").asText()).isEqualTo("a".repeat(64));
        assertThat(doc.getValue().path("body").path("stage").asText()).isEqualTo("APPROVED");
        assertThat(doc.getValue().path("body").has("etag")).as("the etag lives in _etag, not in the body")
                .isTrue();
        assertThat(doc.getValue().path("body").path("etag").isNull()).isTrue();
        assertThat(updated.etag()).isEqualTo("\"etag-2\"");
    }

    @Test
    void aPredictionReadThatFailsForAnotherReasonThanAMissingItemIsAStoreFailureNotAMiss() {
        @SuppressWarnings("unchecked")
        CosmosItemResponse<ObjectNode> index = mock(CosmosItemResponse.class);
        ObjectNode hours = health.vigil.json.Json.mapper().createObjectNode();
        hours.putArray("members").add("2026120712/1");
        when(index.getItem()).thenReturn(hours);
        when(container.readItem(eq("hours:" + MODEL.value()), any(PartitionKey.class), eq(ObjectNode.class)))
                .thenReturn(index);
        CosmosException containerMissing = status(404);
        when(containerMissing.getSubStatusCode()).thenReturn(1003);
        when(container.readItem(eq("prediction-1"), any(PartitionKey.class), eq(ObjectNode.class)))
                .thenThrow(containerMissing);

        try (CosmosPredictionLog log = new CosmosPredictionLog(container, 1, java.time.Duration.ofDays(30), 1)) {
            assertThatThrownBy(() -> log.find(MODEL, "prediction-1", java.time.Instant.parse("2026-12-07T12:30:00Z")))
                    .isInstanceOf(StoreException.class).hasMessageContaining("does not exist");
        }
    }

    @Test
    void aPreconditionFailureIsAConcurrentModification() {
        CosmosException answer0 = status(412);
        when(container.replaceItem(any(ObjectNode.class), anyString(), any(PartitionKey.class),
                any(CosmosItemRequestOptions.class))).thenThrow(answer0);

        assertThatThrownBy(() -> new CosmosRegistryStore(container)
                .updateVersion(Fixtures.version(MODEL, 1, "a".repeat(64)).withEtag("\"e\"")))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.CONCURRENT_MODIFICATION));
    }

    @Test
    void anAuditRecordIsCreatedWithItsPartitionAndSequenceAsIdSoAClashIsRefused() {
        CosmosException answer1 = status(409);
        CosmosException answer0 = status(404);
        AuditRecord record = Fixtures.audit("2026-03-01", 5, "prev");
        when(container.readItem(anyString(), any(PartitionKey.class), eq(ObjectNode.class))).thenThrow(answer0);
        CosmosItemResponse<ObjectNode> indexed = response("\"i\"");
        when(container.createItem(any(ObjectNode.class), eq(new PartitionKey(CosmosAuditStore.INDEX_PARTITION)),
                any(CosmosItemRequestOptions.class))).thenReturn(indexed);
        when(container.createItem(any(ObjectNode.class), eq(new PartitionKey("2026-03-01")),
                any(CosmosItemRequestOptions.class))).thenThrow(answer1);

        boolean appended = new CosmosAuditStore(container).tryAppend(record);

        assertThat(appended).isFalse();
        ArgumentCaptor<ObjectNode> doc = ArgumentCaptor.forClass(ObjectNode.class);
        verify(container).createItem(doc.capture(), eq(new PartitionKey("2026-03-01")), any(CosmosItemRequestOptions.class));
        assertThat(doc.getValue().path("id").asText()).isEqualTo("2026-03-01:5");
        assertThat(doc.getValue().path("partition").asText()).isEqualTo("2026-03-01");
        assertThat(doc.getValue().path("sequence").asLong()).isEqualTo(5);
        // Lost the race: the head is not touched.
        verify(container, never()).replaceItem(any(ObjectNode.class), eq(CosmosAuditStore.HEAD_ID), any(PartitionKey.class),
                any(CosmosItemRequestOptions.class));
    }

    @Test
    void anEventMarkerLivesInItsHandlersPartitionUnderTheHashOfTheEventId() {
        CosmosItemResponse<ObjectNode> answer0 = response("\"m\"");
        when(container.createItem(any(ObjectNode.class), any(PartitionKey.class), any(CosmosItemRequestOptions.class)))
                .thenReturn(answer0);

        assertThat(new CosmosRegistryStore(container).markEventHandled("RegisterModel", "a/b?c")).isTrue();

        ArgumentCaptor<ObjectNode> doc = ArgumentCaptor.forClass(ObjectNode.class);
        verify(container).createItem(doc.capture(), eq(new PartitionKey("_events:RegisterModel")),
                any(CosmosItemRequestOptions.class));
        assertThat(doc.getValue().path("id").asText()).isEqualTo(Sha256.hex("RegisterModel\na/b?c"));
    }

    @Test
    void throttlingThatOutlastsTheRetriesSaysToRaiseThroughput() {
        CosmosException answer0 = status(429);
        when(container.readItem(anyString(), any(PartitionKey.class), eq(ObjectNode.class))).thenThrow(answer0);

        assertThatThrownBy(() -> new CosmosRegistryStore(container).findVersion(MODEL, 1))
                .isInstanceOfSatisfying(StoreException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
                .hasMessageContaining("throttled").hasMessageContaining("RU/s");
    }

    @Test
    void aRefusedIdentityIsToldWhichRoleItLacks() {
        CosmosException answer0 = status(403);
        when(container.readItem(anyString(), any(PartitionKey.class), eq(ObjectNode.class))).thenThrow(answer0);

        assertThatThrownBy(() -> new CosmosRegistryStore(container).findDeployment(MODEL))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("data-plane roles on the container").hasMessageContaining("docs/azure.md");
    }

    @Test
    void predictionPartitionsNameModelHourAndShard() {
        assertThat(CosmosPredictionLog.partition(MODEL, "2026030110", 3)).isEqualTo("readmission:2026030110:3");
        // String.hashCode is specified by the JDK, so the shard of an id is the same in every process.
        assertThat(CosmosPredictionLog.shardOf("p-1", 4)).isEqualTo(Math.floorMod(31 * (31 * 'p' + '-') + '1', 4));
    }
}
