package health.vigil.functions.common;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import health.vigil.audit.AccessAudit;
import health.vigil.audit.AuditLog;
import health.vigil.audit.InMemoryAuditStore;
import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig;
import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.testing.HostResponse;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.port.Telemetry;
import health.vigil.security.Authenticator;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import java.util.logging.StreamHandler;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class HttpApiTest {
    private final Authenticator authenticator = headers -> {
        String key = headers.get("x-api-key");
        if (key == null) {
            throw new health.vigil.error.AccessDeniedException(ErrorCode.UNAUTHENTICATED, "no API key");
        }
        return new Principal(key, key.equals("scorer") ? Set.of(Role.SCORING_INVOKE) : Set.of());
    };
    private final HttpApi api = new HttpApi(authenticator, new VigilConfig.Limits(1000, 1000, 4, 10, 64));
    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();
    private ExecutionContext context;

    @BeforeEach
    void setUp() {
        Logger logger = Logger.getAnonymousLogger();
        logger.setUseParentHandlers(false);
        StreamHandler handler = new StreamHandler(logged, new SimpleFormatter());
        handler.setLevel(java.util.logging.Level.ALL);
        logger.addHandler(handler);
        context = mock(ExecutionContext.class);
        when(context.getInvocationId()).thenReturn("inv-1");
        when(context.getLogger()).thenReturn(logger);
    }

    @Test
    void answersTheHandlersBodyAsJsonForAnAuthorisedCaller() {
        HttpResponseMessage response = api.handle(request(Map.of("x-api-key", "scorer"), "{\"a\":1}"), context,
                Access.role(Role.SCORING_INVOKE), call -> Map.of("caller", call.principal().id(), "a", call.json().get("a")));

        assertThat(response.getStatusCode()).isEqualTo(200);
        JsonNode body = body(response);
        assertThat(body.get("caller").asText()).isEqualTo("scorer");
        assertThat(body.get("a").asInt()).isEqualTo(1);
    }

    @Test
    void aQueryParameterGivenTwiceIsRefusedAndTheHandlerNeverRuns() {
        java.util.concurrent.atomic.AtomicInteger ran = new java.util.concurrent.atomic.AtomicInteger();
        HttpApi.Handler counting = call -> {
            ran.incrementAndGet();
            return Map.of("explain", call.queryParam("explain").orElse("-"));
        };
        for (String query : new String[] {"explain=false&explain=true", "explain=false&explain=false",
                "explain=false&x=1&expl%61in=true", "explain&explain=true"}) {
            HttpResponseMessage response = api.handle(request(Map.of("x-api-key", "scorer"), null, query), context,
                    Access.role(Role.SCORING_INVOKE), counting);
            assertThat(response.getStatusCode()).as(query).isEqualTo(400);
            JsonNode error = body(response).get("error");
            assertThat(error.get("code").asText()).isEqualTo("INVALID_REQUEST");
            assertThat(error.get("message").asText()).isEqualTo(
                    "query parameter 'explain' is given more than once; give each query parameter once");
        }
        // A name that is not a plain name is described, not repeated.
        HttpResponseMessage odd = api.handle(request(Map.of("x-api-key", "scorer"), null, "MRN%201234=1&MRN+1234=2"),
                context, Access.role(Role.SCORING_INVOKE), counting);
        assertThat(odd.getStatusCode()).isEqualTo(400);
        assertThat(body(odd).get("error").get("message").asText()).doesNotContain("MRN").contains("more than once");
        assertThat(ran).hasValue(0);

        // Each name once, empty pieces and a stranger's repeated parameters (401 first) are not this check's business.
        for (String query : new String[] {"explain=false", "explain=false&version=2", "explain=false&&version=2", ""}) {
            HttpResponseMessage response = api.handle(request(Map.of("x-api-key", "scorer"), null, query), context,
                    Access.role(Role.SCORING_INVOKE), counting);
            assertThat(response.getStatusCode()).as(query).isEqualTo(200);
        }
        assertThat(ran).hasValue(4);
        assertThat(api.handle(request(Map.of(), null, "a=1&a=2"), context, Access.role(Role.SCORING_INVOKE), counting)
                .getStatusCode()).isEqualTo(401);
    }

    @Test
    void aPagesRouteAnswersItsErrorsAsAPageToAClientThatPrefersHtmlAndAsJsonToEveryOther() {
        HttpApi.Handler refusing = call -> {
            throw new health.vigil.error.NotFoundException(ErrorCode.PREDICTION_NOT_FOUND, "no prediction <b>here</b>");
        };
        for (String accept : new String[] {"text/html", "text/html,application/xhtml+xml,*/*;q=0.8",
                "application/json;q=0.5, text/html"}) {
            HttpResponseMessage page = api.handlePage(request(Map.of("x-api-key", "scorer", "accept", accept), null),
                    context, Access.role(Role.SCORING_INVOKE), refusing);
            assertThat(page.getStatusCode()).as(accept).isEqualTo(404);
            assertThat(page.getHeader("Content-Type")).isEqualTo("text/html; charset=utf-8");
            assertThat(page.getHeader("Content-Security-Policy")).isEqualTo(HttpApi.PAGE_SECURITY_POLICY);
            assertThat(page.getBody().toString()).startsWith("<!DOCTYPE html>")
                    .contains("no prediction &lt;b&gt;here&lt;/b&gt;", "PREDICTION_NOT_FOUND", "inv-1")
                    .doesNotContain("<b>here");
        }
        HttpResponseMessage stranger = api.handlePage(request(Map.of("accept", "text/html"), null), context,
                Access.role(Role.SCORING_INVOKE), refusing);
        assertThat(stranger.getStatusCode()).isEqualTo(401);
        assertThat(stranger.getBody().toString()).startsWith("<!DOCTYPE html>").contains("UNAUTHENTICATED");

        for (String accept : new String[] {"application/json", "*/*", "text/html;q=0.5, application/json", "image/png"}) {
            HttpResponseMessage json = api.handlePage(request(Map.of("x-api-key", "scorer", "accept", accept), null),
                    context, Access.role(Role.SCORING_INVOKE), refusing);
            assertThat(json.getStatusCode()).as(accept).isEqualTo(404);
            assertThat(body(json).get("error").get("code").asText()).isEqualTo("PREDICTION_NOT_FOUND");
        }
        assertThat(body(api.handlePage(request(Map.of("x-api-key", "scorer"), null), context,
                Access.role(Role.SCORING_INVOKE), refusing)).get("error").get("message").asText())
                .isEqualTo("no prediction <b>here</b>");
        // Every other route answers JSON whatever the client prefers.
        assertThat(body(api.handle(request(Map.of("x-api-key", "scorer", "accept", "text/html"), null), context,
                Access.role(Role.SCORING_INVOKE), refusing)).get("error").get("code").asText())
                .isEqualTo("PREDICTION_NOT_FOUND");
    }

    @Test
    void everyFailedRequestIsCountedOnceUnderTheFunctionsNameAndItsCode() {
        List<String> counted = new ArrayList<>();
        HttpApi counting = new HttpApi(authenticator, new VigilConfig.Limits(1000, 1000, 4, 10, 64), new Telemetry() {
            @Override
            public void failed(String operation, ErrorCode code) {
                counted.add(operation + " " + code);
            }
        });
        when(context.getFunctionName()).thenReturn("Infer");

        counting.handle(request(Map.of("x-api-key", "scorer"), null), context, Access.role(Role.SCORING_INVOKE),
                call -> {
                    throw new ValidationException(ErrorCode.INVALID_FEATURE, "feature `age` is missing");
                });
        counting.handle(request(Map.of(), null), context, Access.role(Role.SCORING_INVOKE), call -> "never");
        counting.handle(request(Map.of("x-api-key", "scorer"), null), context, Access.role(Role.SCORING_INVOKE),
                call -> {
                    throw new IllegalStateException("MRN-1234 broke it");
                });
        counting.handle(request(Map.of("x-api-key", "scorer"), null), context, Access.role(Role.SCORING_INVOKE),
                call -> "fine");

        assertThat(counted).containsExactly("Infer INVALID_FEATURE", "Infer UNAUTHENTICATED", "Infer INTERNAL");
    }

    @Test
    void withoutCredentialsTheAnswerIs401InTheErrorShape() {
        HttpResponseMessage response = api.handle(request(Map.of(), null), context, Access.role(Role.SCORING_INVOKE),
                call -> "never");

        assertThat(response.getStatusCode()).isEqualTo(401);
        JsonNode error = body(response).get("error");
        assertThat(error.get("code").asText()).isEqualTo("UNAUTHENTICATED");
        assertThat(error.get("requestId").asText()).isEqualTo("inv-1");
        assertThat(response.getHeader("X-Content-Type-Options")).isEqualTo("nosniff");
    }

    /**
     * A store that did not answer in time is a 503 a later try may get past: the answer says when to try again, to a
     * script as JSON and to a browser as a page alike; an answer no later try changes (a 400) says nothing of the kind.
     */
    @Test
    void aStoreThatDidNotAnswerIs503SayingWhenToTryAgainAndARefusalIsNot() {
        HttpResponseMessage unavailable = api.handle(request(Map.of("x-api-key", "scorer"), null), context,
                Access.role(Role.SCORING_INVOKE), call -> {
                    throw new StoreException("the registry did not answer in time", null);
                });
        HttpResponseMessage refused = api.handle(request(Map.of("x-api-key", "scorer"), null), context,
                Access.role(Role.SCORING_INVOKE), call -> {
                    throw new ValidationException(ErrorCode.INVALID_FEATURE, "feature `age` is missing");
                });

        assertThat(unavailable.getStatusCode()).isEqualTo(503);
        assertThat(body(unavailable).get("error").get("code").asText()).isEqualTo("STORE_UNAVAILABLE");
        assertThat(unavailable.getHeader("Retry-After")).isEqualTo(HttpApi.RETRY_AFTER_SECONDS);
        assertThat(refused.getStatusCode()).isEqualTo(400);
        assertThat(refused.getHeader("Retry-After")).isNull();
        HttpResponseMessage page = HttpApi.errorPage(request(Map.of("x-api-key", "scorer"), null),
                ErrorCode.STORE_UNAVAILABLE, "the registry did not answer in time", "inv-1");
        assertThat(page.getHeader("Retry-After")).isEqualTo(HttpApi.RETRY_AFTER_SECONDS);
    }

    @Test
    void aCallerWithoutTheRoleGets403NamingTheRole() {
        HttpResponseMessage response = api.handle(request(Map.of("x-api-key", "someone"), null), context,
                Access.role(Role.SCORING_INVOKE), call -> "never");

        assertThat(response.getStatusCode()).isEqualTo(403);
        assertThat(body(response).get("error").get("message").asText()).contains("Scoring.Invoke");
    }

    @Test
    void refusedRequestsAreHandedToTheAuthenticatorsEvidenceWithRouteAndKnownPrincipalOnly() {
        java.util.List<String> refusals = new java.util.ArrayList<>();
        HttpApi audited = new HttpApi(withRefusals(refusals::add), new VigilConfig.Limits(1000, 1000, 4, 10, 64));

        DeclaredFunctions functions = new DeclaredFunctions(audited, context);

        functions.score(request(Map.of(), null), call -> "never");
        functions.score(request(Map.of("x-api-key", "someone"), null), call -> "never");
        functions.score(request(Map.of("x-api-key", "scorer"), null), call -> "fine");
        functions.score(request(Map.of("x-api-key", "scorer"), "{"), call -> call.json());

        assertThat(refusals).containsExactly("POST score/{name} /score/demo null UNAUTHENTICATED",
                "POST score/{name} /score/demo someone FORBIDDEN");
    }

    @Test
    void aRefusalIsRecordedUnderTheRouteAsDeclaredNotThePathAsTyped() {
        InMemoryAuditStore store = new InMemoryAuditStore();
        HttpApi audited = new HttpApi(new AccessAudit(authenticator, new AuditLog(store,
                new MutableClock(Instant.parse("2026-11-03T10:15:00Z")))), new VigilConfig.Limits(1000, 1000, 4, 10, 64));
        DeclaredFunctions function = new DeclaredFunctions(audited, context);

        function.approve(request(Map.of(), null, "patient=PAT-SECRET-Q", "/models/PAT-SECRET-P/versions/1/approve"));
        function.approve(request(Map.of("x-api-key", "someone"), null, null, "/models/readmission/versions/1234567/approve"));
        function.approve(request(Map.of(), null, null, "/models/mrn%205551234/versions/1/approve"));

        var records = store.read("2026-11-03");
        assertThat(records).extracting(AuditRecord::action).containsOnly("access.refused");
        assertThat(records).extracting(AuditRecord::subject).containsExactly(
                "POST /models/{name}/versions/{version}/approve", "POST /models/readmission/versions/{version}/approve",
                "POST /models/{name}/versions/{version}/approve");
        assertThat(records.get(0).details()).isEqualTo(Map.of("method", "POST",
                "route", "/models/{name}/versions/{version}/approve", "status", "401", "code", "UNAUTHENTICATED"));
        assertThat(records.get(1).actor()).isEqualTo("someone");
        assertThat(records.toString()).doesNotContain("PAT-SECRET").doesNotContain("1234567").doesNotContain("5551234");

        // A call from no declared function is recorded as matching no route, with nothing of its path.
        audited.handle(request(Map.of(), null, null, "/models/PAT-SECRET-P"), context, Access.AUTHENTICATED,
                call -> "never");
        AuditRecord unrouted = store.read("2026-11-03").get(3);
        assertThat(unrouted.subject()).isEqualTo("POST " + AccessAudit.NO_ROUTE);
        assertThat(unrouted.details()).containsEntry("route", AccessAudit.NO_ROUTE);
    }

    @Test
    void theRequestLogLineNamesTheRouteAsDeclaredNotThePathAsTyped() {
        context.getLogger().setLevel(java.util.logging.Level.FINE);
        DeclaredFunctions functions = new DeclaredFunctions(api, context);

        functions.score(request(Map.of("x-api-key", "scorer"), null, null, "/score/PAT-SECRET-P"), call -> "fine");
        functions.score(request(Map.of("x-api-key", "scorer"), null, null, "/score/readmission"), call -> "fine");
        functions.approve(request(Map.of("x-api-key", "scorer"), null, null, "/models/readmission/versions/5551234/approve"));

        flushLogs();
        assertThat(logged.toString(StandardCharsets.UTF_8))
                .contains("POST /score/{name} -> 200 in ")
                .contains("POST /score/readmission -> 200 in ")
                .contains("POST /models/readmission/versions/{version}/approve -> 403 FORBIDDEN in ")
                .doesNotContain("PAT-SECRET").doesNotContain("5551234");
    }

    /** Functions as the apps declare them, each route in its trigger. */
    private static final class DeclaredFunctions {
        private final HttpApi http;
        private final ExecutionContext context;

        DeclaredFunctions(HttpApi http, ExecutionContext context) {
            this.http = http;
            this.context = context;
        }

        HttpResponseMessage score(@com.microsoft.azure.functions.annotation.HttpTrigger(name = "request",
                methods = HttpMethod.POST, route = "score/{name}") HttpRequestMessage<Optional<String>> request,
                HttpApi.Handler handler) {
            return http.handle(request, context, Access.role(Role.SCORING_INVOKE), handler);
        }

        HttpResponseMessage approve(@com.microsoft.azure.functions.annotation.HttpTrigger(name = "request",
                methods = HttpMethod.POST, route = "models/{name}/versions/{version}/approve")
                HttpRequestMessage<Optional<String>> request) {
            return http.handle(request, context, Access.role(Role.MODELS_APPROVE), call -> "never");
        }
    }

    @Test
    void aRefusalThatCannotBeRecordedIsStillA401AndIsLogged() {
        Authenticator failing = withRefusals(refusal -> {
            throw new IllegalStateException("audit store down");
        });
        HttpResponseMessage response = new HttpApi(failing, new VigilConfig.Limits(1000, 1000, 4, 10, 64))
                .handle(request(Map.of(), null), context, Access.role(Role.SCORING_INVOKE), call -> "never");

        assertThat(response.getStatusCode()).isEqualTo(401);
        flushLogs();
        assertThat(logged.toString(StandardCharsets.UTF_8)).contains("could not be recorded in the audit log");
    }

    @Test
    void anOversizedBodyIs413AndTheHandlerNeverRuns() {
        String big = "{\"x\":\"" + "y".repeat(100) + "\"}";
        HttpResponseMessage response = api.handle(request(Map.of("x-api-key", "scorer"), big), context,
                Access.role(Role.SCORING_INVOKE), call -> {
                    throw new AssertionError("handler must not run");
                });

        assertThat(response.getStatusCode()).isEqualTo(413);
        assertThat(body(response).get("error").get("code").asText()).isEqualTo("PAYLOAD_TOO_LARGE");
    }

    // The scoring routes take their body as bytes: every check and answer of a text body, the JSON read from the
    // bytes, and bytes that are not UTF-8 refused as malformed JSON instead of read with replacement characters.
    @Test
    void aBodyTakenAsBytesIsCheckedAndReadAsATextBodyIsAndBytesThatAreNotUtf8AreA400() {
        Map<String, String> scorer = Map.of("x-api-key", "scorer");
        HttpApi.Handler echo = call -> Map.of("a", call.json().get("a"));
        for (String json : java.util.List.of("{\"a\":1}", " \n{\"a\":[1,2.5e3,null]}\t", "{\"a\":\"\u00e9\u2003\ud83d\ude42\"}",
                "{\"a\":1", "[1]", "{\"a\":1}x", "", " \r\n", "{\"a\":\"" + "\u00e9".repeat(25) + "\"}",
                "{\"a\":\"" + "y".repeat(60) + "\"}")) {
            HttpResponseMessage asText = api.handle(request(scorer, json), context, Access.role(Role.SCORING_INVOKE), echo);
            HttpResponseMessage asBytes = api.handleBytes(bytesRequest(scorer, json.getBytes(StandardCharsets.UTF_8)),
                    context, Access.role(Role.SCORING_INVOKE), echo);
            assertThat(asBytes.getStatusCode()).as(json).isEqualTo(asText.getStatusCode());
            if (asText.getStatusCode() == 200) {
                assertThat(body(asBytes)).as(json).isEqualTo(body(asText));
            } else {
                assertThat(body(asBytes).at("/error/code").asText()).as(json)
                        .isEqualTo(body(asText).at("/error/code").asText());
            }
        }
        assertThat(api.handleBytes(bytesRequest(Map.of("Content-Type", "text/csv"), "a,b".getBytes(StandardCharsets.UTF_8)),
                context, Access.ANONYMOUS, call -> {
                    throw new AssertionError("handler must not run");
                }).getStatusCode()).isEqualTo(415);
        assertThat(api.handleBytes(bytesRequest(Map.of(), "{}".getBytes(StandardCharsets.UTF_8)), context,
                Access.role(Role.SCORING_INVOKE), echo).getStatusCode()).isEqualTo(401);
        // 65 bytes: over the limit of 64 however it is counted.
        assertThat(api.handleBytes(bytesRequest(scorer, new byte[65]), context, Access.role(Role.SCORING_INVOKE),
                call -> {
                    throw new AssertionError("handler must not run");
                }).getStatusCode()).isEqualTo(413);

        // A UTF-8 byte order mark is skipped (RFC 8259 8.1 allows it; the text routes refuse it as a character).
        HttpResponseMessage marked = api.handleBytes(bytesRequest(scorer, new byte[] {(byte) 0xEF, (byte) 0xBB,
                (byte) 0xBF, '{', '"', 'a', '"', ':', '7', '}'}), context, Access.role(Role.SCORING_INVOKE), echo);
        assertThat(marked.getStatusCode()).isEqualTo(200);
        assertThat(body(marked).get("a").asInt()).isEqualTo(7);

        for (byte[] notUtf8 : java.util.List.of("{\"a\":1}".getBytes(StandardCharsets.UTF_16LE),
                "{\"a\":1}".getBytes(StandardCharsets.UTF_16), "{\"a\":1}".getBytes(java.nio.charset.Charset.forName("UTF-32")),
                new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xC3, '(', '"', '}'},
                new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xE2, (byte) 0x82, '"', '}'},
                new byte[] {'{', '"', 'a', '"', ':', '"', (byte) 0xFF, '"', '}'},
                new byte[] {'{', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', ':', '1', '}'})) {
            HttpResponseMessage response = api.handleBytes(bytesRequest(scorer, notUtf8), context,
                    Access.role(Role.SCORING_INVOKE), echo);
            assertThat(response.getStatusCode()).as(java.util.Arrays.toString(notUtf8)).isEqualTo(400);
            assertThat(body(response).at("/error/code").asText()).isEqualTo("MALFORMED_JSON");
            assertThat(body(response).at("/error/message").asText()).contains("UTF-8").doesNotContain("\ufffd");
        }
    }

    @Test
    void aBodyThatIsNotJsonIs415() {
        HttpResponseMessage response = api.handle(request(Map.of("Content-Type", "text/csv"), "a,b"), context,
                Access.ANONYMOUS, call -> "never");

        assertThat(response.getStatusCode()).isEqualTo(415);
    }

    // Point 14: the media type must be exactly application/json; parameters are allowed, look-alikes are not.
    @Test
    void onlyTheJsonMediaTypeItselfIsAccepted() {
        for (String type : java.util.List.of("application/jsonx", "text/json-ish", "application/x-json-stream",
                "application/json-patch+json", "multipart/form-data; boundary=json")) {
            HttpResponseMessage response = api.handle(request(Map.of("Content-Type", type), "{}"), context,
                    Access.ANONYMOUS, call -> "never");
            assertThat(response.getStatusCode()).as(type).isEqualTo(415);
            assertThat(Json.readTree("body", (byte[]) response.getBody())
                    .at("/error/message").asText()).as(type).doesNotContain(type);
        }
        for (String type : java.util.List.of("application/json", "Application/JSON; charset=utf-8", " application/json ;charset=UTF-8")) {
            HttpResponseMessage response = api.handle(request(Map.of("Content-Type", type), "{}"), context,
                    Access.ANONYMOUS, call -> "fine");
            assertThat(response.getStatusCode()).as(type).isEqualTo(200);
        }
    }

    // A body is read as UTF-8 and uncompressed: another charset or a Content-Encoding is 415, never misread.
    @Test
    void aCharsetOtherThanUtf8OrACompressedBodyIs415AndTheHandlerNeverRuns() {
        for (Map<String, String> headers : java.util.List.of(
                Map.of("Content-Type", "application/json; charset=iso-8859-1"),
                Map.of("Content-Type", "application/json; charset=\"bogus\""),
                Map.of("Content-Type", "application/json; charset=utf-16"),
                Map.of("Content-Type", "application/json", "Content-Encoding", "gzip"),
                Map.of("Content-Encoding", "br"))) {
            HttpResponseMessage response = api.handle(request(headers, "{}"), context, Access.ANONYMOUS, call -> {
                throw new AssertionError("handler must not run");
            });
            assertThat(response.getStatusCode()).as(headers.toString()).isEqualTo(415);
            assertThat(body(response).at("/error/code").asText()).isEqualTo("UNSUPPORTED_MEDIA_TYPE");
        }
        for (Map<String, String> headers : java.util.List.of(Map.of("Content-Type", "application/json; charset=UTF-8"),
                Map.of("Content-Type", "application/json; charset=\"utf-8\""), Map.of("Content-Type", "application/json; charset=utf8"),
                Map.of("Content-Type", "application/json; q=1"), Map.of("Content-Encoding", "identity"))) {
            assertThat(api.handle(request(headers, "{}"), context, Access.ANONYMOUS, call -> "fine").getStatusCode())
                    .as(headers.toString()).isEqualTo(200);
        }
    }

    @Test
    void aStatusIsLookedUpAsTheLibrarysOwnLookUpFindsItAndAnUnknownCodeFailsAsItDoes() {
        for (int code = -1; code <= 1000; code++) {
            HttpStatus expected;
            try {
                expected = HttpStatus.valueOf(code);
            } catch (IllegalArgumentException unknown) {
                int c = code;
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpApi.status(c))
                        .isInstanceOf(IllegalArgumentException.class).hasMessage(unknown.getMessage());
                continue;
            }
            assertThat(HttpApi.status(code)).as("status %d", code).isSameAs(expected);
        }
    }

    // The media type and the body's size are read in place; they must decide as the JDK's own split, strip,
    // lower-casing and UTF-8 encoding did, on every spelling.
    @Test
    void theMediaTypeAndTheBodySizeAreDecidedAsTheJdksOwnTextFunctionsDecideThem() {
        java.util.List<String> types = new java.util.ArrayList<>(java.util.List.of("application/json",
                "APPLICATION/JSON", "\tapplication/json\u2003; q=1", "application/json;", ";application/json", "",
                " ", "application/jso", "application/jsonn", "appl\u0130cation/json", "application/\u212Aon",
                "\u0130pplication/json", "application/json\u0000", "application/\u017Fson", "text/plain; application/json"));
        java.util.Random random = new java.util.Random(7);
        String alphabet = "aApPlLiIcCtToOnN/jJsS; \t\u2003\u0130\u212A\u017F";
        for (int n = 0; n < 20_000; n++) {
            char[] chars = "application/json".toCharArray();
            for (int k = random.nextInt(3); k >= 0; k--) {
                chars[random.nextInt(chars.length)] = alphabet.charAt(random.nextInt(alphabet.length()));
            }
            types.add((random.nextBoolean() ? " " : "") + new String(chars) + (random.nextBoolean() ? ";x=y" : ""));
        }
        for (String type : types) {
            boolean jdk = type.split(";", 2)[0].strip().toLowerCase(java.util.Locale.ROOT).equals("application/json");
            assertThat(HttpApi.isJson(type)).as(type).isEqualTo(jdk);
        }
        java.util.List<String> texts = new java.util.ArrayList<>(java.util.List.of("", "a", "\u00e9", "\u20ac",
                "\ud83d\ude00", "\ud83d", "\ude00", "\ude00\ud83d", "x\ud83dy", "\u07ff\u0800\uffff"));
        for (int n = 0; n < 20_000; n++) {
            StringBuilder text = new StringBuilder();
            for (int k = random.nextInt(12); k >= 0; k--) {
                text.append((char) switch (random.nextInt(5)) {
                    case 0 -> random.nextInt(0x80);
                    case 1 -> 0x80 + random.nextInt(0x780);
                    case 2 -> 0xD800 + random.nextInt(0x800);
                    default -> random.nextInt(0x10000);
                });
            }
            texts.add(text.toString());
        }
        for (String text : texts) {
            assertThat(HttpApi.utf8Length(text)).as(text).isEqualTo(text.getBytes(StandardCharsets.UTF_8).length);
        }
    }

    // Point 14: every error code is in the documented error table, in the row of its status.
    @Test
    void everyErrorCodeIsInTheDocumentedErrorTable() throws Exception {
        String api = java.nio.file.Files.readString(java.nio.file.Path.of("../../docs/api.md").toAbsolutePath().normalize());
        for (ErrorCode code : ErrorCode.values()) {
            assertThat(api).as(code.name()).containsPattern("(?m)^\\| " + code.httpStatus() + " \\|[^\\n]*`" + code.name() + "`");
        }
    }

    @Test
    void aVersionHasOneSpellingAndAnythingElseIsRefusedWithoutRepeatingFreeText() {
        assertThat(HttpApi.version("3")).isEqualTo(3);
        assertThat(HttpApi.version("123456789")).isEqualTo(123_456_789);
        // Integer.parseInt reads all of these as a version number.
        for (String other : new String[] {"+3", "03", "\uFF13", "\u0663", "0", "-1", "1234567890", "", "3 "}) {
            assertThat(HttpApi.positiveWholeNumber(other)).as(other).isEqualTo(-1);
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpApi.version(other)).as(other)
                    .isInstanceOf(ValidationException.class).hasMessageContaining("whole numbers from 1");
        }
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> HttpApi.version("John Smith"))
                .hasMessageStartingWith("version (not repeated here) is not valid").hasMessageNotContaining("John");
        // A count from 0 (an offset in bytes) has the same one spelling, up to 18 digits.
        assertThat(HttpApi.wholeNumber("0")).isZero();
        assertThat(HttpApi.wholeNumber("4294967296")).isEqualTo(4_294_967_296L);
        assertThat(HttpApi.wholeNumber("999999999999999999")).isEqualTo(999_999_999_999_999_999L);
        for (String other : new String[] {"+0", "-0", "00", "01", "\u0663", "1e3", "", " 1", "1000000000000000000"}) {
            assertThat(HttpApi.wholeNumber(other)).as(other).isEqualTo(-1);
        }
    }

    @Test
    void malformedJsonIs400WithLineAndColumn() {
        HttpResponseMessage response = api.handle(request(Map.of(), "{\"a\":\n  tru}"), context, Access.ANONYMOUS,
                call -> call.json());

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(body(response).get("error").get("message").asText()).contains("line 2");
    }

    @Test
    void aValidationFailureKeepsItsMessageAndStatus() {
        HttpResponseMessage response = api.handle(request(Map.of(), null), context, Access.ANONYMOUS, call -> {
            throw new ValidationException(ErrorCode.INVALID_FEATURE, "feature `age` is out of range; allowed 0-120");
        });

        assertThat(response.getStatusCode()).isEqualTo(400);
        assertThat(body(response).get("error").get("message").asText()).contains("allowed 0-120");
    }

    @Test
    void anUnexpectedFailureIs500AndItsMessageReachesNeitherTheCallerNorTheLog() {
        HttpResponseMessage response = api.handle(request(Map.of(), null), context, Access.ANONYMOUS, call -> {
            throw new IllegalStateException("patient MRN-4711 broke it");
        });

        assertThat(response.getStatusCode()).isEqualTo(500);
        assertThat(new String((byte[]) response.getBody(), StandardCharsets.UTF_8)).doesNotContain("MRN-4711").contains("inv-1");
        flushLogs();
        assertThat(logged.toString(StandardCharsets.UTF_8)).contains("IllegalStateException").doesNotContain("MRN-4711");
    }

    /** The test's authenticator, handing each refusal as "METHOD route path principal CODE" to {@code refusals}. */
    private Authenticator withRefusals(java.util.function.Consumer<String> refusals) {
        return new Authenticator() {
            @Override
            public Principal authenticate(Map<String, String> headers) {
                return authenticator.authenticate(headers);
            }

            @Override
            public void refused(String method, String route, String path, String principalId, ErrorCode code) {
                refusals.accept(method + " " + route + " " + path + " " + principalId + " " + code);
            }
        };
    }

    private void flushLogs() {
        for (var handler : context.getLogger().getHandlers()) {
            handler.flush();
        }
    }

    private static JsonNode body(HttpResponseMessage response) {
        // JSON answers are the UTF-8 bytes the host sends as they are; pages are text.
        return Json.readTree("response", (byte[]) response.getBody());
    }

    private static HttpRequestMessage<Optional<String>> request(Map<String, String> headers, String body) {
        return request(headers, body, null);
    }

    /** A request to {@code /score/demo} whose body the host hands over as bytes, as it does to the scoring routes. */
    @SuppressWarnings("unchecked")
    private static HttpRequestMessage<Optional<byte[]>> bytesRequest(Map<String, String> headers, byte[] body) {
        HttpRequestMessage<Optional<byte[]>> request = mock(HttpRequestMessage.class);
        when(request.getHeaders()).thenReturn(headers);
        // As the host hands it over: no body is an empty Optional, never an empty array.
        when(request.getBody()).thenReturn(body.length == 0 ? Optional.empty() : Optional.of(body));
        when(request.getQueryParameters()).thenReturn(Map.of());
        when(request.getHttpMethod()).thenReturn(HttpMethod.POST);
        when(request.getUri()).thenReturn(URI.create("http://localhost/score/demo"));
        when(request.createResponseBuilder(any(HttpStatus.class)))
                .thenAnswer(inv -> new HostResponse(inv.getArgument(0)));
        return request;
    }

    /** A request to {@code /score/demo} with the raw query string {@code query} (none when null or empty). */
    @SuppressWarnings("unchecked")
    private static HttpRequestMessage<Optional<String>> request(Map<String, String> headers, String body, String query) {
        return request(headers, body, query, "/score/demo");
    }

    /** A request to {@code path} with the raw query string {@code query} (none when null or empty). */
    @SuppressWarnings("unchecked")
    private static HttpRequestMessage<Optional<String>> request(Map<String, String> headers, String body, String query,
            String path) {
        HttpRequestMessage<Optional<String>> request = mock(HttpRequestMessage.class);
        when(request.getHeaders()).thenReturn(headers);
        when(request.getBody()).thenReturn(Optional.ofNullable(body));
        when(request.getQueryParameters()).thenReturn(Map.of());
        when(request.getHttpMethod()).thenReturn(HttpMethod.POST);
        when(request.getUri()).thenReturn(URI.create("http://localhost" + path
                + (query == null || query.isEmpty() ? "" : "?" + query)));
        when(request.createResponseBuilder(any(HttpStatus.class)))
                .thenAnswer(inv -> new HostResponse(inv.getArgument(0)));
        return request;
    }
}
