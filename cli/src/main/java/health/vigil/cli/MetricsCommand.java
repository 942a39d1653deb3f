package health.vigil.cli;

import static health.vigil.cli.TerminalText.shown;

import health.vigil.cli.metrics.MetricRow;
import health.vigil.cli.metrics.PrometheusText;
import java.math.BigDecimal;
import java.math.MathContext;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code vigil metrics}: the metrics of a running {@code vigil up} (the names and attributes Azure records), read from
 * its {@code GET /metrics} with the operator's key (role Deployments.Operate) and printed as a table: one row per
 * metric and attributes, a histogram as its count, mean and estimated p50, p95 and p99.
 */
@Command(name = "metrics", mixinStandardHelpOptions = true,
        description = "The metrics of a running platform (scored rows, failures, gate checks, drift, canary analyses,"
                + " batch rows, approvals...) since it started; as the operator.")
final class MetricsCommand implements Callable<Integer> {
    @Option(names = "--json", description = "Print the metrics as JSON instead of a table")
    boolean json;

    @Mixin
    RunningPlatform.Options target;

    @Override
    public Integer call() throws Exception {
        HttpResponse<String> answer = target.client("operator").get("/metrics", "text/plain");
        if (answer.statusCode() != 200) {
            System.err.println("vigil metrics: " + answer.statusCode() + " " + ControlClient.refusal(answer.body()));
            return 1;
        }
        List<MetricRow> rows;
        try {
            rows = MetricRow.rows(PrometheusText.parse(answer.body()));
        } catch (IllegalArgumentException e) {
            System.err.println("vigil metrics: " + e.getMessage());
            return 1;
        }
        System.out.println(json ? TerminalText.json(Map.of("metrics", rows.stream().map(MetricsCommand::asJson)
                .toList()), true)
                : table(rows));
        return 0;
    }

    /** A row as JSON: a histogram as its count, sum, mean and estimated quantiles. */
    static Map<String, Object> asJson(MetricRow row) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("metric", row.metric());
        out.put("type", row.type());
        out.put("attributes", row.attributes());
        if (row.histogram()) {
            out.put("count", row.count());
            out.put("sum", row.sum());
            if (row.count() > 0) {
                out.put("mean", row.sum() / row.count());
            }
            List<String> aboveLastBound = new ArrayList<>();
            row.quantiles().forEach((name, estimate) -> {
                out.put(name, estimate.value());
                if (estimate.aboveLastBound()) {
                    aboveLastBound.add(name);
                }
            });
            if (!aboveLastBound.isEmpty()) {
                out.put("aboveLastBound", aboveLastBound);
            }
        } else {
            out.put("value", row.value());
        }
        return out;
    }

    /**
     * The rows as a table with a heading: metric, attributes (name=value, in order), value; a histogram's value is
     * its count, mean and estimated quantiles, one that lies beyond the highest finite bucket edge shown as
     * {@code >edge}.
     */
    static String table(List<MetricRow> rows) {
        if (rows.isEmpty()) {
            return "no metrics yet: the platform records them as it works (scoring, gates, monitoring, canary, batch)";
        }
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"METRIC", "ATTRIBUTES", "VALUE"});
        for (MetricRow row : rows) {
            List<String> attributes = new ArrayList<>();
            row.attributes().forEach((name, value) -> attributes.add(shown(name + "=" + value)));
            String value = row.histogram() ? histogram(row) : number(row.value());
            cells.add(new String[] {shown(row.metric()), attributes.isEmpty() ? "-" : String.join(" ", attributes),
                    value});
        }
        int metricWidth = cells.stream().mapToInt(c -> c[0].length()).max().orElse(0);
        int attributesWidth = cells.stream().mapToInt(c -> c[1].length()).max().orElse(0);
        List<String> lines = new ArrayList<>();
        for (String[] c : cells) {
            lines.add(String.format(Locale.ROOT, "%-" + metricWidth + "s  %-" + attributesWidth + "s  %s", c[0], c[1],
                    c[2]));
        }
        return String.join("\n", lines);
    }

    private static String histogram(MetricRow row) {
        StringBuilder out = new StringBuilder("count ").append(row.count());
        if (row.count() > 0) {
            out.append(", mean ").append(number(row.sum() / row.count()));
        }
        row.quantiles().forEach((name, estimate) -> out.append(", ").append(name).append(' ')
                .append(estimate.aboveLastBound() ? ">" : "").append(number(estimate.value())));
        return out.toString();
    }

    /** A whole number as one; any other to six significant digits. */
    static String number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return Double.toString(value);
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return BigDecimal.valueOf(value).round(new MathContext(6)).stripTrailingZeros().toPlainString();
    }
}
