package health.vigil.cli;

import static health.vigil.cli.TerminalText.shown;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.canary.CanaryAnalysis;
import health.vigil.text.Words;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vigil canary ...}: start a canary of an approved version, watch it, and promote, pause, resume or abort
 * it, as the operator, through the control API of a running platform.
 */
@Command(name = "canary", mixinStandardHelpOptions = true, description = "Canary ramps: start, status, promote, pause, resume, abort.",
        subcommands = {CanaryCommand.Start.class, CanaryCommand.Status.class, CanaryCommand.Promote.class,
                CanaryCommand.Pause.class, CanaryCommand.Resume.class, CanaryCommand.Abort.class})
final class CanaryCommand {

    @Command(name = "start", mixinStandardHelpOptions = true,
            description = "Start a canary of an approved version against the stable one.")
    static final class Start implements Callable<Integer> {
        @Parameters(index = "0", description = "The model")
        String model;

        @Parameters(index = "1", description = "The approved version to ramp up")
        int version;

        @Option(names = "--steps", split = ",", description = "Canary share of traffic at each step, in basis points:"
                + " 10000 = all (default: 100,500,2500,5000,10000)")
        List<Integer> steps;

        @Option(names = "--bake", converter = IsoDuration.class,
                description = "Bake time per step, an ISO-8601 duration such as PT30M (default: PT10M)")
        Duration bake;

        @Option(names = "--false-rollback-rate",
                description = "Chance of rolling back a healthy canary over the ramp, 0-1 (default: 0.01)")
        Double falseRollbackRate;

        @Option(names = "--min-sample", description = "Predictions per slot before a step is judged (default: 200)")
        Integer minSample;

        @Mixin
        IfRevisionOption ifRevision = new IfRevisionOption();

        @Mixin
        ModelsCommand.Target target = new ModelsCommand.Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            Map<String, String> precondition = ifRevision.headers();
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("version", version);
            if (steps != null) {
                body.put("steps", steps);
            }
            if (bake != null) {
                body.put("bakeTime", bake.toString());
            }
            Map<String, Object> policy = new LinkedHashMap<>();
            if (falseRollbackRate != null) {
                policy.put("falseRollbackRate", falseRollbackRate);
            }
            if (minSample != null) {
                policy.put("minSamplePerSlot", minSample);
            }
            if (!policy.isEmpty()) {
                body.put("policy", policy);
            }
            // One key for this run, reused by its tries: a start whose answer was lost is answered as the first one,
            // not refused because its own write moved the revision --if-revision names.
            HttpResponse<String> response = target.client("operator").postOnce(RunningPlatform.modelPath(model)
                    + "/canary", body, UUID.randomUUID().toString(), precondition);
            int exit = target.print(response, CanaryCommand::statusLines);
            ifRevision.explain(response, model, target.json);
            return exit;
        }
    }

    /**
     * Reads {@code --bake} as the API reads its {@code bakeTime}, so that a value it cannot read is refused here, naming
     * the option rather than the API's field.
     */
    static final class IsoDuration implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String text) {
            try {
                return Duration.parse(text);
            } catch (DateTimeParseException e) {
                throw new CommandLine.TypeConversionException("'" + text + "' is not an ISO-8601 duration: give one"
                        + " such as PT20S (20 seconds), PT10M (10 minutes) or PT1H30M");
            }
        }
    }

    @Command(name = "status", description = "Show the canary ramp and its analyses.")
    static final class Status implements Callable<Integer> {
        @Parameters(index = "0", description = "The model")
        String model;

        @Mixin
        HelpAndVersionOptions helpAndVersion = new HelpAndVersionOptions();

        @Option(names = "--version", description = "Show the last canary of this version instead, kept after a"
                + " rollback, deploy or later canary replaced it")
        Integer version;

        @Mixin
        ModelsCommand.Target target = new ModelsCommand.Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            ControlClient client = target.client("operator");
            if (version != null) {
                return target.print(client.exchange("GET", RunningPlatform.modelPath(model) + "/versions/" + version
                        + "/canary", null), CanaryCommand::keptLines);
            }
            HttpResponse<String> current = client.exchange("GET", RunningPlatform.modelPath(model) + "/canary", null);
            int status = target.print(current, CanaryCommand::currentLines);
            if (current.statusCode() == 404 && !target.json) {
                // The platform names the kept canary's route; on the command line it is read with --version.
                System.err.println("a canary kept after a rollback, deploy or later canary (its version is named"
                        + " above when there is one) is read with: vigil canary status " + model + " --version N");
            }
            // While an experiment holds the canary slot no ramp is in force, so there are no analyses of one to show.
            if (status != 0 || target.json || !ControlClient.parse(current).has("canary")) {
                return status;
            }
            return target.print(client.exchange("GET", RunningPlatform.modelPath(model) + "/canary/analysis", null),
                    CanaryCommand::analysisLines);
        }
    }

    /** An operator's action on the running ramp. */
    abstract static class Act implements Callable<Integer> {
        @Parameters(index = "0", description = "The model")
        String model;

        @Mixin
        ModelsCommand.Target target = new ModelsCommand.Target();

        abstract String action();

        @Override
        public Integer call() throws IOException, InterruptedException {
            return target.print(target.client("operator").exchange("POST", RunningPlatform.modelPath(model) + "/canary/"
                    + action(), Map.of()), CanaryCommand::statusLines);
        }
    }

    @Command(name = "promote", mixinStandardHelpOptions = true, description = "Put the canary on all traffic now.")
    static final class Promote extends Act {
        @Override
        String action() {
            return "promote";
        }
    }

    @Command(name = "pause", mixinStandardHelpOptions = true, description = "Hold the ramp at its current weight.")
    static final class Pause extends Act {
        @Override
        String action() {
            return "pause";
        }
    }

    @Command(name = "resume", mixinStandardHelpOptions = true, description = "Resume a paused ramp (a fresh window).")
    static final class Resume extends Act {
        @Override
        String action() {
            return "resume";
        }
    }

    @Command(name = "abort", mixinStandardHelpOptions = true, description = "Return all traffic to stable now.")
    static final class Abort extends Act {
        @Override
        String action() {
            return "abort";
        }
    }

    /**
     * {@code stable v3 80 %}; a shadow slot at 0 basis points is a stopped shadow (kept so its report stays readable),
     * {@code shadow v4 stopped}.
     */
    static String slotText(JsonNode slot) {
        String name = slot.path("slot").asText();
        int weight = slot.path("weightBasisPoints").asInt();
        return name + " v" + slot.path("version").asInt() + ' '
                + (name.equals("shadow") && weight == 0 ? "stopped" : percent(weight));
    }

    static String statusLines(JsonNode body) {
        JsonNode c = body.path("canary");
        StringBuilder out = new StringBuilder();
        out.append(body.path("model").asText()).append(" revision ").append(body.path("revision").asLong()).append(": ");
        for (JsonNode slot : body.path("slots")) {
            out.append(slotText(slot)).append("  ");
        }
        if (!c.isMissingNode()) {
            out.append('\n').append(rampLines(c, true));
        }
        return out.toString();
    }

    /**
     * {@code vigil canary status}'s first lines: the deployment and its ramp, or, while an experiment's treatment holds
     * the canary slot, the experiment with the commands that follow it, and the earlier ramp only as how it ended.
     */
    static String currentLines(JsonNode body) {
        JsonNode e = body.path("experiment");
        if (e.isMissingNode()) {
            return statusLines(body);
        }
        String model = body.path("model").asText();
        JsonNode last = body.path("lastCanary");
        return statusLines(body) + "\nno canary is in force: " + experimentLines(model, e)
                + (last.isMissingNode() ? "" : "\nthe last canary, of version " + last.path("version").asInt() + " ("
                        + shown(last.path("status").asText()) + "), is read with: vigil canary status " + model
                        + " --version " + last.path("version").asInt());
    }

    /**
     * The running experiment a status answer names ({@code experiment}, as the canary and shadow answers give it):
     * its arms, metric and starter, and the commands that follow it; empty when the answer names none.
     */
    static String experimentLines(JsonNode body) {
        JsonNode e = body.path("experiment");
        return e.isMissingNode() ? "" : "\n" + experimentLines(body.path("model").asText(), e);
    }

    private static String experimentLines(String model, JsonNode e) {
        return "experiment " + shown(e.path("id").asText()) + " holds the"
                + " canary slot, treatment version " + e.path("treatmentVersion").asInt() + " at "
                + percent(e.path("treatmentBasisPoints").asInt()) + " against control version "
                + e.path("controlVersion").asInt() + " at " + percent(e.path("controlBasisPoints").asInt())
                + ", primary metric " + shown(e.path("primaryMetric").asText()) + ", started by "
                + shown(e.path("startedBy").asText()) + " at " + Words.time(e.path("startedAt").asText())
                + "; canary actions are refused until it is stopped"
                + "\nfollow it with: vigil experiment status " + model + " (its report: vigil experiment report "
                + model + "; to end it: vigil experiment stop " + model + ")";
    }

    /** A version's kept canary: where its ramp ended and every analysis. */
    static String keptLines(JsonNode body) {
        boolean inDeployment = body.path("inDeployment").asBoolean();
        return body.path("model").asText() + " version " + body.path("version").asInt() + ": its last canary as"
                + " deployment revision " + body.path("revision").asLong() + " left it"
                + (inDeployment ? "" : " (no longer in the deployment)") + '\n'
                + rampLines(body.path("canary"), inDeployment) + '\n' + analysisLines(body.path("analysis"));
    }

    /** Where a ramp stands; {@code inDeployment} false: it no longer serves, so it is judged no more. */
    private static String rampLines(JsonNode c, boolean inDeployment) {
        String status = c.path("status").asText();
        boolean running = inDeployment && status.equals("running");
        // A ramp left running or paused outside the deployment was ended by a deploy or rollback, not written to.
        boolean endedFromOutside = !inDeployment && (status.equals("running") || status.equals("paused"));
        return "canary of version " + c.path("version").asInt() + " against " + c.path("stableVersion").asInt() + ": "
                + status + (endedFromOutside ? " when a deploy or rollback ended it" : "") + ", step " + c.path("step").asInt() + " of " + c.path("steps").size()
                + " (" + percent(c.path("weightBasisPoints").asInt()) + ')'
                // judgeAt is when the running step is judged next; a paused or ended ramp has no next judgement.
                + (running ? ", next judgement at " + Words.time(c.path("judgeAt").asText()) : "")
                + "\nlast change: " + c.path("lastChange").asText() + " (" + shown(c.path("reason").asText()) + ")";
    }

    /**
     * A ramp's analyses; while an experiment holds the canary slot (the answer names it), the experiment first, and the
     * analyses as those of the canary that ended before it.
     */
    static String analysisLines(JsonNode body) {
        JsonNode e = body.path("experiment");
        StringBuilder out = new StringBuilder();
        if (!e.isMissingNode()) {
            String model = body.path("model").asText();
            out.append("no canary is in force: ").append(experimentLines(model, e)).append("\nthe analyses below are")
                    .append(" of the last canary, of version ").append(body.path("version").asInt()).append(" (")
                    .append(shown(body.path("status").asText())).append("), from before it\n");
        }
        out.append(String.format(Locale.ROOT, "analyses (false-rollback budget %.3g over"
                + " the ramp, split over the metrics and their looks):", body.path("rampBudget").asDouble()));
        for (JsonNode step : body.path("steps")) {
            out.append(String.format(Locale.ROOT, "%n  step %d at %s: %s, %d canary / %d stable predictions: %s",
                    step.path("step").asInt() + 1, percent(step.path("weightBasisPoints").asInt()),
                    step.path("decision").asText(), step.path("canaryCount").asLong(), step.path("stableCount").asLong(),
                    shown(step.path("reason").asText())));
            for (JsonNode m : step.path("metrics")) {
                out.append(String.format(Locale.ROOT, "%n    %-20s canary %.4f  stable %.4f  statistic %.3f  p %.3g"
                        + "  level %.3g%s", m.path("name").asText(), m.path("canary").asDouble(),
                        m.path("stable").asDouble(), m.path("statistic").asDouble(), m.path("pValue").asDouble(),
                        m.path("level").asDouble(), m.path("failed").asBoolean()
                                ? "  FAILED" : ""));
            }
        }
        return out.toString();
    }

    private static String percent(int basisPoints) {
        return CanaryAnalysis.percent(basisPoints);
    }
}
