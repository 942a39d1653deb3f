package health.vigil.cli;

import static health.vigil.cli.TerminalText.shown;

import health.vigil.cli.metrics.HistogramQuantile;
import health.vigil.cli.metrics.PrometheusText;
import java.math.BigDecimal;
import java.math.MathContext;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
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

    /** The quantiles shown of a histogram, by name. */
    private static final Map<String, Double> QUANTILES = shownQuantiles();

    private static Map<String, Double> shownQuantiles() {
        Map<String, Double> quantiles = new LinkedHashMap<>();
        quantiles.put("p50", 0.50);
        quantiles.put("p95", 0.95);
        quantiles.put("p99", 0.99);
        return Collections.unmodifiableMap(quantiles);
    }

    /**
     * One row of the table: a metric and its attributes, with a counter's or gauge's value, or a histogram's count,
     * sum and cumulative bucket counts by upper edge.
     */
    record Row(String metric, String type, Map<String, String> attributes, double value, long count, double sum,
            SortedMap<Double, Double> buckets) {
        Row {
            buckets = Collections.unmodifiableSortedMap(new TreeMap<>(buckets));
        }

        Row(String metric, String type, Map<String, String> attributes, double value, long count, double sum) {
            this(metric, type, attributes, value, count, sum, new TreeMap<>());
        }

        boolean histogram() {
            return type.equals("histogram");
        }

        /** A histogram's estimated p50, p95 and p99, in that order; none without observations or buckets. */
        Map<String, HistogramQuantile.Estimate> quantiles() {
            Map<String, HistogramQuantile.Estimate> out = new LinkedHashMap<>();
            QUANTILES.forEach((name, q) -> HistogramQuantile.estimate(q, buckets).ifPresent(e -> out.put(name, e)));
            return out;
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
                List<String> aboveLastBound = new ArrayList<>();
                quantiles().forEach((name, estimate) -> {
                    out.put(name, estimate.value());
                    if (estimate.aboveLastBound()) {
                        aboveLastBound.add(name);
                    }
                });
                if (!aboveLastBound.isEmpty()) {
                    out.put("aboveLastBound", aboveLastBound);
                }
            } else {
                out.put("value", value);
            }
            return out;
        }
    }

    /**
     * The samples as rows, in their order: a histogram's {@code _bucket}, {@code _sum} and {@code _count} samples
     * make one row, a bucket's {@code le} label being its upper edge, not an attribute.
     */
    static List<Row> rows(List<PrometheusText.Sample> samples) {
        Map<String, Row> rows = new LinkedHashMap<>();
        for (PrometheusText.Sample s : samples) {
            if (!s.type().equals("histogram")) {
                rows.put(s.name() + s.labels(), new Row(s.name(), s.type(), s.labels(), s.value(), 0, 0));
                continue;
            }
            String suffix = s.name().endsWith("_bucket") ? "_bucket" : s.name().endsWith("_count") ? "_count" : "_sum";
            String family = s.name().substring(0, s.name().length() - suffix.length());
            Map<String, String> attributes = new LinkedHashMap<>(s.labels());
            String le = suffix.equals("_bucket") ? attributes.remove("le") : null;
            Row row = rows.getOrDefault(family + attributes, new Row(family, "histogram", attributes, 0, 0, 0));
            Row updated = switch (suffix) {
                case "_bucket" -> {
                    SortedMap<Double, Double> buckets = new TreeMap<>(row.buckets());
                    buckets.put(edge(le), s.value());
                    yield new Row(family, row.type(), row.attributes(), 0, row.count(), row.sum(), buckets);
                }
                case "_count" -> new Row(family, row.type(), row.attributes(), 0, (long) s.value(), row.sum(),
                        row.buckets());
                default -> new Row(family, row.type(), row.attributes(), 0, row.count(), s.value(), row.buckets());
            };
            rows.put(family + attributes, updated);
        }
        return new ArrayList<>(rows.values());
    }

    /** A bucket's upper edge, its {@code le} label. */
    private static double edge(String le) {
        if (le == null) {
            throw new IllegalArgumentException("the metrics text has a histogram bucket without its le label; is"
                    + " --url the platform's address?");
        }
        if (le.equals("+Inf") || le.equals("Inf")) {
            return Double.POSITIVE_INFINITY;
        }
        try {
            return Double.parseDouble(le);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("the metrics text has a histogram bucket whose le label is not a"
                    + " number; is --url the platform's address?");
        }
    }

    /**
     * The rows as a table with a heading: metric, attributes (name=value, in order), value; a histogram's value is
     * its count, mean and estimated quantiles, one that lies beyond the highest finite bucket edge shown as
     * {@code >edge}.
     */
    static String table(List<Row> rows) {
        if (rows.isEmpty()) {
            return "no metrics yet: the platform records them as it works (scoring, gates, monitoring, canary, batch)";
        }
        List<String[]> cells = new ArrayList<>();
        cells.add(new String[] {"METRIC", "ATTRIBUTES", "VALUE"});
        for (Row row : rows) {
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

    private static String histogram(Row row) {
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
