package health.vigil.outcomes;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.audit.AuditLog;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.events.BlobCreated;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.IdempotencyKey;
import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import health.vigil.model.PredictionIds;
import health.vigil.port.ArtifactStore;
import health.vigil.port.OutcomeStore;
import health.vigil.port.PredictionLog;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.registry.ModelRegistry;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Receives realised outcomes (labels), which arrive days or weeks after the prediction; monitoring joins them to
 * the prediction log ({@code health.vigil.monitoring.OutcomeJoin}). An outcome names its prediction by id, or by patient identifier and index time: the identifier is
 * pseudonymised on arrival with the scoring key, exactly as scoring does, and the outcome applies to that patient's
 * predictions of the model on the UTC day of the index time. A prediction id must be of a form Vigil issued
 * ({@link PredictionIds#formOf}), and a version 7 one in the model's prediction log. An outcome of predictions made
 * before the prediction log's retention cut-off ({@link Outcome#labelsPredictionsBefore}) is refused: they are gone, or
 * about to go, and it would label nothing; unless it is stored already, when it is a resend like any other. Outcomes
 * are written once: a resend of the same value changes nothing; another value for a stored outcome is refused and
 * reported, and the stored one stays. Invalid rows
 * are reported by row number without their values; the good rows of the same batch are kept. Each accepted request
 * is audited with its caller and the sha256 of its body, so the same rows sent again (by another caller, or a day
 * later) are a submission of their own; a request sent again under its {@code Idempotency-Key} (the same caller and
 * key) is recorded once and answered from that record. Each file is audited once under its name and content, so a
 * redelivered event writes no second record and the same file uploaded under another name writes its own.
 */
public final class OutcomeService {
    public static final String ACTION = "outcomes.record";
    /** The claim of a caller's Idempotency-Key by one body, recorded before any of its rows is written. */
    public static final String ACTION_RECEIVED = "outcomes.received";
    public static final String API_SOURCE = "api";
    /** The detail of an {@code outcomes.record} record that holds the sha256 of the request's body. */
    static final String BODY_SHA256 = "sha256";
    /** The detail of a keyed request's {@code outcomes.record} record that holds its answer's refused rows. */
    static final String REFUSED_ANSWER = "refused";
    /**
     * How long after a request claimed its key a request of the same body waits for the first one's answer; a claim
     * older than this without its record is of a request that stopped, which this one completes.
     */
    static final Duration FIRST_ANSWER_WAIT = Duration.ofSeconds(30);
    private static final long FIRST_POLL_MILLIS = 20;
    private static final long MAX_POLL_MILLIS = 500;
    /** Rows of one HTTP batch; larger sets go as files into the outcomes container. */
    public static final int MAX_BATCH_ROWS = 10_000;
    /** Outcomes written per store transaction: a request's batch is one, a file is one per this many rows. */
    public static final int WRITE_CHUNK = 1_000;
    /** What every refusal of a prediction id asks for instead. */
    private static final String SEND_AN_ISSUED_ID = ": send the id the scoring answer or the batch's results gave, or"
            + " name the prediction by 'patientId' and 'indexTime'";

    private final OutcomeStore store;
    private final PredictionLog predictions;
    private final ArtifactStore artifacts;
    private final ModelRegistry registry;
    private final Pseudonymizer pseudonymizer;
    private final AuditLog audit;
    private final Clock clock;
    private final Duration retention;

    /** {@code retention}: the prediction log's retention period; outcomes of predictions older are refused. */
    public OutcomeService(OutcomeStore store, PredictionLog predictions, ArtifactStore artifacts,
            ModelRegistry registry, Pseudonymizer pseudonymizer, AuditLog audit, Clock clock, Duration retention) {
        this.store = Objects.requireNonNull(store, "store");
        this.predictions = Objects.requireNonNull(predictions, "predictions");
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.pseudonymizer = Objects.requireNonNull(pseudonymizer, "pseudonymizer");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.retention = Objects.requireNonNull(retention, "retention");
    }

    /**
     * Records the outcomes of a {@code POST /outcomes} body: {@code {"model": ..., "outcomes": [...]}}, each
     * outcome with {@code predictionId}, or {@code patientId} and {@code indexTime}, and {@code outcome} (1/0).
     * Sent without an {@code Idempotency-Key}: every call is a submission, audited on its own.
     */
    public OutcomeReceipt submit(String actor, String body, JsonNode json) {
        return submit(actor, body, json, Optional.empty()).receipt();
    }

    /** A request's receipt, and whether it was {@code replayed}: answered from the record of its first sending. */
    public record Submission(OutcomeReceipt receipt, boolean replayed) {
        public Submission {
            Objects.requireNonNull(receipt, "receipt");
        }
    }

    /**
     * {@link #submit(String, String, JsonNode)} that is safe to send again under {@code key}: the first request of
     * this caller under it is recorded once, under the caller and key, and the same body sent again under them is
     * answered with that record's answer (counts, and refused rows with their reasons) and writes nothing. The same
     * key with another body is refused (409) and nothing is written, also when the two are sent at once: before
     * writing, a request claims the key for its body with a record of its own ({@value #ACTION_RECEIVED}), which the
     * audit log appends once per key across instances, and only the body that holds the claim writes. The same body
     * sent while the first is writing waits for the first's answer, up to {@link #FIRST_ANSWER_WAIT} after its claim.
     */
    public Submission submit(String actor, String body, JsonNode json, Optional<IdempotencyKey> key) {
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(key, "key");
        JsonNode rows = json.get("outcomes");
        if (rows == null || !rows.isArray() || rows.isEmpty()) {
            throw new ValidationException("the body needs 'outcomes', a non-empty array of {\"predictionId\" or"
                    + " \"patientId\" and \"indexTime\", \"outcome\": 1 or 0}");
        }
        if (rows.size() > MAX_BATCH_ROWS) {
            throw new ValidationException("the batch has " + rows.size() + " outcomes; send at most " + MAX_BATCH_ROWS
                    + " per request, or drop a CSV or JSON Lines file into the outcomes container");
        }
        for (var names = json.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals("model") && !name.equals("outcomes")) {
                // Refused rather than ignored; the name is the sender's text, so say what is allowed instead.
                throw new ValidationException("the body has a field " + Json.quotedName(name)
                        + " that is not 'model' or 'outcomes'; send {\"model\": ..., \"outcomes\": [...]}");
            }
        }
        JsonNode model = json.get("model");
        if (model != null && !model.isNull() && !model.isTextual()) {
            throw new ValidationException("'model' must be text, the model's name, such as \"readmission\"");
        }
        String defaultModel = model == null || model.isNull() ? null : model.asText();
        String sha256 = Sha256.hex(body);
        String once = key.map(k -> "outcomes:request:" + Sha256.hex(actor + "|" + k.value())).orElse(null);
        Optional<AuditRecord> first = once == null ? Optional.empty() : audit.findOnce(once);
        if (first.isPresent()) {
            return new Submission(replayed(first.get(), sha256), true);
        }
        if (once != null) {
            // The claim names the body by its digest and counts. One of the same body made by another request is
            // that of a request sent at the same moment, still writing, or of one that stopped before its record.
            AuditLog.Once claim = audit.recordFirst(once + ":received", actor, ACTION_RECEIVED, "/outcomes/api",
                    "claimed", Map.of(BODY_SHA256, sha256, "rows", Integer.toString(rows.size())));
            if (!sha256.equals(claim.record().details().get(BODY_SHA256))) {
                throw anotherBody(claim.record());
            }
            if (!claim.appended()) {
                Optional<AuditRecord> answered = firstAnswer(once, claim.record().time());
                if (answered.isPresent()) {
                    return new Submission(replayed(answered.get(), sha256), true);
                }
                // Its rows are written again, each once, and the record completed.
            }
        }
        Batch batch = new Batch(API_SOURCE);
        OutcomeRows.fromJsonArray(rows, defaultModel, batch::accept);
        return new Submission(batch.finish(actor, "/outcomes/api", once, sha256), false);
    }

    /**
     * The record of the request that claimed the key {@code claimedAt}: waited for until the claim is
     * {@link #FIRST_ANSWER_WAIT} old, then taken as stopped before its record (empty).
     */
    private Optional<AuditRecord> firstAnswer(String once, Instant claimedAt) {
        Duration left = FIRST_ANSWER_WAIT.minus(Duration.between(claimedAt, clock.instant()));
        long deadline = System.nanoTime() + Math.max(0, left.toNanos());
        long pause = FIRST_POLL_MILLIS;
        while (true) {
            Optional<AuditRecord> first = audit.findOnce(once);
            if (first.isPresent() || System.nanoTime() >= deadline) {
                return first;
            }
            try {
                Thread.sleep(Math.min(pause, Math.max(1, (deadline - System.nanoTime()) / 1_000_000)));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ConflictException(ErrorCode.CONFLICT, "interrupted while waiting for the request sent"
                        + " first under this Idempotency-Key to be recorded; send the same body again to read its"
                        + " answer");
            }
            pause = Math.min(MAX_POLL_MILLIS, pause * 2);
        }
    }

    /**
     * The answer to a request sent again under its key: the first one's counts and refused rows, from its record,
     * when the body is the same; otherwise the key was used for another request, refused with what to do.
     */
    private static OutcomeReceipt replayed(AuditRecord first, String sha256) {
        Map<String, String> d = first.details();
        if (!sha256.equals(d.get(BODY_SHA256))) {
            throw anotherBody(first);
        }
        return new OutcomeReceipt(d.get("source"), count(d, "rows"), count(d, "recorded"), count(d, "alreadyRecorded"),
                count(d, "conflicts"), count(d, "invalid"), refusedOf(d.get(REFUSED_ANSWER)));
    }

    /**
     * The refused rows of an answer, as a keyed request's record keeps them for its replays: each distinct reason
     * once, and each row as its number, kind and the index of its reason. Reasons never hold a row's value.
     */
    static String refusedAnswer(List<OutcomeReceipt.RowProblem> refused) {
        Map<String, Integer> reasons = new LinkedHashMap<>();
        List<List<Object>> rows = new ArrayList<>(refused.size());
        for (OutcomeReceipt.RowProblem p : refused) {
            int reason = reasons.computeIfAbsent(p.reason(), r -> reasons.size());
            rows.add(List.of(p.row(), p.kind(), reason));
        }
        return Json.write(Map.of("reasons", List.copyOf(reasons.keySet()), "rows", rows));
    }

    /** The refused rows {@link #refusedAnswer} kept; none for a record made before answers were kept. */
    static List<OutcomeReceipt.RowProblem> refusedOf(String answer) {
        if (answer == null) {
            return List.of();
        }
        JsonNode kept = Json.readTree("the refused rows of an outcomes record", answer);
        JsonNode reasons = kept.get("reasons");
        List<OutcomeReceipt.RowProblem> refused = new ArrayList<>();
        for (JsonNode row : kept.get("rows")) {
            refused.add(new OutcomeReceipt.RowProblem(row.get(0).asInt(), row.get(1).asText(),
                    reasons.get(row.get(2).asInt()).asText()));
        }
        return refused;
    }

    /** The refusal of a body sent under a key that {@code first}, of another body, holds. */
    private static ConflictException anotherBody(AuditRecord first) {
        return new ConflictException(ErrorCode.CONFLICT, "this Idempotency-Key was first sent with another body ("
                + first.details().get("rows") + " rows, recorded at " + first.time() + "); send a new key for a new"
                + " submission, or the first body again to read its answer");
    }

    private static int count(Map<String, String> details, String name) {
        return Integer.parseInt(details.getOrDefault(name, "0"));
    }

    /**
     * Ingests a file of outcomes that landed in the {@code outcomes} container ({@code .csv}, {@code .jsonl} or
     * {@code .ndjson}). A blob that is gone is skipped; one in another container is refused (a subscription with the
     * wrong filter, {@link BlobCreated#requireContainer}); a store failure is thrown so the event is delivered again
     * (every row is idempotent).
     */
    public Optional<OutcomeReceipt> ingest(BlobCreated blob) {
        Objects.requireNonNull(blob, "blob");
        blob.requireContainer("IngestOutcomes", ArtifactStore.OUTCOMES);
        String name = blob.blobName().toLowerCase(java.util.Locale.ROOT);
        boolean csv = name.endsWith(".csv");
        if (!csv && !name.endsWith(".jsonl") && !name.endsWith(".ndjson")) {
            Batch batch = new Batch("blob:" + blob.blobName());
            batch.accept(OutcomeRow.unreadable(0, "outcome files are .csv, .jsonl or .ndjson; rename the file"));
            return Optional.of(batch.finish("blob:" + blob.blobName(), "/outcomes/files/" + blob.blobName(),
                    "outcomes:name:" + blob.blobName() + ":" + blob.eventId(), null));
        }
        InputStream raw;
        try {
            raw = artifacts.open(ArtifactStore.OUTCOMES, blob.blobName());
        } catch (NotFoundException gone) {
            return Optional.empty();
        }
        MessageDigest sha = Sha256.newDigest();
        Batch batch = new Batch("blob:" + blob.blobName());
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new DigestInputStream(raw, sha),
                StandardCharsets.UTF_8))) {
            if (csv) {
                OutcomeRows.fromCsv(in, batch::accept);
            } else {
                OutcomeRows.fromJsonLines(in, batch::accept);
            }
        } catch (IOException | UncheckedIOException e) {
            throw new StoreException("could not read outcome file '" + blob.blobName() + "' from the outcomes"
                    + " container", e);
        }
        // A file is one upload: keyed on its name and content, so a redelivered event, or the same bytes put under
        // the same name again, writes nothing, while the same bytes uploaded under another name are audited as the
        // separate upload they are. The name is hashed: a blob name may be longer than an idempotency key.
        return Optional.of(batch.finish("blob:" + blob.blobName(), "/outcomes/files/" + blob.blobName(),
                "outcomes:file:" + Sha256.hex(blob.blobName()) + ":" + Sha256.hex(sha), null));
    }

    /**
     * One batch or file being recorded: rows are read one by one and written {@value #WRITE_CHUNK} at a time, each
     * chunk in one store transaction. Problems are listed in row order: while the list has room, the pending chunk
     * is written before a refusal is listed, so an earlier row's conflict comes before a later row's error.
     */
    /** How far ahead of the platform's clock an {@code indexTime} may be: a time zone's day, at most. */
    private static final java.time.Duration INDEX_TIME_SKEW = java.time.Duration.ofDays(1);

    private final class Batch {
        private final List<Pending> pending = new ArrayList<>();
        private final String source;
        private final Map<String, Boolean> knownModels = new HashMap<>();
        private final List<OutcomeReceipt.RowProblem> refused = new ArrayList<>();
        private final Instant now = clock.instant();
        /** The prediction log's retention cut-off, as a purge now would take it and as Cosmos DB's TTL counts. */
        private final Instant cutoff = now.minus(retention);
        private int rows;
        private int recorded;
        private int already;
        private int conflicts;
        private int invalid;

        Batch(String source) {
            this.source = source;
        }

        void accept(OutcomeRow row) {
            rows++;
            if (row.problem() != null) {
                refuse(row.row(), "INVALID", row.problem());
                return;
            }
            Outcome outcome;
            try {
                outcome = outcome(row);
            } catch (ValidationException e) {
                refuse(row.row(), "INVALID", e.getMessage());
                return;
            }
            if (outcome == null) {
                return;
            }
            // Stored, an outcome past the cut-off would label nothing and go at the next purge (in Cosmos DB at once),
            // while the sender was told it was recorded: it is refused, unless it is one already stored (a resend),
            // which the chunk's write looks up. The reason names the cut-off, never the row's id or day.
            String late = outcome.labelsOnlyPredictionsBefore(cutoff) ? (row.predictionId() != null
                    ? "'predictionId' dates its prediction before" : "'indexTime' is on a UTC day that ended by")
                    + " the prediction log's retention cut-off, " + cutoff + " (" + retention.toDays() + " days"
                    + " before the platform's clock, VIGIL_PREDICTION_RETENTION_DAYS): those predictions are"
                    + " removed by retention, so the outcome would label nothing; send outcomes of predictions made"
                    + " since" : null;
            String id = row.predictionId() == null ? null : row.predictionId().toLowerCase(java.util.Locale.ROOT);
            boolean checkable = late == null && id != null && PredictionIds.formOf(id) == PredictionIds.Form.VERSION_7;
            pending.add(new Pending(row.row(), outcome, checkable ? id : null, late));
            if (pending.size() == WRITE_CHUNK) {
                write();
            }
        }

        /**
         * Writes the pending outcomes in one transaction and counts what each became. An outcome past the cut-off is
         * never written: one already stored is a resend like any other (the same value, or a conflict), and one that
         * is not is refused.
         */
        private void write() {
            if (pending.isEmpty()) {
                return;
            }
            List<Pending> chunk = List.copyOf(pending);
            pending.clear();
            Map<ModelName, Set<String>> logged = logged(chunk);
            Map<ModelName, Map<String, Outcome>> storedLate = storedLate(chunk);
            List<Pending> kept = chunk.stream().filter(p -> p.late() == null && (p.loggedId() == null
                    || logged.get(p.outcome().model()).contains(p.loggedId()))).toList();
            List<Optional<Outcome>> earlier = kept.isEmpty() ? List.of()
                    : store.putAllIfAbsent(kept.stream().map(Pending::outcome).toList());
            int next = 0;
            for (Pending p : chunk) {
                if (p.late() != null) {
                    Outcome stored = storedLate.get(p.outcome().model()).get(p.outcome().key());
                    if (stored == null) {
                        refuse(p.row(), "INVALID", p.late());
                    } else if (stored.sameAs(p.outcome())) {
                        already++;
                    } else {
                        refuse(p.row(), "CONFLICT", conflict(stored));
                    }
                    continue;
                }
                if (next == kept.size() || kept.get(next) != p) {
                    refuse(p.row(), "INVALID", "model '" + p.outcome().model().value() + "' has no prediction with"
                            + " this 'predictionId' in its prediction log (an id another model gave, or of a"
                            + " prediction older than the log's retention, has none)" + SEND_AN_ISSUED_ID);
                    continue;
                }
                Optional<Outcome> stored = earlier.get(next++);
                if (stored.isEmpty()) {
                    recorded++;
                } else if (stored.get().sameAs(p.outcome())) {
                    already++;
                } else {
                    refuse(p.row(), "CONFLICT", conflict(stored.get()));
                }
            }
        }

        private String conflict(Outcome stored) {
            return "an outcome with another value was recorded for this prediction on " + stored.recordedAt()
                    + " and is kept; if it was wrong, correct it through your data steward";
        }

        /** The stored outcomes of the chunk's rows past the cut-off, one read per model. */
        private Map<ModelName, Map<String, Outcome>> storedLate(List<Pending> chunk) {
            Map<ModelName, Set<String>> keys = new HashMap<>();
            for (Pending p : chunk) {
                if (p.late() != null) {
                    keys.computeIfAbsent(p.outcome().model(), m -> new LinkedHashSet<>()).add(p.outcome().key());
                }
            }
            Map<ModelName, Map<String, Outcome>> stored = new HashMap<>();
            keys.forEach((model, modelKeys) -> stored.put(model, store.get(model, modelKeys)));
            return stored;
        }

        /**
         * The version 7 ids of the chunk that each model has logged, one batched look-up per model: an id carries
         * its time, so the log finds it without a scan. Older forms (versions 4 and 3) carry no time and are taken
         * on their form alone.
         */
        private Map<ModelName, Set<String>> logged(List<Pending> chunk) {
            Map<ModelName, List<String>> ids = new HashMap<>();
            for (Pending p : chunk) {
                if (p.loggedId() != null) {
                    ids.computeIfAbsent(p.outcome().model(), m -> new ArrayList<>()).add(p.loggedId());
                }
            }
            Map<ModelName, Set<String>> logged = new HashMap<>();
            ids.forEach((model, modelIds) -> logged.put(model, predictions.logged(model, modelIds)));
            return logged;
        }

        /** The outcome to store, or null when the row was refused here. */
        private Outcome outcome(OutcomeRow row) {
            // The reasons go into the signed, append-only audit record of the file or request: a model cell holding
            // another column's value (a record number, MRN0012345, in a file with its columns swapped) must not be
            // kept there, so the cell is described, never repeated.
            if (!ModelName.isValid(row.model())) {
                refuse(row.row(), "INVALID", "the row's model is not a model name (3-63 lower-case letters, digits and"
                        + " hyphens, starting with a letter); check that the model column holds the model's name, not"
                        + " another column's value");
                return null;
            }
            ModelName model = new ModelName(row.model());
            if (!knownModels.computeIfAbsent(row.model(), m -> isRegistered(model))) {
                refuse(row.row(), "INVALID", "the row's model has no registered version; check the row's model name"
                        + " against GET /models (vigil models list), which lists the models outcomes can be sent for");
                return null;
            }
            String key;
            if (row.predictionId() != null) {
                String unissued = unissued(PredictionIds.formOf(row.predictionId()));
                if (unissued != null) {
                    refuse(row.row(), "INVALID", unissued + SEND_AN_ISSUED_ID);
                    return null;
                }
                // Read in any case and kept in lower case, so that one prediction has one outcome key.
                key = Outcome.predictionKey(row.predictionId().toLowerCase(java.util.Locale.ROOT));
            } else {
                // An outcome is of predictions made; one dated after today (a typo of the year, a scheduled date)
                // would label every prediction the patient gets that day, before it is made.
                if (row.indexTime().isAfter(now.plus(INDEX_TIME_SKEW))) {
                    refuse(row.row(), "INVALID", "'indexTime' is in the future: an outcome is of a patient's"
                            + " predictions on the day of indexTime, which must have come (at most a day ahead of the"
                            + " platform's clock, for time zones)");
                    return null;
                }
                key = Outcome.patientDayKey(pseudonymizer.pseudonym(row.patientId()), row.indexTime());
            }
            return new Outcome(model, key, row.positive(), now, source);
        }

        /** Whether the model has a registered version; a model the registry does not know refuses its rows only. */
        private boolean isRegistered(ModelName model) {
            try {
                return !registry.listVersions(model).isEmpty();
            } catch (NotFoundException unknown) {
                return false;
            }
        }

        private void refuse(int row, String kind, String reason) {
            if (!"CONFLICT".equals(kind) && refused.size() < OutcomeReceipt.MAX_LISTED) {
                write();
            }
            if ("CONFLICT".equals(kind)) {
                conflicts++;
            } else {
                invalid++;
            }
            if (refused.size() < OutcomeReceipt.MAX_LISTED) {
                refused.add(new OutcomeReceipt.RowProblem(row, kind, reason));
            }
        }

        /**
         * Writes what is pending and audits the batch: once under {@code auditKey} (a file's, or a request's under
         * its caller and Idempotency-Key), or, when it is null, as a submission of its own. {@code bodySha256} is
         * the request body's digest (null for a file).
         */
        OutcomeReceipt finish(String actor, String subject, String auditKey, String bodySha256) {
            write();
            OutcomeReceipt receipt = new OutcomeReceipt(source, rows, recorded, already, conflicts, invalid, refused);
            Map<String, String> details = new LinkedHashMap<>();
            details.put("source", source);
            details.put("rows", Integer.toString(rows));
            details.put("recorded", Integer.toString(recorded));
            details.put("alreadyRecorded", Integer.toString(already));
            details.put("conflicts", Integer.toString(conflicts));
            details.put("invalid", Integer.toString(invalid));
            if (!refused.isEmpty()) {
                // A file's sender has no answer to read: the record keeps which rows to fix and why (reasons name the
                // field and the rule, never a value), the first REFUSED_ROWS_KEPT of them.
                StringBuilder rowsText = new StringBuilder();
                for (OutcomeReceipt.RowProblem p : refused.subList(0, Math.min(refused.size(), REFUSED_ROWS_KEPT))) {
                    rowsText.append(rowsText.length() == 0 ? "" : "; ").append("row ").append(p.row()).append(" (")
                            .append(p.kind()).append("): ").append(p.reason());
                }
                int named = Math.min(refused.size(), REFUSED_ROWS_KEPT);
                if (conflicts + invalid > named) {
                    rowsText.append("; and ").append(conflicts + invalid - named).append(" more");
                }
                details.put("refusedRows", rowsText.toString());
            }
            if (bodySha256 != null) {
                details.put(BODY_SHA256, bodySha256);
                if (auditKey != null && !refused.isEmpty()) {
                    // What a replay under the key answers: the rows this answer lists, with their reasons.
                    details.put(REFUSED_ANSWER, refusedAnswer(refused));
                }
            }
            String outcome = conflicts + invalid == 0 ? "recorded" : recorded + already == 0 ? "refused" : "partial";
            if (auditKey == null) {
                audit.record(actor, ACTION, subject, outcome, details);
                return receipt;
            }
            AuditRecord once = audit.recordOnce(auditKey, actor, ACTION, subject, outcome, details);
            if (bodySha256 != null && !bodySha256.equals(once.details().get(BODY_SHA256))) {
                // Another body under the same key was recorded meanwhile (by an instance that wrote without
                // claiming the key first): these rows were written, so they are recorded as the submission they were.
                audit.record(actor, ACTION, subject, outcome, details);
            }
            return receipt;
        }
    }

    /**
     * Why a prediction id of this form was never issued by Vigil (the rule, never the id), or null for the forms
     * it issues: version 7, and versions 4 and 3 made before ADR 0014 and still in the log.
     */
    private static String unissued(PredictionIds.Form form) {
        return switch (form) {
            case VERSION_7, EARLIER_VERSION -> null;
            case NOT_A_UUID -> "'predictionId' is not a prediction id (a UUID in the form 8-4-4-4-12 hexadecimal"
                    + " digits)";
            case NIL -> "'predictionId' is the nil UUID (all zeros), which no prediction has";
            case OTHER_VARIANT -> "'predictionId' is not an RFC 9562 UUID (its variant digit, the first of the"
                    + " fourth group, must be 8, 9, a or b), which every prediction id is";
            case OTHER_VERSION -> "'predictionId' is a UUID of a version Vigil never issues prediction ids in"
                    + " (the first digit of the third group must be 7, or 4 or 3 for predictions made before"
                    + " version 7 ids)";
        };
    }

    /** How many refused rows an {@code outcomes.record} audit record names. */
    static final int REFUSED_ROWS_KEPT = 50;

    /**
     * A row's outcome waiting for its chunk's write; {@code loggedId} is its version 7 id, checked against the log;
     * {@code late}, when the outcome is past the retention cut-off, is why it is refused unless it is stored already.
     */
    private record Pending(int row, Outcome outcome, String loggedId, String late) {}
}
