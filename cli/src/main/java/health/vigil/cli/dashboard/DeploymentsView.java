package health.vigil.cli.dashboard;

import static health.vigil.functions.common.html.Html.escape;

import health.vigil.functions.common.html.Html;
import health.vigil.model.CanaryMetric;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.Deployment;
import health.vigil.model.Experiment;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.StepAnalysis;
import health.vigil.model.TrafficSlot;
import health.vigil.platform.VigilPlatform;
import health.vigil.text.Words;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Each model's deployment: its revision, who changed it when, the traffic slots with their weights, and its
 * canary ramp when it has one: where the ramp stands, the canary's weight over time, and every step's analysis
 * with its metrics, p-values and decision (what {@code GET /models/{name}/canary} and {@code .../canary/analysis}
 * answer with, read from the same deployment document); while an A/B experiment runs, its arms instead of a ramp.
 */
final class DeploymentsView extends View {

    DeploymentsView(Supplier<VigilPlatform> platform) {
        super("deployments", "Deployments", null, platform);
    }

    @Override
    Rendered render(PageRequest request) {
        VigilPlatform p = platform.get();
        StringBuilder body = new StringBuilder();
        int shown = 0;
        for (ModelName m : p.registry().listModels()) {
            Optional<Deployment> found = p.registry().deployment(m);
            if (found.isEmpty()) {
                continue;
            }
            Deployment d = found.get();
            shown++;
            body.append("<section aria-labelledby=\"deployment-").append(escape(m.value())).append("\"><h2 id=\"deployment-")
                    .append(escape(m.value())).append("\">").append(escape(m.value())).append("</h2><p>Revision ")
                    .append(d.revision()).append(", changed ").append(Html.time(d.updatedAt())).append(" by ")
                    .append(escape(d.updatedBy() == null ? "\u2013" : d.updatedBy())).append(".</p>");
            body.append(traffic(m, d)).append("</section>");
        }
        if (shown == 0) {
            body.append("<p>No model is deployed yet. An operator deploys an approved version with"
                    + " <code>POST /models/{name}/versions/{version}/deploy</code>.</p>");
        }
        return new Rendered("Deployments", body.toString());
    }

    /**
     * What routes the model's patients: the slots, then the running experiment whose treatment holds the canary slot
     * or else the canary ramp. A ramp kept from before a running experiment is not in force, so it is only named.
     */
    static String traffic(ModelName m, Deployment d) {
        StringBuilder out = new StringBuilder(slots(m, d));
        Optional<Experiment> experiment = d.runningExperiment();
        if (experiment.isPresent()) {
            out.append(experiment(m, experiment.get(), d.canary()));
        } else if (d.canary() != null) {
            out.append(canary(m, d.canary()));
        }
        return out.toString();
    }

    /** The running experiment: its arms with their shares of live traffic, its metric and plan, and how to follow it. */
    private static String experiment(ModelName m, Experiment e, CanaryRamp earlier) {
        String id = escape(m.value());
        StringBuilder out = new StringBuilder("<h3 id=\"experiment-").append(id).append("\">A/B experiment ")
                .append(escape(e.id())).append(": version ").append(e.treatmentVersion()).append(" against version ")
                .append(e.controlVersion()).append("</h3>");
        Pages.Table arms = Pages.table("experiment-arms-" + m.value(), "Arms of experiment " + e.id()
                + ", each patient kept in one arm", "Arm", "Version", "#Share of live traffic", "#Planned sample");
        Pages.row(arms, "control", Pages.link(VersionView.href(m, e.controlVersion()), "version " + e.controlVersion()),
                Pages.weight(TrafficSlot.ALL - e.treatmentBasisPoints()), e.plannedControl());
        Pages.row(arms, "treatment (canary slot)", Pages.link(VersionView.href(m, e.treatmentVersion()),
                "version " + e.treatmentVersion()), Pages.weight(e.treatmentBasisPoints()), e.plannedTreatment());
        out.append(Pages.end(arms));
        out.append("<dl class=\"facts\" id=\"experiment-facts-").append(id).append("\"><dt>Status</dt><dd>")
                .append(escape(e.status())).append("</dd><dt>Primary metric</dt><dd>")
                .append(escape(e.primaryMetric().wireName())).append("</dd><dt>Started</dt><dd>")
                .append(Html.time(e.startedAt())).append(" by ").append(escape(e.startedBy()))
                .append("</dd><dt>Follow it</dt><dd><code>vigil experiment status ").append(id)
                .append("</code>, <code>vigil experiment report ").append(id).append("</code></dd></dl>");
        out.append("<p>No canary ramp is in force while the experiment runs, and canary actions are refused until it is"
                + " stopped (<code>vigil experiment stop ").append(id).append("</code>).");
        if (earlier != null) {
            out.append(" The last canary, of version ").append(earlier.version()).append(", ended ")
                    .append(escape(Pages.words(earlier.status().wireName()))).append(" before it: <code>vigil canary status ")
                    .append(id).append(" --version ").append(earlier.version()).append("</code>.");
        }
        return out.append("</p>").toString();
    }

    /** The deployment's live traffic as a bar, and every slot with its version and weight as a table. */
    static String slots(ModelName m, Deployment d) {
        List<String> labels = new ArrayList<>();
        List<Integer> weights = new ArrayList<>();
        Pages.Table table = Pages.table("slots-" + m.value(), "Traffic slots of " + m.value(), "Slot",
                "Version", "#Weight");
        for (TrafficSlot s : d.slots()) {
            boolean shadow = s.slot() == Slot.SHADOW;
            Pages.row(table, escape(s.slot().wireName()), Pages.link(VersionView.href(m, s.version()),
                    "version " + s.version()), !shadow ? Pages.weight(s.weightBasisPoints())
                            : s.weightBasisPoints() == 0 ? "stopped" : ModelsView.mirrored(s) + " mirrored");
            // The bar is live traffic, which the shadow takes no share of.
            if (!shadow) {
                labels.add(s.slot().wireName() + " v" + s.version());
                weights.add(s.weightBasisPoints());
            }
        }
        return Charts.weights("weights-" + m.value(), "Live traffic of " + m.value() + ": " + ModelsView.traffic(d),
                labels, weights) + Pages.end(table);
    }

    /** The canary's weight from a moment on: where it started, then after each judged step (steps count from 0). */
    record Point(Instant at, int basisPoints) {}

    /**
     * The ramp's weight over time from its own record: its first step at its start, then at the end of each
     * analysed window the weight the decision left (the next step on a pass, 0 on a rollback, the same on an
     * extension); an abort ends at 0 and a promotion by hand at all traffic, when it was made.
     */
    static List<Point> timeline(CanaryRamp ramp) {
        List<Point> points = new ArrayList<>();
        points.add(new Point(ramp.startedAt(), ramp.steps().get(0)));
        for (StepAnalysis a : ramp.analyses()) {
            int after = switch (a.decision()) {
                case StepAnalysis.PASS -> ramp.steps().get(Math.min(a.step() + 1, ramp.steps().size() - 1));
                case StepAnalysis.FAIL -> 0;
                default -> a.weightBasisPoints();
            };
            points.add(new Point(a.windowTo(), after));
        }
        // An abort or a promotion by hand ends the ramp without an analysis; an ended ramp's judge time is when it ended.
        if (!ramp.status().live()) {
            int end = ramp.status() == CanaryStatus.PROMOTED ? TrafficSlot.ALL : 0;
            if (points.get(points.size() - 1).basisPoints() != end) {
                points.add(new Point(ramp.judgeAt(), end));
            }
        }
        return points;
    }

    /** The ramp chart's text alternative: each weight and the moment it held from, to the second in UTC. */
    static String rampDescription(List<Point> points) {
        return "Canary weight over time: " + points.stream().map(pt -> Pages.weight(pt.basisPoints()) + " from "
                + Words.time(pt.at())).collect(Collectors.joining(", ")) + ". The same steps are in the table below.";
    }

    private static String canary(ModelName m, CanaryRamp r) {
        String id = m.value();
        StringBuilder out = new StringBuilder("<h3 id=\"canary-").append(escape(id)).append("\">Canary of version ")
                .append(r.version()).append(" against version ").append(r.stableVersion()).append("</h3>");
        out.append("<dl class=\"facts\" id=\"canary-facts-").append(escape(id)).append("\"><dt>Status</dt><dd data-fact=\"status\">")
                .append(escape(Pages.words(r.status().wireName()))).append("</dd><dt>Step</dt><dd data-fact=\"step\">")
                .append(r.step() + 1).append(" of ").append(r.steps().size()).append(" (")
                .append(Pages.weight(r.weightBasisPoints())).append(")</dd><dt>Ramp</dt><dd>")
                .append(escape(r.steps().stream().map(Pages::weight).collect(Collectors.joining(" \u2192 "))))
                .append("</dd><dt>Bake time</dt><dd>").append(escape(Words.duration(r.bakeTime()))).append("</dd><dt>Started</dt><dd>").append(Html.time(r.startedAt()))
                .append(" by ").append(escape(r.startedBy())).append("</dd><dt>Next judgement</dt><dd>")
                .append(r.status().live() ? Html.time(r.judgeAt()) : "none (the ramp has ended)")
                .append("</dd><dt>Last change</dt><dd>").append(escape(r.transition() == null ? "\u2013" : r.transition()))
                .append(r.reason() == null ? "" : ": " + reason(r.reason()))
                .append("</dd><dt>False-rollback budget over the ramp</dt><dd>")
                .append(Html.number(r.policy().falseRollbackRate(), 5)).append("</dd></dl>");

        List<Point> points = timeline(r);
        out.append(Charts.steps("ramp-" + id, "Weight of canary version " + r.version() + " of " + id + " over time",
                rampDescription(points), points.stream().map(Point::at).toList(), points.stream().map(Point::basisPoints).toList(),
                "canary v" + r.version()));

        Pages.Table steps = Pages.table("steps-" + id, r.analyses().size() + " analysed steps of the canary of "
                + id + ", oldest first", "Step", "#Weight", "Window", "#Canary predictions", "#Stable predictions",
                "Decision", "Reason");
        Pages.Table metrics = Pages.table("step-metrics-" + id, "Each step's metrics: canary against stable",
                "Step", "Metric", "#Canary", "#Stable", "#Statistic", "#p-value", "#Level", "Result", "Test");
        for (StepAnalysis a : r.analyses()) {
            Pages.row(steps, a.step() + 1, Pages.weight(a.weightBasisPoints()),
                    Html.time(a.windowFrom()) + " \u2013 " + Html.time(a.windowTo()), a.canaryCount(),
                    a.stableCount(), decision(a.decision()), reason(a.reason()));
            for (CanaryMetric metric : a.metrics()) {
                Pages.row(metrics, a.step() + 1, escape(metric.name()), Html.number(metric.canary(), 4),
                        Html.number(metric.stable(), 4), Html.number(metric.statistic(), 3),
                        pValue(metric.pValue()), Html.number(metric.level(), 5),
                        metric.failed() ? "<span class=\"status-bad\">\u2718 failed</span>" : "\u2714 healthy",
                        escape(metric.test() == null ? "" : metric.test()));
            }
        }
        out.append(Pages.end(steps)).append(Pages.end(metrics));
        return out.toString();
    }

    /** A decision in words with a symbol, never by colour alone. */
    private static String decision(String decision) {
        return switch (decision) {
            case StepAnalysis.PASS -> "<span class=\"decision\">\u2714 pass</span>";
            case StepAnalysis.FAIL -> "<span class=\"decision status-bad\">\u2718 fail (rolled back)</span>";
            default -> "<span class=\"decision\">\u23f8 extend</span>";
        };
    }

    /**
     * The figures of a stored canary reason: a p-value ({@code p = 1.63e-10}), a moment as the analysis writes it
     * ({@code 2026-12-03T04:01:00Z}), and any other number in exponent form ({@code 2.50e-05}, a level).
     */
    private static final Pattern REASON_FIGURES = Pattern.compile("\\bp = (?<p>\\d+(?:\\.\\d+)?(?:e[-+]?\\d+)?)"
            + "|(?<at>\\b\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(?::\\d{2}(?:\\.\\d{1,9})?)?Z)"
            + "|(?<exponent>\\b\\d+(?:\\.\\d+)?e[-+]?\\d+\\b)");

    /**
     * A ramp's or step's stored reason as people read it: each p-value as {@link #pValue} writes it, each moment as the
     * page's other times are shown, other numbers in exponent form in plain decimals, the words between them escaped.
     * The stored text is unchanged: the API and the audit record give it as the analysis wrote it.
     */
    static String reason(String stored) {
        if (stored == null) {
            return "";
        }
        StringBuilder out = new StringBuilder(stored.length() + 64);
        Matcher figure = REASON_FIGURES.matcher(stored);
        int last = 0;
        while (figure.find()) {
            out.append(Html.prose(stored.substring(last, figure.start())));
            if (figure.group("p") != null) {
                String p = pValue(Double.parseDouble(figure.group("p")));
                out.append(p.startsWith("&lt;") ? "p " + p : "p = " + p);
            } else if (figure.group("at") != null) {
                out.append(moment(figure.group("at")));
            } else {
                out.append(new BigDecimal(figure.group("exponent")).toPlainString());
            }
            last = figure.end();
        }
        return out.append(Html.prose(stored.substring(last))).toString();
    }

    /** A moment of a stored reason as the page shows times; one that does not read as a moment, as it was written. */
    private static String moment(String text) {
        try {
            return Html.time(DateTimeFormatter.ISO_OFFSET_DATE_TIME.parse(text, Instant::from));
        } catch (DateTimeParseException e) {
            return escape(text);
        }
    }

    /** A p-value for people: four decimals, or "< 0.0001". */
    static String pValue(double p) {
        return Double.isFinite(p) && p < 0.0001 ? "&lt; 0.0001" : Html.number(p, 4);
    }
}
