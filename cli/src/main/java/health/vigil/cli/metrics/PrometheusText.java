package health.vigil.cli.metrics;

import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.sdk.metrics.data.DoublePointData;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.data.PointData;
import io.opentelemetry.sdk.metrics.data.SumData;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Metrics in the Prometheus text exposition format (version 0.0.4): a name's dots (and any other character a
 * Prometheus name cannot hold) become underscores, attributes become labels, a counter's samples end in
 * {@code _total}, and a histogram is its {@code _bucket} (cumulative, up to {@code le="+Inf"}), {@code _sum} and
 * {@code _count} samples. Each family has its {@code # HELP} and {@code # TYPE} line; families and samples are in
 * name and label order, so two reads of the same totals are the same text. {@link #parse} reads that text back.
 */
public final class PrometheusText {
    /** The media type of the text exposition format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private PrometheusText() {}

    /** {@code metrics} as exposition text; a metric of a kind Vigil does not record (a summary) is left out. */
    public static String render(Collection<MetricData> metrics) {
        StringBuilder text = new StringBuilder();
        metrics.stream().sorted(Comparator.comparing(MetricData::getName)).forEach(metric -> {
            switch (metric.getType()) {
                case LONG_SUM -> sum(text, metric, metric.getLongSumData(),
                        p -> number(((LongPointData) p).getValue()));
                case DOUBLE_SUM -> sum(text, metric, metric.getDoubleSumData(),
                        p -> number(((DoublePointData) p).getValue()));
                case LONG_GAUGE -> family(text, metric, name(metric.getName()), "gauge", metric.getLongGaugeData()
                        .getPoints(), p -> number(((LongPointData) p).getValue()));
                case DOUBLE_GAUGE -> family(text, metric, name(metric.getName()), "gauge", metric.getDoubleGaugeData()
                        .getPoints(), p -> number(((DoublePointData) p).getValue()));
                case HISTOGRAM -> histogram(text, metric);
                default -> { }
            }
        });
        return text.toString();
    }

    private static void sum(StringBuilder text, MetricData metric, SumData<? extends PointData> data,
            java.util.function.Function<PointData, String> value) {
        if (data.isMonotonic()) {
            String name = name(metric.getName());
            family(text, metric, name.endsWith("_total") ? name : name + "_total", "counter", data.getPoints(), value);
        } else {
            family(text, metric, name(metric.getName()), "gauge", data.getPoints(), value);
        }
    }

    private static void family(StringBuilder text, MetricData metric, String name, String type,
            Collection<? extends PointData> points, java.util.function.Function<PointData, String> value) {
        header(text, metric, name, type);
        for (PointData point : sorted(points)) {
            text.append(name).append(labels(point.getAttributes(), null)).append(' ').append(value.apply(point))
                    .append('\n');
        }
    }

    private static void histogram(StringBuilder text, MetricData metric) {
        String name = name(metric.getName());
        header(text, metric, name, "histogram");
        for (HistogramPointData point : sorted(metric.getHistogramData().getPoints())) {
            List<Double> bounds = point.getBoundaries();
            List<Long> counts = point.getCounts();
            long cumulative = 0;
            for (int i = 0; i < bounds.size(); i++) {
                cumulative += counts.get(i);
                text.append(name).append("_bucket").append(labels(point.getAttributes(), number(bounds.get(i))))
                        .append(' ').append(cumulative).append('\n');
            }
            text.append(name).append("_bucket").append(labels(point.getAttributes(), "+Inf")).append(' ')
                    .append(point.getCount()).append('\n');
            text.append(name).append("_sum").append(labels(point.getAttributes(), null)).append(' ')
                    .append(number(point.getSum())).append('\n');
            text.append(name).append("_count").append(labels(point.getAttributes(), null)).append(' ')
                    .append(point.getCount()).append('\n');
        }
    }

    private static void header(StringBuilder text, MetricData metric, String name, String type) {
        if (!metric.getDescription().isEmpty()) {
            text.append("# HELP ").append(name).append(' ')
                    .append(metric.getDescription().replace("\\", "\\\\").replace("\n", "\\n")).append('\n');
        }
        text.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    }

    private static <P extends PointData> List<P> sorted(Collection<P> points) {
        List<P> list = new ArrayList<>(points);
        list.sort(Comparator.comparing(p -> labels(p.getAttributes(), null)));
        return list;
    }

    /** A metric or label name as Prometheus allows it: letters, digits and underscores, not starting with a digit. */
    public static String name(String name) {
        StringBuilder out = new StringBuilder(name.length() + 1);
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            boolean allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
            out.append(allowed ? c : '_');
        }
        if (out.length() == 0 || Character.isDigit(out.charAt(0))) {
            out.insert(0, '_');
        }
        return out.toString();
    }

    /** The attributes as labels in key order, {@code le} last when given; empty when there are none. */
    private static String labels(Attributes attributes, String le) {
        Map<String, String> labels = new java.util.TreeMap<>();
        attributes.forEach((key, value) -> labels.put(name(key.getKey()), String.valueOf(value)));
        if (labels.isEmpty() && le == null) {
            return "";
        }
        StringBuilder out = new StringBuilder("{");
        labels.forEach((key, value) -> out.append(key).append("=\"").append(escape(value)).append("\","));
        if (le != null) {
            out.append("le=\"").append(le).append("\",");
        }
        out.setLength(out.length() - 1);
        return out.append('}').toString();
    }

    /** A label value as the format escapes it: backslash, double quote and line feed. */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** A sample value: whole numbers without a fraction, others as Java writes a double, which Prometheus reads. */
    static String number(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "+Inf" : "-Inf";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return Double.toString(value);
    }

    /** One sample line read back: the sample's name, the type of its family (untyped if none), labels and value. */
    public record Sample(String name, String type, Map<String, String> labels, double value) {
        public Sample {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(type, "type");
            labels = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(labels));
        }
    }

    /**
     * The samples of exposition text, in its order, each with the type its {@code # TYPE} line gave its family (a
     * histogram's {@code _bucket}, {@code _sum} and {@code _count} samples are of the histogram's family). Comments
     * and blank lines are skipped; a line that is not a sample is refused with its line number.
     */
    public static List<Sample> parse(String text) {
        Map<String, String> types = new LinkedHashMap<>();
        List<Sample> samples = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int n = 0; n < lines.length; n++) {
            String line = lines[n].strip();
            if (line.isEmpty()) {
                continue;
            }
            if (line.startsWith("#")) {
                String[] parts = line.split(" +", 4);
                if (parts.length >= 4 && parts[1].equals("TYPE")) {
                    types.put(parts[2], parts[3]);
                }
                continue;
            }
            samples.add(sample(line, n + 1, types));
        }
        return samples;
    }

    private static Sample sample(String line, int number, Map<String, String> types) {
        int i = 0;
        while (i < line.length() && line.charAt(i) != '{' && line.charAt(i) != ' ') {
            i++;
        }
        String name = line.substring(0, i);
        Map<String, String> labels = new LinkedHashMap<>();
        if (i < line.length() && line.charAt(i) == '{') {
            i++;
            while (i < line.length() && line.charAt(i) != '}') {
                int equals = line.indexOf("=\"", i);
                if (equals < 0) {
                    throw refused(number, "a label without a quoted value");
                }
                String key = line.substring(i, equals);
                StringBuilder value = new StringBuilder();
                int j = equals + 2;
                for (; j < line.length() && line.charAt(j) != '"'; j++) {
                    char c = line.charAt(j);
                    if (c == '\\' && j + 1 < line.length()) {
                        char next = line.charAt(++j);
                        value.append(next == 'n' ? '\n' : next);
                    } else {
                        value.append(c);
                    }
                }
                if (j >= line.length()) {
                    throw refused(number, "a label value that does not end");
                }
                labels.put(key, value.toString());
                i = j + 1;
                if (i < line.length() && line.charAt(i) == ',') {
                    i++;
                }
            }
            if (i >= line.length()) {
                throw refused(number, "labels that do not end");
            }
            i++;
        }
        String[] rest = line.substring(i).strip().split(" +");
        if (name.isEmpty() || rest.length == 0 || rest[0].isEmpty()) {
            throw refused(number, "no sample name or value");
        }
        return new Sample(name, typeOf(name, types), labels, value(rest[0], number));
    }

    private static String typeOf(String sample, Map<String, String> types) {
        if (types.containsKey(sample)) {
            return types.get(sample);
        }
        for (String suffix : new String[] {"_bucket", "_sum", "_count"}) {
            if (sample.endsWith(suffix)) {
                String family = sample.substring(0, sample.length() - suffix.length());
                if ("histogram".equals(types.get(family))) {
                    return "histogram";
                }
            }
        }
        return "untyped";
    }

    private static double value(String text, int number) {
        switch (text) {
            case "+Inf", "Inf" -> {
                return Double.POSITIVE_INFINITY;
            }
            case "-Inf" -> {
                return Double.NEGATIVE_INFINITY;
            }
            case "NaN" -> {
                return Double.NaN;
            }
            default -> {
                try {
                    return Double.parseDouble(text);
                } catch (NumberFormatException e) {
                    throw refused(number, "a value that is not a number");
                }
            }
        }
    }

    private static IllegalArgumentException refused(int line, String what) {
        return new IllegalArgumentException("the metrics text has " + what + " on line " + line
                + "; is --url the platform's address?");
    }
}
