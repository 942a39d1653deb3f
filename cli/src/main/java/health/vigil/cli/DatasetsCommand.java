package health.vigil.cli;

import static health.vigil.cli.TerminalText.shown;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.text.Words;
import health.vigil.training.ClinicalModel;
import health.vigil.training.HeldOutEvaluationData;
import health.vigil.training.TrainingSettings;
import java.io.ByteArrayInputStream;
import java.io.FilterReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vigil datasets ...}: the evaluation datasets the platform's gates judge on. {@code register} and
 * {@code list} talk to a running platform over HTTP with the data steward's key ({@code Datasets.Register});
 * {@code generate} writes a held-out synthetic dataset for one of the clinical models.
 */
@Command(name = "datasets", mixinStandardHelpOptions = true, description = "Register and list evaluation datasets.",
        subcommands = {DatasetsCommand.Register.class, DatasetsCommand.ListDatasets.class,
                DatasetsCommand.Generate.class})
final class DatasetsCommand {
    static final String STEWARD = "data-steward";
    /** How the help of a command that calls the platform names its usual persona. */
    private static final String AS_THE_STEWARD = ", as the data steward (" + STEWARD + " in keys.json) unless --as names"
            + " another persona.";

    @Command(name = "register", mixinStandardHelpOptions = true,
            description = "Register a CSV file as the evaluation dataset of a model (POST /datasets)" + AS_THE_STEWARD)
    static final class Register implements Callable<Integer> {
        @Parameters(index = "0", description = "The CSV file (header row; raw clinical fields, label, segment columns)")
        Path file;

        @Option(names = "--model", required = true, description = "The model it evaluates")
        String model;

        @Option(names = "--label", required = true, description = "The label column (0/1 or true/false)")
        String label;

        @Option(names = "--age-column", description = "The column of age or age band")
        String ageColumn;

        @Option(names = "--sex-column", description = "The column of sex")
        String sexColumn;

        @Option(names = "--segment", description = "Another column to judge segments by (race, ethnicity, payer...); repeatable")
        List<String> segments = new ArrayList<>();

        @Option(names = "--json", description = "Print the registered manifest as JSON")
        boolean json;

        /** Where the platform is; the data steward's key unless --as names another persona. */
        @picocli.CommandLine.Mixin
        RunningPlatform.Options platform = new RunningPlatform.Options();

        @Override
        public Integer call() throws IOException, InterruptedException {
            if (!Files.isRegularFile(file)) {
                throw new ValidationException("'" + file + "' is not a file: give the path of a CSV file");
            }
            // Opened as the request is written, never read whole: a file of gigabytes is refused, not held in memory.
            JsonNode registered = register(platform.client(STEWARD), model, file.getFileName().toString(),
                    () -> Files.newInputStream(file), label, ageColumn, sexColumn, segments);
            print(System.out, registered, json);
            if (!json) {
                refusalLines(model, registered.path("newestVersion")).forEach(System.out::println);
            }
            return 0;
        }
    }

    /**
     * What the coverage gate of the model's newest version will count, said at registration rather than found in a
     * failed gate report later: how many rows it refuses, why the first, and, for more than one rule, how many each.
     */
    static List<String> refusalLines(String model, JsonNode newest) {
        if (newest.path("refused").asInt() == 0) {
            return List.of();
        }
        List<String> lines = new ArrayList<>();
        lines.add("  version " + newest.path("version").asInt() + " of " + model + " refuses "
                + newest.path("refused").asInt() + " of " + Words.count(newest.path("rows").asInt(), "row") + " (first: "
                + newest.path("firstRefusal").asText() + "); its gates leave them out and its coverage gate counts them");
        JsonNode byRule = newest.path("refusedByRule");
        if (byRule.size() > 1) {
            byRule.fields().forEachRemaining(rule -> lines.add("    " + Words.count(rule.getValue().asInt(), "row") + ": "
                    + rule.getKey()));
        }
        return lines;
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List evaluation datasets (GET /datasets)"
            + AS_THE_STEWARD)
    static final class ListDatasets implements Callable<Integer> {
        @Option(names = "--model", description = "Only this model's")
        String model;

        @Option(names = "--json", description = "Print the API's JSON answer")
        boolean json;

        /** Where the platform is; the data steward's key unless --as names another persona. */
        @picocli.CommandLine.Mixin
        RunningPlatform.Options platform = new RunningPlatform.Options();

        @picocli.CommandLine.Spec
        picocli.CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException, InterruptedException {
            // Checked here: the name goes into the query as it is, and is repeated below.
            String name = model == null ? null : new ModelName(model).value();
            JsonNode listed = send(platform.client(STEWARD), "GET",
                    "/datasets" + (name == null ? "" : "?model=" + name), null, 200);
            java.io.PrintWriter out = spec.commandLine().getOut();
            if (json) {
                out.println(TerminalText.json(listed, true));
            } else if (listed.path("datasets").isEmpty()) {
                // Not an error: datasets may be registered before a model's first version, so the API answers an
                // empty list for a name it has no model of as for a model without datasets. Said on stderr, so the
                // listing itself stays empty for scripts.
                spec.commandLine().getErr().println("vigil: no evaluation datasets are registered"
                        + (name == null ? "" : " for model '" + name + "'") + "; register one with vigil datasets"
                        + " register FILE --model " + (name == null ? "MODEL" : name) + " --label COLUMN");
            } else {
                for (JsonNode d : listed.path("datasets")) {
                    out.println(line(d));
                }
            }
            return 0;
        }
    }

    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Write a held-out synthetic evaluation dataset for a clinical model, and the register command for it.")
    static final class Generate implements Callable<Integer> {
        @Parameters(index = "0", description = "readmission, adherence or complications")
        String model;

        @Option(names = "--seed", description = "The seed the model was trained with (default: vigil train's, "
                + TrainingSettings.DEFAULT_SEED + ")")
        long seed = TrainingSettings.DEFAULT_SEED;

        @Option(names = "--rows", defaultValue = "5000", description = "About how many rows (default: ${DEFAULT-VALUE})")
        int rows;

        @Option(names = "--out", required = true, description = "The CSV file to write (created owner-only; an"
                + " existing file is kept unless --force)")
        Path out;

        @Option(names = "--force", description = "Replace the file --out names if it exists")
        boolean force;

        /** The most rows one generated file holds: a few hundred MB of CSV, made in memory. */
        static final int MAX_ROWS = 1_000_000;

        @Override
        public Integer call() throws IOException {
            if (rows < 1 || rows > MAX_ROWS) {
                // Checked here: two billion rows ran the JVM out of memory before a line was written.
                throw new health.vigil.error.ValidationException("--rows is " + rows + "; give 1 to " + MAX_ROWS);
            }
            if (Files.isDirectory(out)) {
                throw new ValidationException(out + " is a folder; give --out the CSV file's own name");
            }
            // Before the rows are made: a dataset already there (perhaps the one registered) is not replaced unasked.
            OutputFile.refuseExisting(out, force);
            HeldOutEvaluationData data = HeldOutEvaluationData.generate(ClinicalModel.of(model), rows, seed);
            OutputFile.write(out, data.csv(), force);
            System.out.println("wrote " + data.rows() + " held-out rows to " + out);
            System.out.println("register: " + registerCommand(out, data));
            return 0;
        }
    }

    /** The {@code vigil datasets register} command that registers {@code data}, written to {@code file}. */
    static String registerCommand(Path file, HeldOutEvaluationData data) {
        return "vigil datasets register " + file + " --model " + data.model() + " --label " + data.label()
                + " --age-column " + data.ageColumn() + " --sex-column " + data.sexColumn()
                + data.segments().stream().map(s -> " --segment " + s).reduce("", String::concat);
    }

    /** Registers a held-out dataset generated for {@code data.model()} (what {@code vigil demo} calls). */
    static JsonNode register(URI base, String key, HeldOutEvaluationData data) throws IOException, InterruptedException {
        return register(base, key, data.model().modelName().value(), data.model() + "-evaluation.csv", data.csv(),
                data.label(), data.ageColumn(), data.sexColumn(), data.segments());
    }

    static JsonNode register(URI base, String key, String model, String fileName, byte[] csv, String label,
            String ageColumn, String sexColumn, List<String> segments) throws IOException, InterruptedException {
        return register(new ControlClient(base, key), model, fileName, () -> new ByteArrayInputStream(csv), label,
                ageColumn, sexColumn, segments);
    }

    /** Where the dataset's bytes are read from, opened once for each writing of the request. */
    @FunctionalInterface
    private interface CsvSource {
        InputStream open() throws IOException;
    }

    private static JsonNode register(ControlClient platform, String model, String fileName, CsvSource csv,
            String label, String ageColumn, String sexColumn, List<String> segments) throws IOException {
        ControlClient.StreamedBody body = out -> {
            // Strict: a file in another encoding is refused here, not sent with its bytes replaced (and registered
            // under the sha256 of text that is not the file).
            try (Reader text = new CsvText(new InputStreamReader(csv.open(), StandardCharsets.UTF_8.newDecoder()));
                    JsonGenerator json = Json.mapper().createGenerator(out)
                            .disable(JsonGenerator.Feature.AUTO_CLOSE_TARGET)) {
                // Field by field, not through the mapper, which flushes after each value it writes: the fields before
                // the file would go out on their own, ahead of the rest of the body.
                json.writeStartObject();
                json.writeStringField("model", model);
                json.writeStringField("fileName", fileName);
                json.writeStringField("label", label);
                if (ageColumn != null) {
                    json.writeStringField("ageColumn", ageColumn);
                }
                if (sexColumn != null) {
                    json.writeStringField("sexColumn", sexColumn);
                }
                json.writeArrayFieldStart("segments");
                for (String segment : segments) {
                    json.writeString(segment);
                }
                json.writeEndArray();
                json.writeFieldName("csv");
                json.writeString(text, -1);
                json.writeEndObject();
            } catch (java.nio.charset.CharacterCodingException e) {
                throw new health.vigil.error.ValidationException("the dataset file is not UTF-8 text; save it as UTF-8"
                        + " (\"CSV UTF-8\" in a spreadsheet) and register it again");
            }
        };
        return answer("POST", "/datasets", platform.exchangeStreamed("POST", "/datasets", body), 201);
    }

    /**
     * The dataset's text, refused as soon as it is longer than the platform reads in one request: the request is
     * written once to be counted before it is sent, so such a file is refused with nothing sent.
     */
    private static final class CsvText extends FilterReader {
        private long read;

        CsvText(Reader in) {
            super(in);
        }

        @Override
        public int read() throws IOException {
            int c = super.read();
            counted(c < 0 ? 0 : 1);
            return c;
        }

        @Override
        public int read(char[] buffer, int offset, int length) throws IOException {
            return counted(super.read(buffer, offset, length));
        }

        private int counted(int chars) {
            if (chars > 0 && (read += chars) > ControlClient.LONGEST_TEXT) {
                throw new ValidationException("the dataset file holds more than "
                        + ControlClient.LONGEST_TEXT + " characters, the longest text the platform reads in a request"
                        + " (which is also held to the platform's VIGIL_MAX_BODY_BYTES, 4 MiB unless raised):"
                        + " register a smaller sample of its rows");
            }
            return chars;
        }
    }

    private static void print(PrintStream out, JsonNode dataset, boolean json) {
        out.println(json ? TerminalText.json(dataset, true) : line(dataset));
    }

    private static String line(JsonNode dataset) {
        return dataset.path("model").asText() + "  sha256 " + dataset.path("sha256").asText() + "  "
                + Words.count(dataset.path("rows").asInt(), "row") + " (" + dataset.path("positives").asInt() + " positive)  label "
                + shown(dataset.path("label").asText()) + "  registered by " + shown(dataset.path("registeredBy").asText()) + " at "
                + Words.time(dataset.path("registeredAt").asText());
    }

    private static JsonNode send(ControlClient platform, String method, String path, Object body, int expected)
            throws IOException {
        return answer(method, path, platform.exchange(method, path, body), expected);
    }

    /** The body of {@code response} to {@code method path}, or its refusal thrown with the platform's own code. */
    private static JsonNode answer(String method, String path, java.net.http.HttpResponse<String> response,
            int expected) {
        JsonNode parsed = ControlClient.parse(response);
        if (response.statusCode() != expected) {
            // The platform's own code (403 FORBIDDEN, 409 CONFLICT ...), not one that calls every refusal a bad request.
            String code = parsed.path("error").path("code").asText();
            health.vigil.error.ErrorCode known = java.util.Arrays.stream(health.vigil.error.ErrorCode.values())
                    .filter(c -> c.name().equals(code)).findFirst()
                    .orElse(response.statusCode() >= 500 ? health.vigil.error.ErrorCode.INTERNAL
                            : health.vigil.error.ErrorCode.INVALID_REQUEST);
            // The message as every command shows server text: control characters by name, never the raw body.
            String message = parsed.path("error").path("message").asText("");
            throw new health.vigil.error.VigilException(known, method + " " + path + " answered "
                    + response.statusCode() + ": " + (message.isEmpty() ? "no error message" : shown(message)));
        }
        return parsed;
    }
}
