package health.vigil.functions.scoring;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.functions.common.testing.GeneratedFunctions;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Checks the function.json files generated for the scoring app: every function's trigger, route, methods
 * and auth level, which is what Azure will actually expose.
 */
class FunctionJsonIT {
    @Test
    void everyFunctionIsGeneratedWithItsTriggerRouteMethodsAndAuthLevel() throws IOException {
        Path staging = GeneratedFunctions.staging();
        var functions = GeneratedFunctions.read(staging);

        assertThat(GeneratedFunctions.hostJson(staging).at("/extensions/http/routePrefix").asText("missing")).isEmpty();
        assertThat(GeneratedFunctions.summaries(functions)).isEqualTo(Map.ofEntries(
                Map.entry("HealthLive", List.of("httpTrigger", "v2/health/live", "GET", "ANONYMOUS")),
                Map.entry("HealthReady", List.of("httpTrigger", "v2/health/ready", "GET", "ANONYMOUS")),
                Map.entry("ServerMetadata", List.of("httpTrigger", "v2", "GET", "ANONYMOUS")),
                Map.entry("ModelMetadata", List.of("httpTrigger", "v2/models/{name}", "GET", "ANONYMOUS")),
                Map.entry("ModelReady", List.of("httpTrigger", "v2/models/{name}/ready", "GET", "ANONYMOUS")),
                Map.entry("ModelVersionMetadata", List.of("httpTrigger", "v2/models/{name}/versions/{version}", "GET", "ANONYMOUS")),
                Map.entry("ModelVersionReady", List.of("httpTrigger", "v2/models/{name}/versions/{version}/ready", "GET", "ANONYMOUS")),
                Map.entry("Infer", List.of("httpTrigger", "v2/models/{name}/infer", "POST", "ANONYMOUS")),
                Map.entry("InferVersion", List.of("httpTrigger", "v2/models/{name}/versions/{version}/infer", "POST", "ANONYMOUS")),
                Map.entry("Score", List.of("httpTrigger", "score/{name}", "POST", "ANONYMOUS")),
                Map.entry("PredictionExplanation", List.of("httpTrigger", "predictions/{id}/explanation", "GET", "ANONYMOUS")),
                Map.entry("Warmup", List.of("warmupTrigger", "", "", ""))));
        assertThat(functions.values()).allSatisfy(f -> assertThat(f.entryPoint()).startsWith("health.vigil.functions.scoring."));
    }

    // The scoring routes read their body as bytes (HttpApi.handleBytes): Azure must hand it over as binary, or the
    // functions would be given a string they cannot take.
    @Test
    void theScoringRoutesTakeTheirBodyAsBinaryAndNoOtherRouteDoes() throws IOException {
        Map<String, String> dataTypes = new java.util.TreeMap<>();
        try (var dirs = java.nio.file.Files.list(GeneratedFunctions.staging())) {
            for (Path dir : dirs.filter(d -> java.nio.file.Files.exists(d.resolve("function.json"))).toList()) {
                var trigger = health.vigil.json.Json.readTree("function.json",
                        java.nio.file.Files.readAllBytes(dir.resolve("function.json"))).get("bindings").get(0);
                if (trigger.has("dataType")) {
                    dataTypes.put(dir.getFileName().toString(), trigger.get("dataType").asText());
                }
            }
        }
        assertThat(dataTypes).isEqualTo(Map.of("Score", "binary", "Infer", "binary", "InferVersion", "binary"));
    }

    @Test
    void theAppShipsNoTestSupport() throws IOException {
        assertThat(GeneratedFunctions.testSupport(GeneratedFunctions.staging()))
                .as("fixtures and emulators are for tests; the Function App must not deploy them").isEmpty();
    }
}
