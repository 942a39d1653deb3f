package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import health.vigil.config.VigilConfig;
import health.vigil.functions.common.VigilInstanceInjector;
import health.vigil.functions.common.testing.HostResponse;
import health.vigil.gates.EarlierReleaseDatasets;
import health.vigil.gates.EvaluationDataset;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code POST /datasets} sent again for a dataset an earlier release registered: the registration it made. */
class DatasetRegistrationReplayTest {
    private static final String STEWARD_KEY = "k-steward";

    @TempDir
    Path home;

    @Test
    void aDatasetAnEarlierReleaseRegisteredIsAnsweredAsRegisteredAndNothingIsRecorded() throws Exception {
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { })
                .authenticator(headers -> new Principal("data-steward", Set.of(Role.DATASETS_REGISTER))).build()) {
            // 40 patients, each with a record number of their own declared as a segment: refused since that rule came.
            StringBuilder csv = new StringBuilder("mrn,outcome\n");
            for (int i = 0; i < 40; i++) {
                csv.append("MRN-00123").append(10 + i).append(',').append(i % 2).append('\n');
            }
            EvaluationDataset stored = EarlierReleaseDatasets.store(platform.artifacts(), platform.audit(),
                    new EvaluationDataset.Declaration("readmission", "eval.csv", "outcome", null, null,
                            List.of("mrn")), csv.toString().getBytes(StandardCharsets.UTF_8), "data-steward",
                    Instant.parse("2026-11-02T09:00:00Z"));
            List<AuditRecord> recorded = EarlierReleaseDatasets.registrations(platform.audit());
            ObjectNode body = Json.mapper().createObjectNode().put("model", "readmission").put("fileName", "eval.csv")
                    .put("label", "outcome").put("csv", csv.toString());
            body.putArray("segments").add("mrn");
            DatasetFunctions functions = new VigilInstanceInjector(() -> platform).getInstance(DatasetFunctions.class);

            HttpResponseMessage answer = functions.register(post(body.toString()),
                    new RecordingContext("RegisterDataset"));

            assertThat(answer.getStatusCode()).isEqualTo(201);
            JsonNode manifest = Json.readTree("the answer", (byte[]) answer.getBody());
            assertThat(Json.mapper().convertValue(manifest, EvaluationDataset.class)).isEqualTo(stored);
            assertThat(EarlierReleaseDatasets.registrations(platform.audit())).isEqualTo(recorded);
        }
    }

    @SuppressWarnings("unchecked")
    private static HttpRequestMessage<Optional<String>> post(String body) {
        HttpRequestMessage<Optional<String>> request = mock(HttpRequestMessage.class);
        when(request.getHeaders()).thenReturn(Map.of("x-api-key", STEWARD_KEY, "content-type", "application/json"));
        when(request.getBody()).thenReturn(Optional.of(body));
        when(request.getQueryParameters()).thenReturn(Map.of());
        when(request.getHttpMethod()).thenReturn(HttpMethod.POST);
        when(request.getUri()).thenReturn(URI.create("http://localhost/api/datasets"));
        when(request.createResponseBuilder(any(HttpStatus.class)))
                .thenAnswer(inv -> new HostResponse(inv.getArgument(0)));
        return request;
    }
}
