package health.vigil.cli;

import static health.vigil.cli.TerminalText.shown;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.canary.CanaryAnalysis;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.text.Words;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vigil models ...}: the registry from the command line, through the control API of a running platform
 * ({@code vigil up}), each call authenticated with a persona's key from {@code keys.json}: uploads as the data
 * scientist, approvals and rejections as the approver, changes of a gate policy as the data steward, reads as the
 * operator. {@code --json} prints the API's answer unchanged, for scripts.
 */
@Command(name = "models", mixinStandardHelpOptions = true, description = "Work with models and their versions.",
        subcommands = {ModelsCommand.Upload.class, ModelsCommand.ListModels.class, ModelsCommand.Show.class,
                ModelsCommand.History.class, ModelsCommand.Card.class, ModelsCommand.Gates.class, ModelsCommand.Approve.class,
                ModelsCommand.Reject.class, ModelsCommand.Deploy.class, ModelsCommand.GatePolicyCommand.class})
final class ModelsCommand {

    /** Where the platform is and who calls it. */
    static final class Target {
        @Option(names = "--url", description = PlatformAddress.URL_DESCRIPTION)
        URI url;

        @Option(names = "--home", defaultValue = RunningPlatform.HOME_DEFAULT,
                description = RunningPlatform.HOME_DESCRIPTION)
        Path home;

        @Mixin
        PersonaOption persona = new PersonaOption();

        @Option(names = "--json", description = "Print the API's JSON answer")
        boolean json;

        ControlClient client(String defaultPersona) {
            return RunningPlatform.at(url, home).client(persona.or(defaultPersona));
        }

        /**
         * Prints the answer as JSON or as the lines {@code text} gives, and maps a refusal to exit code 1; an answer
         * without a field the lines need is {@linkplain ControlClient#unreadable unreadable}.
         */
        int print(HttpResponse<String> response, java.util.function.Function<JsonNode, String> text) {
            PrintStream out = System.out;
            JsonNode body = ControlClient.parse(response);
            boolean ok = response.statusCode() / 100 == 2;
            if (json) {
                out.println(TerminalText.json(body, false));
            } else if (ok) {
                String lines;
                try {
                    lines = text.apply(body);
                } catch (ControlClient.MissingField missing) {
                    throw ControlClient.unreadable(response, "without " + missing.getMessage() + ", which Vigil"
                            + " answers with");
                }
                out.println(lines);
            } else {
                JsonNode error = body.path("error");
                System.err.println(response.statusCode() + " " + shown(error.path("code").asText()) + ": "
                        + shown(error.path("message").asText()));
            }
            return ok ? 0 : 1;
        }
    }

    @Command(name = "upload", mixinStandardHelpOptions = true,
            description = "Upload a model package (zip) as the data scientist; it is registered at once.")
    static final class Upload implements Callable<Integer> {
        @Parameters(index = "0", description = "The package zip")
        Path file;

        @Option(names = "--name", description = "File name it is stored under (default: the file's name)")
        String name;

        @Option(names = "--model", required = true, description = "The model the package's manifest names")
        String model;

        @Mixin
        Target target = new Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            HttpResponse<String> response = upload(target.client("data-scientist"), model, file, name);
            return target.print(response, body -> body.path("kind").asText().toLowerCase(java.util.Locale.ROOT) + " "
                    + body.at("/version/modelName").asText() + " version " + body.at("/version/version").asInt()
                    + " (uploaded by " + shown(body.at("/version/registeredBy").asText()) + ")");
        }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List the registered models.")
    static final class ListModels implements Callable<Integer> {
        @Mixin
        Target target = new Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            return target.print(target.client("operator").exchange("GET", "/models", null), body -> {
                StringBuilder lines = new StringBuilder();
                if (body.path("models").isEmpty()) {
                    // On stderr, as datasets list says it: the listing itself stays empty for scripts.
                    System.err.println("vigil: no models are registered yet; upload a package with vigil models upload"
                            + " FILE --model NAME (vigil train writes one)");
                }
                for (JsonNode m : body.path("models")) {
                    lines.append(modelLine(m)).append('\n');
                }
                return lines.toString().stripTrailing();
            });
        }
    }

    @Command(name = "show", mixinStandardHelpOptions = true,
            description = "Show a model's deployment (its revision) and versions, or one version.")
    static final class Show implements Callable<Integer> {
        @Parameters(index = "0", description = "Model name")
        String model;

        @Parameters(index = "1", arity = "0..1", description = "Version (default: all versions)")
        Integer version;

        @Mixin
        Target target = new Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            ControlClient client = target.client("operator");
            if (version == null) {
                return target.print(client.exchange("GET", RunningPlatform.modelPath(model), null), body -> {
                    StringBuilder lines = new StringBuilder(summaryDeploymentLine(body.path("summary"))).append('\n');
                    for (JsonNode v : body.path("versions")) {
                        lines.append(versionLine(v)).append('\n');
                    }
                    return lines.toString().stripTrailing();
                });
            }
            return target.print(client.exchange("GET", RunningPlatform.modelPath(model) + "/versions/" + version, null),
                    ModelsCommand::versionLine);
        }
    }

    @Command(name = "history", mixinStandardHelpOptions = true, description = "Show every stage a version went through.")
    static final class History implements Callable<Integer> {
        @Parameters(index = "0", description = "Model name")
        String model;

        @Parameters(index = "1", description = "Version")
        int version;

        @Mixin
        Target target = new Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            return target.print(target.client("operator").exchange("GET", RunningPlatform.modelPath(model)
                    + "/versions/" + version + "/history", null), ModelsCommand::historyLines);
        }
    }

    @Command(name = "gates", mixinStandardHelpOptions = true,
            description = "Show a version's gate report, or with --rerun (as the approver) run its gates again on the"
                    + " production version, evaluation dataset and gate policy in force.")
    static final class Gates implements Callable<Integer> {
        @Parameters(index = "0", description = "Model name")
        String model;

        @Parameters(index = "1", description = "Version")
        int version;

        @Option(names = "--rerun", description = "Run the gates again if what they judged the version on changed")
        boolean rerun;

        @Mixin
        Target target = new Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            String path = RunningPlatform.modelPath(model) + "/versions/" + version + "/gates";
            return target.print(rerun ? target.client("approver").exchange("POST", path, null)
                    : target.client("operator").exchange("GET", path, null), ModelsCommand::gatesText);
        }
    }

    @Command(name = "card", mixinStandardHelpOptions = true,
            description = "Print or save a version's model card, generated by the platform (HTML, Markdown or JSON), as the"
                    + " approver.")
    static final class Card implements Callable<Integer> {
        @Parameters(index = "0", description = "Model name")
        String model;

        @Parameters(index = "1", description = "Version")
        int version;

        @Option(names = "--format", defaultValue = "markdown",
                description = "The card's format: html, markdown or json (default: ${DEFAULT-VALUE}; --json means json)")
        CardFormat format;

        @Option(names = "--out", description = "Write the card to this file (owner-only) instead of printing it; an"
                + " existing file is kept unless --force")
        Path out;

        @Option(names = "--force", description = "Replace the file --out names if it exists")
        boolean force;

        @Mixin
        Target target = new Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            if (out != null) {
                if (Files.isDirectory(out)) {
                    throw new ValidationException(out + " is a folder; give --out the card file's own name");
                }
                OutputFile.refuseExisting(out, force);
            }
            CardFormat chosen = target.json ? CardFormat.json : format;
            HttpResponse<String> response = card(target.client("approver"), model, version, chosen);
            if (response.statusCode() != 200) {
                return target.print(response, body -> "");
            }
            if (out == null) {
                // Printed on a terminal: the JSON card rewritten with its disguising characters escaped (the HTML and
                // Markdown cards name them already).
                System.out.println(chosen == CardFormat.json
                        ? TerminalText.json(ControlClient.parse(response), true) : response.body());
                return 0;
            }
            OutputFile.write(out, response.body().getBytes(java.nio.charset.StandardCharsets.UTF_8), force);
            System.out.println("model card of " + model + " version " + version + " (" + chosen + ") written to " + out);
            return 0;
        }
    }

    /** The representations of a model card, by the media type each asks for. */
    enum CardFormat {
        html("text/html"), markdown("text/markdown"), json("application/json");

        final String mediaType;

        CardFormat(String mediaType) {
            this.mediaType = mediaType;
        }
    }

    /** Fetches a version's card in one format through {@code GET /models/{model}/versions/{version}/card}. */
    static HttpResponse<String> card(ControlClient client, String model, int version, CardFormat format)
            throws IOException, InterruptedException {
        return client.get(RunningPlatform.modelPath(model) + "/versions/" + version + "/card", format.mediaType);
    }

    /** Approving and rejecting differ only in the decision they sign. */
    abstract static class Decide implements Callable<Integer> {
        @Parameters(index = "0", description = "Model name")
        String model;

        @Parameters(index = "1", description = "Version")
        int version;

        @Option(names = "--justification", required = true, description = "Why (signed with the decision)")
        String justification;

        @Mixin
        Target target = new Target();

        /** {@code approve} or {@code reject}: the last segment of the route. */
        abstract String decision();

        @Override
        public Integer call() throws IOException, InterruptedException {
            return target.print(decide(target.client("approver"), decision(), model, version, justification),
                    ModelsCommand::decisionLine);
        }
    }

    @Command(name = "approve", mixinStandardHelpOptions = true,
            description = "Sign a version 'approved for canary' as the approver (its gates must have passed).")
    static final class Approve extends Decide {
        @Override
        String decision() {
            return "approve";
        }
    }

    @Command(name = "reject", mixinStandardHelpOptions = true, description = "Sign a version 'rejected' as the approver.")
    static final class Reject extends Decide {
        @Override
        String decision() {
            return "reject";
        }
    }

    @Command(name = "deploy", mixinStandardHelpOptions = true,
            description = "Put an approved version on all live traffic as the operator (POST .../deploy); for a"
                    + " gradual ramp use vigil canary start.")
    static final class Deploy implements Callable<Integer> {
        @Parameters(index = "0", description = "Model name")
        String model;

        @Parameters(index = "1", description = "Version")
        int version;

        @Mixin
        IfRevisionOption ifRevision = new IfRevisionOption();

        @Mixin
        Target target = new Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            Map<String, String> precondition = ifRevision.headers();
            // One key for this run, reused by its tries: a deploy whose answer was lost is not made twice.
            HttpResponse<String> response = target.client("operator").postOnce("/models/"
                    + new ModelName(model).value() + "/versions/" + version + "/deploy", null,
                    java.util.UUID.randomUUID().toString(), precondition);
            int exit = target.print(response, body -> deploymentLine(body) + endedLine(body));
            ifRevision.explain(response, model, target.json);
            return exit;
        }
    }

    @Command(name = "gate-policy", mixinStandardHelpOptions = true,
            description = "Show a model's gate policy in force (GET /models/{name}/gate-policy), or change it as the"
                    + " data steward (PUT, " + DatasetsCommand.STEWARD + " in keys.json unless --as names another):"
                    + " the whole policy from a file with --set, or whether new versions must come through a canary"
                    + " with --require-canary and how high their canary may start with --max-first-canary-step; each"
                    + " with --reason.")
    static final class GatePolicyCommand implements Callable<Integer> {
        @Parameters(index = "0", description = "Model name")
        String model;

        @Option(names = "--set", paramLabel = "FILE", description = "Store the policy in this JSON file (its fields as"
                + " the policy shows them with --json under \"current\") as the model's next policy version")
        Path set;

        @Option(names = "--require-canary", paramLabel = "true|false", arity = "1",
                description = "Store the policy in force with requireCanary changed: true, a version that has never"
                        + " been stable reaches live traffic only through a canary the analysis has judged")
        Boolean requireCanary;

        @Option(names = "--max-first-canary-step", paramLabel = "BASIS_POINTS",
                description = "Store the policy in force with maxFirstCanaryStep changed: the largest first step of a"
                        + " new version's canary while requireCanary is on, in basis points (100 = 1 %; 1 to 5000)")
        Integer maxFirstCanaryStep;

        @Option(names = "--reason", description = "Why the policy changes (audited with the change; required with"
                + " --set, --require-canary or --max-first-canary-step)")
        String reason;

        @Mixin
        Target target = new Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            String path = RunningPlatform.modelPath(model) + "/gate-policy";
            boolean oneSetting = requireCanary != null || maxFirstCanaryStep != null;
            if (set == null && !oneSetting) {
                if (reason != null) {
                    throw new ValidationException("--reason is given but nothing to change: add --set FILE,"
                            + " --require-canary true|false or --max-first-canary-step BASIS_POINTS, or leave out"
                            + " --reason to show the policy");
                }
                ControlClient client = target.client("operator");
                HttpResponse<String> shown = client.exchange("GET", path, null);
                int exit = target.print(shown, ModelsCommand::gatePolicyText);
                if (exit == 0) {
                    sayWhenNoModelHasTheName(client, model, ControlClient.parse(shown).path("current"), false);
                }
                return exit;
            }
            if (set != null && oneSetting) {
                throw new ValidationException("give --set FILE or --require-canary and --max-first-canary-step, not"
                        + " both: put requireCanary and maxFirstCanaryStep in the file instead");
            }
            if (reason == null || reason.isBlank()) {
                throw new ValidationException("a gate policy change needs --reason \"why\" (it is audited with the"
                        + " change)");
            }
            JsonNode policy;
            int read = -1;
            // The policy changed is read with the key that changes it: any caller may read one, and a steward's home
            // need hold no other persona's key.
            ControlClient steward = target.client(DatasetsCommand.STEWARD);
            if (set != null) {
                policy = policyFile(set);
            } else {
                HttpResponse<String> current = steward.exchange("GET", path, null);
                if (current.statusCode() != 200) {
                    return target.print(current, body -> "");
                }
                com.fasterxml.jackson.databind.node.ObjectNode changed = ControlClient.parse(current).path("current")
                        .deepCopy();
                read = changed.path("version").asInt();
                if (requireCanary != null) {
                    changed.put("requireCanary", requireCanary);
                }
                if (maxFirstCanaryStep != null) {
                    changed.put("maxFirstCanaryStep", maxFirstCanaryStep);
                }
                policy = changed;
            }
            Map<String, Object> body = new java.util.LinkedHashMap<>();
            body.put("policy", policy);
            body.put("reason", reason);
            HttpResponse<String> response = steward.exchange("PUT", path, body);
            boolean unchanged = response.headers().firstValue("Vigil-Unchanged").filter("true"::equals).isPresent();
            int exit = target.print(response, stored -> (unchanged ? "unchanged: the policy in force already says so,"
                    + " and nothing was stored\n" : "stored: ") + policyText(stored));
            int stored = ControlClient.parse(response).path("version").asInt(-1);
            if (exit == 0 && !unchanged && read >= 0 && stored > read + 1) {
                // The route does not make a change conditional on the version read: say when another one came between.
                System.err.println("vigil: another change of the policy was stored between version " + read + ", which"
                        + " this one was made from, and version " + stored + "; check what it changed with vigil"
                        + " models gate-policy " + model + " --json (its history)");
            }
            if (exit == 0) {
                sayWhenNoModelHasTheName(steward, model, ControlClient.parse(response), !unchanged);
            }
            return exit;
        }
    }

    /**
     * The platform keeps a gate policy for a name before its model's first upload, so a name typed wrong is answered as
     * any other: the defaults shown, a first version stored. When the policy answered is at most the name's first
     * ({@code policy}'s version 0 or 1) and the registry does not know the model, that is said on standard error; the
     * answer and the exit code stay as they are, also when the look-up gets no answer.
     */
    private static void sayWhenNoModelHasTheName(ControlClient client, String model, JsonNode policy, boolean stored) {
        if (policy.path("version").asInt(Integer.MAX_VALUE) > 1) {
            return;
        }
        HttpResponse<String> registered;
        try {
            registered = client.exchange("GET", RunningPlatform.modelPath(model), null);
        } catch (IOException | java.io.UncheckedIOException noAnswer) {
            return; // a hint only: what was asked has been answered, and a change stored is not undone by its silence
        }
        boolean unknown = registered.statusCode() == 404
                && ControlClient.refusal(registered.body()).startsWith("MODEL_NOT_FOUND:");
        if (!unknown) {
            return;
        }
        System.err.println("vigil: no model '" + shown(model) + "' is registered: " + (stored
                ? "the policy was stored for a model of that name uploaded later; if another was meant,"
                : "this is the policy a first version of that name would be judged by;")
                + " vigil models list names the registered models");
    }

    /** The policy object in {@code file}: a JSON object as {@code GET .../gate-policy} shows {@code current}. */
    static JsonNode policyFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new ValidationException("'" + file + "' is not a file: give --set the path of a JSON file holding the"
                    + " policy (vigil models gate-policy NAME --json shows it under \"current\")");
        }
        JsonNode policy;
        try {
            policy = Json.mapper().readTree(Files.readString(file));
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new ValidationException("'" + file + "' is not JSON (line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + "): give --set a JSON object of the policy's"
                    + " fields");
        }
        // The answer of --json saved whole ({"current": ..., "history": ...}), or a body of the route ({"policy": ...,
        // "reason": ...}): the policy in it is what is meant.
        for (String wrapper : List.of("current", "policy")) {
            if (policy != null && policy.path(wrapper).isObject()) {
                policy = policy.path(wrapper);
                break;
            }
        }
        if (policy == null || !policy.isObject()) {
            throw new ValidationException("'" + file + "' holds no JSON object: give --set a JSON object of the"
                    + " policy's fields, as vigil models gate-policy NAME --json shows under \"current\"");
        }
        return policy;
    }

    /** A model's gate policy in force and how many versions it has had, from {@code GET .../gate-policy}. */
    static String gatePolicyText(JsonNode body) {
        return policyText(body.path("current")) + "\n" + Words.count(body.path("history").size(), "stored version")
                + " (--json shows each)";
    }

    /** What a gate policy says, one field a line after who set it, when and why. */
    static String policyText(JsonNode policy) {
        int version = policy.path("version").asInt();
        StringBuilder text = new StringBuilder("gate policy version ").append(version);
        text.append(version == 0 ? ": the platform's defaults" : ", changed by "
                + shown(policy.path("changedBy").asText("-")) + " at " + Words.time(policy.path("changedAt").asText())
                + " because \"" + shown(policy.path("reason").asText()) + "\"");
        boolean canary = policy.path("requireCanary").asBoolean(false);
        text.append("\n  ").append(String.format("%-26s %s", "requireCanary", canary
                + (canary ? " (a version that has never been stable goes live only through a canary the analysis"
                        + " judged)" : " (an approved version may be deployed directly)")));
        JsonNode firstStep = policy.path("maxFirstCanaryStep");
        if (firstStep.canConvertToInt()) {
            text.append("\n  ").append(String.format("%-26s %s", "maxFirstCanaryStep", firstStep.asInt() + " ("
                    + CanaryAnalysis.percent(firstStep.asInt()) + ": the largest first step of a new version's canary"
                    + (canary ? ")" : ", read only with requireCanary)")));
        }
        for (var field : (Iterable<Map.Entry<String, JsonNode>>) policy::fields) {
            if (List.of("version", "changedBy", "changedAt", "reason", "requireCanary", "maxFirstCanaryStep")
                    .contains(field.getKey())) {
                continue;
            }
            JsonNode value = field.getValue();
            String shownValue = value.isArray() ? (value.isEmpty() ? "none" : shown(String.join(", ",
                    java.util.stream.StreamSupport.stream(value.spliterator(), false).map(JsonNode::asText).toList())))
                    : value.isNull() ? "-" : shown(value.asText());
            text.append("\n  ").append(String.format("%-26s %s", shown(field.getKey()), shownValue));
        }
        return text.toString();
    }

    /** {@code readmission revision 4: stable v3 100 %}, from a deployment document. */
    static String deploymentLine(JsonNode deployment) {
        return deployment.path("model").asText() + " revision " + deployment.path("revision").asLong() + ":"
                + slotsText(deployment);
    }

    /** Each of a deployment's slots after a space: {@code " stable v3 80 % canary v4 20 %"}. */
    private static String slotsText(JsonNode deployment) {
        StringBuilder text = new StringBuilder();
        for (JsonNode slot : deployment.path("slots")) {
            text.append(' ').append(CanaryCommand.slotText(slot));
        }
        return text.toString();
    }

    /**
     * {@code readmission deployment revision 4, written by ops-lead at 2026-11-06 10:00:00 UTC: stable v3 100 %}, from
     * a model's summary ({@code GET /models/{name}}): the revision a deploy or rollback names with
     * {@code --if-revision}, and who made it when; {@code readmission is not deployed} when it has no deployment.
     */
    static String summaryDeploymentLine(JsonNode summary) {
        JsonNode deployment = summary.path("deployment");
        String model = shown(summary.path("name").asText());
        if (!deployment.isObject()) {
            return model + " is not deployed";
        }
        StringBuilder line = new StringBuilder(model).append(" deployment revision ")
                .append(deployment.path("revision").asLong()).append(", written by ")
                .append(shown(deployment.path("updatedBy").asText("-"))).append(" at ")
                .append(Words.time(deployment.path("updatedAt").asText())).append(':').append(slotsText(deployment));
        return line.toString();
    }

    /**
     * The line a deploy or rollback adds when it ended a running canary or experiment (the answer's {@code ended}),
     * so an operator is not left thinking it still ramps; empty otherwise.
     */
    static String endedLine(JsonNode deployment) {
        JsonNode ended = deployment.path("ended");
        return ended.isMissingNode() ? "" : "\nended: " + ended.path("message").asText();
    }

    /**
     * The largest package {@code POST /models/{model}/packages} can take on any platform: its base64, four characters
     * for every three bytes, is one JSON text, held to {@link ControlClient#LONGEST_TEXT}.
     */
    static final long LARGEST_UPLOAD = ControlClient.LONGEST_TEXT / 4 * 3L;

    /**
     * Uploads {@code file} through {@code POST /models/{model}/packages} under {@code fileName}, or under its own name
     * when that is null. The file is read into the request as it is sent, never held whole; one the route could never
     * take is refused before anything is sent.
     */
    static HttpResponse<String> upload(ControlClient client, String model, Path file, String fileName)
            throws IOException, InterruptedException {
        // Checked first: "/" or a folder has no file name to send (and no bytes).
        if (!Files.isRegularFile(file)) {
            throw new ValidationException("'" + file + "' is not a file: give the path of a model package zip");
        }
        long size = Files.size(file);
        if (size > LARGEST_UPLOAD) {
            throw new ValidationException("'" + file + "' is " + size + " bytes; an upload takes a package of at most "
                    + LARGEST_UPLOAD + " bytes (its base64 is one text of the request, which the platform reads up to "
                    + ControlClient.LONGEST_TEXT + " characters; the request is also held to the platform's"
                    + " VIGIL_MAX_BODY_BYTES, 4 MiB unless raised): put a larger package into the models container"
                    + " instead (locally the home's blobs/models/ folder), where it is registered as it lands");
        }
        String stored = fileName != null ? fileName : file.getFileName().toString();
        return client.exchangeStreamed("POST", RunningPlatform.modelPath(model) + "/packages", out -> {
            try (InputStream zip = Files.newInputStream(file);
                    JsonGenerator json = Json.mapper().createGenerator(out)
                            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
                json.writeStartObject();
                json.writeStringField("fileName", stored);
                // Jackson's base64 is the standard alphabet with padding and no line breaks, which the route decodes.
                json.writeFieldName("packageBase64");
                json.writeBinary(zip, (int) size);
                json.writeEndObject();
            }
        });
    }

    /** Approves or rejects a version with a justification. */
    static HttpResponse<String> decide(ControlClient client, String decision, String model, int version,
            String justification) throws IOException, InterruptedException {
        return client.exchange("POST", RunningPlatform.modelPath(model) + "/versions/" + version + "/" + decision,
                Map.of("justification", justification));
    }

    /**
     * {@code readmission      3 versions; latest 3 (canary)}, from an entry of the model list; the stage in lower case,
     * as {@code models show} and {@code history} print it.
     */
    static String modelLine(JsonNode m) {
        return String.format("%-16s %s; latest %d (%s)", shown(m.path("name").asText()),
                Words.count(m.path("versionCount").asInt(), "version"), m.at("/latest/version").asInt(),
                m.at("/latest/stage").asText().toLowerCase(java.util.Locale.ROOT));
    }

    static String versionLine(JsonNode v) {
        return String.format("%s version %d: %s, uploaded by %s, package sha256 %s…", v.path("modelName").asText(),
                v.path("version").asInt(), v.path("stage").asText().toLowerCase(java.util.Locale.ROOT),
                shown(v.path("registeredBy").asText()), packageDigestStart(v, "a version's"));
    }

    /** The first 12 characters of the package sha256 {@code holder} carries, as every version and signature does. */
    private static String packageDigestStart(JsonNode holder, String whose) {
        String sha256 = holder.path("packageSha256").asText("");
        if (sha256.length() < 12) {
            throw new ControlClient.MissingField(whose + " package sha256");
        }
        return sha256.substring(0, 12);
    }

    static String historyLines(JsonNode body) {
        StringBuilder lines = new StringBuilder(body.path("model").asText() + " version " + body.path("version").asInt()
                + ", now " + body.path("stage").asText().toLowerCase(java.util.Locale.ROOT) + ":\n");
        for (JsonNode change : body.path("history")) {
            lines.append(String.format("  %s  %-13s -> %-13s by %s: %s%n", Words.time(change.path("at").asText()),
                    change.path("from").isNull() ? "-" : change.path("from").asText().toLowerCase(java.util.Locale.ROOT),
                    change.path("to").asText().toLowerCase(java.util.Locale.ROOT), shown(change.path("actor").asText()),
                    shown(change.path("reason").asText())));
        }
        return lines.toString().stripTrailing();
    }

    /**
     * A gate report as an approver reads it: whether it passed, what it judged the version on, its notes and the checks
     * flagged for review, then one line per check (gate, check, value, threshold, outcome, note) in the report's order.
     */
    static String gatesText(JsonNode report) {
        java.util.Set<String> failed = new java.util.LinkedHashSet<>();
        List<String> flagged = new ArrayList<>();
        for (JsonNode check : report.path("checks")) {
            String outcome = check.path("outcome").asText();
            if (outcome.equals("FAILED")) {
                failed.add(check.path("gate").asText());
            } else if (outcome.equals("FLAGGED")) {
                flagged.add(check.path("gate").asText() + "/" + check.path("check").asText());
            }
        }
        String dataset = report.path("datasetSha256").asText("");
        StringBuilder text = new StringBuilder(String.format("%s version %d: gates %s; evaluated %s%s on dataset %s%s,"
                + " gate policy version %d%n", report.path("model").asText(), report.path("version").asInt(),
                failed.isEmpty() ? "passed" : "failed " + String.join(", ", failed),
                Words.time(report.path("evaluatedAt").asText()),
                report.path("productionVersion").isNumber() ? " against production version "
                        + report.path("productionVersion").asInt() : "",
                dataset.length() > 12 ? dataset.substring(0, 12) + "…" : dataset.isEmpty() ? "none" : dataset,
                report.path("datasetRows").isNumber() ? " (" + Words.count(report.path("datasetRows").asLong(), "row")
                        + ")" : "", report.path("policyVersion").asInt()));
        for (JsonNode note : report.path("notes")) {
            text.append("  ").append(shown(note.asText())).append('\n');
        }
        if (!flagged.isEmpty()) {
            text.append("  flagged for review: ").append(String.join(", ", flagged)).append('\n');
        }
        text.append(String.format("%-15s %-38s %-10s %-20s %-8s %s%n", "GATE", "CHECK", "VALUE", "THRESHOLD", "OUTCOME",
                "NOTE"));
        for (JsonNode check : report.path("checks")) {
            String note = check.path("note").asText("");
            if (check.has("ciLower") && check.has("ciUpper")) {
                // The note names the interval ("95% DeLong interval") when the gate says which one it is.
                // A bound that is not a finite number reaches JSON as the text "NaN" or "Infinity": not computed.
                boolean computed = check.path("ciLower").isNumber() && check.path("ciUpper").isNumber();
                note += (note.endsWith("interval") ? " " : (note.isEmpty() ? "" : "; ") + "interval ")
                        + (computed ? Words.number(check.path("ciLower").asDouble()) + " to "
                                + Words.number(check.path("ciUpper").asDouble()) : "not computed");
            }
            text.append(String.format("%-15s %-38s %-10s %-20s %-8s %s", shown(check.path("gate").asText()),
                    shown(check.path("check").asText()),
                    check.path("value").isNumber() ? Words.number(check.path("value").asDouble()) : "-",
                    shown(check.path("threshold").asText("-")),
                    check.path("outcome").asText().toLowerCase(java.util.Locale.ROOT), shown(note)).stripTrailing())
                    .append('\n');
        }
        return text.toString().stripTrailing();
    }

    static String decisionLine(JsonNode body) {
        JsonNode signature = body.path("signature");
        int needed = body.path("approvalsStillNeeded").asInt();
        // The signer's own words beside the signature's meaning, so the screen shows what was signed, not only how.
        String because = signature.path("justification").isTextual()
                ? ", because \"" + shown(signature.path("justification").asText()) + "\"" : "";
        return String.format("%s version %d is %s; signed '%s' by %s at %s for package %s…%s%s",
                body.at("/version/modelName").asText(), body.at("/version/version").asInt(),
                body.at("/version/stage").asText().toLowerCase(java.util.Locale.ROOT),
                signature.path("meaning").asText().toLowerCase(java.util.Locale.ROOT).replace('_', ' '),
                shown(signature.path("printedName").asText()), Words.time(signature.path("signedAt").asText()),
                packageDigestStart(signature, "a signature's"), because,
                needed > 0 ? "; " + Words.count(needed, "more approver") + " needed" : "");
    }
}
