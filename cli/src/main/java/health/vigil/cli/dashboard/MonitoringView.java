package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.functions.common.html.Html;
import health.vigil.model.ModelName;
import health.vigil.model.TrafficSlot;
import health.vigil.monitoring.DriftReport;
import health.vigil.monitoring.MonitoringOverview;
import health.vigil.monitoring.PerformanceEstimate;
import health.vigil.platform.VigilPlatform;
import health.vigil.registry.ModelSummary;
import health.vigil.security.Role;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Monitoring of one model version over the last days, from the prediction log through the platform's
 * {@code ModelMonitoring}: drift per feature over time, the score's distribution against training, and the
 * label-free performance estimate. Route {@code monitoring} lists the models; {@code monitoring/{name}} shows one
 * ({@code ?version=} another than the stable one, {@code ?days=} another period than 14 days).
 */
final class MonitoringView extends View {
    static final int DEFAULT_DAYS = 14;
    /** Lines drawn in the drift chart besides the score: the features that moved most. */
    static final int CHARTED_FEATURES = 4;
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

    @Override
    Rendered render(PageRequest request) {
        return index ? list() : model(request);
    }

    private Rendered list() {
        VigilPlatform p = platform.get();
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
        int days = request.whole("days", DEFAULT_DAYS, 1, health.vigil.monitoring.ModelMonitoring.MAX_DAYS);
        int stable = summary.currentDeployment().flatMap(d -> d.slots().stream()
                .filter(s -> s.slot() == health.vigil.model.Slot.STABLE).findFirst()).map(TrafficSlot::version)
                .orElse(summary.latest() == null ? 1 : summary.latest().version());
        int version = request.whole("version", stable, 1, Integer.MAX_VALUE);
        LocalDate to = LocalDate.now(p.clock().withZone(java.time.ZoneOffset.UTC));
        LocalDate from = to.minusDays(days - 1L);
        MonitoringOverview o = p.monitoring().overview(p.registry().getVersion(model, version), from, to);

        StringBuilder body = new StringBuilder();
        body.append("<p>Version ").append(version).append(", ").append(from).append(" to ").append(to)
                .append(" (UTC days): <strong data-fact=\"rows\">").append(o.rows()).append("</strong> predictions.")
                .append(" Decision threshold ").append(Html.percent(o.threshold())).append(".</p>");
        if (o.unavailable() != null) {
            body.append("<p>Drift is not computed: ").append(escape(o.unavailable())).append(".</p>");
        }
        body.append(driftOverTime(o));
        body.append(scoreDistribution(o));
        body.append(performance(o));
        body.append("<h2>Calibration</h2><p>A calibration plot compares predicted risk with what happened to the"
                + " patients. It needs outcome labels joined to predictions; this platform records none yet, so the"
                + " plot is not drawn rather than drawn from guesses.</p>");
        return new Rendered("Monitoring of " + model.value(), body.toString());
    }

    private static String driftOverTime(MonitoringOverview o) {
        StringBuilder html = new StringBuilder("<h2>Drift over time</h2>");
        List<String> labels = o.days().stream().map(d -> d.day().toString().substring(5)).toList();
        List<Charts.Series> series = new ArrayList<>();
        series.add(new Charts.Series("score", o.days().stream().map(MonitoringOverview.Day::scorePsi).toList()));
        List<String> features = charted(o);
        for (String feature : features) {
            series.add(new Charts.Series(feature, o.days().stream().map(d -> d.featurePsi().get(feature)).toList()));
        }
        double threshold = o.period() == null ? 0.2 : o.period().thresholds().psi();
        long points = series.stream().flatMap(s -> s.values().stream()).filter(v -> v != null).count();
        if (points == 0) {
            return html.append("<p>No day in this period has predictions of this version to compare.</p>").toString();
        }
        html.append(Charts.lines("drift-chart", "Population stability index per day",
                "PSI against the training reference for the score and the " + features.size()
                        + " features that moved most, per UTC day; above " + threshold + " counts as drift. The table"
                        + " below lists every day.", labels, series, "PSI", threshold, "drift at " + threshold));
        StringBuilder table = Pages.table("days", "Predictions and drift per day", "Day", "#Predictions",
                "#Mean risk", "#Flagged", "#Score PSI", "Drift");
        for (MonitoringOverview.Day d : o.days()) {
            Pages.row(table, d.day().toString(), "#" + d.rows(), "#" + (d.meanScore() == null ? "\u2013"
                    : Html.percent(d.meanScore())), "#" + (d.flaggedRate() == null ? "\u2013" : Html.percent(d.flaggedRate())),
                    "#" + (d.scorePsi() == null ? "\u2013" : Html.number(d.scorePsi(), 3)),
                    status(d.status()));
        }
        return html.append(Pages.end(table)).toString();
    }

    /** A verdict in words; drift also in weight, never by colour alone. */
    static String status(DriftReport.Status status) {
        if (status == null) {
            return "\u2013";
        }
        return switch (status) {
            case DRIFTED -> "<span class=\"status-bad\">drifted</span>";
            case STABLE -> "stable";
            case INSUFFICIENT_DATA -> "too few rows to judge";
        };
    }

    /** The features with the largest PSI on any day, largest first. */
    static List<String> charted(MonitoringOverview o) {
        java.util.Map<String, Double> largest = new java.util.LinkedHashMap<>();
        for (MonitoringOverview.Day d : o.days()) {
            for (Map.Entry<String, Double> e : d.featurePsi().entrySet()) {
                if (e.getValue() != null) {
                    largest.merge(e.getKey(), e.getValue(), Math::max);
                }
            }
        }
        return largest.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue(Comparator.reverseOrder()))
                .limit(CHARTED_FEATURES).map(Map.Entry::getKey).toList();
    }

    private static String scoreDistribution(MonitoringOverview o) {
        StringBuilder html = new StringBuilder("<h2>Score distribution against training</h2>");
        MonitoringOverview.ScoreDistribution s = o.scores();
        if (s == null) {
            return html.append("<p>No predictions of this version in the period, or no reference profile.</p>").toString();
        }
        List<String> bins = new ArrayList<>();
        for (int i = 0; i + 1 < s.edges().size(); i++) {
            bins.add(Html.number(s.edges().get(i), 2) + "\u2013" + Html.number(s.edges().get(i + 1), 2));
        }
        html.append(Charts.distribution("score-chart", "Share of predictions per risk band, training against production",
                "Hatched bars are the training reference, solid bars this period's predictions; the table below has"
                        + " the same shares.", bins, s.reference(), s.production()));
        StringBuilder table = Pages.table("score-bins", "Share of predictions per risk band", "Risk band",
                "#Training", "#Production");
        for (int i = 0; i < bins.size(); i++) {
            Pages.row(table, bins.get(i), "#" + Html.percent(s.reference().get(i)), "#" + Html.percent(s.production().get(i)));
        }
        return html.append(Pages.end(table)).toString();
    }

    private static String performance(MonitoringOverview o) {
        StringBuilder html = new StringBuilder("<h2>Features over the period</h2>");
        DriftReport period = o.period();
        if (period == null) {
            return html.append("<p>Nothing to compare in this period.</p>").toString();
        }
        StringBuilder table = Pages.table("features", "Drift of each monitored input over the period", "Input",
                "#PSI", "#Missing", "#Missing in training", "Status", "Why");
        List<DriftReport.FeatureDrift> all = new ArrayList<>(period.features());
        if (period.score() != null) {
            all.add(0, period.score());
        }
        for (DriftReport.FeatureDrift f : all) {
            Pages.row(table, escape(f.name()), "#" + (f.psi() == null ? "\u2013" : Html.number(f.psi(), 3)),
                    "#" + Html.percent(f.missingRate()), "#" + Html.percent(f.referenceMissingRate()),
                    status(f.status()),
                    escape(String.join("; ", f.reasons())));
        }
        html.append(Pages.end(table));
        PerformanceEstimate e = period.estimate();
        if (e != null) {
            html.append("<h2>Performance expected from the scores alone</h2><p>Without outcome labels, the scores"
                    + " say what to expect if the model is calibrated and the link between features and outcome has"
                    + " not changed.</p>");
            StringBuilder estimate = Pages.table("estimate", "Label-free estimate over " + e.cases() + " predictions",
                    "Measure", "#Value");
            Pages.row(estimate, "Expected prevalence (mean risk)", "#" + Html.percent(e.expectedPrevalence()));
            Pages.row(estimate, "Flagged at the threshold", "#" + Html.percent(e.flaggedRate()));
            Pages.row(estimate, "Expected precision", "#" + Html.percent(e.expectedPrecision()));
            Pages.row(estimate, "Expected recall", "#" + Html.percent(e.expectedRecall()));
            Pages.row(estimate, "Expected specificity", "#" + Html.percent(e.expectedSpecificity()));
            Pages.row(estimate, "Expected AUROC", "#" + Html.number(e.expectedAuroc(), 3) + " \u00b1 "
                    + Html.number(e.aurocErrorBound(), 3));
            html.append(Pages.end(estimate));
        }
        return html.toString();
    }
}
