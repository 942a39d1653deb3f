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
import com.microsoft.azure.functions.HttpStatusType;
import health.vigil.config.VigilConfig;
import health.vigil.functions.common.HttpApi;
import health.vigil.model.AuditRecord;
import health.vigil.platform.VigilPlatform;
import health.vigil.scoring.PredictionExplanations;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.HashMap;
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
        HttpApi http = new HttpApi(headers -> new Principal(headers.get("x-api-key"), Set.of(Role.SCORING_INVOKE)),
                new VigilConfig.Limits(1000, 1000, 4, 10, 64));
        functions = new ExplanationFunctions(platform, http);
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

    @SuppressWarnings("unchecked")
    private static HttpRequestMessage<Optional<String>> request(String path) {
        HttpRequestMessage<Optional<String>> request = mock(HttpRequestMessage.class);
        when(request.getHeaders()).thenReturn(Map.of("x-api-key", "clinician", "accept", "application/json"));
        when(request.getBody()).thenReturn(Optional.empty());
        when(request.getQueryParameters()).thenReturn(Map.of());
        when(request.getHttpMethod()).thenReturn(HttpMethod.GET);
        when(request.getUri()).thenReturn(URI.create("http://localhost" + path));
        when(request.createResponseBuilder(any(HttpStatus.class))).thenAnswer(inv -> new Built(inv.getArgument(0)));
        return request;
    }

    private static ExecutionContext context() {
        ExecutionContext context = mock(ExecutionContext.class);
        when(context.getInvocationId()).thenReturn("inv-1");
        when(context.getFunctionName()).thenReturn("PredictionExplanation");
        when(context.getLogger()).thenReturn(Logger.getAnonymousLogger());
        return context;
    }

    /** A response as the host builds one. */
    private static final class Built implements HttpResponseMessage.Builder, HttpResponseMessage {
        private HttpStatusType status;
        private final Map<String, String> headers = new HashMap<>();
        private Object body;

        Built(HttpStatusType status) {
            this.status = status;
        }

        @Override
        public HttpResponseMessage.Builder status(HttpStatusType status) {
            this.status = status;
            return this;
        }

        @Override
        public HttpResponseMessage.Builder header(String key, String value) {
            headers.put(key, value);
            return this;
        }

        @Override
        public HttpResponseMessage.Builder body(Object body) {
            this.body = body;
            return this;
        }

        @Override
        public HttpResponseMessage build() {
            return this;
        }

        @Override
        public HttpStatusType getStatus() {
            return status;
        }

        @Override
        public String getHeader(String key) {
            return headers.get(key);
        }

        @Override
        public Object getBody() {
            return body;
        }
    }
}
