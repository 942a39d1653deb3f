package health.vigil.port;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.events.EventTypes;
import health.vigil.gates.GateChecks;
import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/telemetry.md} lists every metric, span, attribute and event type of the code's catalogue, marks the
 * reserved ones with the capability that will record them, lists nothing else, and its example queries pass the
 * same check as the workbooks.
 */
class TelemetryDocumentationTest {
    private static final Pattern ROW = Pattern.compile("^\\| `(vigil\\.[a-z_.]+)` \\|(.*)$", Pattern.MULTILINE);
    private static final Pattern KUSTO = Pattern.compile("```kusto\\n(.*?)```", Pattern.DOTALL);

    private static String doc() throws IOException {
        return Files.readString(TelemetryQueries.REPO.resolve("docs/telemetry.md"));
    }

    /** First table row of each name: metric and span rows come before the attribute rows. */
    private static Map<String, String> rows(String doc) {
        return TelemetryQueries.pairs(ROW, doc, 2);
    }

    @Test
    void everySignalIsDocumentedAndTheReservedOnesSayWhatWillRecordThem() throws IOException {
        Map<String, String> rows = rows(doc());
        for (TelemetryNames.Signal signal : TelemetryNames.SIGNALS) {
            assertThat(rows).as("docs/telemetry.md row for " + signal.name()).containsKey(signal.name());
            String row = rows.get(signal.name());
            assertThat(row).as(signal.name()).contains(signal.attributes().stream().map(a -> "`" + a + "`").toList());
            Optional<String> capability = signal.plannedFor();
            if (capability.isPresent()) {
                assertThat(row).as(signal.name()).contains("emitted once").contains(capability.get() + " lands");
            } else {
                assertThat(row).as(signal.name()).doesNotContain("emitted once");
            }
        }
    }

    @Test
    void everyDocumentedNameIsInTheCatalogue() throws IOException {
        for (String name : rows(doc()).keySet()) {
            assertThat(TelemetryNames.signal(name).isPresent() || TelemetryNames.attributes().contains(name))
                    .as(name + " is documented but not in TelemetryNames").isTrue();
        }
        assertThat(rows(doc()).keySet()).containsAll(TelemetryNames.attributes());
    }

    @Test
    void everyEventTypeVigilPublishesIsDocumented() throws IOException, IllegalAccessException {
        String doc = doc();
        for (var field : EventTypes.class.getFields()) {
            String type = (String) field.get(null);
            if (type.startsWith("Vigil.")) {
                assertThat(doc).as("docs/telemetry.md names " + type).contains("`" + type + "`");
            }
        }
    }

    /**
     * The events section says which types are counted today: every type the platform's code publishes is in its
     * "published today" list, and none is still listed as waiting for its capability.
     */
    @Test
    void theEventsThePlatformPublishesAreListedAsPublishedToday() throws IOException {
        String doc = doc();
        String section = doc.substring(doc.indexOf("## Events"), doc.indexOf("## Attributes"));
        int declared = section.indexOf("Declared and counted the moment");
        String published = declared < 0 ? section : section.substring(0, declared);
        String waiting = declared < 0 ? "" : section.substring(declared);
        Set<String> publishedByCode = publishedEventTypes();

        assertThat(publishedByCode).hasSizeGreaterThanOrEqualTo(20);
        for (String type : publishedByCode) {
            assertThat(published).as("docs/telemetry.md lists %s as published today", type).contains("`" + type + "`");
            assertThat(waiting).as("docs/telemetry.md still lists %s as not published yet", type)
                    .doesNotContain("`" + type + "`");
        }
    }

    /** The gate names the gate checks are counted under, in the metric's row and the attribute's. */
    @Test
    void theGateAttributeNamesTheGatesTheChecksAreCountedUnder() throws IOException, IllegalAccessException {
        List<String> gates = new ArrayList<>();
        for (Field field : GateChecks.class.getFields()) {
            // The constants of GateChecks are the gates, apart from the names of single checks within one.
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class
                    && !field.getName().equals("OUTPUTS_NOT_PROBABILITY")) {
                gates.add("`" + field.get(null) + "`");
            }
        }
        Map<String, String> rows = rows(doc());
        String attributeRow = rows.get(TelemetryNames.GATE);

        assertThat(gates).hasSizeGreaterThanOrEqualTo(10);
        assertThat(TelemetryNames.GATES).as("the gates telemetry records by name; any other is recorded as other")
                .containsExactlyInAnyOrderElementsOf(gates.stream().map(g -> g.replace("`", "")).toList());
        assertThat(rows.get(TelemetryNames.GATE_CHECKS)).contains(gates);
        assertThat(attributeRow).contains(gates).doesNotContain("reserved");
        Matcher value = Pattern.compile("`[^`]+`").matcher(attributeRow);
        while (value.find()) {
            assertThat(gates).as("a value of vigil.gate in docs/telemetry.md").contains(value.group());
        }
    }

    /**
     * The outcomes each metric's row lists in parentheses are the ones the telemetry records by name: one missing from
     * {@link TelemetryNames#OUTCOMES} is recorded as {@code other}, one missing from the page cannot be looked up.
     */
    @Test
    void theOutcomesTheMetricsListAreTheOutcomesTelemetryRecords() throws IOException {
        Map<String, String> rows = rows(doc());
        Pattern parenthesis = Pattern.compile("\\(([^()]*)\\)");
        Pattern value = Pattern.compile("`([^`]+)`");
        Set<String> documented = new TreeSet<>();
        for (TelemetryNames.Signal signal : TelemetryNames.SIGNALS) {
            if (!signal.attributes().contains(TelemetryNames.OUTCOME) || !rows.containsKey(signal.name())) {
                continue;
            }
            String row = rows.get(signal.name());
            Set<String> own = new TreeSet<>();
            Matcher group = parenthesis.matcher(row.substring(row.lastIndexOf('|', row.length() - 2)));
            while (group.find()) {
                Matcher v = value.matcher(group.group(1));
                while (v.find()) {
                    own.add(v.group(1));
                }
            }
            assertThat(own).as("the outcomes docs/telemetry.md lists for %s", signal.name()).isNotEmpty();
            documented.addAll(own);
        }

        assertThat(documented).as("outcomes docs/telemetry.md lists; any not in TelemetryNames.OUTCOMES is recorded as other")
                .isSubsetOf(TelemetryNames.OUTCOMES);
        assertThat(TelemetryNames.OUTCOMES).as("TelemetryNames.OUTCOMES, each listed with a metric in docs/telemetry.md")
                .isSubsetOf(documented);
    }

    /** The Vigil event types the shared code names outside their catalogue: each one is published there. */
    private static Set<String> publishedEventTypes() throws IOException {
        Pattern reference = Pattern.compile("EventTypes\\.([A-Z_]+)");
        Set<String> types = new TreeSet<>();
        try (Stream<Path> files = Files.walk(TelemetryQueries.REPO.resolve("shared/src/main/java"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".java"))
                    .filter(f -> !f.getFileName().toString().equals("EventTypes.java")).toList()) {
                Matcher m = reference.matcher(Files.readString(file));
                while (m.find()) {
                    try {
                        types.add((String) EventTypes.class.getField(m.group(1)).get(null));
                    } catch (ReflectiveOperationException e) {
                        throw new IllegalStateException(file + " names EventTypes." + m.group(1), e);
                    }
                }
            }
        }
        types.removeIf(type -> !type.startsWith("Vigil."));
        return types;
    }

    @Test
    void theDocumentedQueriesQueryOnlyWhatTheCodeRecords() throws IOException {
        TelemetryQueries queries = new TelemetryQueries(Map.of());
        Matcher m = KUSTO.matcher(doc());
        List<String> problems = new ArrayList<>();
        int count = 0;
        while (m.find()) {
            problems.addAll(queries.problems("docs/telemetry.md query " + ++count, m.group(1)));
        }
        assertThat(count).isGreaterThanOrEqualTo(4);
        assertThat(problems).isEmpty();
    }
}
