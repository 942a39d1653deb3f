package health.vigil.port;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The workbooks under {@code workbooks/} query only what the code records: every KQL query in every workbook names
 * metrics, spans, dimensions and event types from the code's own catalogue ({@link TelemetryNames},
 * {@code EventTypes}), in the table Application Insights writes them to. Renaming a metric in code without the
 * workbooks, or a workbook asking for a metric nobody records, fails here.
 */
class WorkbookQueriesTest {
    static final Path WORKBOOKS = TelemetryQueries.REPO.resolve("workbooks");

    /**
     * Names the catalogue reserves before anything records them, and the capability that will. When that capability
     * lands and records the name, it clears the mark in TelemetryNames and removes the line here. The workbooks may
     * not chart them: a tile on a name nobody records is always empty, and reads as "nothing happened".
     */
    static final Map<String, String> PLANNED = Map.of();

    private final TelemetryQueries queries = new TelemetryQueries(Map.of());

    static List<Path> workbookFiles() throws IOException {
        try (Stream<Path> files = Files.list(WORKBOOKS)) {
            return files.filter(p -> p.toString().endsWith(".json")).sorted().toList();
        }
    }

    /** Every {@code "query"} in the workbook, with where it is: KQL items and parameter drop-downs alike. */
    static Map<String, String> queriesOf(String file, JsonNode workbook) {
        Map<String, String> found = new TreeMap<>();
        collect(file, workbook, found);
        return found;
    }

    private static void collect(String path, JsonNode node, Map<String, String> found) {
        if (node.isObject()) {
            JsonNode query = node.get("query");
            if (query != null && query.isTextual()) {
                found.put(path + (node.has("name") ? "/" + node.get("name").asText() : ""), query.asText());
            }
            node.fields().forEachRemaining(e -> collect(path + "/" + e.getKey(), e.getValue(), found));
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                JsonNode item = node.get(i);
                collect(path + "[" + (item.has("name") ? item.get("name").asText() : i) + "]", item, found);
            }
        }
    }

    /** What is wrong with one workbook's JSON, as the test reports it. */
    List<String> problems(String file, String json) {
        JsonNode workbook = Json.readTree(file, json.getBytes(StandardCharsets.UTF_8));
        List<String> problems = new ArrayList<>();
        if (!"Notebook/1.0".equals(workbook.path("version").asText())) {
            problems.add(file + ": \"version\" must be \"Notebook/1.0\"");
        }
        if (!workbook.path("fallbackResourceIds").toString().contains("__VIGIL_WORKSPACE_ID__")) {
            problems.add(file + ": \"fallbackResourceIds\" must hold __VIGIL_WORKSPACE_ID__, which Bicep replaces");
        }
        Map<String, String> found = queriesOf(file, workbook);
        if (found.isEmpty()) {
            problems.add(file + ": has no query");
        }
        found.forEach((where, kql) -> problems.addAll(queries.problems(where, kql)));
        return problems;
    }

    @Test
    void everyWorkbookQueriesOnlyWhatTheCodeRecords() throws IOException {
        List<Path> files = workbookFiles();
        assertThat(files).extracting(p -> p.getFileName().toString())
                .containsExactlyInAnyOrder("scoring-health.json", "canaries.json", "monitoring.json", "governance.json");
        int queryCount = 0;
        List<String> problems = new ArrayList<>();
        for (Path file : files) {
            String json = Files.readString(file);
            problems.addAll(problems(file.getFileName().toString(), json));
            queryCount += queriesOf(file.getFileName().toString(),
                    Json.readTree(file.toString(), json.getBytes(StandardCharsets.UTF_8))).size();
        }
        assertThat(problems).isEmpty();
        assertThat(queryCount).isGreaterThanOrEqualTo(24);
    }

    @Test
    void theWorkbooksShowEachAreaOnTheSignalsItIsBuiltOn() throws IOException {
        Map<String, String> all = new TreeMap<>();
        for (Path file : workbookFiles()) {
            all.putAll(queriesOf(file.getFileName().toString(),
                    Json.readTree(file.toString(), Files.readAllBytes(file))));
        }
        String scoring = joined(all, "scoring-health.json");
        assertThat(scoring).contains("\"vigil.scoring.duration\"", "\"vigil.errors\"", "\"vigil.score\"",
                "percentile(DurationMs, 95)", "\"vigil.traffic_slot\"", "\"vigil.model.version\"");
        assertThat(joined(all, "canaries.json")).contains("\"vigil.traffic.weight\"", "\"vigil.canary.analyses\"",
                "\"Vigil.Canary.RolledBack\"");
        assertThat(joined(all, "monitoring.json")).contains("\"vigil.drift.statistic\"", "\"vigil.performance\"",
                "\"Vigil.Drift.Detected\"");
        assertThat(joined(all, "governance.json")).contains("\"vigil.registrations\"", "\"Vigil.Gates.Failed\"",
                "\"vigil.approvals\"", "\"vigil.audit.exports\"",
                "\"vigil.audit.verifications\"");
    }

    private static String joined(Map<String, String> all, String file) {
        return all.entrySet().stream().filter(e -> e.getKey().startsWith(file)).map(Map.Entry::getValue)
                .collect(Collectors.joining("\n"));
    }

    @Test
    void theAllowListOfPlannedNamesIsExactlyWhatTheCatalogueReserves() {
        Map<String, String> reserved = TelemetryNames.SIGNALS.stream().filter(TelemetryNames.Signal::isPlanned)
                .collect(Collectors.toMap(TelemetryNames.Signal::name, s -> s.plannedFor().orElseThrow()));
        assertThat(PLANNED).isEqualTo(reserved);
    }

    @Test
    void aWorkbookNamingAMetricNobodyRecordsFails() {
        String workbook = workbook("AppMetrics\\n| where Name == \\\"vigil.scoring.latency\\\"\\n"
                + "| summarize sum(Sum) by tostring(Properties[\\\"vigil.model.name\\\"])");

        assertThat(problems("bad.json", workbook)).singleElement().asString()
                .contains("`vigil.scoring.latency` is not a metric or span the code records");
    }

    @Test
    void aWorkbookNamingADimensionTheMetricDoesNotCarryFails() {
        String workbook = workbook("AppMetrics\\n| where Name == \\\"vigil.errors\\\"\\n"
                + "| summarize sum(Sum) by tostring(Properties[\\\"vigil.model.name\\\"]), "
                + "tostring(Properties[\\\"patient_id\\\"])");

        assertThat(problems("bad.json", workbook)).hasSize(2).allSatisfy(p -> assertThat(p)
                .contains("is not recorded with [vigil.errors]"));
    }

    @Test
    void aWorkbookChartingAReservedNameFailsEvenThoughTheCatalogueHasIt() {
        TelemetryNames.Signal reserved = new TelemetryNames.Signal("vigil.reviews", TelemetryNames.Kind.COUNTER,
                "{review}", List.of(TelemetryNames.OUTCOME), "a review ended", Optional.of("review"));
        Function<String, Optional<TelemetryNames.Signal>> catalogue = name -> name.equals(reserved.name())
                ? Optional.of(reserved) : TelemetryNames.signal(name);
        String query = "AppMetrics\n| where Name == \"vigil.reviews\"\n| summarize sum(Sum)";

        assertThat(new TelemetryQueries(Map.of(), catalogue).problems("bad.json", query)).singleElement().asString()
                .contains("`vigil.reviews` is not recorded yet (reserved for the review)");
        assertThat(new TelemetryQueries(Map.of(reserved.name(), "review"), catalogue).problems("alert ok", query))
                .isEmpty();
    }

    @Test
    void aWorkbookReadingAMetricFromTheWrongTableOrAnUnknownEventTypeFails() {
        String workbook = workbook("AppDependencies\\n| where Name == \\\"vigil.events\\\"\\n"
                + "| where tostring(Properties[\\\"vigil.event.type\\\"]) == \\\"Vigil.Canary.Reverted\\\"");

        assertThat(problems("bad.json", workbook)).hasSize(2)
                .anySatisfy(p -> assertThat(p).contains("`vigil.events` is a metric; it is in AppMetrics"))
                .anySatisfy(p -> assertThat(p).contains("`Vigil.Canary.Reverted` is not an event type"));
    }

    private static String workbook(String escapedQuery) {
        return "{\"version\": \"Notebook/1.0\", \"fallbackResourceIds\": [\"__VIGIL_WORKSPACE_ID__\"], \"items\": ["
                + "{\"type\": 3, \"name\": \"q\", \"content\": {\"version\": \"KqlItem/1.0\", \"query\": \""
                + escapedQuery + "\"}}]}";
    }
}
