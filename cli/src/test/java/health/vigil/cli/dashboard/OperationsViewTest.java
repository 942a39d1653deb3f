package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.cli.LocalPlatform;
import health.vigil.cli.ScoredPlatform;
import health.vigil.cli.metrics.LocalMetrics;
import health.vigil.error.ErrorCode;
import health.vigil.host.LocalFunction;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Slot;
import health.vigil.port.Telemetry;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operations page: what the scoring-health workbook shows in Azure, from the metrics {@code vigil up} records,
 * for the operator only. The percentiles expected are worked out by hand from the histogram's bucket edges (rank = q
 * times the count, spread evenly within its bucket), as {@code HistogramQuantileTest} works them out.
 */
class OperationsViewTest {
    private static final HttpClient CLIENT = HttpClient.newHttpClient();
    private static final PageRequest OPERATOR = new PageRequest(new Principal("operator", "Olu",
            Set.of(Role.DEPLOYMENTS_OPERATE)), Map.of(), Map.of());

    @TempDir
    Path home;

    @Test
    void requestsScoredThroughTheLocalPlatformAreCountedOnItsOperationsPageForTheOperatorOnly() throws Exception {
        try (LocalPlatform local = LocalPlatform.start(home, 0)) {
            ModelName model = ScoredPlatform.deployAndScoreThreePatients(local);
            // A request the scoring function refuses, counted by the HTTP layer as every refusal is.
            HttpResponse<String> refused = CLIENT.send(HttpRequest.newBuilder(local.baseUri().resolve("/score/"
                    + model.value())).header("x-api-key", LocalAdapters.apiKey(home, "clinical-app"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(30))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"patientId\": \"MRN-5551234\", \"features\": {\"age\":"
                            + " \"seventy\"}}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(refused.statusCode()).as(refused.body()).isBetween(400, 499);
            // A scoring failure and a background function's, as the functions record them.
            local.metrics().telemetry().failed("Score", ErrorCode.RUNTIME_FAILURE);
            local.metrics().telemetry().failed("DriftCheck", ErrorCode.STORE_UNAVAILABLE);

            HttpResponse<String> page = page(local, "operator");
            assertThat(page.statusCode()).isEqualTo(200);
            String body = page.body();
            assertThat(fact(body, "answered")).isEqualTo("2");
            assertThat(fact(body, "refused")).isEqualTo("1");
            assertThat(fact(body, "failed")).isEqualTo("1");
            assertThat(fact(body, "patients")).isEqualTo("3");
            assertThat(fact(body, "background-failures")).isEqualTo("1");
            assertThat(fact(body, "dead-letters")).isEqualTo("0");
            List<String> scoring = rows(body, "scoring").get(0);
            assertThat(scoring.subList(0, 5)).containsExactly(model.value(), "1", "stable", "2", "3");
            assertThat(scoring.subList(5, 9)).allMatch(cell -> cell.matches("(&gt; )?[0-9.e-]+"));
            assertThat(rows(body, "failures")).contains(List.of("DriftCheck", "background function",
                    "STORE_UNAVAILABLE", "failed", "1"), List.of("Score", "scoring request", "RUNTIME_FAILURE",
                    "failed (5xx)", "1"));
            assertThat(rows(body, "failures")).anyMatch(r -> r.get(0).equals("Score")
                    && r.get(3).equals("refused (4xx)"));
            assertThat(body).contains("Counted since the platform started")
                    .contains("The bucket edges are 0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000 ms")
                    .contains("<a href=\"/dashboard/operations\">Operations</a>")
                    .doesNotContain("MRN-5551234").doesNotContain("p-1").doesNotContain("seventy")
                    .doesNotContain("<script");

            HttpResponse<String> clinicalApp = page(local, "clinical-app");
            assertThat(clinicalApp.statusCode()).isEqualTo(403);
            assertThat(clinicalApp.body()).contains("FORBIDDEN").doesNotContain("data-fact=\"answered\"")
                    .doesNotContain("/dashboard/operations\">Operations");
        }
    }

    /**
     * readmission v1 stable: 5 requests of 3 ms and 5 of 20 ms, two patients each. p50 (rank 5) is the top of the
     * (2.5, 5] ms bucket: 5 ms; p95 (rank 9.5) is 4.5/5 of (10, 25] ms: 23.5 ms; p99 (rank 9.9) 4.9/5 of it: 24.7 ms;
     * the mean 11.5 ms. The canary's one request of 6 s is past the last edge, 5 s: "> 5000".
     */
    @Test
    void percentilesAreEstimatedFromTheBucketsAndFailuresToldApartByWhatRanThem() {
        try (LocalMetrics metrics = new LocalMetrics()) {
            Telemetry telemetry = metrics.telemetry();
            ModelVersion stable = ModelVersion.of("readmission", 1);
            for (int i = 0; i < 5; i++) {
                telemetry.scored(stable, Slot.STABLE, 2, 3_000_000L);
                telemetry.scored(stable, Slot.STABLE, 2, 20_000_000L);
            }
            telemetry.scored(ModelVersion.of("readmission", 2), Slot.CANARY, 1, 6_000_000_000L);
            telemetry.failed("Score", ErrorCode.INVALID_FEATURE);
            telemetry.failed("ScoreBatchPartition", ErrorCode.INTERNAL);
            telemetry.failed("batch", ErrorCode.INTERNAL);
            telemetry.failed("ListModels", ErrorCode.STORE_UNAVAILABLE);
            telemetry.batchRows(stable, "refused", 4);
            telemetry.event("Vigil.Model.Deployed", java.util.Optional.empty(), "failed");
            telemetry.registration("rejected");
            List<LocalFunction> functions = List.of(
                    new LocalFunction("ScoreBatchPartition", LocalFunction.Kind.QUEUE, List.of(), "batch", null, null),
                    new LocalFunction("ListModels", LocalFunction.Kind.HTTP, List.of("GET"), "models", null,
                            "anonymous"));

            String body = new OperationsView(metrics, () -> functions, home.resolve("deadletter")).render(OPERATOR)
                    .body();

            assertThat(fact(body, "answered")).isEqualTo("11");
            assertThat(fact(body, "patients")).isEqualTo("21");
            assertThat(fact(body, "refused")).isEqualTo("1");
            assertThat(fact(body, "failed")).isEqualTo("0");
            assertThat(fact(body, "background-failures")).isEqualTo("2");
            assertThat(fact(body, "events-failed")).isEqualTo("1");
            assertThat(rows(body, "scoring")).containsExactly(
                    List.of("readmission", "1", "stable", "10", "20", "11.5", "5", "23.5", "24.7"),
                    List.of("readmission", "2", "canary", "1", "1", "6000", "&gt; 5000", "&gt; 5000", "&gt; 5000"));
            assertThat(rows(body, "failures")).containsExactly(
                    List.of("ListModels", "request", "STORE_UNAVAILABLE", "failed (5xx)", "1"),
                    List.of("Score", "scoring request", "INVALID_FEATURE", "refused (4xx)", "1"),
                    List.of("ScoreBatchPartition", "background function", "INTERNAL", "failed", "1"),
                    List.of("batch", "background step", "INTERNAL", "failed", "1"));
            assertThat(rows(body, "rows-by-outcome")).containsExactly(
                    List.of("readmission", "1", "batch jobs", "refused", "4"));
            assertThat(rows(body, "counters")).contains(
                    List.of("vigil.registrations", "vigil.outcome=rejected", "1"));
            assertThat(body).contains("estimated from the latency histogram's buckets")
                    .contains("shown as \u201c&gt; 5000\u201d");
        }
    }

    /**
     * One request whose patients a canary ramp split between the stable and the canary slot is recorded once in each
     * slot, as the scoring service records it: the answered count is said to be per slot, not taken for the requests
     * sent beside the refusals and failures, which count each request once.
     */
    @Test
    void aRequestSplitBetweenTwoSlotsIsCountedInEachAndThePageSaysSo() {
        try (LocalMetrics metrics = new LocalMetrics()) {
            Telemetry telemetry = metrics.telemetry();
            telemetry.scored(ModelVersion.of("readmission", 1), Slot.STABLE, 3, 3_000_000L);
            telemetry.scored(ModelVersion.of("readmission", 2), Slot.CANARY, 2, 3_000_000L);

            String body = new OperationsView(metrics, List::of, home.resolve("deadletter")).render(OPERATOR).body();

            assertThat(fact(body, "answered")).isEqualTo("2");
            assertThat(fact(body, "patients")).isEqualTo("5");
            assertThat(body).contains("<dt>Scoring requests answered, per slot</dt><dd data-fact=\"answered\">")
                    .contains("id=\"answered-per-slot\"").contains("one request may be counted in both slots");
        }
    }

    /**
     * A dead letter the event bus wrote before the platform started again is still in its folder and still counted:
     * the page says that this count, unlike the metrics, is not since the start.
     */
    @Test
    void deadLettersFromBeforeARestartAreCountedAndNotSaidToBeSinceTheStart() throws Exception {
        Path deadLetters = java.nio.file.Files.createDirectories(home.resolve("deadletter"));
        java.nio.file.Files.writeString(deadLetters.resolve("event-1.json"), "{\"eventType\": \"Vigil.Model.Deployed\","
                + " \"lastDeliveryAttemptTime\": \"2026-12-01T10:00:00Z\"}");
        try (LocalMetrics metrics = new LocalMetrics()) {
            String body = new OperationsView(metrics, List::of, deadLetters).render(OPERATOR).body();

            assertThat(fact(body, "dead-letters")).isEqualTo("1");
            assertThat(body).contains("except the dead-lettered events, which are those the dead-letter folder holds"
                    + " now");
        }
    }

    @Test
    void withoutLocalMetricsThePageSaysSoInsteadOfFailing() {
        String body = new OperationsView(null, List::of, home.resolve("deadletter")).render(OPERATOR).body();

        assertThat(body).contains("id=\"no-metrics\"").contains("records no metrics here").doesNotContain("<table");
    }

    /** The alerts runbook is a page of the dashboard, not a path in a repository a release may not come with. */
    @Test
    void whatToDoWhenSomethingFailsIsALinkToTheAlertsRunbookOnTheDashboard() {
        try (LocalMetrics metrics = new LocalMetrics()) {
            String body = new OperationsView(metrics, List::of, home.resolve("deadletter")).render(OPERATOR).body();

            assertThat(body).contains("What to do when something here fails: the"
                    + " <a href=\"/dashboard/runbooks/alerts\">alerts runbook</a>.")
                    .doesNotContain("docs/runbooks", "in the repository");
        }
    }

    @Test
    void beforeAnythingIsRecordedThePageSaysNothingWasScoredOrFailed() {
        try (LocalMetrics metrics = new LocalMetrics()) {
            String body = new OperationsView(metrics, List::of, home.resolve("deadletter")).render(OPERATOR).body();

            assertThat(fact(body, "answered")).isEqualTo("0");
            assertThat(body).contains("id=\"no-scoring\"").contains("id=\"no-failures\"").doesNotContain("<table");
        }
    }

    /** The page read with a session signed in with the persona's key. */
    private HttpResponse<String> page(LocalPlatform local, String persona) throws Exception {
        HttpResponse<String> signIn = CLIENT.send(HttpRequest.newBuilder(local.baseUri().resolve("/login"))
                .header("Content-Type", "application/x-www-form-urlencoded").timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString("key=" + LocalAdapters.apiKey(home, persona))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(signIn.statusCode()).isEqualTo(303);
        String session = signIn.headers().firstValue("Set-Cookie").orElseThrow().split(";")[0];
        URI uri = local.baseUri().resolve("/dashboard/operations");
        return CLIENT.send(HttpRequest.newBuilder(uri).header("Cookie", session).timeout(Duration.ofSeconds(30))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** A fact's value as the page shows it (a link's text for a link). */
    private static String fact(String body, String name) {
        Matcher m = Pattern.compile("<dd data-fact=\"" + name + "\">(?:<a [^>]*>)?([^<]*)").matcher(body);
        assertThat(m.find()).as("fact " + name).isTrue();
        return m.group(1);
    }

    /** The text of each cell of each body row of the table {@code id}. */
    private static List<List<String>> rows(String body, String id) {
        int start = body.indexOf("<table id=\"" + id + "\"");
        assertThat(start).as("table " + id).isNotNegative();
        String table = body.substring(body.indexOf("<tbody", start), body.indexOf("</tbody>", start));
        List<List<String>> rows = new ArrayList<>();
        for (String row : table.split("<tr role=\"row\">")) {
            Matcher cell = Pattern.compile("<t[hd] [^>]*>([^<]*)</t[hd]>").matcher(row);
            List<String> cells = new ArrayList<>();
            while (cell.find()) {
                cells.add(cell.group(1));
            }
            if (!cells.isEmpty()) {
                rows.add(cells);
            }
        }
        return rows;
    }
}
