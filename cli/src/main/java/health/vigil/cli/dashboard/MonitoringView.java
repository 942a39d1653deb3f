package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.error.ValidationException;
import health.vigil.functions.common.html.Html;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.Slot;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.monitoring.DriftAccumulator;
import health.vigil.monitoring.DriftCheck;
import health.vigil.monitoring.DriftReport;
import health.vigil.monitoring.LabelledPerformance;
import health.vigil.monitoring.MonitoringPolicy;
import health.vigil.monitoring.MonitoringReport;
import health.vigil.monitoring.PerformanceEstimate;
import health.vigil.monitoring.SegmentPerformance;
import health.vigil.monitoring.SmallCells;
import health.vigil.platform.CardMonitoring;
import health.vigil.platform.VigilPlatform;
import health.vigil.registry.ModelSummary;
import health.vigil.scoring.ScorableModel;
import health.vigil.security.Role;
import health.vigil.statistics.ReliabilityCurve;
import health.vigil.text.Words;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Monitoring of one version in one traffic slot over the last days: the stored monitoring reports the drift check
 * wrote (what {@code GET /models/{name}/monitoring} answers) drawn as drift per feature over the windows and as
 * realised performance with its 95 % band beside the label-free estimate; and, over the whole period, the score's
 * distribution against the training reference and a calibration plot, computed in one pass over the prediction
 * log with the drift check's own binning and the outcome join the check uses. Route {@code monitoring} lists the
 * models; {@code monitoring/{name}} shows one ({@code ?version=}, {@code ?slot=}, {@code ?days=}).
 */
final class MonitoringView extends View {
    static final int DEFAULT_DAYS = 7;
    static final int MAX_DAYS = 31;
    /** Lines drawn in the drift chart besides the score: the features that moved most. */
    static final int CHARTED_FEATURES = 4;
    /** Bins of the calibration plot, as the reports' expected calibration error uses. */
    static final int CALIBRATION_BINS = 10;
    /** Predictions joined to their outcomes per lookup, as the drift check joins them. */
    private static final int JOIN_BATCH = 1000;
    private static final DateTimeFormatter WINDOW = DateTimeFormatter.ofPattern("MM-dd HH:mm")
            .withZone(java.time.ZoneOffset.UTC);
    private final boolean index;

    MonitoringView(Supplier<VigilPlatform> platform) {
        this(platform, true);
    }

    private MonitoringView(Supplier<VigilPlatform> platform, boolean index) {
        super(index ? "monitoring" : "monitoring/{name}", index ? "Monitoring" : null, Role.DEPLOYMENTS_OPERATE,
                platform);
        this.index = index;
    }

    /** The page of one model. */
    View ofOneModel() {
        return new MonitoringView(platform, false);
    }

    private static Slot slot(String wire) {
        for (Slot s : Slot.values()) {
            if (s.wireName().equals(wire)) {
                return s;
            }
        }
        throw new ValidationException("query parameter 'slot' must be one of " + java.util.Arrays.stream(Slot.values())
                .map(Slot::wireName).toList());
    }

    @Override
    Rendered render(PageRequest request) {
        return index ? list() : model(request);
    }

    private Rendered list() {
        VigilPlatform p = platform.get();
        if (p.registry().listModels().isEmpty()) {
            return new Rendered("Monitoring", ModelsView.NONE_YET);
        }
        StringBuilder body = new StringBuilder("<ul id=\"monitored\">");
        for (ModelName m : p.registry().listModels()) {
            body.append("<li>").append(Pages.link("/dashboard/monitoring/" + m.value(), m.value())).append("</li>");
        }
        return new Rendered("Monitoring", body.append("</ul>").toString());
    }

    private Rendered model(PageRequest request) {
        VigilPlatform p = platform.get();
        ModelName model = new ModelName(request.segment("name"));
        ModelSummary summary = p.registry().summary(model);
        int days = request.whole("days", DEFAULT_DAYS, 1, MAX_DAYS);
        int stable = summary.currentDeployment().flatMap(d -> d.slots().stream()
                .filter(s -> s.slot() == Slot.STABLE).findFirst()).map(TrafficSlot::version)
                .orElse(summary.latest() == null ? 1 : summary.latest().version());
        int version = request.whole("version", stable, 1, Integer.MAX_VALUE);
        Slot slot = request.param("slot").map(MonitoringView::slot).orElse(Slot.STABLE);
        VersionRecord record = p.registry().getVersion(model, version);
        Instant to = p.clock().instant();
        Instant from = to.minus(Duration.ofDays(days));
        List<MonitoringReport> reports = p.monitoring().reports().list(model.value(), from, to).stream()
                .filter(r -> r.version() == version && r.slot().equals(slot.wireName())).toList();
        Period period = period(p, record, slot, from, to);
        int minCellSize = p.monitoring().policy(model).minCellSize();

        StringBuilder body = new StringBuilder("<p>Version ").append(version).append(" in the ")
                .append(escape(slot.wireName())).append(" slot, the last ").append(Words.count(days, "day")).append(": ")
                .append(counts(reports.size(), period.rows(), period.scores().size(), minCellSize)).append(".</p>");
        body.append(windows(model, reports));
        body.append(driftOverTime(reports));
        body.append(performanceOverTime(reports));
        body.append(scoreDistribution(period));
        body.append(calibration(period, minCellSize));
        return new Rendered("Monitoring of " + model.value(), body.toString());
    }

    /**
     * How many windows were checked and predictions logged and labelled, each number marked for the tests; the
     * labelled count withheld as the model's monitoring policy's {@code minCellSize} withholds a window's
     * ({@link SmallCells}). There is no form without it: every count of outcomes on the page is withheld alike.
     */
    static String counts(long windows, long predictions, long labelled, int minCellSize) {
        SegmentPerformance total = SmallCells.suppress(List.of(cell("period", labelled, 0)), minCellSize).get(0);
        return fact("windows", windows, "checked window") + ", " + fact("rows", predictions, "prediction") + ", "
                + (total.labelled() == null ? "outcomes withheld (" + escape(total.suppressed()) + ")"
                        : "<strong data-fact=\"labelled\">" + labelled + "</strong> with an outcome");
    }

    private static SegmentPerformance cell(String value, long labelled, long positives) {
        return new SegmentPerformance("outcomes", value, labelled, positives, SegmentPerformance.Status.MEASURED, null,
                null);
    }

    /** A count in words with its number in bold: "<strong>1</strong> prediction", "<strong>2</strong> predictions". */
    private static String fact(String name, long n, String noun) {
        String words = Words.count(n, noun);
        int space = words.indexOf(' ');
        return "<strong data-fact=\"" + name + "\">" + words.substring(0, space) + "</strong>" + words.substring(space);
    }

    /** What one pass over the period's predictions of the version and slot gives the pictures. */
    record Period(long rows, List<Double> edges, List<Double> reference, long[] production, List<Double> scores,
            List<Boolean> outcomes) {}

    private static Period period(VigilPlatform p, VersionRecord record, Slot slot, Instant from, Instant to) {
        ScorableModel loaded = p.scoring().models().get(record);
        Optional<ReferenceProfile.FeatureProfile> scoreReference = loaded.reference().map(ReferenceProfile::score);
        DriftAccumulator accumulator = loaded.reference().map(reference -> DriftCheck.of(record.manifest().features(),
                loaded.pipeline().columns(), reference, record.manifest().output().threshold(),
                MonitoringPolicy.DEFAULTS.drift()).newAccumulator()).orElse(null);
        long[] rows = new long[1];
        List<Double> scores = new ArrayList<>();
        List<Boolean> outcomes = new ArrayList<>();
        List<PredictionRecord> pending = new ArrayList<>(JOIN_BATCH);
        Runnable join = () -> {
            Map<String, Boolean> joined = p.outcomeJoin().outcomesOf(record.modelName(), pending);
            for (PredictionRecord r : pending) {
                Boolean outcome = joined.get(r.predictionId());
                if (outcome != null) {
                    scores.add(r.score());
                    outcomes.add(outcome);
                }
            }
            pending.clear();
        };
        p.predictionLog().scan(record.modelName(), from, to, r -> {
            if (r.version() != record.version() || r.slot() != slot) {
                return;
            }
            rows[0]++;
            if (accumulator != null) {
                accumulator.add(r);
            }
            pending.add(r);
            if (pending.size() == JOIN_BATCH) {
                join.run();
            }
        });
        if (!pending.isEmpty()) {
            join.run();
        }
        long[] production = accumulator == null || accumulator.summary().score() == null ? null
                : accumulator.summary().score().counts();
        return new Period(rows[0], scoreReference.map(ReferenceProfile.FeatureProfile::binEdges).orElse(List.of()),
                scoreReference.map(ReferenceProfile.FeatureProfile::proportions).orElse(List.of()), production,
                scores, outcomes);
    }

    private static String label(MonitoringReport r) {
        return WINDOW.format(r.from());
    }

    static String windows(ModelName model, List<MonitoringReport> reports) {
        StringBuilder html = new StringBuilder("<h2>Checked windows</h2>");
        if (reports.isEmpty()) {
            return html.append("<p>No window of this version and slot has been checked in the period. The drift check"
                    + " runs every hour; <code>vigil monitor run ").append(escape(model.value())).append("</code> (or <code>"
                    + "POST /models/").append(escape(model.value())).append("/monitoring/run</code>) checks a window now."
                    + "</p>").toString();
        }
        Pages.Table table = Pages.table("windows", "Every checked window, oldest first", "Window (UTC)",
                "#Predictions", "#With outcome", "#Score PSI", "Verdict", "Why");
        for (MonitoringReport r : reports) {
            // The reasons name what drifted ("drift in age, the score (2 windows in a row)"): no column repeats them.
            Pages.row(table, Html.time(r.from()) + " \u2013 " + Html.time(r.to()), r.predictions(),
                    r.labelledFraction() != null ? Html.percent(r.labelledFraction())
                            : r.performance() != null && r.performance().labelled() == null
                                    ? withheld(r.performance()) : "\u2013",
                    value(r.drift() == null ? null : r.drift().score()),
                    r.provisional() ? severity(r.severity()) + " (provisional)" : severity(r.severity()),
                    r.reasons().isEmpty() ? "\u2013" : escape(String.join("; ", r.reasons())));
        }
        return html.append(Pages.end(table)).toString();
    }

    /** A verdict in words with a symbol, never by colour alone. */
    static String severity(MonitoringReport.Severity severity) {
        return switch (severity) {
            case OK -> "\u2714 ok";
            case WARNING -> "<span class=\"status-bad\">\u26a0 warning</span>";
            case ALERT -> "<span class=\"status-bad\">\u2718 alert</span>";
            case INSUFFICIENT_DATA -> "too few predictions";
        };
    }

    static String driftOverTime(List<MonitoringReport> reports) {
        StringBuilder html = new StringBuilder("<h2>Drift per feature over time</h2>");
        List<MonitoringReport> withDrift = reports.stream().filter(r -> r.drift() != null).toList();
        if (withDrift.isEmpty()) {
            return html.append("<p>No checked window has a drift report (the package needs a reference profile).</p>")
                    .toString();
        }
        List<String> labels = withDrift.stream().map(MonitoringView::label).toList();
        List<Charts.Series> series = new ArrayList<>();
        series.add(new Charts.Series("score", withDrift.stream().map(r -> r.drift().score() == null ? null
                : r.drift().score().psi()).toList()));
        List<String> features = charted(withDrift);
        for (String feature : features) {
            series.add(new Charts.Series(feature, withDrift.stream().map(r -> psi(r.drift(), feature)).toList()));
        }
        double threshold = withDrift.get(withDrift.size() - 1).drift().thresholds().psi();
        html.append(Charts.lines("drift-chart", "Population stability index per checked window",
                "PSI against the training reference for the score and the " + Words.count(features.size(), "feature") + " that moved"
                        + " most, one point per checked window; above " + Html.number(threshold, 2) + " counts as"
                        + " drift, and an input also drifts by its KS or chi-square test or its missing rate. The table"
                        + " below has every input, and which test found a drifted one drifted.", labels, series, "PSI",
                threshold, "drift at " + Html.number(threshold, 2)));
        // One row per input (the score first): the windows stay in the chart and the table above, however many.
        List<String> inputs = new ArrayList<>(List.of("score"));
        withDrift.get(withDrift.size() - 1).drift().features().forEach(f -> inputs.add(f.name()));
        Pages.Table table = Pages.table("drift", "Each monitored input over the " + Words.count(withDrift.size(), "window"),
                "Input", "#Windows", "#Drifted in", "#Largest PSI", "#Latest PSI", "Latest status");
        for (String input : inputs) {
            List<DriftReport.FeatureDrift> seen = withDrift.stream().map(r -> input.equals("score") ? r.drift().score()
                    : r.drift().features().stream().filter(f -> f.name().equals(input)).findFirst().orElse(null))
                    .filter(f -> f != null).toList();
            if (seen.isEmpty()) {
                continue;
            }
            DriftReport.FeatureDrift latest = seen.get(seen.size() - 1);
            Pages.row(table, escape(input), seen.size(),
                    seen.stream().filter(f -> f.status() == DriftReport.Status.DRIFTED).count(),
                    number(seen.stream().map(DriftReport.FeatureDrift::psi).filter(v -> v != null)
                            .max(Double::compare).orElse(null)), number(latest.psi()), verdict(latest));
        }
        return html.append(Pages.end(table)).toString();
    }

    /** A verdict in words; drift also in weight, never by colour alone. */
    static String status(DriftReport.Status status) {
        return switch (status) {
            case DRIFTED -> "<strong>drifted</strong>";
            case STABLE -> "stable";
            case INSUFFICIENT_DATA -> "too few rows to judge";
        };
    }

    /**
     * An input's status, and for a drifted one the tests that found it so, as its report words them: an input drifts by
     * PSI, KS, chi-square or its missing rate, so its PSI alone can be under the line, or absent.
     */
    private static String verdict(DriftReport.FeatureDrift f) {
        String status = status(f.status());
        return f.status() == DriftReport.Status.DRIFTED && !f.reasons().isEmpty()
                ? status + ": " + escape(String.join("; ", f.reasons())) : status;
    }

    /** A feature's PSI, with "drifted" after it in words when it drifted. */
    private static String value(DriftReport.FeatureDrift f) {
        if (f == null || f.psi() == null) {
            return "\u2013";
        }
        return Html.number(f.psi(), 3) + (f.status() == DriftReport.Status.DRIFTED ? " <strong>drifted</strong>" : "");
    }

    private static Double psi(DriftReport drift, String feature) {
        return drift.features().stream().filter(f -> f.name().equals(feature)).findFirst()
                .map(DriftReport.FeatureDrift::psi).orElse(null);
    }

    /** The features with the largest PSI in any window, largest first. */
    static List<String> charted(List<MonitoringReport> reports) {
        Map<String, Double> largest = new LinkedHashMap<>();
        for (MonitoringReport r : reports) {
            for (DriftReport.FeatureDrift f : r.drift().features()) {
                if (f.psi() != null) {
                    largest.merge(f.name(), f.psi(), Math::max);
                }
            }
        }
        return largest.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()))
                .limit(CHARTED_FEATURES).map(Map.Entry::getKey).toList();
    }

    static String performanceOverTime(List<MonitoringReport> reports) {
        StringBuilder html = new StringBuilder("<h2>Performance over time</h2><p>AUROC realised on the outcomes that"
                + " have arrived, with its 95 % interval (hatched band), beside the AUROC expected from the scores alone"
                + " (the label-free estimate, dashed), which needs no outcome and assumes calibrated scores and an"
                + " unchanged link between features and outcome. A realised AUROC on too few outcomes for the"
                + " monitoring check to judge it is marked \u201cnot judged\u201d in the table, with its counts, as is"
                + " a Brier score; the check reports the calibration error and never judges it.</p>");
        if (reports.isEmpty()) {
            return html.append("<p>No checked window in the period.</p>").toString();
        }
        List<String> labels = reports.stream().map(MonitoringView::label).toList();
        List<Double> realised = reports.stream().map(r -> r.performance() == null ? null : r.performance().auroc())
                .toList();
        List<Double> lower = reports.stream().map(r -> r.performance() == null ? null : r.performance().aurocLower())
                .toList();
        List<Double> upper = reports.stream().map(r -> r.performance() == null ? null : r.performance().aurocUpper())
                .toList();
        List<Double> expected = reports.stream().map(r -> r.drift() == null || r.drift().estimate() == null ? null
                : r.drift().estimate().expectedAuroc()).toList();
        html.append(Charts.lines("performance-chart", "AUROC per checked window: realised and expected",
                "Realised AUROC with its 95 % interval where outcomes arrived, and the label-free expected AUROC, per"
                        + " checked window; the table below has the same values.", labels,
                List.of(new Charts.Series("realised AUROC", realised), new Charts.Series("expected AUROC", expected)),
                "AUROC", null, null, new Charts.Band("95 % interval", lower, upper), 1.0));
        Pages.Table table = Pages.table("performance", "Realised and expected performance per window",
                "Window (UTC)", "#With outcome", "#Positive", "#AUROC", "#95 % interval", "#Expected AUROC",
                "#Brier", "#Calibration error");
        for (MonitoringReport r : reports) {
            LabelledPerformance lp = r.performance();
            PerformanceEstimate e = r.drift() == null ? null : r.drift().estimate();
            Pages.row(table, label(r), count(lp, LabelledPerformance::labelled),
                    count(lp, LabelledPerformance::positives),
                    number(lp == null ? null : lp.auroc()) + notJudged(CardMonitoring.aurocNotJudged(lp, r.policy())),
                    lp == null || lp.aurocLower() == null ? "\u2013"
                            : Html.number(lp.aurocLower(), 3) + " \u2013 " + Html.number(lp.aurocUpper(), 3),
                    number(e == null ? null : e.expectedAuroc()),
                    number(lp == null ? null : lp.brier()) + notJudged(CardMonitoring.brierNotJudged(lp, r.policy())),
                    number(lp == null ? null : lp.calibrationError()));
        }
        return html.append(Pages.end(table)).toString();
    }

    /** A count of the window's outcomes, or why the report withholds it (the policy's {@code minCellSize}). */
    private static Object count(LabelledPerformance lp, Function<LabelledPerformance, Long> count) {
        if (lp == null) {
            return 0;
        }
        Long value = count.apply(lp);
        return value != null ? value : withheld(lp);
    }

    private static String withheld(LabelledPerformance lp) {
        return withheld(lp.suppressed());
    }

    /**
     * A withheld count's cell: the word and why, in a span that wraps, since it stands in a numeric column whose
     * cells do not (on a phone a reason on one line would push the table sideways).
     */
    private static String withheld(String why) {
        return "<span class=\"wraps\">withheld: " + escape(why) + "</span>";
    }

    /**
     * What follows a value the monitoring check did not judge: the model card's words, in a span that wraps as a
     * withheld count's does; nothing after a judged value.
     */
    private static String notJudged(String why) {
        return why == null ? "" : " <span class=\"wraps\">" + escape(why) + "</span>";
    }

    private static String number(Double v) {
        return v == null ? "\u2013" : Html.number(v, 3);
    }

    private static String scoreDistribution(Period period) {
        StringBuilder html = new StringBuilder("<h2>Score distribution against training</h2>");
        if (period.production() == null || period.rows() == 0) {
            return html.append("<p>No predictions of this version and slot in the period, or no reference profile.</p>")
                    .toString();
        }
        long total = 0;
        for (long c : period.production()) {
            total += c;
        }
        List<String> bins = new ArrayList<>();
        List<Double> production = new ArrayList<>();
        for (int i = 0; i + 1 < period.edges().size(); i++) {
            bins.add(Html.number(period.edges().get(i), 2) + "\u2013" + Html.number(period.edges().get(i + 1), 2));
            production.add(total == 0 ? 0 : (double) period.production()[i] / total);
        }
        html.append(Charts.distribution("score-chart", "Share of predictions per risk band, training against production",
                "Hatched bars are the training reference, solid bars this period's predictions; the table below has"
                        + " the same shares.", period.edges(), period.reference(), production));
        Pages.Table table = Pages.table("score-bins", "Share of predictions per risk band", "Risk band",
                "#Training", "#Production", "#Predictions");
        for (int i = 0; i < bins.size(); i++) {
            Pages.row(table, bins.get(i), Html.percent(period.reference().get(i)),
                    Html.percent(production.get(i)), period.production()[i]);
        }
        return html.append(Pages.end(table)).toString();
    }

    /**
     * The calibration plot and table of the period's predictions with an outcome. A bin's count and the share that
     * happened are counts of patients, so the model's monitoring policy's {@code minCellSize} withholds them as it
     * withholds a report's segments ({@link SmallCells}): the bins are one column adding up to the period's total, and
     * a period whose own total it withholds shows no calibration at all.
     */
    static String calibration(Period period, int minCellSize) {
        StringBuilder html = new StringBuilder("<h2>Calibration</h2>");
        if (period.scores().isEmpty()) {
            return html.append("<p>No prediction of this version and slot in the period has an outcome yet; outcomes"
                    + " arrive through <code>POST /outcomes</code>.</p>").toString();
        }
        double[] scores = period.scores().stream().mapToDouble(Double::doubleValue).toArray();
        boolean[] labels = new boolean[scores.length];
        long positives = 0;
        for (int i = 0; i < labels.length; i++) {
            labels[i] = period.outcomes().get(i);
            positives += labels[i] ? 1 : 0;
        }
        ReliabilityCurve curve = ReliabilityCurve.of(scores, labels, CALIBRATION_BINS);
        List<SegmentPerformance> cells = new ArrayList<>();
        cells.add(cell("period", scores.length, positives));
        for (ReliabilityCurve.Bin b : curve.bins()) {
            cells.add(new SegmentPerformance("risk bin", Html.number(b.lower(), 1), b.count(),
                    Math.round(b.observedRate() * b.count()), SegmentPerformance.Status.MEASURED, null, null));
        }
        List<SegmentPerformance> shown = SmallCells.suppress(cells, minCellSize);
        if (shown.get(0).suppressed() != null) {
            return html.append("<p>Calibration withheld (").append(escape(shown.get(0).suppressed()))
                    .append(" in the period): its risk bins would tell single patients' outcomes (the monitoring"
                            + " policy's <code>minCellSize</code>). A longer period may show it.</p>").toString();
        }
        List<Charts.CalibrationPoint> points = new ArrayList<>();
        for (int i = 0; i < curve.bins().size(); i++) {
            ReliabilityCurve.Bin b = curve.bins().get(i);
            if (shown.get(i + 1).positives() != null) {
                points.add(new Charts.CalibrationPoint(b.meanScore(), b.observedRate(), b.count()));
            }
        }
        html.append(Charts.calibration("calibration-chart", "Calibration: predicted risk against what happened",
                "For " + Words.count(curve.cases(), "prediction") + " with an outcome, in " + CALIBRATION_BINS + " equal-width risk"
                        + " bins: the mean predicted risk against the share of patients it happened to; on the dashed"
                        + " diagonal the model is calibrated. Expected calibration error "
                        + Html.number(curve.expectedCalibrationError(), 3) + ". The table below has every bin.", points));
        Pages.Table table = Pages.table("calibration", "Calibration per risk bin (expected calibration error "
                + Html.number(curve.expectedCalibrationError(), 3) + ")", "Risk bin", "#Predictions",
                "#Mean predicted", "#Happened");
        for (int i = 0; i < curve.bins().size(); i++) {
            ReliabilityCurve.Bin b = curve.bins().get(i);
            SegmentPerformance cell = shown.get(i + 1);
            String withheld = withheld(cell.suppressed());
            Pages.row(table, Html.number(b.lower(), 1) + "\u2013" + Html.number(b.upper(), 1),
                    cell.labelled() == null ? withheld : b.count(),
                    b.count() == 0 || cell.labelled() == null ? "\u2013" : Html.percent(b.meanScore()),
                    cell.positives() == null ? withheld : b.count() == 0 ? "\u2013" : Html.percent(b.observedRate()));
        }
        return html.append(Pages.end(table)).toString();
    }
}
