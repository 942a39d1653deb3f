package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.cli.metrics.PrometheusText;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vigil metrics}: the exposition text as a table of metric, attributes and value, or as JSON. */
class MetricsCommandTest {
    private static final String TEXT = """
            # HELP vigil_gates_checks_total Gate checks
            # TYPE vigil_gates_checks_total counter
            vigil_gates_checks_total{vigil_gate="calibration",vigil_outcome="passed"} 4
            vigil_gates_checks_total{vigil_gate="leakage",vigil_outcome="failed"} 1
            # TYPE vigil_scoring_duration histogram
            vigil_scoring_duration_bucket{vigil_model_name="readmission",le="0.01"} 3
            vigil_scoring_duration_bucket{vigil_model_name="readmission",le="+Inf"} 4
            vigil_scoring_duration_sum{vigil_model_name="readmission"} 0.125
            vigil_scoring_duration_count{vigil_model_name="readmission"} 4
            # TYPE vigil_traffic_weight gauge
            vigil_traffic_weight{vigil_model_name="readmission",vigil_traffic_slot="canary"} 12.5
            # TYPE vigil_audit_verifications_total counter
            vigil_audit_verifications_total{vigil_outcome="a\\nb"} 1
            # TYPE vigil_registrations_total counter
            vigil_registrations_total 2
            """;

    @Test
    void metricsReadAsATableWithAHistogramAsItsCountAndMean() {
        List<MetricsCommand.Row> rows = MetricsCommand.rows(PrometheusText.parse(TEXT));

        assertThat(MetricsCommand.table(rows).lines().toList()).containsExactly(
                "METRIC                           ATTRIBUTES                                              VALUE",
                "vigil_gates_checks_total         vigil_gate=calibration vigil_outcome=passed             4",
                "vigil_gates_checks_total         vigil_gate=leakage vigil_outcome=failed                 1",
                "vigil_scoring_duration           vigil_model_name=readmission                            count 4,"
                        + " mean 0.03125",
                "vigil_traffic_weight             vigil_model_name=readmission vigil_traffic_slot=canary  12.5",
                "vigil_audit_verifications_total  vigil_outcome=a[U+000A]b                                1",
                "vigil_registrations_total        -                                                       2");
    }

    @Test
    void metricsReadAsJsonWithAHistogramsCountSumAndMean() {
        List<Map<String, Object>> json = MetricsCommand.rows(PrometheusText.parse(TEXT)).stream()
                .map(MetricsCommand.Row::asJson).toList();

        assertThat(json).hasSize(6);
        assertThat(json.get(2)).containsExactly(Map.entry("metric", "vigil_scoring_duration"),
                Map.entry("type", "histogram"), Map.entry("attributes", Map.of("vigil_model_name", "readmission")),
                Map.entry("count", 4L), Map.entry("sum", 0.125), Map.entry("mean", 0.03125));
        assertThat(json.get(0)).containsEntry("type", "counter").containsEntry("value", 4.0);
    }

    @Test
    void noMetricsYetSaysSo() {
        assertThat(MetricsCommand.table(MetricsCommand.rows(PrometheusText.parse("")))).startsWith("no metrics yet");
    }

    @Test
    void aRefusalIsPrintedWithItsStatusAndMessageAndFails(@TempDir Path home) throws Exception {
        Server server = new Server();
        java.net.URI base = LoopbackServer.answeringTheOperator(server, home, 403, "{\"error\": {\"code\":"
                + " \"FORBIDDEN\", \"message\": \"the caller lacks role Deployments.Operate\"}}", body -> { });
        try {
            CommandRun run = CommandRun.at(base, home, "metrics");
            assertThat(run.exit()).isEqualTo(1);
            assertThat(run.err()).contains("vigil metrics: 403 FORBIDDEN: the caller lacks role Deployments.Operate");
            assertThat(run.out()).isEmpty();
        } finally {
            server.stop();
        }
    }
}
