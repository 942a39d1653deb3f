package health.vigil.audit;

import com.fasterxml.jackson.databind.ObjectWriter;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.AuditSigner;
import health.vigil.port.AuditStore;
import health.vigil.port.Telemetry;
import health.vigil.security.Principal;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Takes the audit log out of the database as evidence anyone can check: signed exports of a period (records as
 * JSON Lines plus a digest naming the previous digest, after AWS CloudTrail's digest files) and hourly signed
 * anchors of the chain head, both in the {@code audit-exports} container, which is immutable in Azure. A chain
 * alone cannot show that its tail was cut off or that it was rewritten consistently; the anchors and digests,
 * signed with a key the store's writers do not hold, can.
 *
 * <p>Everything here happens once: records are stored under their own sha256, digests and anchors are
 * created only if absent, so a replayed timer or a repeated request finds its earlier result and writes nothing.
 */
public final class AuditEvidence {
    private static final Logger LOG = Logger.getLogger(AuditEvidence.class.getName());
    /** Attempts to take the next digest number when concurrent exports race for it. */
    static final int MAX_NUMBER_ATTEMPTS = 16;

    private final AuditStore store;
    private final AuditLog log;
    private final ArtifactStore artifacts;
    private final AuditSigner signer;
    private final Clock clock;
    private final Telemetry telemetry;
    /** The idempotency key of a signing key's publication record is this followed by the key's id. */
    private static final String PUBLISHED_KEY_PREFIX = "audit.signing-key.published:";
    /** Who the scheduled export's records name. */
    private static final String SYSTEM = Principal.SYSTEM.id();
    /** How many days before the previous one the scheduled export looks back for days no run signed. */
    static final int CATCH_UP_DAYS = 7;
    /** The action of the record of an export refused, whatever refused it. */
    static final String REFUSED_ACTION = "audit.export.refused";
    /**
     * The {@code problem} of a refusal to sign records whose name in {@code exports/} is taken by other bytes; a
     * refusal for a broken chain names the break's {@link VerificationReport.Problem} instead.
     */
    static final String STORED_FILE_DIFFERS = "STORED_FILE_DIFFERS";

    private final Set<String> publishedKeys = ConcurrentHashMap.newKeySet();

    public AuditEvidence(AuditStore store, AuditLog log, ArtifactStore artifacts, AuditSigner signer, Clock clock) {
        this(store, log, artifacts, signer, clock, Telemetry.NONE);
    }

    /** As above, counting each export that was attempted, exported or failed, in {@code vigil.audit.exports}. */
    public AuditEvidence(AuditStore store, AuditLog log, ArtifactStore artifacts, AuditSigner signer, Clock clock,
            Telemetry telemetry) {
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.store = Objects.requireNonNull(store, "store");
        this.log = Objects.requireNonNull(log, "log");
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.signer = Objects.requireNonNull(signer, "signer");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /**
     * The scheduled export: the previous UTC day, by the system; then, oldest first, each of the
     * {@value #CATCH_UP_DAYS} days before it since the log began that no digest of that day alone closed. A timer
     * does not run again for a day it missed (a run that failed, an app down at 00:15), and a day without a digest
     * read after it ended is held by no verifier to the records it had. The previous day's failure is thrown at once
     * (the next run makes that day up); an earlier day that cannot be exported does not stop the others, and the
     * first such failure is thrown once each was tried.
     */
    public ExportResult exportPreviousDay() {
        LocalDate yesterday = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC).minusDays(1);
        ExportResult result = export(yesterday, yesterday, SYSTEM);
        RuntimeException failed = null;
        for (LocalDate day : unclosedDaysBefore(yesterday)) {
            try {
                export(day, day, SYSTEM);
            } catch (RuntimeException e) {
                if (failed == null) {
                    failed = e;
                } else {
                    failed.addSuppressed(e);
                }
            }
        }
        if (failed != null) {
            throw failed;
        }
        return result;
    }

    /**
     * The days from {@value #CATCH_UP_DAYS} days before {@code yesterday} (not before the log's first day) up to the
     * day before it that no digest of that day alone closed: read {@link AuditLog#MIDNIGHT_RACE} or more after the day
     * ended, as the daily export reads it. Digests are read from the latest back to the first read before those days.
     */
    private List<LocalDate> unclosedDaysBefore(LocalDate yesterday) {
        LocalDate start = yesterday.minusDays(CATCH_UP_DAYS);
        Optional<LocalDate> firstDay = store.partitions().stream().map(EvidenceValues::day).filter(Objects::nonNull)
                .min(LocalDate::compareTo);
        if (firstDay.isEmpty()) {
            return List.of();
        }
        if (firstDay.get().isAfter(start)) {
            start = firstDay.get();
        }
        if (!start.isBefore(yesterday)) {
            return List.of();
        }
        Instant since = start.atStartOfDay(ZoneOffset.UTC).toInstant();
        Set<LocalDate> closed = new java.util.HashSet<>();
        List<String> digests = artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.DIGESTS).stream()
                .map(ArtifactStore.StoredArtifact::name).sorted(java.util.Comparator.reverseOrder()).toList();
        for (String name : digests) {
            Optional<SignedStatement> digest = SignedStatement.parse(read(name));
            Instant readAt = digest.map(d -> EvidenceValues.time(d.field("readAt"))).orElse(null);
            if (readAt == null) {
                continue;
            }
            if (readAt.isBefore(since)) {
                break;
            }
            LocalDate day = EvidenceValues.day(digest.get().field("from"));
            if (day != null && digest.get().field("from").equals(digest.get().field("to"))
                    && LocalDate.ofInstant(readAt.minus(AuditLog.MIDNIGHT_RACE), ZoneOffset.UTC).isAfter(day)) {
                closed.add(day);
            }
        }
        return start.datesUntil(yesterday).filter(day -> !closed.contains(day)).toList();
    }

    /**
     * Exports the records of the UTC days {@code from} to {@code to} with a signed digest, and records the export
     * in the audit log. An export identical to an earlier one (same period, same records) returns the earlier
     * digest and writes nothing.
     */
    public ExportResult export(LocalDate from, LocalDate to, String actor) {
        AuditLog.checkBoundedPeriod(from, to);
        // A signed export of days still to come would say they hold no records; today's holds those so far.
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        if (to.isAfter(today)) {
            throw new ValidationException("the period ends on " + to + ", after today (" + today + ", UTC): an export"
                    + " holds days that have begun; end the period today or earlier");
        }
        Objects.requireNonNull(actor, "actor");
        // A period refused before anything is read is the caller's mistake, not an export that failed.
        try {
            ExportResult result = exportChecked(from, to, actor);
            telemetry.auditExport("exported");
            return result;
        } catch (RuntimeException e) {
            telemetry.auditExport("failed");
            throw e;
        }
    }

    private ExportResult exportChecked(LocalDate from, LocalDate to, String actor) {
        // Every record that existed at readAt is exported; a verifier holds the export to anchors made before it.
        Instant readAt = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        // The head is read before the records, so a head inside the period is always among the exported records.
        Optional<AuditRecord> head = chainHead();
        // Any digest of these records is signed after this one, even when digests of other periods come between.
        Optional<String> digestBefore = latest(EvidenceLayout.DIGESTS);
        Path temp = null;
        try {
            temp = Files.createTempFile("vigil-audit-export-", ".jsonl");
            AuditLog.ChainWalk walk = log.walk(from);
            Written written = writeRecords(from, to, temp, walk);
            // A record after the period that existed before its records were read chains to the last of them: records
            // cut off the end of the period before the read show there, and in the period's own chain they do not.
            VerificationReport.Break broken = written.broken != null ? written.broken
                    : walk.following(to.toString(), head.orElse(null));
            if (broken != null) {
                throw refused(from, to, actor, broken);
            }
            requireNoContradiction(from, to, actor, temp, walk, readAt);
            String recordsName = EvidenceLayout.EXPORTS + from + "_" + to + "-" + written.sha256.substring(0, 16) + ".jsonl";
            try (InputStream in = Files.newInputStream(temp)) {
                artifacts.put(ArtifactStore.AUDIT_EXPORTS, recordsName, in, false);
            } catch (ConflictException alreadyStored) {
                Optional<ExportResult> earlier = findDigestOf(recordsName, written, "");
                if (earlier.isPresent()) {
                    // Its record exists, so nothing is written; unless the earlier export stopped before it.
                    recordExport(from, to, recordsName, written, earlier.get(), actor);
                    return earlier.get();
                }
                // The records were stored by an export that stopped before its digest: finish it, once the stored
                // file is shown to be these records. Its name holds only the start of their sha256, and a digest signs
                // the sha256 of what this export read, not of what is stored.
                requireStoredAsWritten(from, to, recordsName, written, actor);
            }
            ExportResult result = writeDigest(from, to, recordsName, written, head, readAt, actor, digestBefore);
            recordExport(from, to, recordsName, written, result, actor);
            return result;
        } catch (IOException e) {
            throw new StoreException("cannot stage the audit export of " + from + " to " + to + " in the temporary"
                    + " folder: check that it is writable and has space", e);
        } finally {
            deleteQuietly(temp);
        }
    }

    /**
     * Refuses to sign records that contradict the anchors and digests already in {@code audit-exports}: the period's
     * records and the day before it, which its first record chains to, are checked as the store check checks them
     * ({@link #verifyStore}), trusting the published keys. A log rewritten consistently after a day was signed has a
     * whole hash chain, so only the signed evidence shows it. Recorded in the audit log once per period, day and
     * statement. Evidence that does not verify itself (or a day before the period whose own records do not) cannot be
     * compared with: that is logged, and the export signed as before (the store check and the verifiers report it).
     */
    private void requireNoContradiction(LocalDate from, LocalDate to, String actor, Path records,
            AuditLog.ChainWalk walk, Instant readAt) throws IOException {
        List<AuditRecord> dayBefore = walk.dayBefore();
        ByteArrayOutputStream before = new ByteArrayOutputStream();
        var writer = Json.mapper().writer();
        for (AuditRecord record : dayBefore) {
            writeLine(before, writer, record);
        }
        LocalDate checkedFrom = dayBefore.isEmpty() ? from : LocalDate.parse(dayBefore.get(0).partition());
        EvidenceVerifier.RecordsCheck check;
        try (InputStream in = new SequenceInputStream(new ByteArrayInputStream(before.toByteArray()),
                Files.newInputStream(records))) {
            check = new EvidenceVerifier(publishedKeys()).checkRecords(EvidenceFiles.container(artifacts), in,
                    checkedFrom, to, readAt);
        }
        EvidenceReport.Problem problem = check.report().firstProblem();
        if (problem == null) {
            return;
        }
        if (!check.contradicts()) {
            LOG.warning("the export of " + from + " to " + to + " could not be compared with the signed evidence in "
                    + ArtifactStore.AUDIT_EXPORTS + " (" + problem.kind() + " in " + problem.file() + ") and is signed"
                    + " as its chain allows; GET /audit/evidence/verify reports the same: follow"
                    + " docs/runbooks/failed-verification.md");
            return;
        }
        String which = check.day().compareTo(from.toString()) < 0
                ? "before the period, whose first record chains to the latest day before it" : "in the period";
        ConflictException refusal = new ConflictException(ErrorCode.AUDIT_CHAIN_BROKEN, "the audit records of "
                + check.day() + " (" + which + ") contradict " + ArtifactStore.AUDIT_EXPORTS + "/" + check.statement()
                + ", signed earlier, so the export of " + from + " to " + to + " was not written or signed ("
                + problem.kind() + ": " + problem.message() + "): the log was changed after that evidence was signed;"
                + " treat it as a security incident and follow the failed-verification runbook"
                + " (docs/runbooks/failed-verification.md); GET /audit/evidence/verify?from=" + check.day() + "&to="
                + check.day() + " shows the same");
        LOG.severe("the audit export of " + from + " to " + to + " was refused: the records of " + check.day()
                + " contradict " + ArtifactStore.AUDIT_EXPORTS + "/" + check.statement() + " (" + problem.kind()
                + "); nothing was signed");
        Map<String, String> details = new LinkedHashMap<>();
        details.put("from", from.toString());
        details.put("to", to.toString());
        details.put("problem", problem.kind().name());
        details.put("day", check.day());
        details.put("evidence", check.statement());
        try {
            log.recordOnce(REFUSED_ACTION + ":" + from + ".." + to + ":" + check.day() + ":" + check.statement() + ":"
                    + problem.kind(), actor, REFUSED_ACTION, ArtifactStore.AUDIT_EXPORTS + "/" + from + ".." + to,
                    "refused", details);
        } catch (VigilException logRefusedTheRecord) {
            refusal.addSuppressed(logRefusedTheRecord);
        }
        throw refusal;
    }

    /**
     * Refuses to sign records whose name is taken by a stored file of other content that no digest names: it was not
     * written by an export of these records (a sha256 prefix shared by chance is 1 in 2^64), and a digest signed over
     * it would attest bytes the container does not hold. The refusal is recorded in the audit log once per stored file
     * and records read, so the daily timer meeting the same file again adds nothing.
     */
    private void requireStoredAsWritten(LocalDate from, LocalDate to, String recordsName, Written written,
            String actor) {
        String stored = storedSha256(recordsName);
        if (written.sha256.equals(stored)) {
            return;
        }
        VigilException refusal = new VigilException(ErrorCode.INTEGRITY_FAILURE, ArtifactStore.AUDIT_EXPORTS + "/"
                + recordsName + " is already stored, named by no digest, and is not the records of " + from + " to "
                + to + " read now (its sha256 starts " + stored.substring(0, 16) + ", theirs "
                + written.sha256.substring(0, 16) + "), so nothing was signed: Vigil's exports do not write such a"
                + " file; keep it as evidence and follow the failed-verification runbook"
                + " (docs/runbooks/failed-verification.md)");
        Map<String, String> details = new LinkedHashMap<>();
        details.put("from", from.toString());
        details.put("to", to.toString());
        details.put("problem", STORED_FILE_DIFFERS);
        details.put("file", recordsName);
        details.put("storedSha256", stored);
        details.put("sha256", written.sha256);
        try {
            log.recordOnce(REFUSED_ACTION + ":" + recordsName + ":" + stored, actor, REFUSED_ACTION,
                    ArtifactStore.AUDIT_EXPORTS + "/" + from + ".." + to, "refused", details);
        } catch (VigilException logRefusedTheRecord) {
            refusal.addSuppressed(logRefusedTheRecord);
        }
        throw refusal;
    }

    /**
     * The sha256 of a stored file: the store's own when it computes it from the bytes, otherwise read back (in Blob
     * Storage whoever writes a blob can set the value describe returns).
     */
    private String storedSha256(String name) {
        if (artifacts.computesItsOwnSha256()) {
            Optional<String> described = artifacts.describe(ArtifactStore.AUDIT_EXPORTS, name)
                    .map(ArtifactStore.StoredArtifact::sha256);
            if (described.isPresent()) {
                return described.get();
            }
        }
        return sha256Of(name);
    }

    /**
     * The export's audit record, once per exported file: keyed on the records' name (which holds their sha256),
     * so two exports of the same records that ran at once, or one finished after a crash, leave one record.
     */
    private void recordExport(LocalDate from, LocalDate to, String recordsName, Written written, ExportResult result,
            String actor) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("from", from.toString());
        details.put("to", to.toString());
        details.put("records", Long.toString(written.count));
        details.put("sha256", written.sha256);
        details.put("keyId", result.keyId());
        log.recordOnce("audit.exported:" + recordsName, actor, "audit.exported",
                ArtifactStore.AUDIT_EXPORTS + "/" + result.digest(), "exported", details);
    }

    /**
     * The refusal to sign a period whose chain is broken, recorded in the audit log when the log still takes
     * records: what a digest signs must be what the chain vouches for. Recorded once per period and break, so the
     * scheduled export trying a broken day again adds nothing.
     */
    private ConflictException refused(LocalDate from, LocalDate to, String actor, VerificationReport.Break broken) {
        String at = EvidenceLayout.recordRef(broken.partition(), broken.sequence());
        ConflictException refusal = new ConflictException(ErrorCode.AUDIT_CHAIN_BROKEN, "the audit chain of " + from
                + " to " + to + " is broken at record " + at + " (" + broken.problem() + ": " + broken.message()
                + "), so it was not exported or signed: treat it as a security incident and follow the"
                + " failed-verification runbook (docs/runbooks/failed-verification.md); GET /audit/verify shows the"
                + " same break");
        Map<String, String> details = new LinkedHashMap<>();
        details.put("from", from.toString());
        details.put("to", to.toString());
        details.put("brokenAt", at);
        details.put("problem", broken.problem().name());
        try {
            log.recordOnce(REFUSED_ACTION + ":" + from + ".." + to + ":" + at + ":" + broken.problem(), actor,
                    REFUSED_ACTION, ArtifactStore.AUDIT_EXPORTS + "/" + from + ".." + to, "refused", details);
        } catch (VigilException logRefusedTheRecord) {
            refusal.addSuppressed(logRefusedTheRecord);
        }
        return refusal;
    }

    private static void deleteQuietly(Path temp) {
        if (temp != null) {
            try {
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // a leftover temporary file is removed with the temporary folder
            }
        }
    }

    /**
     * Signs the current chain head and stores it as this hour's anchor; empty when this hour already has one
     * (the timer fired twice, or another instance was first).
     */
    public Optional<String> anchor() {
        if (artifacts.describe(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.anchorName(
                clock.instant().truncatedTo(ChronoUnit.HOURS))).isPresent()) {
            return Optional.empty();
        }
        Optional<AuditRecord> head = chainHead();
        // Taken after the head was read: whatever an export read later than this time holds the head.
        Instant anchoredAt = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        // Named for the hour it is signed in, which a verifier checks: a head read past the hour anchors the next one.
        Instant hour = anchoredAt.truncatedTo(ChronoUnit.HOURS);
        String name = EvidenceLayout.anchorName(hour);
        String previous = previousAnchor(hour, name);
        Map<String, String> fields = new LinkedHashMap<>();
        fields.put("format", EvidenceLayout.ANCHOR_FORMAT);
        fields.put("hour", EvidenceLayout.HOUR.format(hour));
        fields.put("chainHeadRecord", head.map(r -> EvidenceLayout.recordRef(r.partition(), r.sequence())).orElse(""));
        fields.put("chainHeadHash", head.map(AuditRecord::hash).orElse(""));
        fields.put("chainHeadTime", head.map(r -> r.time().toString()).orElse(""));
        fields.put("previousAnchor", previous == null ? "" : previous);
        fields.put("previousAnchorSha256", previous == null ? "" : sha256Of(previous));
        fields.put("anchoredAt", anchoredAt.toString());
        SignedStatement anchor = SignedStatement.sign(fields, publishingSigner());
        try {
            artifacts.put(ArtifactStore.AUDIT_EXPORTS, name, new ByteArrayInputStream(anchor.toJson(
                    EvidenceLayout.ANCHOR_ORDER)), false);
            return Optional.of(name);
        } catch (ConflictException anotherInstanceWasFirst) {
            return Optional.empty();
        }
    }

    /**
     * Checks the live store's records of the UTC days {@code from} to {@code to} against the signed anchors and
     * digests in {@code audit-exports}, trusting {@code trustedKeys}: a store cut short or rewritten after they were
     * signed fails here even when its own hash chain is consistent. Writes nothing.
     */
    public EvidenceReport verifyStore(LocalDate from, LocalDate to, java.util.Collection<java.security.PublicKey> trustedKeys) {
        AuditLog.checkPeriod(from, to);
        Instant readAt = clock.instant().truncatedTo(ChronoUnit.MILLIS);
        Path temp = null;
        try {
            temp = Files.createTempFile("vigil-audit-verify-", ".jsonl");
            writeRecords(from, to, temp, null);
            try (InputStream in = Files.newInputStream(temp)) {
                return new EvidenceVerifier(trustedKeys).verifyRecords(EvidenceFiles.container(artifacts), in, from, to,
                        readAt);
            }
        } catch (IOException e) {
            throw new StoreException("cannot stage the audit records of " + from + " to " + to + " for verification"
                    + " in the temporary folder: check that it is writable and has space", e);
        } finally {
            deleteQuietly(temp);
        }
    }

    /** The public keys published in {@code audit-exports/keys/}. */
    public List<java.security.PublicKey> publishedKeys() {
        List<java.security.PublicKey> keys = new java.util.ArrayList<>();
        for (var key : artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.KEYS)) {
            SigningKeys.fromPem(new String(read(key.name()), java.nio.charset.StandardCharsets.US_ASCII))
                    .ifPresent(keys::add);
        }
        return keys;
    }

    /**
     * The names an auditor needs beside an export's records to verify it on their own: the exports its first record's
     * link needs ({@link #linkedExports}, usually none), every digest up to {@code digest}, every anchor and every
     * public key. Names are relative to the container.
     */
    public List<String> evidenceFor(ExportResult export) {
        List<String> names = new java.util.ArrayList<>();
        names.add(export.records());
        List<String> digests = artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.DIGESTS).stream()
                .map(ArtifactStore.StoredArtifact::name).filter(n -> n.compareTo(export.digest()) <= 0).sorted()
                .toList();
        names.addAll(linkedExports(export.digest(), digests));
        names.addAll(digests);
        for (String prefix : List.of(EvidenceLayout.ANCHORS, EvidenceLayout.KEYS)) {
            artifacts.list(ArtifactStore.AUDIT_EXPORTS, prefix).stream().map(ArtifactStore.StoredArtifact::name)
                    .sorted().forEach(names::add);
        }
        return names;
    }

    /**
     * The exports a verifier needs to see what the first record of {@code digest}'s export chains to. A digest that
     * read the day before whole and names the record chained to as that day's last shows the link itself; when none
     * does (a write racing midnight landed in that day after the record chained to), only the export of such a digest
     * shows it, and so on back for that export's own first record. Each digest is one of {@code digests}.
     */
    private List<String> linkedExports(String digest, List<String> digests) {
        List<SignedStatement> signed = new java.util.ArrayList<>();
        for (String name : digests) {
            SignedStatement.parse(read(name)).ifPresent(signed::add);
        }
        List<String> linked = new java.util.ArrayList<>();
        Optional<SignedStatement> current = SignedStatement.parse(read(digest));
        while (current.isPresent()) {
            String from = current.get().field("from");
            Optional<AuditRecord> first = firstRecordOf(current.get().field("records"));
            if (first.isEmpty() || !first.get().partition().equals(from)) {
                break;
            }
            String dayBefore = LocalDate.parse(from).minusDays(1).toString();
            SignedStatement holder = null;
            boolean shown = false;
            for (SignedStatement other : signed) {
                String named = EvidenceVerifier.closes(other, dayBefore)
                        ? EvidenceVerifier.lastRecordHashOf(other, dayBefore) : null;
                if (named == null) {
                    continue; // it did not read the day whole, or says the day had no records
                }
                // The day's last record it names (its last record's day, or any day of its dayLastRecords).
                shown |= !named.isEmpty() && named.equals(first.get().previousHash());
                holder = other;
            }
            if (shown || holder == null || linked.contains(holder.field("records"))) {
                break;
            }
            linked.add(holder.field("records"));
            current = Optional.of(holder);
        }
        return linked;
    }

    /** The first record of the export {@code records}, empty when it holds none. */
    private Optional<AuditRecord> firstRecordOf(String records) {
        try (java.io.BufferedReader in = new java.io.BufferedReader(new java.io.InputStreamReader(
                artifacts.open(ArtifactStore.AUDIT_EXPORTS, records), java.nio.charset.StandardCharsets.UTF_8))) {
            String line = in.readLine();
            return line == null || line.isEmpty() ? Optional.empty()
                    : Optional.of(Json.read("an exported audit record", line, AuditRecord.class));
        } catch (IOException e) {
            throw new StoreException("cannot read " + ArtifactStore.AUDIT_EXPORTS + "/" + records, e);
        }
    }

    /**
     * The ids of the keys that signed the digests and anchors among {@code evidence} (names as {@link #evidenceFor}
     * gives them), in the order they first sign: every key a verifier of that evidence needs, the ones before a
     * rotation too.
     */
    public List<String> signingKeysOf(List<String> evidence) {
        java.util.Set<String> keyIds = new java.util.LinkedHashSet<>();
        for (String name : evidence) {
            if (name.startsWith(EvidenceLayout.DIGESTS) || name.startsWith(EvidenceLayout.ANCHORS)) {
                SignedStatement.parse(read(name)).map(SignedStatement::keyId).ifPresent(keyIds::add);
            }
        }
        return List.copyOf(keyIds);
    }

    /** The latest record of the whole log, if there is one (a day listed without records is passed over). */
    Optional<AuditRecord> chainHead() {
        return AuditLog.lastRecordBefore(store, null);
    }

    /**
     * What was written: how many records, their sha256, the first and last, the last of each day with records; or
     * where the chain broke.
     */
    private record Written(long count, String sha256, AuditRecord first, AuditRecord last,
            List<AuditRecord> dayLasts, VerificationReport.Break broken) {}

    /**
     * Writes the records of {@code from} to {@code to} to {@code file}, day by day. With {@code chain}, each day is
     * checked before it is written, and the first break stops the writing and is returned.
     */
    private Written writeRecords(LocalDate from, LocalDate to, Path file, AuditLog.ChainWalk chain) throws IOException {
        if (chain != null && chain.start() != null) {
            return new Written(0, "", null, null, List.of(), chain.start());
        }
        MessageDigest digest = Sha256.newDigest();
        long count = 0;
        AuditRecord first = null;
        AuditRecord last = null;
        List<AuditRecord> dayLasts = new ArrayList<>();
        String firstDay = from.toString();
        String lastDay = to.toString();
        List<String> partitions = store.partitions().stream()
                .filter(p -> p.compareTo(firstDay) >= 0 && p.compareTo(lastDay) <= 0).sorted().toList();
        try (OutputStream out = new DigestOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16),
                digest)) {
            var writer = Json.mapper().writer();
            for (String partition : partitions) {
                // One partition (a day) in memory at a time, and the day before it while the chain is checked.
                List<AuditRecord> records;
                if (chain == null) {
                    records = store.read(partition);
                } else {
                    AuditLog.PartitionRead read = log.readForVerification(partition);
                    VerificationReport.Break broken = chain.day(partition, read);
                    if (broken != null) {
                        return new Written(count, "", first, last, dayLasts, broken);
                    }
                    records = read.records();
                }
                for (AuditRecord record : records) {
                    writeLine(out, writer, record);
                    if (first == null) {
                        first = record;
                    }
                    last = record;
                    count++;
                }
                if (!records.isEmpty()) {
                    dayLasts.add(last);
                }
            }
        }
        return new Written(count, Sha256.hex(digest), first, last, dayLasts, null);
    }

    /** One record as a line of an export: its JSON, then LF. */
    private static void writeLine(OutputStream out, ObjectWriter writer, AuditRecord record) throws IOException {
        out.write(writer.writeValueAsBytes(record));
        out.write('\n');
    }

    private ExportResult writeDigest(LocalDate from, LocalDate to, String recordsName, Written written,
            Optional<AuditRecord> head, Instant readAt, String actor, Optional<String> digestBefore) {
        for (int attempt = 1; attempt <= MAX_NUMBER_ATTEMPTS; attempt++) {
            Optional<String> previous = latest(EvidenceLayout.DIGESTS);
            // The same export running on another instance (the daily timer fires on each) may have signed these very
            // records since they were stored: its digest is this export's, and a second one would sign them twice.
            // Exports of other periods may have been signed after it, so every digest since the records were stored
            // is looked at, not only the latest.
            Optional<ExportResult> signedConcurrently = findDigestOf(recordsName, written, digestBefore.orElse(""));
            if (signedConcurrently.isPresent()) {
                return signedConcurrently.get();
            }
            long number = previous.map(AuditEvidence::numberOf).orElse(0L) + 1;
            Map<String, String> fields = new LinkedHashMap<>();
            fields.put("format", EvidenceLayout.DIGEST_FORMAT);
            fields.put("number", Long.toString(number));
            fields.put("from", from.toString());
            fields.put("to", to.toString());
            fields.put("records", recordsName);
            fields.put("sha256", written.sha256);
            fields.put("count", Long.toString(written.count));
            fields.put("firstRecord", ref(written.first));
            fields.put("firstRecordHash", written.first == null ? "" : written.first.hash());
            fields.put("lastRecord", ref(written.last));
            fields.put("lastRecordHash", written.last == null ? "" : written.last.hash());
            if (from.isBefore(to)) {
                // Each day's count, which the first and last records give only for a single day: of the days between,
                // the count would be a total that records added later to one day could make up for another's.
                fields.put("dayLastRecords", dayLastRecords(written.dayLasts));
            }
            fields.put("chainHeadRecord", ref(head.orElse(null)));
            fields.put("chainHeadHash", head.map(AuditRecord::hash).orElse(""));
            fields.put("previousDigest", previous.orElse(""));
            fields.put("previousDigestSha256", previous.map(this::sha256Of).orElse(""));
            // Anchors are chained from the first only: without digests naming one, all of them removed would not show.
            latestAnchor().ifPresent(anchor -> {
                fields.put("latestAnchor", anchor);
                fields.put("latestAnchorSha256", sha256Of(anchor));
            });
            fields.put("readAt", readAt.toString());
            // Never before readAt, which a verifier checks, even when the clock stepped back while the records were read.
            Instant exportedAt = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            fields.put("exportedAt", (exportedAt.isBefore(readAt) ? readAt : exportedAt).toString());
            fields.put("exportedBy", actor);
            SignedStatement digest = SignedStatement.sign(fields, publishingSigner());
            String name = EvidenceLayout.digestName(number);
            try {
                artifacts.put(ArtifactStore.AUDIT_EXPORTS, name,
                        new ByteArrayInputStream(digest.toJson(EvidenceLayout.DIGEST_ORDER)), false);
                return new ExportResult(name, recordsName, written.count, written.sha256, digest.keyId(), true);
            } catch (ConflictException takenByAConcurrentExport) {
                // re-read the latest digest and chain to it
            }
        }
        throw new VigilException(health.vigil.error.ErrorCode.STORE_UNAVAILABLE, "concurrent exports kept taking the"
                + " next digest number " + MAX_NUMBER_ATTEMPTS + " times; retry the export");
    }

    /** The latest digest after {@code after} (a digest's name, or "" for all of them) that signs these records. */
    private Optional<ExportResult> findDigestOf(String recordsName, Written written, String after) {
        List<String> digests = artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.DIGESTS).stream()
                .map(ArtifactStore.StoredArtifact::name).filter(name -> name.compareTo(after) > 0)
                .sorted(java.util.Comparator.reverseOrder()).toList();
        for (String name : digests) {
            Optional<ExportResult> found = digestOf(name, recordsName, written);
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /** The digest stored as {@code name} when it signs these records, as an export that wrote nothing. */
    private Optional<ExportResult> digestOf(String name, String recordsName, Written written) {
        return SignedStatement.parse(read(name))
                .filter(digest -> recordsName.equals(digest.field("records"))
                        && written.sha256.equals(digest.field("sha256")))
                .map(digest -> new ExportResult(name, recordsName, written.count, written.sha256, digest.keyId(),
                        false));
    }

    private String previousAnchor(Instant hour, String name) {
        String hourBefore = EvidenceLayout.anchorName(hour.minus(1, ChronoUnit.HOURS));
        if (artifacts.describe(ArtifactStore.AUDIT_EXPORTS, hourBefore).isPresent()) {
            return hourBefore;
        }
        return artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.ANCHORS).stream()
                .map(ArtifactStore.StoredArtifact::name).filter(n -> n.compareTo(name) < 0)
                .max(String::compareTo).orElse(null);
    }

    /** The latest anchor signed, if any: this hour's or the one before (two point reads), else found by listing. */
    private Optional<String> latestAnchor() {
        Instant hour = clock.instant().truncatedTo(ChronoUnit.HOURS);
        for (Instant candidate : List.of(hour, hour.minus(1, ChronoUnit.HOURS))) {
            String name = EvidenceLayout.anchorName(candidate);
            if (artifacts.describe(ArtifactStore.AUDIT_EXPORTS, name).isPresent()) {
                return Optional.of(name);
            }
        }
        return latest(EvidenceLayout.ANCHORS);
    }

    private Optional<String> latest(String prefix) {
        return artifacts.list(ArtifactStore.AUDIT_EXPORTS, prefix).stream().map(ArtifactStore.StoredArtifact::name)
                .max(String::compareTo);
    }

    /** Signs and, the first time a key is seen, publishes its public key and records that in the audit log. */
    private AuditSigner publishingSigner() {
        return data -> {
            AuditSigner.Signature signature = signer.sign(data);
            publish(signature.publicKeyDer());
            return signature;
        };
    }

    /**
     * Stores the key's PEM if absent, then records its publication once per key. Storing and recording are two
     * writes: a process that stopped between them leaves the record to the next one that signs with the key, and
     * instances that meet the key together record it once.
     */
    private void publish(byte[] publicKeyDer) {
        String keyId = SigningKeys.keyId(publicKeyDer);
        if (publishedKeys.contains(keyId)) {
            return;
        }
        String name = EvidenceLayout.keyName(keyId);
        if (artifacts.describe(ArtifactStore.AUDIT_EXPORTS, name).isEmpty()) {
            try {
                artifacts.put(ArtifactStore.AUDIT_EXPORTS, name, new ByteArrayInputStream(
                        SigningKeys.pem(publicKeyDer).getBytes(java.nio.charset.StandardCharsets.US_ASCII)), false);
            } catch (ConflictException publishedConcurrently) {
                // another instance stored the same key
            }
        }
        // A key signs for the first time: after a rotation, or when evidence starts.
        log.recordOnce(PUBLISHED_KEY_PREFIX + keyId, SYSTEM, "audit.signing-key.published",
                ArtifactStore.AUDIT_EXPORTS + "/" + name, "published", Map.of("keyId", keyId));
        publishedKeys.add(keyId);
    }

    private String sha256Of(String name) {
        try (InputStream in = artifacts.open(ArtifactStore.AUDIT_EXPORTS, name)) {
            return Sha256.hex(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private byte[] read(String name) {
        try (InputStream in = artifacts.open(ArtifactStore.AUDIT_EXPORTS, name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new StoreException("cannot read " + ArtifactStore.AUDIT_EXPORTS + "/" + name, e);
        }
    }

    private static long numberOf(String digestName) {
        String digits = digestName.substring(EvidenceLayout.DIGESTS.length(), digestName.length() - ".json".length());
        try {
            return Long.parseLong(digits);
        } catch (NumberFormatException e) {
            throw new StoreException("the audit-exports container holds " + digestName + ", which is not a digest"
                    + " Vigil wrote; digests are named digests/NNNNNNNN.json. Investigate who wrote it"
                    + " (docs/runbooks/failed-verification.md)", null);
        }
    }

    /** The last record of each day, as {@code day#sequence:hash}, separated by commas. */
    private static String dayLastRecords(List<AuditRecord> dayLasts) {
        return String.join(",", dayLasts.stream().map(r -> ref(r) + ":" + r.hash()).toList());
    }

    private static String ref(AuditRecord record) {
        return record == null ? "" : EvidenceLayout.recordRef(record.partition(), record.sequence());
    }
}
