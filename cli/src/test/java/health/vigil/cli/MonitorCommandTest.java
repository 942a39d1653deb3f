package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.Callback;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MonitorCommandTest {
    private static final String OPERATOR_KEY = "k-operator-0123456789abcdef0123456789";
    private static final String ON_CALL_KEY = "k-on-call-0123456789abcdef01234567890";

    private static JsonNode report(String performance, String segments) {
        String json = """
                {"id": "readmission/v1/stable/20261203T10", "severity": "ALERT", "from": "2026-12-03T10:00:00Z",
                 "to": "2026-12-03T11:00:00Z", "predictions": 900, "labelledFraction": 0.5,
                 "reasons": ["drift in 2 of 12 inputs"],
                 "drift": {"features": [{"name": "age", "status": "DRIFTED", "psi": 0.31,
                                         "reasons": ["PSI 0.310 >= 0.200"]},
                                        {"name": "sex", "status": "STABLE", "psi": 0.01}],
                           "estimate": {"expectedAuroc": 0.702}},
                 "performance": %s, "segments": %s}
                """.formatted(performance, segments);
        return Json.readTree("report", json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aReportReadsAsItsWindowReasonsDriftedInputsPerformanceAndEverySegment() {
        JsonNode r = report("""
                {"labelled": 450, "positives": 90, "auroc": 0.612, "aurocLower": 0.55, "aurocUpper": 0.67}""", """
                [{"column": "admission_type", "value": "emergency", "labelled": 300, "positives": 70, "status": "MEASURED",
                  "performance": {"auroc": 0.58, "aurocLower": 0.5, "aurocUpper": 0.66, "calibrationSlope": 0.71}},
                 {"column": "admission_type", "value": "elective", "labelled": 12, "positives": 1,
                  "status": "INSUFFICIENT_DATA", "performance": {}}]""");

        assertThat(MonitorCommand.describe(r)).containsExactly(
                "report readmission/v1/stable/20261203T10: ALERT, 2026-12-03 10:00:00 UTC to 2026-12-03 11:00:00 UTC, 900"
                        + " predictions, 50.0 % labelled",
                "  drift in 2 of 12 inputs",
                "  age                          drifted: PSI 0.310 >= 0.200",
                "  AUROC from 450 outcomes 0.612 (95% CI 0.550 to 0.670); expected from the scores alone 0.702",
                "  segment admission_type=emergency: 300 labelled (70 positive), AUROC 0.580 (95% CI 0.500 to 0.660),"
                        + " calibration slope 0.710",
                "  segment admission_type=elective: 12 labelled (1 positive), too few outcomes to measure");
    }

    /** A segment whose counts the report withholds says so and why, instead of reading as zero outcomes. */
    @Test
    void aSuppressedSegmentSaysItsCountsAreWithheldAndWhy() {
        JsonNode r = report("{\"labelled\": 450, \"positives\": 90}", """
                [{"column": "sex", "value": "female", "status": "SUPPRESSED", "suppressed": "fewer than 11 outcomes"},
                 {"column": "age_group", "value": "80+", "labelled": 40, "status": "SUPPRESSED",
                  "suppressed": "fewer than 11 positive or fewer than 11 negative outcomes"}]""");

        assertThat(MonitorCommand.describe(r)).contains(
                "  segment sex=female: counts withheld: fewer than 11 outcomes",
                "  segment age_group=80+: 40 labelled, counts withheld: fewer than 11 positive or fewer than 11"
                        + " negative outcomes");
    }

    /** A window whose outcome counts the report withholds says so and why, instead of reading as none labelled. */
    @Test
    void aWindowWithWithheldOutcomesSaysSoAndWhy() {
        com.fasterxml.jackson.databind.node.ObjectNode r = (com.fasterxml.jackson.databind.node.ObjectNode) report(
                "{\"auroc\": null, \"suppressed\": \"fewer than 11 outcomes\"}", "[]");
        r.remove("labelledFraction");

        assertThat(MonitorCommand.describe(r)).contains("  realised performance withheld: fewer than 11 outcomes;"
                + " expected from the scores alone 0.702");
        assertThat(MonitorCommand.describe(r).get(0)).endsWith("900 predictions, labelled share withheld");
    }

    @Test
    void aProvisionalReportSaysSoInItsFirstLine() {
        com.fasterxml.jackson.databind.node.ObjectNode r = (com.fasterxml.jackson.databind.node.ObjectNode) report(
                "{\"labelled\": 0}", "[]");
        r.put("provisional", true);

        assertThat(MonitorCommand.describe(r).get(0)).startsWith("report readmission/v1/stable/20261203T10: ALERT"
                + " (provisional: read before the window settled; a later check replaces it), 2026-12-03 10:00:00 UTC");
        assertThat(MonitorCommand.describe(report("{\"labelled\": 0}", "[]")).get(0)).doesNotContain("provisional");
    }

    /**
     * A feature drifts by whichever of its tests crossed its threshold: a PSI under 0.2 beside "drifted" would read as
     * a contradiction, and a field the feed stopped sending has no PSI at all. Each drifted input, and the score, says
     * which test it failed, in the report's own words.
     */
    @Test
    void aDriftedInputSaysWhichTestItFailedAndTheScoreIsListedToo() {
        String json = """
                {"id": "readmission/v1/stable/20261203T10", "severity": "WARNING", "from": "2026-12-03T10:00:00Z",
                 "to": "2026-12-03T11:00:00Z", "predictions": 900, "labelledFraction": 0.0, "reasons": [],
                 "drift": {"features": [
                     {"name": "num_lab_procedures", "status": "DRIFTED", "psi": 0.12,
                      "reasons": ["KS 0.140 >= 0.100 (p=3.1e-05)"]},
                     {"name": "A1Cresult=>8", "status": "DRIFTED", "rows": 0,
                      "reasons": ["missing rate 1.000 vs 0.020 in training (p=0)"]},
                     {"name": "age_years", "status": "STABLE", "psi": 0.01, "reasons": []}],
                   "score": {"name": "score", "status": "DRIFTED", "psi": 0.25, "reasons": ["PSI 0.250 >= 0.200"]}},
                 "performance": {"labelled": 0}, "segments": []}
                """;

        assertThat(MonitorCommand.describe(Json.readTree("report", json.getBytes(StandardCharsets.UTF_8))))
                .containsSubsequence(
                        "  num_lab_procedures           drifted: KS 0.140 >= 0.100 (p=3.1e-05)",
                        "  A1Cresult=>8                 drifted: missing rate 1.000 vs 0.020 in training (p=0)",
                        "  the score                    drifted: PSI 0.250 >= 0.200")
                .noneMatch(line -> line.contains("NaN") || line.contains("age_years"));
    }

    @Test
    void aWindowWithoutOutcomesSaysSoBesideTheEstimate() {
        assertThat(MonitorCommand.describe(report("{\"labelled\": 0}", "[]")))
                .contains("  AUROC not measured (0 outcomes); expected from the scores alone 0.702");
    }

    /**
     * {@code vigil monitor show|run} call with the operator's key, or with the key of the persona named by --as, as the
     * models, canary and other platform commands do; the platform then checks that persona's roles.
     */
    @Test
    void monitorCommandsCallAsTheOperatorOrAsThePersonaNamedByAs(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": ["
                + "{\"id\": \"operator\", \"name\": \"Operator\", \"key\": \"" + OPERATOR_KEY + "\","
                + " \"roles\": [\"Deployments.Operate\"]},"
                + "{\"id\": \"on-call\", \"name\": \"On call\", \"key\": \"" + ON_CALL_KEY + "\","
                + " \"roles\": [\"Deployments.Operate\"]}]}");
        List<String> asked = new CopyOnWriteArrayList<>();
        Server server = new Server();
        java.net.URI base = LoopbackServer.start(server, new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) {
                asked.add(request.getMethod() + " " + request.getHttpURI().getPath() + " "
                        + request.getHeaders().get("x-api-key"));
                LoopbackServer.answer(response, callback, 200, "{\"model\": \"readmission\", \"reports\": []}");
                return true;
            }
        });
        try {
            List<String> common = List.of("readmission", "--home", home.toString(), "--url", base.toString());
            for (String command : new String[] {"show", "run"}) {
                assertThat(monitor(command, common)).as(command).isZero();
                List<String> asOnCall = new ArrayList<>(common);
                asOnCall.addAll(List.of("--as", "on-call"));
                assertThat(monitor(command, asOnCall)).as(command + " --as on-call").isZero();
            }
        } finally {
            server.stop();
        }

        assertThat(asked).containsExactly(
                "GET /models/readmission/monitoring " + OPERATOR_KEY,
                "GET /models/readmission/monitoring " + ON_CALL_KEY,
                "POST /models/readmission/monitoring/run " + OPERATOR_KEY,
                "POST /models/readmission/monitoring/run " + ON_CALL_KEY);
    }

    private static int monitor(String command, List<String> options) {
        PrintStream original = System.out;
        System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        try {
            List<String> args = new ArrayList<>(List.of("monitor", command));
            args.addAll(options);
            return Main.commandLine().execute(args.toArray(String[]::new));
        } finally {
            System.setOut(original);
        }
    }
}
