package health.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vigil monitor ...}: the monitoring reports of a running platform, over its HTTP API with the operator's key
 * from the home's {@code keys.json} (the stores belong to the running platform; the CLI does not open them).
 */
@Command(name = "monitor", mixinStandardHelpOptions = true, description = "Monitoring reports of a running platform.",
        subcommands = {MonitorCommand.Show.class, MonitorCommand.Run.class})
final class MonitorCommand {

    /** Options every subcommand shares. */
    static class Target {
        @Parameters(index = "0", description = "The model name")
        String model;

        @Mixin
        RunningPlatform.Options target;

        @Option(names = "--from", description = "Window start, ISO-8601 UTC")
        String from;

        @Option(names = "--to", description = "Window end, ISO-8601 UTC")
        String to;

        int call(String method, String path) throws Exception {
            StringBuilder query = new StringBuilder();
            if (from != null) {
                query.append(query.length() == 0 ? "?" : "&").append("from=").append(URLEncoder.encode(from, StandardCharsets.UTF_8));
            }
            if (to != null) {
                query.append(query.length() == 0 ? "?" : "&").append("to=").append(URLEncoder.encode(to, StandardCharsets.UTF_8));
            }
            RunningPlatform.Answer answer = target.platform().send(method, "/models/"
                    + URLEncoder.encode(model, StandardCharsets.UTF_8) + path + query, "operator");
            if (answer.status() != 200 && answer.status() != 202) {
                System.err.println("vigil monitor: " + answer.status() + " " + answer.errorMessage());
                return 1;
            }
            JsonNode reports = answer.body().get("reports");
            JsonNode pending = answer.body().path("pending");
            if (reports.isEmpty() && pending.isEmpty()) {
                System.out.println("no reports for " + model + " in that period");
            }
            for (JsonNode r : reports) {
                print(r);
            }
            // A window fanned out over its log partitions whose merge outlasted the request.
            for (JsonNode p : pending) {
                System.out.printf(Locale.ROOT, "%s  pending: %d of %d log partitions checked; see it later with"
                        + " 'vigil monitor show %s --from %s'%n", p.get("reportId").asText(), p.get("done").asInt(),
                        p.get("partitions").asInt(), model, p.get("from").asText());
            }
            return 0;
        }
    }

    static void print(JsonNode r) {
        System.out.printf(Locale.ROOT, "%s  %s  %s..%s  %d predictions, %s labelled%n", r.get("id").asText(),
                r.get("severity").asText(), r.get("from").asText(), r.get("to").asText(), r.get("predictions").asLong(),
                r.path("labelledFraction").isNumber() ? String.format(Locale.ROOT, "%.1f %%",
                        100 * r.get("labelledFraction").asDouble()) : "none");
        for (JsonNode reason : r.get("reasons")) {
            System.out.println("    " + reason.asText());
        }
        JsonNode estimate = r.at("/drift/estimate/expectedAuroc");
        JsonNode auroc = r.at("/performance/auroc");
        System.out.printf(Locale.ROOT, "    AUROC %s from outcomes, %s expected from the scores alone%n",
                auroc.isNumber() ? String.format(Locale.ROOT, "%.3f", auroc.asDouble()) : "-",
                estimate.isNumber() ? String.format(Locale.ROOT, "%.3f", estimate.asDouble()) : "-");
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "The stored reports of a model whose window starts in the period (default: the last day).")
    static final class Show extends Target implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            return call("GET", "/monitoring");
        }
    }

    @Command(name = "run", mixinStandardHelpOptions = true,
            description = "Check a window now (default: the last hour); a window checked before shows its stored report.")
    static final class Run extends Target implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            return call("POST", "/monitoring/run");
        }
    }
}
