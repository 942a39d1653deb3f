package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil up} records the metrics Azure records, with the same names and attributes, and serves them on
 * {@code GET /metrics} to the operator: rows scored through the platform are counted in the text it serves, a caller
 * without a key is answered 401 and one without the operator's role 403, as every route answers them, and
 * {@code vigil metrics} prints them as a table.
 */
class LocalPlatformMetricsTest {
    @TempDir
    Path home;

    @Test
    void rowsScoredThroughTheLocalPlatformAreCountedOnItsMetricsRouteForTheOperatorOnly() throws Exception {
        try (LocalPlatform local = LocalPlatform.start(home, 0)) {
            ModelName model = ScoredPlatform.deployAndScoreThreePatients(local);

            HttpResponse<String> operator = get(local, LocalAdapters.apiKey(home, "operator"), "GET");
            assertThat(operator.statusCode()).isEqualTo(200);
            assertThat(operator.headers().firstValue("Content-Type")).hasValueSatisfying(
                    type -> assertThat(type).startsWith("text/plain; version=0.0.4"));
            String labels = "{vigil_model_name=\"" + model.value() + "\",vigil_model_version=\"1\","
                    + "vigil_traffic_slot=\"stable\"}";
            assertThat(operator.body()).contains("# TYPE vigil_scoring_rows_total counter\n")
                    .contains("vigil_scoring_rows_total" + labels + " 3\n")
                    .contains("vigil_scoring_duration_count" + labels + " 2\n")
                    .doesNotContain("p-1").doesNotContain("emergency");

            HttpResponse<String> stranger = get(local, null, "GET");
            assertThat(stranger.statusCode()).isEqualTo(401);
            assertThat(error(stranger).path("code").asText()).isEqualTo("UNAUTHENTICATED");
            HttpResponse<String> clinicalApp = get(local, LocalAdapters.apiKey(home, "clinical-app"), "GET");
            assertThat(clinicalApp.statusCode()).isEqualTo(403);
            assertThat(error(clinicalApp).path("code").asText()).isEqualTo("FORBIDDEN");
            assertThat(clinicalApp.body()).doesNotContain("vigil_scoring_rows_total");
            HttpResponse<String> post = get(local, LocalAdapters.apiKey(home, "operator"), "POST");
            assertThat(post.statusCode()).isEqualTo(405);
            assertThat(post.headers().firstValue("Allow")).hasValue("GET, HEAD");

            CommandRun table = CommandRun.of(home, local, "metrics");
            assertThat(table.exit()).as(table.err()).isZero();
            assertThat(table.out()).containsPattern("(?m)^vigil_scoring_rows_total +vigil_model_name=" + model.value()
                    + " vigil_model_version=1 vigil_traffic_slot=stable +3$")
                    .containsPattern("(?m)^vigil_scoring_duration +vigil_model_name=" + model.value()
                            + " vigil_model_version=1 vigil_traffic_slot=stable +count 2, mean [0-9.E-]+,"
                            + " p50 >?[0-9.E-]+, p95 >?[0-9.E-]+, p99 >?[0-9.E-]+$");
            CommandRun json = CommandRun.of(home, local, "metrics", "--json");
            assertThat(json.exit()).as(json.err()).isZero();
            JsonNode rows = Json.readTree("metrics", json.out().getBytes(StandardCharsets.UTF_8)).path("metrics");
            assertThat(rows.findValuesAsText("metric")).contains("vigil_scoring_rows_total", "vigil_scoring_duration");
            assertThat(rows.findValues("p95")).hasSize(1);
        }
    }

    private static HttpResponse<String> get(LocalPlatform local, String key, String method) throws Exception {
        Map<String, List<String>> headers = new HashMap<>();
        if (key != null) {
            headers.put("x-api-key", List.of(key));
        }
        return ControlClient.call(local.baseUri().resolve("/metrics"), method, headers, null, Duration.ofSeconds(30));
    }

    private static JsonNode error(HttpResponse<String> response) {
        return Json.readTree("error", response.body().getBytes(StandardCharsets.UTF_8)).path("error");
    }
}
