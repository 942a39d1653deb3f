package health.vigil.cli;

import static health.vigil.cli.TerminalText.shown;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.text.Words;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.Callable;
import health.vigil.error.ValidationException;
import health.vigil.model.FeatureSchema;
import health.vigil.training.ClinicalModel;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vigil monitor ...}: the monitoring reports of a running platform, over its HTTP API with the operator's key
 * from the home's {@code keys.json} (the stores belong to the running platform; the CLI does not open them).
 */
@Command(name = "monitor", mixinStandardHelpOptions = true, description = "Monitoring reports of a running platform.",
        subcommands = {MonitorCommand.Show.class, MonitorCommand.Run.class, MonitorCommand.Traffic.class})
final class MonitorCommand {

    /** Options every subcommand shares. */
    static class Target {
        @Parameters(index = "0", description = "The model")
        String model;

        @Mixin
        RunningPlatform.Options target;

        @Option(names = "--from", description = "Start, e.g. 2026-11-30T00:00:00Z (ISO-8601 with Z or an offset; a plain"
                + " date is refused)")
        String from;

        @Option(names = "--to", description = "End, ISO-8601 like --from")
        String to;

        int call(String method, String path) throws Exception {
            StringBuilder query = new StringBuilder();
            if (from != null) {
                query.append(query.length() == 0 ? "?" : "&").append("from=").append(URLEncoder.encode(from, StandardCharsets.UTF_8));
            }
            if (to != null) {
                query.append(query.length() == 0 ? "?" : "&").append("to=").append(URLEncoder.encode(to, StandardCharsets.UTF_8));
            }
            RunningPlatform.Answer answer = target.send(method, "/models/"
                    + URLEncoder.encode(model, StandardCharsets.UTF_8) + path + query, "operator");
            if (answer.status() != 200 && answer.status() != 202) {
                System.err.println("vigil monitor: " + answer.status() + " " + shown(answer.errorMessage()));
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
                System.out.printf(Locale.ROOT, "report %s: pending, %d of %d log partitions checked; see it later with"
                        + " 'vigil monitor show %s --from %s'%n", p.get("reportId").asText(), p.get("done").asInt(),
                        p.get("partitions").asInt(), model, p.get("from").asText());
            }
            return 0;
        }
    }

    static void print(JsonNode r) {
        describe(r).forEach(System.out::println);
    }

    /**
     * A report as lines of text: its window, severity and sample; why it has that severity; the inputs that drifted;
     * the performance measured on outcomes beside the estimate from the scores alone; and each segment's.
     */
    static List<String> describe(JsonNode r) {
        List<String> lines = new ArrayList<>();
        String provisional = r.path("provisional").asBoolean()
                ? " (provisional: read before the window settled; a later check replaces it)" : "";
        lines.add(String.format(Locale.ROOT, "report %s: %s%s, %s to %s, %d predictions, %s",
                r.get("id").asText(), r.get("severity").asText(), provisional, Words.time(r.get("from").asText()),
                Words.time(r.get("to").asText()),
                r.get("predictions").asLong(),
                r.path("labelledFraction").isNumber() ? String.format(Locale.ROOT, "%.1f %% labelled",
                        100 * r.get("labelledFraction").asDouble())
                        : r.at("/performance/suppressed").isTextual() ? "labelled share withheld" : "none labelled"));
        for (JsonNode reason : r.path("reasons")) {
            lines.add("  " + shown(reason.asText()));
        }
        for (JsonNode f : r.at("/drift/features")) {
            drifted(f, f.path("name").asText()).ifPresent(lines::add);
        }
        drifted(r.at("/drift/score"), "the score").ifPresent(lines::add);
        JsonNode performance = r.path("performance");
        String expected = number(r.at("/drift/estimate/expectedAuroc"));
        if (performance.hasNonNull("suppressed")) {
            lines.add("  realised performance withheld" + (performance.hasNonNull("labelled") ? " ("
                    + performance.path("labelled").asLong() + " outcomes)" : "") + ": "
                    + shown(performance.path("suppressed").asText()) + "; expected from the scores alone " + expected);
        } else if (performance.path("auroc").isNumber()) {
            lines.add(String.format(Locale.ROOT, "  AUROC from %d outcomes %s (95%% CI %s to %s); expected from the scores"
                    + " alone %s", performance.path("labelled").asLong(), number(performance.get("auroc")),
                    number(performance.path("aurocLower")), number(performance.path("aurocUpper")), expected));
        } else {
            lines.add("  AUROC not measured (" + performance.path("labelled").asLong() + " outcomes); expected from the"
                    + " scores alone " + expected);
        }
        for (JsonNode segment : r.path("segments")) {
            String name = "  segment " + shown(segment.path("column").asText()) + "="
                    + shown(segment.path("value").asText()) + ": ";
            if (segment.hasNonNull("suppressed")) {
                lines.add(name + (segment.hasNonNull("labelled") ? segment.path("labelled").asLong() + " labelled, "
                        : "") + "counts withheld: " + shown(segment.path("suppressed").asText()));
                continue;
            }
            name += segment.path("labelled").asLong() + " labelled (" + segment.path("positives").asLong()
                    + " positive)";
            JsonNode p = segment.path("performance");
            lines.add(segment.path("status").asText().equals("MEASURED")
                    ? name + ", AUROC " + number(p.path("auroc")) + " (95% CI " + number(p.path("aurocLower")) + " to "
                            + number(p.path("aurocUpper")) + "), calibration slope " + number(p.path("calibrationSlope"))
                    : name + ", too few outcomes to measure");
        }
        return lines;
    }

    /**
     * A drifted input (or the score) with the tests that found it drifted, as the report words them: an input drifts
     * by PSI, KS, chi-square or its missing rate, so its PSI alone can be small, or absent for a field no row sent.
     */
    private static Optional<String> drifted(JsonNode f, String name) {
        if (!f.path("status").asText().equals("DRIFTED")) {
            return Optional.empty();
        }
        List<String> tests = new ArrayList<>();
        f.path("reasons").forEach(reason -> tests.add(shown(reason.asText())));
        return Optional.of(String.format(Locale.ROOT, "  %-28s drifted: %s", shown(name),
                String.join("; ", tests)));
    }

    private static String number(JsonNode value) {
        return value != null && value.isNumber() ? String.format(Locale.ROOT, "%.3f", value.asDouble()) : "-";
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
            description = "Check a window now (default: the last whole hour, the one the hourly check reports); a window"
                    + " checked before shows its stored report.")
    static final class Run extends Target implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            return call("POST", "/monitoring/run");
        }
    }

    /**
     * Synthetic patients of a clinical model scored on a running platform as the clinical application, so an on-call
     * engineer can rehearse the monitoring check and the drift runbook: with {@code --drift}, the older, sicker
     * population {@code vigil demo} sends, which the check of their window flags as drift. Records are generated from
     * the model's schema; no real patient is sent.
     */
    @Command(name = "traffic", mixinStandardHelpOptions = true,
            description = "Score synthetic patients of a clinical model on a running platform (as the clinical-app"
                    + " persona), to rehearse the monitoring check and the drift runbook; never real patients.")
    static final class Traffic implements Callable<Integer> {
        /** Rows per scoring request, below the platform's default limit of VIGIL_MAX_BATCH_ROWS. */
        private static final int REQUEST_ROWS = 500;
        private static final int MAX_COUNT = 100_000;

        @Parameters(index = "0", description = "The clinical model: readmission, adherence or complications")
        String model;

        @Mixin
        RunningPlatform.Options target;

        @Option(names = "--count", defaultValue = "600", description = "How many synthetic patients to score, 1-"
                + MAX_COUNT + " (default: 600; a monitoring check judges drift from 100 predictions of a window)")
        int count;

        @Option(names = "--drift", description = "Send an older, sicker population than the model was trained on"
                + " (numeric inputs pushed up within their ranges, half the categories moved), which the monitoring"
                + " check of their window flags as drift")
        boolean drift;

        @Option(names = "--seed", defaultValue = "1", description = "Seed of the synthetic population (default: 1)")
        long seed;

        @Override
        public Integer call() throws Exception {
            ClinicalModel clinical;
            try {
                clinical = ClinicalModel.of(model);
            } catch (ValidationException e) {
                System.err.println("vigil monitor traffic: synthetic patients follow a clinical model's schema; "
                        + e.getMessage());
                return 2;
            }
            if (count < 1 || count > MAX_COUNT) {
                System.err.println("vigil monitor traffic: --count is " + count + "; send 1 to " + MAX_COUNT
                        + " patients");
                return 2;
            }
            FeatureSchema schema = clinical.pipeline().rawSchema();
            List<Map<String, Object>> population = clinical.synthetic(count, seed).dataset().records();
            ControlClient client = target.client("clinical-app");
            Instant first = Instant.now();
            for (int start = 0; start < count; start += REQUEST_ROWS) {
                List<Map<String, Object>> records = new ArrayList<>();
                for (int i = start; i < Math.min(count, start + REQUEST_ROWS); i++) {
                    Map<String, Object> features = drift ? DemoCommand.shift(schema, population.get(i), i)
                            : population.get(i);
                    records.add(Map.of("patientId", "SYNTHETIC-" + seed + "-" + i, "features", features));
                }
                java.net.http.HttpResponse<String> answer = client.exchange("POST", "/score/"
                        + URLEncoder.encode(model, StandardCharsets.UTF_8), Map.of("records", records));
                if (answer.statusCode() != 200) {
                    // Not Vigil's refusal (another server or a proxy at --url): said with the status and address.
                    com.fasterxml.jackson.databind.JsonNode message = ControlClient.parse(answer).at("/error/message");
                    if (!message.isTextual()) {
                        throw ControlClient.unreadable(answer, "without the error object Vigil refuses a request with");
                    }
                    System.err.println("vigil monitor traffic: " + answer.statusCode() + " " + shown(message.asText())
                            + " (after " + Words.count(start, "patient") + " scored)");
                    return 1;
                }
            }
            Instant from = first.truncatedTo(ChronoUnit.SECONDS);
            Instant to = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
            System.out.println("scored " + Words.count(count, "synthetic patient") + " of " + model
                    + (drift ? " from an older, sicker population" : " like its training population") + ", "
                    + Words.time(from) + " to " + Words.time(to));
            System.out.println("check their window once it has ended: vigil monitor run " + model + " --from " + from
                    + " --to " + to);
            return 0;
        }
    }
}
