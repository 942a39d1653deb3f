package health.vigil.functions.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.canary.InMemoryPredictionLog;
import health.vigil.config.VigilConfig;
import health.vigil.explain.ClinicalExplainer;
import health.vigil.explain.FeatureMapping;
import health.vigil.explain.LinearShap;
import health.vigil.features.Columns;
import health.vigil.features.DefinedPipeline;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.testing.HostResponse;
import health.vigil.model.AuditRecord;
import health.vigil.model.Explanation;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.platform.VigilPlatform;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.ServiceFixtures;
import health.vigil.scoring.PredictionExplanations;
import health.vigil.scoring.PredictionRetention;
import health.vigil.scoring.ScoringService;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GET /predictions/{id}/explanation} as the host calls it, against the platform's local stores. */
class ExplanationFunctionsTest {
    private static final Instant NOW = Instant.parse("2026-12-07T12:00:00Z");

    @TempDir
    Path home;

    private VigilPlatform platform;
    private ExplanationFunctions functions;

    @BeforeEach
    void aLocalPlatform() {
        platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { })
                .clock(Clock.fixed(NOW, ZoneOffset.UTC)).build();
        functions = new ExplanationFunctions(platform, http());
    }

    private static HttpApi http() {
        return new HttpApi(headers -> new Principal(headers.get("x-api-key"), Set.of(Role.SCORING_INVOKE)),
                new VigilConfig.Limits(1000, 1000, 4, 10, 64));
    }

    @AfterEach
    void close() {
        platform.close();
    }

    @Test
    void anIdThatIsNotHexadecimalIsA400RecordedOnceAsInvalidWithoutTheText() {
        String typed = "Smith, John 2048";

        HttpResponseMessage response = functions.explanation(request("/predictions/Smith,%20John%202048/explanation"),
                typed, context());

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(new String((byte[]) response.getBody(), StandardCharsets.UTF_8))
                .contains("hexadecimal digits and hyphens").doesNotContain("Smith");
        List<AuditRecord> reads = platform.audit().read(LocalDate.of(2026, 12, 6), LocalDate.of(2026, 12, 8)).stream()
                .filter(r -> r.action().equals(PredictionExplanations.ACTION)).toList();
        assertThat(reads).extracting(AuditRecord::actor, AuditRecord::subject, AuditRecord::outcome)
                .containsExactly(tuple("clinician", "predictions", "invalid"));
        assertThat(reads.get(0).toString()).doesNotContain("Smith", "2048");
    }

    @Test
    void anAcceptHeaderNoFormAnswersIsA406AndNoReadIsRecordedForIt() {
        FeatureSchema schema = new FeatureSchema(List.of(Feature.integer("number_inpatient", "admissions", 0, 200)));
        DefinedPipeline pipeline = new DefinedPipeline("readmission", schema, List.of(
                Columns.value("number_inpatient", 0)));
        InMemoryRegistryStore registry = new InMemoryRegistryStore();
        registry.put(ServiceFixtures.version(ServiceFixtures.READMISSION, 1, Stage.PRODUCTION,
                ServiceFixtures.manifest(ServiceFixtures.READMISSION, schema, 0.3)));
        Explanation explanation = new ClinicalExplainer(new LinearShap(new double[] {0.4}, -1.5, new double[] {1}),
                FeatureMapping.of(pipeline, Map.of()), 5).explain(new double[] {3}, Map.of("number_inpatient", 3L));
        InMemoryPredictionLog log = new InMemoryPredictionLog();
        String id = PredictionIds.next(NOW);
        log.append(List.of(new PredictionRecord(id, ServiceFixtures.READMISSION, 1, Slot.STABLE, null, NOW,
                new float[] {3}, explanation.score(), false, ScoringService.loggedExplanation(explanation))));
        InMemoryAuditStore store = new InMemoryAuditStore();
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        AuditLog audit = new AuditLog(store, clock);
        VigilPlatform held = mock(VigilPlatform.class);
        when(held.explanations()).thenReturn(new PredictionExplanations(log, new ModelRegistry(registry),
                new PredictionRetention(log, Duration.ofDays(30), clock, null, audit), manifest -> pipeline, audit));

        HttpResponseMessage response = new ExplanationFunctions(held, http()).explanation(
                request("/predictions/" + id + "/explanation", "image/png"), id, context());

        assertThat(response.getStatusCode()).isEqualTo(406);
        assertThat(store.partitions().stream().flatMap(p -> store.read(p).stream())
                .filter(r -> r.action().equals(PredictionExplanations.ACTION))).isEmpty();
    }

    private static HttpRequestMessage<Optional<String>> request(String path) {
        return request(path, "application/json");
    }

    @SuppressWarnings("unchecked")
    private static HttpRequestMessage<Optional<String>> request(String path, String accept) {
        HttpRequestMessage<Optional<String>> request = mock(HttpRequestMessage.class);
        when(request.getHeaders()).thenReturn(Map.of("x-api-key", "clinician", "accept", accept));
        when(request.getBody()).thenReturn(Optional.empty());
        when(request.getQueryParameters()).thenReturn(Map.of());
        when(request.getHttpMethod()).thenReturn(HttpMethod.GET);
        when(request.getUri()).thenReturn(URI.create("http://localhost" + path));
        when(request.createResponseBuilder(any(HttpStatus.class)))
                .thenAnswer(inv -> new HostResponse(inv.getArgument(0)));
        return request;
    }

    private static ExecutionContext context() {
        ExecutionContext context = mock(ExecutionContext.class);
        when(context.getInvocationId()).thenReturn("inv-1");
        when(context.getFunctionName()).thenReturn("PredictionExplanation");
        when(context.getLogger()).thenReturn(Logger.getAnonymousLogger());
        return context;
    }
}
