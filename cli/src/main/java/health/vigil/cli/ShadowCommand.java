package health.vigil.cli;

import static health.vigil.cli.TerminalText.shown;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.text.Words;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vigil shadow ...}: mirror a share of scored requests to an approved version in the background, stop it,
 * and read how it compares with the live versions, as the operator, through the control API of a running platform.
 */
@Command(name = "shadow", mixinStandardHelpOptions = true, description = "Shadow versions: set, status, stop, report.",
        subcommands = {ShadowCommand.Set.class, ShadowCommand.Status.class, ShadowCommand.Stop.class,
                ShadowCommand.Report.class})
final class ShadowCommand {

    @Command(name = "set", mixinStandardHelpOptions = true,
            description = "Mirror a share of scored requests to an approved version.")
    static final class Set implements Callable<Integer> {
        @Parameters(index = "0", description = "The model")
        String model;

        @Parameters(index = "1", description = "The approved version to run in the shadow")
        int version;

        @Option(names = "--basis-points", defaultValue = "1000",
                description = "Share of scored requests to mirror, 1-10000 (default: 1000 = 10 %%)")
        int basisPoints;

        @Mixin
        ModelsCommand.Target target = new ModelsCommand.Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("version", version);
            body.put("basisPoints", basisPoints);
            return target.print(target.client("operator").exchange("POST", RunningPlatform.modelPath(model) + "/shadow",
                    body), ShadowCommand::statusLines);
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show the shadow slot.")
    static final class Status extends ModelRequest {
        Status() {
            super("GET", "/shadow", ShadowCommand::statusLines);
        }
    }

    @Command(name = "stop", mixinStandardHelpOptions = true, description = "Stop mirroring (the report stays readable).")
    static final class Stop extends ModelRequest {
        Stop() {
            super("POST", "/shadow/stop", ShadowCommand::statusLines);
        }
    }

    @Command(name = "report",
            description = "Compare the shadow with the live versions: agreement, score differences, paired tests.")
    static final class Report implements Callable<Integer> {
        @Parameters(index = "0", description = "The model")
        String model;

        @Option(names = "--from", description = "Start of the window, e.g. 2026-11-30T00:00:00Z (ISO-8601 with Z or"
                + " an offset; default: 24 hours ago, or when the shadow was set if that is later)")
        String from;

        @Option(names = "--to", description = "End of the window, ISO-8601 like --from (default: now)")
        String to;

        @Mixin
        HelpAndVersionOptions helpAndVersion = new HelpAndVersionOptions();

        @Option(names = "--version", description = "A past shadow version (default: the current one)")
        Integer version;

        @Mixin
        ModelsCommand.Target target = new ModelsCommand.Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            List<String> query = new ArrayList<>();
            if (from != null) {
                query.add("from=" + URLEncoder.encode(from, StandardCharsets.UTF_8));
            }
            if (to != null) {
                query.add("to=" + URLEncoder.encode(to, StandardCharsets.UTF_8));
            }
            if (version != null) {
                query.add("version=" + version);
            }
            String path = RunningPlatform.modelPath(model) + "/shadow/report"
                    + (query.isEmpty() ? "" : "?" + String.join("&", query));
            return target.print(target.client("operator").exchange("GET", path, null), ShadowCommand::reportLines);
        }
    }

    /**
     * The report as text; the shadow's start is shown because live predictions before it are never counted as
     * picked for mirroring, whatever the window.
     */
    /**
     * The deployment's slots, and the running experiment when there is one: its treatment holds the canary slot the
     * slot line shows, which is not a canary ramp.
     */
    static String statusLines(JsonNode body) {
        return CanaryCommand.statusLines(body) + CanaryCommand.experimentLines(body);
    }

    static String reportLines(JsonNode r) {
        JsonNode since = r.path("shadowSince");
        StringBuilder out = new StringBuilder(String.format(Locale.ROOT,
                "%s: shadow version %d at %d basis points%s, %s to %s%n"
                        + "live predictions %d, picked for mirroring %d, shadow predictions %d, paired %d, missing %d",
                r.path("model").asText(), r.path("shadowVersion").asInt(), r.path("mirroredBasisPoints").asInt(),
                since.isTextual() ? " since " + since.asText() : "", r.path("from").asText(), r.path("to").asText(),
                r.path("livePredictions").asLong(),
                r.path("expectedMirrored").asLong(), r.path("shadowPredictions").asLong(), r.path("paired").asLong(),
                r.path("missing").asLong()));
        JsonNode here = r.path("thisInstance");
        if (!here.isMissingNode() && !here.isNull()) {
            out.append(String.format(Locale.ROOT, "%nthis instance: offered %d, dropped %d, scored %d, failed %d",
                    here.path("offered").asLong(), here.path("dropped").asLong(), here.path("scored").asLong(),
                    here.path("failed").asLong()));
        }
        out.append("\noverall: ").append(comparison(r.path("overall")));
        for (JsonNode s : r.path("segments")) {
            out.append("\n  ").append(shown(s.path("column").asText())).append('=').append(shown(s.path("value").asText()))
                    .append(": ").append(comparison(s.path("comparison")));
        }
        return out.toString();
    }

    /**
     * A comparison as text; counts the model's minimum cell size withholds are absent from the report, and the line
     * says why instead.
     */
    private static String comparison(JsonNode c) {
        boolean suppressed = c.hasNonNull("suppressed");
        String withheld = "counts withheld: " + shown(c.path("suppressed").asText());
        if (suppressed && !c.hasNonNull("pairs")) {
            return withheld;
        }
        if (c.path("pairs").asLong() == 0) {
            return "no pairs";
        }
        String pairs = Words.count(c.path("pairs").asLong(), "pair");
        JsonNode d = c.path("scoreDifference");
        if (suppressed && !c.hasNonNull("scoreDifference")) {
            return pairs + ", " + withheld;
        }
        String decisions = suppressed && !c.hasNonNull("liveOnly") ? "decision " + withheld
                : String.format(Locale.ROOT, "decisions agree %.4f (live only %d, shadow only %d, McNemar p %s)",
                        c.path("agreement").asDouble(), c.path("liveOnly").asLong(), c.path("shadowOnly").asLong(),
                        number(c.path("mcnemar").path("pValue")));
        return pairs + ", " + decisions + String.format(Locale.ROOT, ", score difference mean %+.4f (95%% CI %s to %s,"
                + " paired t p %s; Wilcoxon p %s), median %+.4f", d.path("mean").asDouble(),
                number(d.path("meanLower95")), number(d.path("meanUpper95")), number(d.path("pairedTPValue")),
                number(d.path("wilcoxonPValue")), d.path("quantiles").path("p50").asDouble());
    }

    static String number(JsonNode n) {
        return n.isNumber() ? String.format(Locale.ROOT, "%.3g", n.asDouble()) : "n/a";
    }
}
