package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.cli.metrics.HistogramQuantile;
import health.vigil.cli.metrics.LocalMetrics;
import health.vigil.cli.metrics.MetricRow;
import health.vigil.cli.metrics.PrometheusText;
import health.vigil.error.ErrorCode;
import health.vigil.host.LocalFunction;
import health.vigil.port.TelemetryNames;
import health.vigil.security.Role;
import health.vigil.text.Words;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * What the scoring-health workbook shows in Azure, from the metrics {@code vigil up} records ({@link LocalMetrics},
 * what {@code GET /metrics} serves, with its role): per model, version and slot the scored requests, patients and
 * latency percentiles estimated from the histogram's buckets as {@code vigil metrics} estimates them; scoring
 * requests answered, refused and failed; batch and shadow rows by outcome; failures by operation, those off the
 * request path told apart; and the other counters. The metrics hold ids, slots, codes and outcomes only, never
 * patient data.
 */
final class OperationsView extends View {
    static final String TITLE = "Operations";
    /** The scoring functions, as the workbook's requests-by-result chart names them. */
    static final Set<String> SCORING_FUNCTIONS = Set.of("Score", "Infer", "InferVersion");

    private static final String DURATION = PrometheusText.name(TelemetryNames.SCORING_DURATION);
    private static final String MODEL = PrometheusText.name(TelemetryNames.MODEL_NAME);
    private static final String VERSION = PrometheusText.name(TelemetryNames.MODEL_VERSION);
    private static final String SLOT = PrometheusText.name(TelemetryNames.TRAFFIC_SLOT);
    private static final String OPERATION = PrometheusText.name(TelemetryNames.OPERATION);
    private static final String CODE = PrometheusText.name(TelemetryNames.ERROR_CODE);
    private static final String OUTCOME = PrometheusText.name(TelemetryNames.OUTCOME);

    private final LocalMetrics metrics;
    private final Supplier<List<LocalFunction>> functions;
    private final Path deadLetters;

    /**
     * @param metrics what the platform records locally; null when it records none here
     * @param functions the functions the host serves, whose triggers tell a request from a background function
     */
    OperationsView(LocalMetrics metrics, Supplier<List<LocalFunction>> functions, Path deadLetters) {
        super("operations", "Operations", Role.DEPLOYMENTS_OPERATE, null);
        this.metrics = metrics;
        this.functions = functions;
        this.deadLetters = deadLetters;
    }

    /** A model's version in a slot, as the scoring metrics' attributes name it. */
    private record Series(String model, String version, String slot) {}

    /** Models by name, versions by number, slots by name. */
    private static final Comparator<Series> SERIES_ORDER = Comparator.comparing(Series::model)
            .thenComparing(s -> versionNumber(s.version())).thenComparing(Series::version).thenComparing(Series::slot);

    @Override
    Rendered render(PageRequest request) {
        if (metrics == null) {
            return new Rendered(TITLE, "<p id=\"no-metrics\">This platform records no metrics here, so this page has"
                    + " nothing to show. <code>vigil up</code> records them from its start, in either mode; in Azure"
                    + " they go to Azure Monitor, where the scoring-health workbook shows them.</p>");
        }
        List<MetricRow> rows = metrics.rows();
        Map<Series, MetricRow> durations = new TreeMap<>(SERIES_ORDER);
        Map<Series, Long> patients = new HashMap<>();
        List<MetricRow> errors = new ArrayList<>();
        List<MetricRow> outcomes = new ArrayList<>();
        List<MetricRow> others = new ArrayList<>();
        long eventsFailed = 0;
        for (MetricRow row : rows) {
            String metric = row.metric();
            if (metric.equals(DURATION) && row.histogram()) {
                durations.put(series(row), row);
            } else if (metric.equals(counter(TelemetryNames.SCORING_ROWS))) {
                patients.merge(series(row), (long) row.value(), Long::sum);
            } else if (metric.equals(counter(TelemetryNames.ERRORS))) {
                errors.add(row);
            } else if (metric.equals(counter(TelemetryNames.BATCH_ROWS))
                    || metric.equals(counter(TelemetryNames.SHADOW_MIRRORED))) {
                outcomes.add(row);
            } else if (row.type().equals("counter")) {
                if (metric.equals(counter(TelemetryNames.EVENTS)) && "failed".equals(row.attributes().get(OUTCOME))) {
                    eventsFailed += (long) row.value();
                }
                others.add(row);
            }
        }
        Map<String, LocalFunction.Kind> kinds = new HashMap<>();
        for (LocalFunction f : functions.get()) {
            kinds.put(f.name(), f.kind());
        }
        long answered = durations.values().stream().mapToLong(MetricRow::count).sum();
        long refused = 0;
        long failed = 0;
        long background = 0;
        for (MetricRow e : errors) {
            String operation = e.attributes().getOrDefault(OPERATION, "");
            if (SCORING_FUNCTIONS.contains(operation)) {
                if (refusal(e.attributes().get(CODE))) {
                    refused += (long) e.value();
                } else {
                    failed += (long) e.value();
                }
            } else if (Kind.of(operation, kinds).background()) {
                background += (long) e.value();
            }
        }

        StringBuilder body = new StringBuilder("<p id=\"since-start\">Counted since the platform started: a restart"
                + " counts from zero again, except the dead-lettered events, which are those the dead-letter folder"
                + " holds now, whenever they came. The same metrics are on <code>GET /metrics</code> and printed by"
                + " <code>vigil metrics</code>; in Azure the scoring-health workbook shows them.</p>");
        body.append("<dl class=\"facts\" id=\"operations\">");
        fact(body, "Scoring requests answered, per slot", "answered", Long.toString(answered));
        fact(body, "Scoring requests refused (4xx)", "refused", Long.toString(refused));
        fact(body, "Scoring requests failed (5xx)", "failed", Long.toString(failed));
        fact(body, "Patients scored", "patients",
                Long.toString(patients.values().stream().mapToLong(Long::longValue).sum()));
        fact(body, "Background failures", "background-failures", Long.toString(background));
        fact(body, "Events not published", "events-failed", Long.toString(eventsFailed));
        fact(body, "Dead-lettered events", "dead-letters", Pages.link("/dashboard/dead-letters",
                Integer.toString(DeadLettersView.read(deadLetters).size())));
        body.append("</dl>");
        body.append("<p id=\"answered-per-slot\">A request answered with scores is counted in each slot its patients"
                + " went to, as the latency histogram counts it: during a canary ramp one request may be counted in"
                + " both slots, so the answered count can exceed the requests sent. A refusal or a failure is counted"
                + " once.</p>");

        body.append("<h2>Scoring per model, version and slot</h2>");
        if (durations.isEmpty()) {
            body.append("<p id=\"no-scoring\">No request has been scored since the platform started.</p>");
        } else {
            scoring(body, durations, patients);
        }
        body.append("<h2>Failures by operation and code</h2>");
        if (errors.isEmpty()) {
            body.append("<p id=\"no-failures\">No request was refused and nothing failed since the platform"
                    + " started.</p>");
        } else {
            failures(body, errors, kinds);
        }
        if (!outcomes.isEmpty()) {
            body.append("<h2>Batch and shadow rows by outcome</h2>");
            rowsByOutcome(body, outcomes);
        }
        if (!others.isEmpty()) {
            body.append("<h2>Other counters</h2>");
            otherCounters(body, others);
        }
        body.append("<p>Traffic weights are on the Deployments page, drift and performance on each model's monitoring"
                + " page. What to do when something here fails: the ").append(RunbookView.link("alerts",
                "alerts runbook")).append(".</p>");
        return new Rendered(TITLE, body.toString());
    }

    private static void scoring(StringBuilder body, Map<Series, MetricRow> durations, Map<Series, Long> patients) {
        Pages.Table table = Pages.table("scoring", "Scoring requests since the platform started, per model, version"
                + " and slot", "Model", "#Version", "Slot", "#Requests", "#Patients", "#Mean (ms)", "#p50 (ms)",
                "#p95 (ms)", "#p99 (ms)");
        for (Map.Entry<Series, MetricRow> entry : durations.entrySet()) {
            Series s = entry.getKey();
            MetricRow row = entry.getValue();
            Map<String, HistogramQuantile.Estimate> quantiles = row.quantiles();
            List<Object> cells = new ArrayList<>(List.of(escape(s.model()), escape(s.version()), escape(s.slot()),
                    row.count(), patients.getOrDefault(s, 0L),
                    row.count() > 0 ? escape(milliseconds(row.sum() / row.count())) : "\u2013"));
            for (String name : MetricRow.QUANTILES.keySet()) {
                HistogramQuantile.Estimate e = quantiles.get(name);
                cells.add(e == null ? "\u2013" : escape((e.aboveLastBound() ? "> " : "") + milliseconds(e.value())));
            }
            Pages.row(table, cells.toArray());
        }
        body.append(Pages.end(table));
        List<String> edges = new ArrayList<>();
        durations.values().iterator().next().buckets().keySet().stream().filter(Double::isFinite)
                .forEach(edge -> edges.add(milliseconds(edge)));
        body.append("<p id=\"estimated\">Requests are those answered with scores, counted per slot. The percentiles are"
                + " estimated from the latency histogram's buckets, as <code>vigil metrics</code> estimates them: the"
                + " bucket that holds a percentile is found and its requests are taken as spread evenly between its"
                + " edges, so the true value lies somewhere in that bucket. The bucket edges are ")
                .append(escape(String.join(", ", edges))).append(" ms; a percentile above the last edge is shown as"
                + " \u201c&gt; ").append(escape(edges.isEmpty() ? "" : edges.get(edges.size() - 1)))
                .append("\u201d. The time is the model runtime's, as in Azure.</p>");
    }

    private static void failures(StringBuilder body, List<MetricRow> errors, Map<String, LocalFunction.Kind> kinds) {
        List<MetricRow> sorted = new ArrayList<>(errors);
        sorted.sort(Comparator.comparing((MetricRow r) -> r.attributes().getOrDefault(OPERATION, ""))
                .thenComparing(r -> r.attributes().getOrDefault(CODE, "")));
        long total = sorted.stream().mapToLong(r -> (long) r.value()).sum();
        Pages.Table table = Pages.table("failures", Words.count(total, "refusal or failure", "refusals and failures")
                + " since the platform started", "Operation", "Kind", "Code", "Result", "#Count");
        for (MetricRow r : sorted) {
            String operation = r.attributes().getOrDefault(OPERATION, "");
            Kind kind = Kind.of(operation, kinds);
            String code = r.attributes().getOrDefault(CODE, "");
            String result = kind.background() ? "failed" : refusal(code) ? "refused (4xx)" : "failed (5xx)";
            Pages.row(table, escape(operation), escape(kind.words), escape(code), escape(result), (long) r.value());
        }
        body.append(Pages.end(table));
    }

    private static void rowsByOutcome(StringBuilder body, List<MetricRow> outcomes) {
        List<MetricRow> sorted = new ArrayList<>(outcomes);
        sorted.sort(Comparator.comparing((MetricRow r) -> r.attributes().getOrDefault(MODEL, ""))
                .thenComparing(r -> versionNumber(r.attributes().getOrDefault(VERSION, "")))
                .thenComparing(MetricRow::metric).thenComparing(r -> r.attributes().getOrDefault(OUTCOME, "")));
        Pages.Table table = Pages.table("rows-by-outcome", "Batch and shadow rows since the platform started, by"
                + " outcome", "Model", "#Version", "Rows of", "Outcome", "#Rows");
        for (MetricRow r : sorted) {
            String of = r.metric().equals(counter(TelemetryNames.BATCH_ROWS)) ? "batch jobs" : "a shadow";
            Pages.row(table, escape(r.attributes().getOrDefault(MODEL, "")),
                    escape(r.attributes().getOrDefault(VERSION, "")), escape(of),
                    escape(Pages.words(r.attributes().getOrDefault(OUTCOME, ""))), (long) r.value());
        }
        body.append(Pages.end(table));
    }

    /** Every other counter, under its name and attributes as {@code docs/telemetry.md} lists them. */
    private static void otherCounters(StringBuilder body, List<MetricRow> others) {
        Map<String, TelemetryNames.Signal> signals = new LinkedHashMap<>();
        for (TelemetryNames.Signal signal : TelemetryNames.SIGNALS) {
            signals.put(counter(signal.name()), signal);
        }
        Pages.Table table = Pages.table("counters", "Other counters since the platform started", "Metric",
                "~Attributes", "#Count");
        for (MetricRow r : others) {
            TelemetryNames.Signal signal = signals.get(r.metric());
            Map<String, String> names = new HashMap<>();
            if (signal != null) {
                signal.attributes().forEach(a -> names.put(PrometheusText.name(a), a));
            }
            List<String> attributes = new ArrayList<>();
            r.attributes().forEach((label, value) -> attributes.add(names.getOrDefault(label, label) + "=" + value));
            Pages.row(table, escape(signal == null ? r.metric() : signal.name()),
                    escape(attributes.isEmpty() ? "\u2013" : String.join(" ", attributes)), (long) r.value());
        }
        body.append(Pages.end(table));
    }

    private static void fact(StringBuilder body, String name, String id, String markup) {
        body.append("<dt>").append(escape(name)).append("</dt><dd data-fact=\"").append(escape(id)).append("\">")
                .append(markup).append("</dd>");
    }

    /** A counter's name in the exposition text. */
    private static String counter(String telemetryName) {
        return PrometheusText.name(telemetryName) + "_total";
    }

    private static Series series(MetricRow row) {
        return new Series(row.attributes().getOrDefault(MODEL, ""), row.attributes().getOrDefault(VERSION, ""),
                row.attributes().getOrDefault(SLOT, ""));
    }

    private static long versionNumber(String version) {
        try {
            return Long.parseLong(version);
        } catch (NumberFormatException e) {
            return Long.MAX_VALUE;
        }
    }

    /** Whether an error code is the caller's to fix (4xx): a refusal rather than a failure. */
    private static boolean refusal(String code) {
        try {
            return ErrorCode.valueOf(code).httpStatus() < 500;
        } catch (IllegalArgumentException | NullPointerException e) {
            return false;
        }
    }

    /**
     * What an operation is: a scoring request, another request, a function started by an event, a queue message or a
     * timer, or a step off any function's invocation (a batch job, a shadow's hand-over).
     */
    private enum Kind {
        SCORING_REQUEST("scoring request"),
        REQUEST("request"),
        BACKGROUND_FUNCTION("background function"),
        BACKGROUND_STEP("background step"),
        OTHER("other");

        final String words;

        Kind(String words) {
            this.words = words;
        }

        boolean background() {
            return this == BACKGROUND_FUNCTION || this == BACKGROUND_STEP;
        }

        static Kind of(String operation, Map<String, LocalFunction.Kind> functions) {
            if (SCORING_FUNCTIONS.contains(operation)) {
                return SCORING_REQUEST;
            }
            if (TelemetryNames.BACKGROUND_OPERATIONS.contains(operation)) {
                return BACKGROUND_STEP;
            }
            LocalFunction.Kind kind = functions.get(operation);
            if (kind == null) {
                return OTHER;
            }
            return kind == LocalFunction.Kind.HTTP ? REQUEST : BACKGROUND_FUNCTION;
        }
    }

    /** Seconds as milliseconds to four significant digits. */
    private static String milliseconds(double seconds) {
        return Words.number(seconds * 1000);
    }
}
