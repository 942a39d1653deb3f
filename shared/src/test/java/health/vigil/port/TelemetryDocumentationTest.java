package health.vigil.port;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.events.EventTypes;
import java.io.IOException;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
