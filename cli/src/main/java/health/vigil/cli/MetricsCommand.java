package health.vigil.cli;

import static health.vigil.cli.TerminalText.shown;

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
 * metric and attributes, a histogram as its count and mean.
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
        List<Row> rows;
        try {
            rows = rows(PrometheusText.parse(answer.body()));
        } catch (IllegalArgumentException e) {
            System.err.println("vigil metrics: " + e.getMessage());
            return 1;
        }
        System.out.println(json ? TerminalText.json(Map.of("metrics", rows.stream().map(Row::asJson).toList()), true)
                : table(rows));
        return 0;
    }

    /**
     * One row of the table: a metric and its attributes, with a counter's or gauge's value, or a histogram's count
     * and sum (its buckets are left to the text of {@code GET /metrics}).
     */
    record Row(String metric, String type, Map<String, String> attributes, double value, long count, double sum) {
        boolean histogram() {
            return type.equals("histogram");
        }

        Map<String, Object> asJson() {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("metric", metric);
            out.put("type", type);
            out.put("attributes", attributes);
            if (histogram()) {
                out.put("count", count);
                out.put("sum", sum);
                if (count > 0) {
                    out.put("mean", sum / count);
                }
            } else {
                out.put("value", value);
            }
            return out;
        }
    }

    /** The samples as rows, in their order: a histogram's {@code _sum} and {@code _count} make one row. */
    static List<Row> rows(List<PrometheusText.Sample> samples) {
        Map<String, Row> rows = new LinkedHashMap<>();
        for (PrometheusText.Sample s : samples) {
            if (!s.type().equals("histogram")) {
                rows.put(s.name() + s.labels(), new Row(s.name(), s.type(), s.labels(), s.value(), 0, 0));
                continue;
            }
            if (s.name().endsWith("_bucket")) {
                continue;
            }
            boolean isCount = s.name().endsWith("_count");
            String family = s.name().substring(0, s.name().length() - (isCount ? "_count" : "_sum").length());
            Row row = rows.getOrDefault(family + s.labels(), new Row(family, "histogram", s.labels(), 0, 0, 0));
            rows.put(family + s.labels(), isCount ? new Row(family, row.type(), row.attributes(), 0, (long) s.value(),
                    row.sum()) : new Row(family, row.type(), row.attributes(), 0, row.count(), s.value()));
        }
        return new ArrayList<>(rows.values());
    }

    /** The rows as a table with a heading: metric, attributes (name=value, in order), value. */
    static String table(List<Row> rows) {
        if (rows.isEmpty()) {
            return "no metrics yet: the platform records them as it works (scoring, gates, monitoring, canary, batch)";
        }
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"METRIC", "ATTRIBUTES", "VALUE"});
        for (Row row : rows) {
            List<String> attributes = new ArrayList<>();
            row.attributes().forEach((name, value) -> attributes.add(shown(name + "=" + value)));
            String value = row.histogram() ? "count " + row.count() + (row.count() > 0 ? ", mean "
                    + number(row.sum() / row.count()) : "") : number(row.value());
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
