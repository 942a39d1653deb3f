package health.vigil.cli.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * One metric and its attributes as read back from the exposition text: a counter's or gauge's value, or a
 * histogram's count, sum and cumulative bucket counts by upper edge, with its p50, p95 and p99 estimated from those
 * buckets ({@link HistogramQuantile}). {@code vigil metrics} and the dashboard's operations page both read the
 * metrics as these rows, so they show the same figures.
 */
public record MetricRow(String metric, String type, Map<String, String> attributes, double value, long count,
        double sum, SortedMap<Double, Double> buckets) {
    /** The quantiles estimated of a histogram, by the name they are shown with. */
    public static final Map<String, Double> QUANTILES = shownQuantiles();

    public MetricRow {
        attributes = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        buckets = Collections.unmodifiableSortedMap(new TreeMap<>(buckets));
    }

    public MetricRow(String metric, String type, Map<String, String> attributes, double value, long count,
            double sum) {
        this(metric, type, attributes, value, count, sum, new TreeMap<>());
    }

    private static Map<String, Double> shownQuantiles() {
        Map<String, Double> quantiles = new LinkedHashMap<>();
        quantiles.put("p50", 0.50);
        quantiles.put("p95", 0.95);
        quantiles.put("p99", 0.99);
        return Collections.unmodifiableMap(quantiles);
    }

    public boolean histogram() {
        return type.equals("histogram");
    }

    /** A histogram's estimated p50, p95 and p99, in that order; none without observations or buckets. */
    public Map<String, HistogramQuantile.Estimate> quantiles() {
        Map<String, HistogramQuantile.Estimate> out = new LinkedHashMap<>();
        QUANTILES.forEach((name, q) -> HistogramQuantile.estimate(q, buckets).ifPresent(e -> out.put(name, e)));
        return out;
    }

    /**
     * The samples as rows, in their order: a histogram's {@code _bucket}, {@code _sum} and {@code _count} samples
     * make one row, a bucket's {@code le} label being its upper edge, not an attribute.
     */
    public static List<MetricRow> rows(List<PrometheusText.Sample> samples) {
        Map<String, MetricRow> rows = new LinkedHashMap<>();
        for (PrometheusText.Sample s : samples) {
            if (!s.type().equals("histogram")) {
                rows.put(s.name() + s.labels(), new MetricRow(s.name(), s.type(), s.labels(), s.value(), 0, 0));
                continue;
            }
            String suffix = s.name().endsWith("_bucket") ? "_bucket" : s.name().endsWith("_count") ? "_count" : "_sum";
            String family = s.name().substring(0, s.name().length() - suffix.length());
            Map<String, String> attributes = new LinkedHashMap<>(s.labels());
            String le = suffix.equals("_bucket") ? attributes.remove("le") : null;
            MetricRow row = rows.getOrDefault(family + attributes,
                    new MetricRow(family, "histogram", attributes, 0, 0, 0));
            MetricRow updated = switch (suffix) {
                case "_bucket" -> {
                    SortedMap<Double, Double> buckets = new TreeMap<>(row.buckets());
                    buckets.put(edge(le), s.value());
                    yield new MetricRow(family, row.type(), row.attributes(), 0, row.count(), row.sum(), buckets);
                }
                case "_count" -> new MetricRow(family, row.type(), row.attributes(), 0, (long) s.value(), row.sum(),
                        row.buckets());
                default -> new MetricRow(family, row.type(), row.attributes(), 0, row.count(), s.value(),
                        row.buckets());
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
}
