package health.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vigil experiment ...}: plan an A/B experiment's sample size, start it between the stable version and an
 * approved treatment, stop it, and read its report, through the control API of a running platform.
 */
@Command(name = "experiment", mixinStandardHelpOptions = true,
        description = "A/B experiments: plan, start, status, stop, report.",
        subcommands = {ExperimentCommand.Plan.class, ExperimentCommand.Start.class, ExperimentCommand.Status.class,
                ExperimentCommand.Stop.class, ExperimentCommand.Report.class})
final class ExperimentCommand {

    /** What the experiment is to detect. */
    static final class PlanOptions {
        @Option(names = "--metric", required = true, description = "Primary metric: auroc, flag_rate or positive_rate")
        String metric;

        @Option(names = "--baseline", required = true, description = "The control arm's expected value of the metric")
        double baseline;

        @Option(names = "--effect", required = true,
                description = "The smallest difference worth detecting, in the metric's units (e.g. 0.05)")
        double effect;

        @Option(names = "--prevalence",
                description = "Expected share of positive outcomes: required for auroc, refused for the other metrics")
        Double prevalence;

        @Option(names = "--alpha", description = "Two-sided significance level (default: 0.05)")
        Double alpha;

        @Option(names = "--power", description = "Power (default: 0.8)")
        Double power;

        @Option(names = "--treatment-basis-points", description = "Treatment arm's share, 1-9999 (default: 5000)")
        Integer treatmentBasisPoints;

        Map<String, Object> body() {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("metric", metric);
            body.put("baseline", baseline);
            body.put("minimumDetectableEffect", effect);
            put(body, "prevalence", prevalence);
            put(body, "alpha", alpha);
            put(body, "power", power);
            put(body, "treatmentBasisPoints", treatmentBasisPoints);
            return body;
        }

        private static void put(Map<String, Object> body, String key, Object value) {
            if (value != null) {
                body.put(key, value);
            }
        }
    }

    @Command(name = "plan", mixinStandardHelpOptions = true, description = "The sample size each arm needs.")
    static final class Plan implements Callable<Integer> {
        @Parameters(index = "0", description = "The model")
        String model;

        @Mixin
        PlanOptions plan = new PlanOptions();

        @Mixin
        ModelsCommand.Target target = new ModelsCommand.Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            return target.print(target.client("operator").exchange("POST",
                    RunningPlatform.modelPath(model) + "/experiments/power", plan.body()),
                    p -> String.format(Locale.ROOT, "%d control and %d treatment %s (%d in all): %s",
                            p.path("control").asLong(), p.path("treatment").asLong(), p.path("unit").asText(),
                            p.path("total").asLong(), p.path("method").asText()));
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start an experiment of an approved version against the stable one.")
    static final class Start implements Callable<Integer> {
        @Parameters(index = "0", description = "The model")
        String model;

        @Parameters(index = "1", description = "The approved treatment version")
        int treatment;

        @Mixin
        PlanOptions plan = new PlanOptions();

        @Mixin
        ModelsCommand.Target target = new ModelsCommand.Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            Map<String, Object> body = plan.body();
            body.put("treatmentVersion", treatment);
            return target.print(target.client("operator").exchange("POST", RunningPlatform.modelPath(model)
                    + "/experiments", body), ExperimentCommand::statusLines);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show the last experiment.")
    static final class Status extends ModelRequest {
        Status() {
            super("GET", "/experiments", ExperimentCommand::experimentLine);
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Return all traffic to the control.")
    static final class Stop extends ModelRequest {
        Stop() {
            super("POST", "/experiments/stop", ExperimentCommand::statusLines);
        }
    }

    @Command(name = "report", mixinStandardHelpOptions = true, description = "Compare the arms.")
    static final class Report extends ModelRequest {
        Report() {
            super("GET", "/experiments/report", ExperimentCommand::reportLines);
        }
    }

    static String statusLines(JsonNode body) {
        return CanaryCommand.statusLines(body) + "\n" + experimentLine(body.path("experiment"));
    }

    static String experimentLine(JsonNode e) {
        return String.format(Locale.ROOT, "experiment %s: version %d against %d at %d basis points, %s; primary metric"
                + " %s, planned %d control and %d treatment", e.path("id").asText(), e.path("treatmentVersion").asInt(),
                e.path("controlVersion").asInt(), e.path("treatmentBasisPoints").asInt(), e.path("status").asText(),
                e.path("primaryMetric").asText(), e.path("plannedControl").asLong(), e.path("plannedTreatment").asLong());
    }

    static String reportLines(JsonNode r) {
        StringBuilder out = new StringBuilder(experimentLine(r.path("experiment")));
        out.append(String.format(Locale.ROOT, "%n%s to %s; outcomes joined: %s", r.path("from").asText(),
                r.path("to").asText(), r.path("outcomes").asBoolean() ? "yes" : "no"));
        for (JsonNode a : r.path("arms")) {
            // An arm's few patients' outcomes are withheld: say so and why, rather than print them as none.
            String labelled = a.hasNonNull("labelled") ? a.path("labelled").asLong() + " labelled"
                    : "labelled withheld";
            String withheld = a.hasNonNull("suppressed") ? " (outcome counts withheld: "
                    + TerminalText.shown(a.path("suppressed").asText()) + ")" : "";
            out.append(String.format(Locale.ROOT, "%n  %-9s v%d: %d predictions, flag rate %s, %s, positive rate %s,"
                    + " AUROC %s%s", a.path("arm").asText(), a.path("version").asInt(), a.path("predictions").asLong(),
                    ShadowCommand.number(a.path("flagRate")), labelled, ShadowCommand.number(a.path("positiveRate")),
                    ShadowCommand.number(a.path("auroc")), withheld));
        }
        for (String metric : new String[] {"flagRate", "positiveRate", "auroc"}) {
            JsonNode c = r.path(metric);
            if (c.isObject()) {
                out.append(String.format(Locale.ROOT, "%n  %-13s treatment - control %+.4f (95%% CI %+.4f to %+.4f),"
                        + " p %s", metric, c.path("difference").asDouble(), c.path("lower95").asDouble(),
                        c.path("upper95").asDouble(), ShadowCommand.number(c.path("pValue"))));
            }
        }
        out.append("\n").append(r.path("primary").path("note").asText());
        return out.toString();
    }
}
