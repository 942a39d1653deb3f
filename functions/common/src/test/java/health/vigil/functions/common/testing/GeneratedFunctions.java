package health.vigil.functions.common.testing;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads a Function App's staging folder as azure-functions-maven-plugin generated it: for each function,
 * its entry point and its trigger (type, route or schedule, methods, auth level).
 */
public final class GeneratedFunctions {
    private GeneratedFunctions() {}

    /** One generated function: {@code routeOrSchedule} is the HTTP route or the timer's schedule. */
    public record Trigger(String type, String routeOrSchedule, String methods, String authLevel, String entryPoint) {
        public List<String> summary() {
            return List.of(type, routeOrSchedule, methods, authLevel);
        }
    }

    /** The staging folder passed by the build as {@code vigil.functions.staging}. */
    public static Path staging() {
        return Path.of(System.getProperty("vigil.functions.staging"));
    }

    public static JsonNode hostJson(Path staging) throws IOException {
        return Json.readTree("host.json", Files.readAllBytes(staging.resolve("host.json")));
    }

    public static Map<String, Trigger> read(Path staging) throws IOException {
        Map<String, Trigger> functions = new TreeMap<>();
        try (Stream<Path> dirs = Files.list(staging)) {
            for (Path dir : dirs.filter(d -> Files.exists(d.resolve("function.json"))).toList()) {
                JsonNode function = Json.readTree("function.json", Files.readAllBytes(dir.resolve("function.json")));
                JsonNode trigger = function.get("bindings").get(0);
                List<String> methods = new ArrayList<>();
                trigger.path("methods").forEach(m -> methods.add(m.asText()));
                String routeOrSchedule = trigger.has("schedule") ? trigger.get("schedule").asText()
                        : trigger.path("route").asText();
                functions.put(dir.getFileName().toString(), new Trigger(trigger.get("type").asText(), routeOrSchedule,
                        String.join(",", methods), trigger.path("authLevel").asText(),
                        function.get("entryPoint").asText()));
            }
        }
        return functions;
    }

    public static Map<String, List<String>> summaries(Map<String, Trigger> functions) {
        Map<String, List<String>> summaries = new TreeMap<>();
        functions.forEach((name, trigger) -> summaries.put(name, trigger.summary()));
        return summaries;
    }
}
