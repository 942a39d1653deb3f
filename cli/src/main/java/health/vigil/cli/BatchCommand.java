package health.vigil.cli;

import static health.vigil.cli.TerminalText.shown;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.adapter.local.OwnerOnlyFiles;
import health.vigil.port.ArtifactStore;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.scoring.batch.BatchFormat;
import health.vigil.scoring.batch.BatchService;
import health.vigil.scoring.batch.BatchSummary;
import health.vigil.text.Words;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vigil batch ...}: score a whole file of patients with a model's deployed (or a pinned approved) version,
 * follow its progress, and download the per-row results, as the population-health role.
 */
@Command(name = "batch", mixinStandardHelpOptions = true, description = "Batch scoring of files: submit, status, download.",
        subcommands = {BatchCommand.Submit.class, BatchCommand.Status.class, BatchCommand.Download.class})
final class BatchCommand {
    static final String PERSONA = "population-health";
    /**
     * The exit code of a job that completed with no rows in its file (a CSV file with only its header, an empty JSON
     * Lines file): what a broken nightly export also gives, so a script is told, unless {@code --allow-empty}.
     */
    static final int EXIT_EMPTY_INPUT = 3;
    private static final String EMPTY_INPUT_CODE = "3:the job completed but its file held no rows (a CSV file with only"
            + " its header, an empty JSON Lines file); with --allow-empty that is 0";
    private static final int BAR_WIDTH = 30;

    @Command(name = "submit",
            description = {"Score a CSV or JSON Lines file (one patient per line) and follow it to the end, as "
                    + PERSONA + ".", "With --json, the one JSON document printed is the job's final status (with"
                    + " --no-wait, the accepted job)."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the job completed and scored rows, or with --no-wait it was accepted",
                "1:the job failed, it completed without scoring a row, or the platform refused the request",
                "2:the command line was wrong",
                EMPTY_INPUT_CODE})
    static final class Submit implements Callable<Integer> {
        @Parameters(index = "0", arity = "0..1",
                description = "The file, copied into the platform's batch-input container (a local platform's home)")
        Path file;

        @Option(names = "--input", description = "Instead of a file: a blob already in batch-input (as uploaded in Azure)")
        String input;

        @Option(names = "--model", required = true, description = "The model")
        String model;

        @Mixin
        HelpAndVersionOptions helpAndVersion = new HelpAndVersionOptions();

        @Option(names = "--version", description = "An approved version to pin (default: the deployed one)")
        Integer version;

        @Option(names = "--explain", description = "Explain each scored row (top contributing factors)")
        boolean explain;

        @Option(names = "--no-wait", description = "Return once the job is accepted")
        boolean noWait;

        @Option(names = "--allow-empty", description = "A file without rows (no patients that day) is a success")
        boolean allowEmpty;

        @Mixin
        ModelsCommand.Target target = new ModelsCommand.Target();

        /** How the wait polls; not an option (a test shortens it). */
        Patience patience = Patience.THROUGH_A_RESTART;

        @Override
        public Integer call() throws IOException, InterruptedException {
            if ((file == null) == (input == null)) {
                System.err.println("give either a FILE or --input NAME (a blob already in batch-input)");
                return 2;
            }
            if (file != null) {
                // Checked before anything is copied into the platform: a file that could never be a batch (keys.json,
                // a folder) must not land in batch-input at all.
                if (!Files.isRegularFile(file)) {
                    System.err.println("vigil: " + file + " is not a file; give the CSV or JSON Lines file to score");
                    return 2;
                }
                try {
                    BatchFormat.ofFileName(file.getFileName().toString());
                } catch (ValidationException e) {
                    System.err.println("vigil: " + e.getMessage());
                    return 2;
                }
            }
            // The key and the address first: a command without them copies nothing.
            ControlClient client = target.client(PERSONA);
            String blob = input != null ? input : copyIntoBatchInput(target.home, file);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("model", model);
            if (version != null) {
                body.put("version", version);
            }
            body.put("input", blob);
            body.put("explain", explain);
            HttpResponse<String> response;
            try {
                response = submit(client, body, java.util.UUID.randomUUID().toString());
            } catch (ControlClient.Unreachable nothingTookIt) {
                // No try reached a platform (a wrong --url, none running): no job will ever read the copy.
                if (file != null) {
                    removeCopy(target.home, blob);
                }
                throw nothingTookIt;
            }
            if (file != null && response.statusCode() >= 400 && response.statusCode() < 500) {
                // Refused: no job reads the copy, so it does not stay in batch-input. (After a 5xx, or a try whose
                // answer was lost, the job may exist and need it, so it stays.)
                removeCopy(target.home, blob);
            }
            JsonNode accepted = response.statusCode() / 100 == 2 ? job(response) : null;
            if (response.statusCode() != 202 || noWait) {
                return target.print(response, BatchCommand::statusLine);
            }
            String id = accepted.path("id").asText();
            // With --json, standard output is the one JSON document follow prints: the line is for the person.
            (target.json ? System.err : System.out).println("batch " + id + " submitted");
            return follow(target, client, id, allowEmpty, patience, true);
        }
    }

    /** What the paging headers of a download come with, said when an answer lacks them. */
    private static final String RESULTS_PAGE = "each page of a job's results";

    /**
     * The batch job a 2xx answer describes (its status); one without the job's id and state (another server at
     * {@code --url}) is {@linkplain ControlClient#unreadable unreadable}, never a job shown without them.
     */
    static JsonNode job(HttpResponse<String> response) {
        JsonNode job = ControlClient.parse(response);
        if (!job.path("id").isTextual() || !job.path("state").isTextual()) {
            throw ControlClient.unreadable(response, "without a batch job's id and state, which Vigil answers with");
        }
        return job;
    }

    /** The tries {@link #submit} makes before it gives up. */
    static final int SUBMIT_TRIES = ControlClient.ONCE_TRIES;

    /** {@code POST /batches} under {@code idempotencyKey} ({@link ControlClient#postOnce}): one job, however many tries. */
    static HttpResponse<String> submit(ControlClient client, Map<String, Object> body, String idempotencyKey)
            throws IOException, InterruptedException {
        return client.postOnce("/batches", body, idempotencyKey);
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show a batch job's progress, as " + PERSONA + ".",
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the job is running, or it completed and scored rows",
                "1:the job failed, it completed without scoring a row, or the platform refused the request (with"
                        + " --wait too, at once: a job purged by retention answers 410 PURGED_BY_RETENTION); with"
                        + " --wait, 5xx answers or no answer (none within 15 s) for 60 s in a row, or no platform at"
                        + " --url at the first request (a refused connection, an unknown host)",
                "2:the command line was wrong",
                EMPTY_INPUT_CODE})
    static final class Status implements Callable<Integer> {
        @Parameters(index = "0", description = "The batch id vigil batch submit printed")
        String id;

        @Option(names = "--wait", description = "Follow the job with a progress bar until it ends, asking again through"
                + " 5xx answers or no answer within 15 s (a platform restarting) for up to 60 s in a row once the"
                + " platform has answered")
        boolean await;

        @Option(names = "--allow-empty", description = "A file without rows (no patients that day) is a success")
        boolean allowEmpty;

        @Mixin
        ModelsCommand.Target target = new ModelsCommand.Target();

        /** How {@code --wait} polls; not an option (a test shortens it). */
        Patience patience = Patience.THROUGH_A_RESTART;

        @Override
        public Integer call() throws IOException, InterruptedException {
            ControlClient client = target.client(PERSONA);
            if (await) {
                return follow(target, client, id, allowEmpty, patience, false);
            }
            HttpResponse<String> response = client.exchange("GET", "/batches/" + id, null);
            if (response.statusCode() == 200) {
                job(response);
            }
            int printed = target.print(response, BatchCommand::statusLine);
            // A job that is still running is not a failure; one that has ended tells a script how it ended, as --wait.
            return printed != 0 ? printed : exitCode(ControlClient.parse(response), allowEmpty);
        }
    }

    @Command(name = "download", mixinStandardHelpOptions = true,
            description = {"Download a completed job's per-row results (JSON Lines) to a file, as " + PERSONA + ".",
                "With --json, what was written is one JSON object: {\"id\", \"out\", \"bytes\"}."},
            exitCodeListHeading = "%nExit codes:%n",
            exitCodeList = {
                "0:the results were written",
                "1:the platform refused the request (an unknown id, a job not completed), or answered without the"
                        + " paging headers of results (another server at --url)",
                "2:the command line was wrong, or --out is already there (without --force)"})
    static final class Download implements Callable<Integer> {
        @Parameters(index = "0", description = "The batch id vigil batch submit printed")
        String id;

        @Option(names = "--out", required = true, description = "Where to write the results (created owner-only; an"
                + " existing file is kept unless --force)")
        Path out;

        @Option(names = "--force", description = "Replace the file --out names if it exists")
        boolean force;

        @Mixin
        ModelsCommand.Target target = new ModelsCommand.Target();

        @Override
        public Integer call() throws IOException, InterruptedException {
            if (Files.isDirectory(out)) {
                System.err.println("vigil: " + out + " is a folder; give --out the results file's own name");
                return 2;
            }
            // Before the platform is asked: results already there (perhaps another job's) are not replaced unasked.
            OutputFile.refuseExisting(out, force);
            ControlClient client = target.client(PERSONA);
            Path partial = OutputFile.besideIt(out, ".vigil-results-", ".part");
            long offset = 0;
            long total = -1;
            boolean written = false;
            try {
                try (OutputStream file = Files.newOutputStream(partial, StandardOpenOption.TRUNCATE_EXISTING)) {
                    do {
                        HttpResponse<String> page = client.exchange("GET", "/batches/" + id + "/results?offset="
                                + offset, null);
                        if (page.statusCode() != 200) {
                            return target.print(page, body -> "");
                        }
                        long next = ControlClient.wholeNumberHeader(page, "x-vigil-next-offset",
                                "a whole number of bytes", RESULTS_PAGE);
                        total = ControlClient.wholeNumberHeader(page, "x-vigil-total-bytes", "a whole number of bytes",
                                RESULTS_PAGE);
                        if (next < total && next <= offset) {
                            // Asked again from there, it would be answered the same, for ever.
                            throw ControlClient.unreadable(page, "with an x-vigil-next-offset that does not move past"
                                    + " the offset asked for, short of x-vigil-total-bytes, as Vigil's pages of a"
                                    + " job's results do");
                        }
                        file.write(page.body().getBytes(StandardCharsets.UTF_8));
                        offset = next;
                        bar(System.err, offset, total, "bytes");
                    } while (offset < total);
                }
                System.err.println();
                OutputFile.moveIntoPlace(partial, out, force);
                written = true;
            } finally {
                // Results hold prediction ids and scores: a download that stopped part-way leaves none of them behind.
                if (!written) {
                    Files.deleteIfExists(partial);
                }
            }
            if (target.json) {
                ObjectNode wrote = Json.mapper().createObjectNode();
                wrote.put("id", id).put("out", out.toString()).put("bytes", total);
                System.out.println(TerminalText.json(wrote, false));
            } else {
                System.out.println("wrote " + total + " bytes of results to " + out);
            }
            return 0;
        }
    }

    /**
     * Puts the file into the local platform's {@code batch-input} container under {@code requests/}, where it waits
     * for the POST that names it (an upload elsewhere in the container starts a job on its own).
     */
    static String copyIntoBatchInput(Path home, Path file) throws IOException {
        String name = BatchService.REQUESTED_PREFIX + UUID.randomUUID() + "/" + file.getFileName();
        Path target = home.resolve("blobs").resolve(ArtifactStore.BATCH_INPUT).resolve(name);
        Path folder = OwnerOnlyFiles.createFolders(target.getParent());
        Path staged = OwnerOnlyFiles.createTempFile(folder, ".staged-", ".tmp");
        staged.toFile().deleteOnExit(); // a copy cut short by Ctrl-C is not left in the platform's home
        try {
            // Into the owner-only file itself: a copy that replaced it would be a new file with the default umask.
            try (OutputStream out = Files.newOutputStream(staged, StandardOpenOption.TRUNCATE_EXISTING)) {
                Files.copy(file, out);
            }
            Files.move(staged, target, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(staged);
        }
        return name;
    }

    /** Removes a copy {@link #copyIntoBatchInput} made, and its folder of one. */
    static void removeCopy(Path home, String name) throws IOException {
        Path copy = home.resolve("blobs").resolve(ArtifactStore.BATCH_INPUT).resolve(name);
        Files.deleteIfExists(copy);
        try {
            Files.deleteIfExists(copy.getParent());
        } catch (java.nio.file.DirectoryNotEmptyException othersThere) {
            // not this copy's alone
        }
    }

    /**
     * How a wait polls a job: every {@code between} while the platform answers; through answers that say it is away
     * for now (a 5xx, such as 503 while it restarts or a store is briefly unavailable, or no answer at all) ever less
     * often, up to ten times {@code between} apart, until they have lasted {@code giveUpAfter} in a row, counted from
     * when the first of them was asked. A poll not answered within {@code answerWithin} is no answer: a platform that
     * took the request and never answered holds the wait no longer than that (not the other calls' minutes).
     */
    record Patience(Duration between, Duration giveUpAfter, Duration answerWithin) {
        static final Patience THROUGH_A_RESTART = new Patience(Duration.ofMillis(500), Duration.ofSeconds(60),
                Duration.ofSeconds(15));

        /** The pause after the {@code failures}-th such answer in a row: 2, 4, 8, then 10 times {@code between}. */
        long pauseMillis(int failures) {
            return between.toMillis() * Math.min(10, 1L << Math.min(failures, 4));
        }
    }

    /**
     * Polls the job, drawing a progress bar on standard error, until it completes or fails. A refusal (an unknown id,
     * a job purged by retention) ends it at once, said as any command says one: its code and message, or with
     * {@code --json} the platform's answer on standard output. A 5xx or no answer (the platform restarting, a store
     * briefly away, a poll not answered within {@link Patience#answerWithin()}) is said in one line on standard error
     * and asked again, until such answers have lasted {@link Patience#giveUpAfter()} in a row: the line saying the wait
     * gives up then ends it, followed by the last answer as a refusal is said (no answer: the line says what the last
     * poll got instead). An unknown host (a wrong --url) ends it at once, and so does a refused connection while the
     * platform has not yet answered this command ({@code answeredBefore}: the submission that started the job was):
     * nothing says a platform was ever there to wait for, so the command ends as any command that reaches none, naming
     * the address.
     */
    private static int follow(ModelsCommand.Target target, ControlClient client, String id, boolean allowEmpty,
            Patience patience, boolean answeredBefore) throws IOException, InterruptedException {
        boolean json = target.json;
        boolean barShown = false;
        boolean reached = answeredBefore;
        int failures = 0;
        long failingSince = 0;
        while (true) {
            HttpResponse<String> response = null;
            IOException unanswered = null;
            long asked = System.nanoTime();
            try {
                response = client.poll("/batches/" + id, patience.answerWithin());
            } catch (ControlClient.Unreachable e) {
                if (!reached || e.unknownHost()) {
                    throw e;
                }
                unanswered = e;
            } catch (IOException e) {
                unanswered = e;
            }
            reached = true;
            if (unanswered != null || response.statusCode() / 100 == 5) {
                long now = System.nanoTime();
                if (failures++ == 0) {
                    failingSince = asked;
                }
                if (barShown) {
                    System.err.println();
                    barShown = false;
                }
                long seconds = patience.giveUpAfter().toSeconds();
                if (now - failingSince >= patience.giveUpAfter().toNanos()) {
                    // Without an answer to show, the line says what the last poll got, and is the output's last.
                    System.err.println("vigil: batch " + shown(id) + ": the platform has given no status for " + seconds
                            + " s in a row; giving up waiting" + (unanswered != null ? ": " + lastPoll(unanswered,
                                    patience) : "") + " (the job may still be running: ask again with vigil batch"
                            + " status " + shown(id) + " --wait)");
                    if (unanswered == null) {
                        target.print(response, body -> "");
                    }
                    return 1;
                }
                System.err.println("vigil: " + (unanswered != null ? ControlClient.noAnswer(unanswered)
                        : "the platform answered " + response.statusCode() + " ("
                                + ControlClient.refusal(response.body()) + ")")
                        + "; asking again, for up to " + seconds + " s of such answers in a row");
                Thread.sleep(patience.pauseMillis(failures));
                continue;
            }
            failures = 0;
            if (response.statusCode() != 200) {
                target.print(response, body -> "");
                return 1;
            }
            JsonNode status;
            try {
                status = job(response);
            } catch (java.io.UncheckedIOException unreadable) {
                if (barShown) {
                    System.err.println(); // the message on a line of its own, not after the bar
                }
                throw unreadable;
            }
            bar(System.err, status.path("rowsDone").asLong(), status.path("rows").asLong(), "rows");
            barShown = true;
            String state = status.path("state").asText();
            if (!state.equals("RUNNING")) {
                System.err.println();
                System.out.println(json ? TerminalText.json(status, false) : statusLine(status));
                if (!state.equals("COMPLETED")) {
                    return 1;
                }
                if (!json && status.path("refused").asLong() > 0) {
                    // Why rows were refused is in the summary by rule and feature, never a value: said here, not
                    // only in the downloaded results.
                    HttpResponse<String> summary = client.exchange("GET", "/batches/" + id + "/summary", null);
                    if (summary.statusCode() == 200) {
                        System.out.println(refusalLine(ControlClient.parse(summary)));
                    }
                }
                return exitCode(status, allowEmpty);
            }
            Thread.sleep(patience.between().toMillis());
        }
    }

    /** What the last unanswered poll of a wait got, in words: no answer in time, a refused or a closed connection. */
    private static String lastPoll(IOException unanswered, Patience patience) {
        if (unanswered instanceof java.net.SocketTimeoutException) {
            return "the last poll was not answered within " + Words.duration(patience.answerWithin());
        }
        return unanswered instanceof ControlClient.Unreachable ? "the last poll's connection was refused"
                : "the last poll's connection was closed without an answer";
    }

    /**
     * The exit code a job's status gives a script: 1 when it failed, or completed without scoring a row of its file
     * (nothing to use: not a success); {@link #EXIT_EMPTY_INPUT} when it completed with the platform's
     * {@link BatchSummary#EMPTY_INPUT} warning (or, where the status carries no warning, with no rows),
     * unless {@code allowEmpty}; else 0 (completed, or still running). Each warning of a completed job is said on
     * standard error, in the platform's words.
     */
    static int exitCode(JsonNode status, boolean allowEmpty) {
        return switch (status.path("state").asText()) {
            case "FAILED" -> 1;
            case "COMPLETED" -> {
                String id = shown(status.path("id").asText());
                String emptyInput = null;
                for (JsonNode warning : status.path("warnings")) {
                    String text = warning.asText();
                    if (text.equals(BatchSummary.EMPTY_INPUT) || text.startsWith(BatchSummary.EMPTY_INPUT + ":")) {
                        emptyInput = text;
                    } else {
                        System.err.println("vigil: batch " + id + " completed with a warning: " + shown(text));
                    }
                }
                if (emptyInput == null && status.path("warnings").isEmpty() && status.path("rows").asLong() == 0) {
                    // A platform whose status carries no warnings, or a summary written before they were kept.
                    emptyInput = BatchSummary.EMPTY_INPUT + ": the file held no rows; check the export that wrote it";
                }
                if (emptyInput != null) {
                    if (allowEmpty) {
                        yield 0;
                    }
                    System.err.println("vigil: batch " + id + " completed with a warning: " + shown(emptyInput)
                            + "; pass --allow-empty when a file without patients is expected (exit "
                            + EXIT_EMPTY_INPUT + ")");
                    yield EXIT_EMPTY_INPUT;
                }
                yield status.path("scored").asLong() == 0 ? 1 : 0;
            }
            default -> 0;
        };
    }

    static void bar(PrintStream out, long done, long total, String unit) {
        double share = total <= 0 ? 1.0 : Math.min(1.0, (double) done / total);
        int filled = (int) Math.round(share * BAR_WIDTH);
        out.printf("\r[%s%s] %3d%% %,d/%,d %s", "#".repeat(filled), ".".repeat(BAR_WIDTH - filled),
                Math.round(share * 100), done, total, unit);
        out.flush();
    }

    /** {@code refused rows by reason: out of range (age) 3, missing required (hba1c) 2}, from a job's summary. */
    static String refusalLine(JsonNode summary) {
        List<String> kinds = new ArrayList<>();
        summary.path("refusalsByKind").fields().forEachRemaining(e -> kinds.add(e.getKey() + " " + e.getValue().asLong()));
        return "refused rows by reason: " + (kinds.isEmpty() ? "none given" : String.join(", ", kinds))
                + " (each row under its first reason; the results name every refused row)";
    }

    static String statusLine(JsonNode s) {
        String state = s.path("state").asText().toLowerCase(java.util.Locale.ROOT);
        // A job that failed before it was planned has no model or version to show, and no rows.
        String what = s.hasNonNull("model") && s.path("version").asInt() > 0
                ? s.path("model").asText() + " version " + s.path("version").asInt() + ", " + s.path("rowsDone").asLong()
                        + " of " + Words.count(s.path("rows").asLong(), "row") + " (" + s.path("scored").asLong() + " scored, "
                        + s.path("refused").asLong() + " refused)"
                : "not planned";
        String id = s.path("id").asText();
        String line = "batch " + id + " " + state + ": " + what;
        if (s.hasNonNull("results")) {
            // The results are a blob of the platform's batch-output container, not a file here: say how to fetch them.
            line += "; results in " + s.path("results").asText() + "; download them with: vigil batch download " + id
                    + " --out results.jsonl";
        } else if (state.equals("running")) {
            line += "; follow it with: vigil batch status " + id + " --wait";
        }
        if (s.hasNonNull("failure")) {
            line += "; " + shown(s.path("failure").asText());
        }
        return line;
    }
}
