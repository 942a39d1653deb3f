package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.host.SystemKeys;
import health.vigil.json.Json;
import health.vigil.testing.samples.SampleModels;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Property-based fuzzing of the HTTP surface of the local platform over real HTTP: JSON scoring bodies, Open
 * Inference Protocol bodies and Event Grid deliveries, each built from valid requests with fields dropped,
 * retyped, renamed or filled with hostile values. Whatever arrives, the answer is never a 5xx; an error always
 * has the documented shape; and no value that was sent (each carries a marker) is echoed back, nor a key that
 * is not a plain name (a value typed where a name goes; each such key carries the marker too). A plain field name
 * may be: a message names the unknown field to fix. The number of tries is bounded so the suite stays quick.
 */
class RequestFuzzIT {
    private static final String MODEL = SampleModels.READMISSION_NAME;
    /** Planted in every generated value that could be echoed: it must never come back. */
    private static final String MARKER = "ZQXJ-7731";
    /** Added to field names: naming an unknown field back is how a message says what to fix, so it may be echoed. */
    private static final String FIELD = "_extra";

    private static Path home;
    private static LocalPlatform platform;
    private static String clinicalApp;
    private static String webhookKey;

    @BeforeContainer
    static void start() throws Exception {
        home = Files.createTempDirectory("vigil-fuzz-");
        platform = LocalPlatform.start(home, 0);
        clinicalApp = LocalAdapters.apiKey(home, "clinical-app");
        webhookKey = SystemKeys.eventGrid(home);
        Path zip = Files.createTempFile("fuzz", ".zip");
        Files.write(zip, SampleModels.readmissionLogistic().zip());
        GovernedPath.deployReadmission(platform, home, zip, "readmission.zip");
        Files.delete(zip);
    }

    @AfterContainer
    static void stop() throws Exception {
        GovernedPath.stopAndDelete(platform, home);
    }

    @Property(tries = 150)
    void scoringBodiesNeverGive5xxNorEchoValues(@ForAll("scoreBodies") String body) throws Exception {
        check(post("/score/" + MODEL, body, Map.of("x-api-key", clinicalApp)));
    }

    @Property(tries = 150)
    void inferenceBodiesNeverGive5xxNorEchoValues(@ForAll("inferenceBodies") String body) throws Exception {
        check(post("/v2/models/" + MODEL + "/infer", body, Map.of("x-api-key", clinicalApp)));
    }

    @Property(tries = 150)
    void eventGridDeliveriesNeverGive5xxNorEchoValues(@ForAll("eventGridPayloads") String body) throws Exception {
        check(post("/runtime/webhooks/eventgrid?functionName=RegisterModel", body,
                Map.of("x-functions-key", webhookKey, "aeg-event-type", "Notification")));
    }

    private static void check(HttpResponse<String> response) {
        assertThat(response.statusCode()).as(response.body()).isLessThan(500);
        assertThat(response.body()).doesNotContain(MARKER);
        if (response.statusCode() >= 400) {
            JsonNode error = Json.readTree("error", response.body().getBytes(StandardCharsets.UTF_8)).get("error");
            assertThat(error).as(response.body()).isNotNull();
            assertThat(error.get("code").asText()).isNotBlank();
            assertThat(error.get("message").asText()).isNotBlank();
            assertThat(error.get("requestId").asText()).isNotBlank();
        }
    }

    @Provide
    Arbitrary<String> scoreBodies() {
        Map<String, Object> features = new LinkedHashMap<>(SampleModels.readmissionCohort(1, 3).records().get(0));
        features.values().removeIf(java.util.Objects::isNull);
        Map<String, Object> valid = Map.of("patientId", "MRN-" + MARKER, "features", features);
        return mutated(valid).map(Json::write);
    }

    @Provide
    Arbitrary<String> inferenceBodies() {
        Map<String, Object> record = SampleModels.readmissionCohort(1, 4).records().get(0);
        Map<String, Object> valid = PlatformLoopScenario.oipRequest(record, "MRN-" + MARKER);
        return mutated(valid).map(Json::write);
    }

    @Provide
    Arbitrary<String> eventGridPayloads() {
        Map<String, Object> eventGrid = new LinkedHashMap<>();
        eventGrid.put("id", "id-" + MARKER);
        eventGrid.put("topic", "/subscriptions/x/resourceGroups/y/providers/Microsoft.Storage/storageAccounts/z");
        eventGrid.put("subject", "/blobServices/default/containers/models/blobs/missing-" + MARKER + ".zip");
        eventGrid.put("eventType", "Microsoft.Storage.BlobCreated");
        eventGrid.put("eventTime", "2026-03-01T10:00:00Z");
        eventGrid.put("data", Map.of("api", "PutBlob", "contentLength", 12,
                "url", "http://127.0.0.1/devstoreaccount1/models/missing-" + MARKER + ".zip"));
        eventGrid.put("dataVersion", "");
        eventGrid.put("metadataVersion", "1");
        Map<String, Object> cloud = new LinkedHashMap<>();
        cloud.put("specversion", "1.0");
        cloud.put("id", "id-" + MARKER);
        cloud.put("source", "/subscriptions/x");
        cloud.put("type", "Microsoft.Storage.BlobCreated");
        cloud.put("subject", "/blobServices/default/containers/models/blobs/../" + MARKER);
        cloud.put("time", "2026-03-01T10:00:00Z");
        cloud.put("data", Map.of("contentLength", 3));
        Arbitrary<Object> one = Arbitraries.oneOf(mutated(eventGrid), mutated(cloud));
        return Arbitraries.oneOf(one, one.list().ofMinSize(0).ofMaxSize(4).map(l -> (Object) l)).map(Json::write);
    }

    /** A valid request with up to three mutations: a field dropped, retyped, renamed, or a hostile value. */
    private static Arbitrary<Object> mutated(Map<String, Object> valid) {
        Arbitrary<Mutation> mutation = Combinators.combine(
                Arbitraries.integers().between(0, 5), Arbitraries.integers().between(0, 63), hostile())
                .as(Mutation::new);
        return mutation.list().ofMaxSize(3).map(list -> {
            Object tree = deepCopy(valid);
            for (Mutation m : list) {
                tree = m.apply(tree);
            }
            return tree;
        });
    }

    private static Arbitrary<Object> hostile() {
        return Arbitraries.oneOf(
                Arbitraries.strings().ofMaxLength(40).map(s -> (Object) (s + MARKER)),
                Arbitraries.of("\u0000" + MARKER, "\ud800" + MARKER, "\ufffd" + MARKER, "../../" + MARKER, "%" + MARKER)
                        .map(s -> (Object) s),
                Arbitraries.doubles().map(d -> (Object) d),
                Arbitraries.of(Double.NaN, 1e308, -1e308, Long.MAX_VALUE, Long.MIN_VALUE, 0, -1).map(v -> (Object) v),
                Arbitraries.of(true, false).map(v -> (Object) v),
                Arbitraries.just((Object) List.of(MARKER)),
                Arbitraries.just((Object) Map.of("k" + FIELD, MARKER)),
                Arbitraries.just(null));
    }

    /** Picks the {@code index}-th node (depth first) and drops, retypes, renames or replaces something in it. */
    private record Mutation(int kind, int index, Object value) {
        Object apply(Object root) {
            List<Object> containers = new ArrayList<>();
            collect(root, containers);
            if (containers.isEmpty()) {
                return deepCopy(value);
            }
            Object target = containers.get(index % containers.size());
            if (target instanceof Map<?, ?> raw) {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = (Map<String, Object>) raw;
                Object value = deepCopy(this.value);
                if (map.isEmpty()) {
                    map.put("k" + FIELD, value);
                    return root;
                }
                String key = new ArrayList<>(map.keySet()).get(index % map.size());
                switch (kind) {
                    case 0 -> map.remove(key);
                    case 1 -> map.put(key, isTensorName(map, key) ? asFieldName(value) : value);
                    case 2 -> map.put(key + FIELD, map.remove(key));
                    case 3 -> map.put("k" + FIELD, value);
                    case 4 -> map.put("MRN " + MARKER, map.remove(key));
                    default -> map.put(key, new ArrayList<>(List.of(map.get(key) == null ? "" : map.get(key))));
                }
            } else if (target instanceof List<?> raw) {
                @SuppressWarnings("unchecked")
                List<Object> list = (List<Object>) raw;
                Object value = deepCopy(this.value);
                if (list.isEmpty() || kind == 3) {
                    list.add(value);
                } else if (kind == 0) {
                    list.remove(index % list.size());
                } else {
                    list.set(index % list.size(), value);
                }
            }
            return root;
        }

        /**
         * An inference input's {@code name} is the feature it carries: a field name, which an error may name back
         * exactly as it names an unknown JSON key. What replaces it keeps its hostile characters but carries the
         * field mark instead of the value marker, as a renamed key does.
         */
        private static boolean isTensorName(Map<String, Object> map, String key) {
            return key.equals("name") && map.containsKey("datatype");
        }

        private static Object asFieldName(Object value) {
            return value instanceof String text ? text.replace(MARKER, FIELD) : value;
        }

        private static void collect(Object node, List<Object> out) {
            if (node instanceof Map<?, ?> map) {
                out.add(map);
                map.values().forEach(v -> collect(v, out));
            } else if (node instanceof List<?> list) {
                out.add(list);
                list.forEach(v -> collect(v, out));
            }
        }
    }

    private static Object deepCopy(Object node) {
        if (node instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(String.valueOf(k), deepCopy(v)));
            return copy;
        }
        if (node instanceof List<?> list) {
            List<Object> copy = new ArrayList<>();
            list.forEach(v -> copy.add(deepCopy(v)));
            return copy;
        }
        return node;
    }

    private static HttpResponse<String> post(String path, String body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
        headers.forEach(request::header);
        return send(request);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return BlockingHttp.send(request.timeout(Duration.ofSeconds(60)).build());
    }

    private static URI uri(String path) {
        return platform.baseUri().resolve(path);
    }
}
