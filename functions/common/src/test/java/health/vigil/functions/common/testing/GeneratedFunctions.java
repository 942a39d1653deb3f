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
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * Reads a Function App's staging folder as azure-functions-maven-plugin generated it: for each function,
 * its entry point and its trigger (type, route or schedule, methods, auth level).
 */
public final class GeneratedFunctions {
    private GeneratedFunctions() {}

    /** One generated function: {@code routeOrSchedule} is the HTTP route, the timer's schedule or the queue's name. */
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
                        : trigger.has("queueName") ? trigger.get("queueName").asText() + " on "
                                + trigger.path("connection").asText()
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

    /**
     * What in the app's staging folder is test support and must not be deployed: a jar of a test-support module
     * ({@code vigil-test-support}, {@code vigil-emulators}), a {@code -tests.jar}, or any jar holding classes of
     * {@code health.vigil.testing}. Empty when the app is clean.
     */
    public static List<String> testSupport(Path staging) throws IOException {
        List<String> found = new ArrayList<>();
        List<Path> jars;
        try (Stream<Path> files = Files.walk(staging)) {
            jars = files.filter(f -> f.getFileName().toString().endsWith(".jar")).sorted().toList();
        }
        if (jars.isEmpty()) {
            throw new IllegalStateException("no jar under " + staging + ": the app was not packaged");
        }
        for (Path jar : jars) {
            String name = jar.getFileName().toString();
            if (name.startsWith("vigil-test-support") || name.startsWith("vigil-emulators") || name.endsWith("-tests.jar")) {
                found.add(name);
                continue;
            }
            try (ZipFile zip = new ZipFile(jar.toFile())) {
                zip.stream().map(ZipEntry::getName).filter(e -> e.startsWith("health/vigil/testing/")).findFirst()
                        .ifPresent(e -> found.add(name + "!/" + e));
            }
        }
        return found;
    }
}
