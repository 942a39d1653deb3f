package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.cli.metrics.MetricRow;
import health.vigil.cli.metrics.PrometheusText;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil metrics}: the exposition text as a table of metric, attributes and value, or as JSON; a histogram as
 * its count, mean and p50, p95 and p99 estimated from its buckets.
 */
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
            vigil_scoring_duration_bucket{vigil_model_name="sepsis",le="0.005"} 10
            vigil_scoring_duration_bucket{vigil_model_name="sepsis",le="0.01"} 90
            vigil_scoring_duration_bucket{vigil_model_name="sepsis",le="0.025"} 100
            vigil_scoring_duration_bucket{vigil_model_name="sepsis",le="+Inf"} 100
            vigil_scoring_duration_sum{vigil_model_name="sepsis"} 0.75
            vigil_scoring_duration_count{vigil_model_name="sepsis"} 100
            vigil_scoring_duration_bucket{vigil_model_name="stroke",le="0.01"} 0
            vigil_scoring_duration_bucket{vigil_model_name="stroke",le="+Inf"} 0
            vigil_scoring_duration_sum{vigil_model_name="stroke"} 0
            vigil_scoring_duration_count{vigil_model_name="stroke"} 0
            # TYPE vigil_traffic_weight gauge
            vigil_traffic_weight{vigil_model_name="readmission",vigil_traffic_slot="canary"} 12.5
            # TYPE vigil_audit_verifications_total counter
            vigil_audit_verifications_total{vigil_outcome="a\\nb"} 1
            # TYPE vigil_registrations_total counter
            vigil_registrations_total 2
            """;

    /**
     * readmission: 3 of 4 up to 10 ms, so p50 (rank 2) is 2/3 of the way from 0 to 10 ms, and p95 and p99 (ranks
     * 3.8 and 3.96) are in the open last bucket: above 10 ms. sepsis: 10 up to 5 ms, 80 more up to 10 ms, 10 more
     * up to 25 ms; p50 (rank 50) is 40/80 of (5, 10] ms, p95 (rank 95) 5/10 of (10, 25] ms and p99 (rank 99) 9/10 of
     * it. stroke: nothing observed, so no mean and no quantiles.
     */
    @Test
    void metricsReadAsATableWithAHistogramAsItsCountMeanAndEstimatedQuantiles() {
        List<MetricRow> rows = MetricRow.rows(PrometheusText.parse(TEXT));

        assertThat(MetricsCommand.table(rows).lines().toList()).containsExactly(
                "METRIC                           ATTRIBUTES                                              VALUE",
                "vigil_gates_checks_total         vigil_gate=calibration vigil_outcome=passed             4",
                "vigil_gates_checks_total         vigil_gate=leakage vigil_outcome=failed                 1",
                "vigil_scoring_duration           vigil_model_name=readmission                            count 4,"
                        + " mean 0.03125, p50 0.00666667, p95 >0.01, p99 >0.01",
                "vigil_scoring_duration           vigil_model_name=sepsis                                 count 100,"
                        + " mean 0.0075, p50 0.0075, p95 0.0175, p99 0.0235",
                "vigil_scoring_duration           vigil_model_name=stroke                                 count 0",
                "vigil_traffic_weight             vigil_model_name=readmission vigil_traffic_slot=canary  12.5",
                "vigil_audit_verifications_total  vigil_outcome=a[U+000A]b                                1",
                "vigil_registrations_total        -                                                       2");
    }

    @Test
    void metricsReadAsJsonWithAHistogramsCountSumMeanAndEstimatedQuantiles() {
        List<Map<String, Object>> json = MetricRow.rows(PrometheusText.parse(TEXT)).stream()
                .map(MetricsCommand::asJson).toList();

        assertThat(json).hasSize(8);
        assertThat(json.get(2)).containsOnlyKeys("metric", "type", "attributes", "count", "sum", "mean", "p50", "p95",
                "p99", "aboveLastBound").containsEntry("attributes", Map.of("vigil_model_name", "readmission"))
                .containsEntry("count", 4L).containsEntry("sum", 0.125).containsEntry("mean", 0.03125)
                .containsEntry("p95", 0.01).containsEntry("p99", 0.01)
                .containsEntry("aboveLastBound", List.of("p95", "p99"));
        assertThat((double) json.get(2).get("p50")).isCloseTo(0.01 * 2 / 3, within(1e-15));
        assertThat(json.get(3)).containsOnlyKeys("metric", "type", "attributes", "count", "sum", "mean", "p50", "p95",
                "p99").containsEntry("attributes", Map.of("vigil_model_name", "sepsis"));
        assertThat((double) json.get(3).get("p50")).isCloseTo(0.0075, within(1e-15));
        assertThat((double) json.get(3).get("p95")).isCloseTo(0.0175, within(1e-15));
        assertThat((double) json.get(3).get("p99")).isCloseTo(0.0235, within(1e-15));
        assertThat(json.get(4)).containsExactly(Map.entry("metric", "vigil_scoring_duration"),
                Map.entry("type", "histogram"), Map.entry("attributes", Map.of("vigil_model_name", "stroke")),
                Map.entry("count", 0L), Map.entry("sum", 0.0));
        assertThat(json.get(0)).containsEntry("type", "counter").containsEntry("value", 4.0);
    }

    @Test
    void aHistogramBucketWhoseEdgeIsNotANumberIsRefused() {
        String text = "# TYPE d histogram\nd_bucket{le=\"x\"} 1\n";
        assertThatThrownBy(() -> MetricRow.rows(PrometheusText.parse(text)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("le label is not a number");
    }

    @Test
    void noMetricsYetSaysSo() {
        assertThat(MetricsCommand.table(MetricRow.rows(PrometheusText.parse("")))).startsWith("no metrics yet");
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
