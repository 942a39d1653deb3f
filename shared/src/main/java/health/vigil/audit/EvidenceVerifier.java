package health.vigil.audit;

import health.vigil.audit.EvidenceReport.Kind;
import health.vigil.audit.EvidenceReport.Problem;
import health.vigil.hash.Sha256;
import health.vigil.model.AuditRecord;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Verifies audit evidence with nothing but its files and the public keys the verifier trusts: every anchor's
 * and digest's signature and link to the one before, every exported record's hash, its link and sequence, each
 * export against its digest, and every export against the anchors and digests signed before it was read (a
 * record they name must be present and unchanged, so a cut-off tail or a consistently rewritten log shows), and
 * that no digest attests records of the exports' days that none of them holds ({@link ExportCoverage}).
 * Stops at the first problem and names the file, the line and what is wrong. Streams exports line by line, so
 * memory does not grow with their size.
 */
public final class EvidenceVerifier {
    /** How many of the previous day's hashes the first record of a day may chain to (a write racing midnight). */
    static final int PREVIOUS_DAY_HASHES = 4096;
    /** What a problem of the store check names as its file: the records read from the live store, not a file. */
    static final String STORE = "the audit store";
    /** The digest field naming the last record of each day of its period with records. */
    static final String DAY_LAST_RECORDS = "dayLastRecords";
    /** The largest statement read (anchors, digests and key records are a few hundred bytes of JSON). */
    static final int MAX_STATEMENT_BYTES = 1 << 20;
    /** The form of an export's name in a digest (its segments are not {@code .} or {@code ..} either). */
    private static final Pattern EXPORT_NAME = Pattern.compile("exports/[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*");

    private final Map<String, PublicKey> trusted = new LinkedHashMap<>();

    public EvidenceVerifier(Collection<PublicKey> trustedKeys) {
        trustedKeys.forEach(key -> trusted.put(SigningKeys.keyId(key), key));
    }

    /** A signed statement's claim about one record, and when the claim was made. */
    private record Witness(String partition, long sequence, String hash, Instant time, String source) {}

    private static final class Failed extends RuntimeException {
        final Problem problem;
        /** For records that contradict a signed statement: the day of the record, and the statement; else null. */
        final String day;
        final String statement;

        Failed(Kind kind, String file, long line, String message) {
            this(kind, file, line, message, null, null);
        }

        Failed(Kind kind, String file, long line, String message, String day, String statement) {
            super(message, null, false, false);
            this.problem = new Problem(kind, file, line, message);
            this.day = day;
            this.statement = statement;
        }
    }

    /**
     * What checking records against signed evidence found: the report, and when a record contradicts a signed
     * statement (or is named by one and missing), that record's day and the statement; both null otherwise.
     */
    record RecordsCheck(EvidenceReport report, String day, String statement) {
        /** Whether the records contradict a statement that verified: the log changed after it was signed. */
        boolean contradicts() {
            return statement != null;
        }
    }

    /**
     * How many records a digest says a day of its period had when its export read it ({@code readAt}), for the days
     * it closes: those that had ended by then, with time left for a write racing midnight to land
     * ({@link AuditLog#MIDNIGHT_RACE}). Every record of such a day existed then, so a record of the day beyond that
     * number, in a later export or in the store, was appended to the day after it had been exported. Days are compared
     * as the text {@code yyyy-MM-dd}; {@code firstDay} and {@code lastDay} are null when the digest names no record.
     * {@code dayCounts} holds the last sequence of each day it names in {@code dayLastRecords}, null without the field.
     */
    private record Closure(String from, String closedThrough, String firstDay, String lastDay, long lastSequence,
            Map<String, Long> dayCounts, Instant time, String source, String readAt) {
        /** The records the digest says {@code day} had: -1 when it does not close the day, or does not say. */
        long recordsOf(String day) {
            if (day.compareTo(from) < 0 || day.compareTo(closedThrough) > 0) {
                return -1;
            }
            if (dayCounts != null) {
                // It names the last record of each day with records: a day it does not name had none.
                return dayCounts.getOrDefault(day, 0L);
            }
            if (lastDay == null || day.compareTo(lastDay) > 0) {
                return 0;
            }
            if (day.equals(lastDay)) {
                return lastSequence;
            }
            // Of the first record's day and the days up to the last one's, it gives only the total count.
            return firstDay != null && day.compareTo(firstDay) < 0 ? 0 : -1;
        }
    }

    /** The signed statements of some evidence, checked, the records they vouch for and the days they closed. */
    private record Statements(List<SignedStatement> anchors, List<SignedStatement> digests,
            Map<String, TreeMap<Long, List<Witness>>> witnesses, List<Closure> closures) {}

    private Statements statements(EvidenceFiles files) throws IOException {
        if (trusted.isEmpty()) {
            // Named by the first signed statement that cannot be checked, if there is one: evidence whose keys are
            // gone is not evidence that was never signed.
            List<String> unchecked = signedStatements(files);
            throw new Failed(Kind.NO_TRUSTED_KEY, unchecked.isEmpty() ? EvidenceLayout.KEYS : unchecked.get(0), 0,
                    "no trusted public key" + (unchecked.isEmpty() ? "" : " to check the " + unchecked.size()
                    + " signed statements here") + ": give the public key(s) published with the exports, obtained"
                    + " from a source you trust");
        }
        Map<String, TreeMap<Long, List<Witness>>> witnesses = new HashMap<>();
        List<Closure> closures = new ArrayList<>();
        Map<String, String> anchorSha256s = new HashMap<>();
        List<SignedStatement> anchors = chain(files, EvidenceLayout.ANCHORS, EvidenceLayout.ANCHOR_FORMAT,
                "previousAnchor", "previousAnchorSha256", anchorSha256s);
        for (SignedStatement anchor : anchors) {
            String name = nameOf(anchor);
            addWitness(witnesses, name, anchor.field("chainHeadRecord"), anchor.field("chainHeadHash"),
                    anchoredAt(anchor, name));
        }
        List<SignedStatement> digests = chain(files, EvidenceLayout.DIGESTS, EvidenceLayout.DIGEST_FORMAT,
                "previousDigest", "previousDigestSha256", new HashMap<>());
        for (SignedStatement digest : digests) {
            String name = nameOf(digest);
            Instant exportedAt = exportedAt(digest, name);
            period(digest, name);
            exportName(digest, name);
            addWitness(witnesses, name, digest.field("firstRecord"), digest.field("firstRecordHash"), exportedAt);
            addWitness(witnesses, name, digest.field("lastRecord"), digest.field("lastRecordHash"), exportedAt);
            addWitness(witnesses, name, digest.field("chainHeadRecord"), digest.field("chainHeadHash"), exportedAt);
            List<DayLast> dayLasts = dayLastRecords(digest, name);
            if (dayLasts != null) {
                dayLasts.forEach(d -> addWitness(witnesses, name, d.ref(), d.hash(), exportedAt));
            }
            checkLatestAnchor(digest, name, anchorSha256s);
            addClosure(closures, digest, name, exportedAt, dayLasts);
        }
        return new Statements(anchors, digests, witnesses, closures);
    }

    /**
     * The last day a read begun at {@code readAt} had whole, as {@code yyyy-MM-dd}: the day before the one it began in,
     * once {@link AuditLog#MIDNIGHT_RACE} is left for a write racing midnight to land. Empty when that is before the
     * format's first day (a read in the first minutes of 0001-01-02 or earlier): it had no day whole, and the empty
     * text sorts before every day.
     */
    private static String closedThrough(Instant readAt) {
        String before = dayBefore(LocalDate.ofInstant(readAt.minus(AuditLog.MIDNIGHT_RACE), ZoneOffset.UTC));
        return before == null ? "" : before;
    }

    /**
     * The day before {@code day}, as {@code yyyy-MM-dd}; null when it is not a day of the format, whose days start at
     * 0001-01-01 ({@code LocalDate} would give the year 0000, which the reference verifier cannot write).
     */
    private static String dayBefore(LocalDate day) {
        LocalDate before = day.minusDays(1);
        return before.getYear() < 1 ? null : before.toString();
    }

    /**
     * The days {@code digest} (checked, its witnesses well formed) closed, if any, and what it says of them; with
     * {@code dayLasts}, the last record of each of its days with records, it gives each day's count.
     */
    private static void addClosure(List<Closure> closures, SignedStatement digest, String name, Instant exportedAt,
            List<DayLast> dayLasts) {
        Instant readAt = instant(digest, name, "readAt");
        String closedThrough = closedThrough(readAt);
        String to = digest.field("to");
        if (to.compareTo(closedThrough) < 0) {
            closedThrough = to;
        }
        String from = digest.field("from");
        if (closedThrough.compareTo(from) < 0) {
            return;
        }
        String first = digest.field("firstRecord");
        String last = digest.field("lastRecord");
        int lastMark = last.lastIndexOf('#');
        Map<String, Long> dayCounts = null;
        if (dayLasts != null) {
            dayCounts = new HashMap<>();
            for (DayLast day : dayLasts) {
                dayCounts.put(day.day().toString(), day.sequence());
            }
        }
        closures.add(new Closure(from, closedThrough,
                first.isEmpty() ? null : first.substring(0, first.lastIndexOf('#')),
                last.isEmpty() ? null : last.substring(0, lastMark),
                last.isEmpty() ? 0 : EvidenceValues.wholeNumber(last.substring(lastMark + 1)), dayCounts, exportedAt,
                name, digest.field("readAt")));
    }

    /** The last record of a day a digest read, as it names it in {@code dayLastRecords}, and its hash. */
    private record DayLast(LocalDate day, long sequence, String hash) {
        String ref() {
            return EvidenceLayout.recordRef(day.toString(), sequence);
        }
    }

    /**
     * The last record of each day with records that a digest of more than one day names in {@code dayLastRecords}, in
     * day order: its count of each day. Null for a digest without the field (of one day, whose first and last records
     * give its count, or written before digests gave each day's), which gives only the total of the days between its
     * first and last records'. The entries must be well formed, in order within the digest's period, and agree with
     * its count and its first and last records.
     */
    private static List<DayLast> dayLastRecords(SignedStatement digest, String name) {
        if (!digest.fields().containsKey(DAY_LAST_RECORDS)) {
            return null;
        }
        String value = digest.field(DAY_LAST_RECORDS);
        String from = day(digest, name, "from");
        String to = day(digest, name, "to");
        List<DayLast> lasts = new ArrayList<>();
        for (String entry : value.isEmpty() ? new String[0] : value.split(",", -1)) {
            int colon = entry.lastIndexOf(':');
            int hashMark = colon < 0 ? -1 : entry.lastIndexOf('#', colon);
            LocalDate day = hashMark < 0 ? null : EvidenceValues.day(entry.substring(0, hashMark));
            long sequence = hashMark < 0 ? -1 : EvidenceValues.wholeNumber(entry.substring(hashMark + 1, colon));
            String hash = colon < 0 ? "" : entry.substring(colon + 1);
            String previous = lasts.isEmpty() ? null : lasts.get(lasts.size() - 1).day().toString();
            if (day == null || sequence < 1 || !isSha256(hash) || day.toString().compareTo(from) < 0
                    || day.toString().compareTo(to) > 0
                    || (previous != null && day.toString().compareTo(previous) <= 0)) {
                throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + " names '" + entry + "' in '"
                        + DAY_LAST_RECORDS + "': each day's last record is named day#sequence:sha256, one for each day"
                        + " with records, in order, within the digest's period " + from + " to " + to);
            }
            lasts.add(new DayLast(day, sequence, hash));
        }
        long count = count(digest, name);
        long sum = 0;
        boolean more = false;
        for (DayLast day : lasts) {
            more = more || day.sequence() > count - sum;
            sum = more ? sum : sum + day.sequence();
        }
        DayLast first = lasts.isEmpty() ? null : lasts.get(0);
        DayLast last = lasts.isEmpty() ? null : lasts.get(lasts.size() - 1);
        String firstRecord = digest.field("firstRecord");
        if (more || sum != count || !(last == null ? "" : last.ref()).equals(digest.field("lastRecord"))
                || !(last == null ? "" : last.hash()).equals(digest.field("lastRecordHash"))
                || !(first == null ? firstRecord.isEmpty() : firstRecord.lastIndexOf('#') >= 0
                        && firstRecord.substring(0, firstRecord.lastIndexOf('#')).equals(first.day().toString()))) {
            throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + "'s '" + DAY_LAST_RECORDS + "' does not agree"
                    + " with its count, first record and last record: the sequences of the days' last records add up"
                    + " to the count, the first names the first record's day and the last is the last record, with"
                    + " its hash; it was not made by Vigil's export");
        }
        return lasts;
    }

    /**
     * A digest names the latest anchor signed before it, which must be among the anchors, unchanged: the anchors'
     * chain shows one removed from its start or middle, not all of them gone. A digest that names none (signed before
     * the first anchor, or written before digests named anchors) is held to the anchors' chain alone.
     */
    private static void checkLatestAnchor(SignedStatement digest, String name, Map<String, String> anchorSha256s) {
        String anchor = digest.field("latestAnchor");
        if (anchor.isEmpty()) {
            return;
        }
        String sha256 = anchorSha256s.get(anchor);
        if (sha256 == null) {
            throw new Failed(Kind.BROKEN_STATEMENT_CHAIN, name, 0, name + " names " + anchor + " as the latest anchor"
                    + " signed before it, which is not among the anchors here: anchors were removed");
        }
        if (!sha256.equals(digest.field("latestAnchorSha256"))) {
            throw new Failed(Kind.BROKEN_STATEMENT_CHAIN, name, 0, anchor + " is not the anchor " + name + " names"
                    + " as the latest signed before it (its sha256 differs): " + anchor + " was replaced");
        }
    }

    /** The names of every anchor and digest, in that order. */
    private static List<String> signedStatements(EvidenceFiles files) throws IOException {
        List<String> names = new ArrayList<>(files.list(EvidenceLayout.ANCHORS));
        names.addAll(files.list(EvidenceLayout.DIGESTS));
        return names;
    }

    /**
     * Checks records read from the live store (JSON Lines of whole UTC days {@code from} to {@code to}, read
     * from {@code readAt} on) against signed evidence: their hashes and chain, and every anchor and digest signed
     * before {@code readAt}. This is what shows a truncated or consistently rewritten store. With no trusted key and
     * no anchor or digest (the store before the first was signed) the report is nothing-signed, not a failure; a file
     * in {@code keys/} that does not read as a public key is a failure, whatever else is there, found after the records
     * were compared with what was signed (so that a contradiction is still the finding).
     */
    public EvidenceReport verifyRecords(EvidenceFiles evidence, InputStream records, LocalDate from, LocalDate to,
            Instant readAt) {
        return checkRecords(evidence, records, from, to, readAt).report();
    }

    /** As {@link #verifyRecords}, naming the day and the statement a contradicting record contradicts. */
    RecordsCheck checkRecords(EvidenceFiles evidence, InputStream records, LocalDate from, LocalDate to,
            Instant readAt) {
        List<String> notes = new ArrayList<>();
        int anchors = 0;
        int digests = 0;
        try {
            if (trusted.isEmpty() && signedStatements(evidence).isEmpty()) {
                checkPublishedKeys(evidence);
                return new RecordsCheck(EvidenceReport.nothingSignedYet("nothing is signed yet: there is no anchor,"
                        + " no export digest and no published key, so the records were not checked against signed"
                        + " evidence, and this is no proof that they are intact (GET /audit/verify checks their own"
                        + " hash chain); the hourly anchor and the daily export sign the first evidence"), null, null);
            }
            Statements statements = statements(evidence);
            anchors = statements.anchors().size();
            digests = statements.digests().size();
            if (anchors == 0 && digests == 0) {
                // A key is published when it first signs, so a trusted key and no statement means the statements
                // were removed: checked against nothing, a store cut short or rewritten would pass.
                throw new Failed(Kind.BROKEN_STATEMENT_CHAIN, EvidenceLayout.ANCHORS, 0, "a signing key is published,"
                        + " so anchors or digests were signed, but none is there: they were removed (or, as evidence"
                        + " began, the first anchor failed after publishing its key: see the anchoring's log, and once"
                        + " an anchor is signed verify again)");
            }
            Checked checked = verifyRecords(STORE, records, from.toString(), to.toString(), readAt, null, statements,
                    null);
            // Only once the records were compared: a file added to keys/ must not keep a rewritten store from being
            // found contradicting what was signed (the export refuses on that finding alone).
            checkPublishedKeys(evidence);
            return new RecordsCheck(new EvidenceReport(anchors, digests, 0, checked.count(), null, notes), null, null);
        } catch (Failed failed) {
            return new RecordsCheck(new EvidenceReport(anchors, digests, 0, 0, failed.problem, notes), failed.day,
                    failed.statement);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the evidence", e);
        }
    }

    /**
     * Every file published in {@code keys/} reads as a public key. Vigil publishes each key once, as the key that signs
     * it, so a file that does not read was changed or replaced afterwards: broken evidence, even when nothing else is
     * left to show that anything was signed. Names the file, never what it holds.
     */
    private static void checkPublishedKeys(EvidenceFiles evidence) throws IOException {
        for (String name : evidence.list(EvidenceLayout.KEYS)) {
            Optional<InputStream> file = evidence.open(name);
            if (file.isEmpty()) {
                continue; // removed since it was listed: what is gone is judged by the statements it signed
            }
            byte[] bytes;
            try (InputStream in = file.get()) {
                bytes = in.readNBytes(MAX_STATEMENT_BYTES + 1);
            }
            if (bytes.length > MAX_STATEMENT_BYTES
                    || SigningKeys.fromPem(new String(bytes, StandardCharsets.US_ASCII)).isEmpty()) {
                throw new Failed(Kind.NO_TRUSTED_KEY, name, 0, name + " is published as a signing key but does not read"
                        + " as one (a public key in PEM form, -----BEGIN PUBLIC KEY-----): it was changed or replaced"
                        + " after it was published, so what it signed cannot be checked with it; treat it as tampering"
                        + " and follow the failed-verification runbook");
            }
        }
    }

    /** Checks everything in {@code files}; the report's first problem is null when all of it verifies. */
    public EvidenceReport verify(EvidenceFiles files) {
        List<String> notes = new ArrayList<>();
        int anchors = 0;
        int digestCount = 0;
        int exports = 0;
        long records = 0;
        try {
            Statements statements = statements(files);
            List<SignedStatement> anchorList = statements.anchors();
            List<SignedStatement> digests = statements.digests();
            anchors = anchorList.size();
            digestCount = digests.size();
            ExportCoverage coverage = new ExportCoverage();
            DayLinks links = new DayLinks(digests);
            List<SignedStatement> absent = new ArrayList<>();
            for (SignedStatement digest : digests) {
                String recordsName = digest.field("records");
                Optional<InputStream> in = files.open(recordsName);
                if (in.isEmpty()) {
                    absent.add(digest);
                    continue;
                }
                try (InputStream stream = in.get()) {
                    records += verifyExport(digest, recordsName, stream, statements, coverage, links);
                }
                exports++;
            }
            links.check();
            Set<String> signed = new HashSet<>();
            digests.forEach(d -> signed.add(d.field("records")));
            for (String export : files.list(EvidenceLayout.EXPORTS)) {
                if (!signed.contains(export)) {
                    throw new Failed(Kind.UNSIGNED_EXPORT, export, 0, export + " is named by no digest: its digest"
                            + " was removed, or the file was added");
                }
            }
            for (SignedStatement digest : absent) {
                notes.add(judgeAbsent(digest, coverage));
            }
            links.checkAgainstAbsent(absent);
            if (digests.isEmpty() && anchorList.isEmpty()) {
                notes.add("there are no digests and no anchors: nothing was verified");
            }
        } catch (Failed failed) {
            return new EvidenceReport(anchors, digestCount, exports, records, failed.problem, notes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the evidence", e);
        }
        return new EvidenceReport(anchors, digestCount, exports, records, null, notes);
    }

    /**
     * Reads the statements under {@code prefix} in name order and checks each one's format, name, signature and
     * link to the one before it; puts the sha256 of each file's bytes in {@code sha256s} by its name.
     */
    private List<SignedStatement> chain(EvidenceFiles files, String prefix, String format, String previousField,
            String previousShaField, Map<String, String> sha256s) throws IOException {
        List<SignedStatement> out = new ArrayList<>();
        String previousName = null;
        String previousSha = null;
        for (String name : files.list(prefix)) {
            byte[] bytes;
            try (InputStream in = files.open(name).orElseThrow()) {
                bytes = in.readNBytes(MAX_STATEMENT_BYTES + 1);
            }
            if (bytes.length > MAX_STATEMENT_BYTES) {
                // Read no further: a forged file of gigabytes would otherwise be read whole into memory.
                throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + " is larger than " + MAX_STATEMENT_BYTES
                        + " bytes: not a signed statement Vigil wrote (one is a few hundred bytes)");
            }
            SignedStatement statement = SignedStatement.parse(bytes).orElseThrow(() -> new Failed(
                    Kind.MALFORMED_STATEMENT, name, 0, name + " is not a signed statement (a JSON object of strings"
                    + " with keyId and signature)"));
            if (!format.equals(statement.field("format"))) {
                throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + " has format '" + statement.field("format")
                        + "'; expected " + format);
            }
            if (EvidenceLayout.ANCHOR_FORMAT.equals(format) && EvidenceValues.hour(statement.field("hour")) == null) {
                throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + " has no valid hour in 'hour' (an hour"
                        + " that exists, written yyyy-MM-ddTHHZ like 2026-11-03T10Z): it is not an anchor Vigil wrote");
            }
            String expectedName = nameOf(statement);
            if (!name.equals(expectedName)) {
                throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + " says it is " + expectedName
                        + ": the file was renamed or replaced by another statement");
            }
            PublicKey key = trusted.get(statement.keyId());
            if (key == null) {
                throw new Failed(Kind.UNTRUSTED_KEY, name, 0, name + " is signed by key " + statement.keyId()
                        + ", which is not a trusted key: it was not signed by Vigil's signing key, or that key's"
                        + " public half was not given (after a key rotation, give the earlier keys too: every key that"
                        + " signed is published in audit-exports/keys/)");
            }
            if (!statement.verifiesWith(key)) {
                throw new Failed(Kind.BAD_SIGNATURE, name, 0, "the signature of " + name + " does not verify with"
                        + " key " + statement.keyId() + ": the statement was changed after it was signed");
            }
            String claimed = statement.field(previousField);
            if (previousName == null) {
                if (!claimed.isEmpty()) {
                    throw new Failed(Kind.BROKEN_STATEMENT_CHAIN, name, 0, name + " is the first of " + prefix
                            + " here but names " + claimed + " before it, which is missing: the earliest statements"
                            + " were removed (verification needs the whole chain from the first)");
                }
            } else if (!claimed.equals(previousName)) {
                throw new Failed(Kind.BROKEN_STATEMENT_CHAIN, name, 0, name + " names " + (claimed.isEmpty()
                        ? "no statement" : claimed) + " as the one before it, but " + previousName + " precedes it:"
                        + " a statement was removed, inserted or replaced");
            } else if (!statement.field(previousShaField).equals(previousSha)) {
                throw new Failed(Kind.BROKEN_STATEMENT_CHAIN, name, 0, previousName + " is not the file " + name
                        + " was chained to (its sha256 differs): " + previousName + " was replaced");
            }
            previousName = name;
            previousSha = Sha256.hex(bytes);
            sha256s.put(name, previousSha);
            out.add(statement);
        }
        return out;
    }

    private long verifyExport(SignedStatement digest, String file, InputStream stream, Statements signed,
            ExportCoverage coverage, DayLinks links) throws IOException {
        String digestName = nameOf(digest);
        String from = day(digest, digestName, "from");
        String to = day(digest, digestName, "to");
        Instant readAt = instant(digest, digestName, "readAt");
        // Before the lines: a count the format does not write is malformed, not a count that differs.
        count(digest, digestName);
        Checked checked = verifyRecords(file, stream, from, to, readAt, digestName, signed, links);
        checkAgainstDigest(digest, digestName, file, checked.count(), checked.sha256(), checked.first(), checked.last());
        if (checked.first() != null && checked.first().partition().equals(from)) {
            links.firsts.add(new FirstLink(file, from, checked.first().previousHash()));
        }
        coverage.add(LocalDate.parse(from), LocalDate.parse(to), readAt, checked.lastSequence());
        return checked.count();
    }

    /**
     * A digest whose export is not among the files: a problem when it attests records of the days the exports
     * here hold that none of them holds (they were left out), otherwise the note to read.
     */
    private static String judgeAbsent(SignedStatement digest, ExportCoverage coverage) {
        String name = nameOf(digest);
        long count = count(digest, name);
        ExportCoverage.Finding finding = coverage.judge(name, digest.field("records"),
                LocalDate.parse(day(digest, name, "from")), LocalDate.parse(day(digest, name, "to")), count,
                recordOf(digest, name, "firstRecord"), recordOf(digest, name, "lastRecord"), dayCounts(digest, name));
        if (finding.missing()) {
            throw new Failed(Kind.MISSING_EXPORT, name, 0, finding.text());
        }
        return finding.text();
    }

    /** The last record of each day a digest names, as its count of that day; null when it gives only a total. */
    private static List<ExportCoverage.Ref> dayCounts(SignedStatement digest, String name) {
        List<DayLast> lasts = dayLastRecords(digest, name);
        return lasts == null ? null : lasts.stream().map(d -> new ExportCoverage.Ref(d.day(), d.sequence())).toList();
    }

    /** The record a statement names in {@code field} ({@code day#sequence}), null when it names none. */
    private static ExportCoverage.Ref recordOf(SignedStatement statement, String name, String field) {
        String ref = statement.field(field);
        if (ref.isEmpty()) {
            return null;
        }
        int hashMark = ref.lastIndexOf('#');
        LocalDate day = hashMark < 0 ? null : EvidenceValues.day(ref.substring(0, hashMark));
        long sequence = EvidenceValues.wholeNumber(ref.substring(hashMark + 1));
        if (day == null || sequence < 0) {
            throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + " names record '" + ref + "' in '" + field
                    + "'; records are named day#sequence");
        }
        return new ExportCoverage.Ref(day, sequence);
    }

    /** An export's first record, of its first day {@code day}, and the hash it chains to. */
    private record FirstLink(String file, String day, String previousHash) {}

    /**
     * The links between exports: an export's first record chains to the last records of the day before its first day,
     * which another export may hold. When one read that day whole (after it was closed), the record chained to is among
     * that day's last {@value #PREVIOUS_DAY_HASHES} there, as within an export; one that is not shows the day was
     * changed after that export read it, and the later export signed records chained to the changed day.
     */
    private static final class DayLinks {
        /** The days before a digest's first day: the only days whose last records are kept. */
        private final Set<String> wanted = new HashSet<>();
        /** For each wanted day an export read whole: that export and the hashes of the day's last records. */
        private final Map<String, Map.Entry<String, Set<String>>> tails = new HashMap<>();
        private final List<FirstLink> firsts = new ArrayList<>();

        DayLinks(List<SignedStatement> digests) {
            // Their days were checked with their signatures; a period from 0001-01-01 has no day before it.
            digests.stream().map(d -> dayBefore(LocalDate.parse(d.field("from")))).filter(Objects::nonNull)
                    .forEach(wanted::add);
        }

        void keepTail(String file, String day, String closedThrough, Set<String> hashes) {
            if (wanted.contains(day) && day.compareTo(closedThrough) <= 0 && !tails.containsKey(day)) {
                tails.put(day, Map.entry(file, Set.copyOf(hashes)));
            }
        }

        /** Each export's first record against the day before it, where an export here read that day whole. */
        void check() {
            for (FirstLink first : firsts) {
                String dayBefore = dayBefore(LocalDate.parse(first.day()));
                Map.Entry<String, Set<String>> tail = dayBefore == null ? null : tails.get(dayBefore);
                if (tail != null && (first.previousHash() == null || !tail.getValue().contains(first.previousHash()))) {
                    throw new Failed(Kind.BROKEN_LINK, first.file(), 1, "line 1 of " + first.file() + " ("
                            + EvidenceLayout.recordRef(first.day(), 1) + ") does not chain to any record of "
                            + dayBefore + " in " + tail.getKey() + ", which read that day whole: records of "
                            + dayBefore + " were changed or removed after " + tail.getKey() + " was exported");
                }
            }
        }

        /**
         * Each export's first record whose day before no export here read whole, against the digests among
         * {@code absent} (their exports are not here) that read it whole: the link is shown when one of them names
         * that day's last record with the hash the first record carries. A record of the day that none names (a write
         * racing midnight, or the day changed after those digests were signed) can be checked only against an export
         * that read the day whole, which is left out.
         */
        void checkAgainstAbsent(List<SignedStatement> absent) {
            for (FirstLink first : firsts) {
                String dayBefore = dayBefore(LocalDate.parse(first.day()));
                // A first record of 0001-01-01 chains to no day of the format: nothing was exported before it.
                if (dayBefore != null && !tails.containsKey(dayBefore)) {
                    checkAgainstAbsent(first, dayBefore, absent);
                }
            }
        }

        private static void checkAgainstAbsent(FirstLink first, String dayBefore, List<SignedStatement> absent) {
            SignedStatement unshown = null;
            for (SignedStatement digest : absent) {
                String named = closes(digest, dayBefore) ? lastRecordHashOf(digest, dayBefore) : null;
                if (named == null) {
                    // It did not read the day whole, or says the day had no records: the export chains to an earlier
                    // day, which no export here read.
                    continue;
                }
                if (!named.isEmpty() && named.equals(first.previousHash())) {
                    return;
                }
                if (unshown == null) {
                    unshown = digest;
                }
            }
            if (unshown != null) {
                String name = nameOf(unshown);
                String records = unshown.field("records");
                throw new Failed(Kind.MISSING_LINKED_EXPORT, first.file(), 1, "line 1 of " + first.file() + " ("
                        + EvidenceLayout.recordRef(first.day(), 1) + ") chains to a record of " + dayBefore + " that"
                        + " no digest here names as that day's last, and " + name + ", which read " + dayBefore
                        + " whole, names " + records + ", which is not among these files: include " + records
                        + ", the export it names, and verify again (a write racing midnight chains to an earlier"
                        + " record of the day; a day changed after it was exported chains to none of its records)");
            }
        }
    }

    /**
     * What {@code digest} says of the last record of {@code day}, a day of its period: the hash it names for it (of its
     * last record, on its last record's day, or of that day's entry in {@code dayLastRecords}); empty when it says the
     * day had records without naming the last (a day from its first record's to before its last record's, in a digest
     * without {@code dayLastRecords}); null when it says the day had none. Reads the fields as Vigil writes them.
     */
    static String lastRecordHashOf(SignedStatement digest, String day) {
        String last = digest.field("lastRecord");
        int lastMark = last.lastIndexOf('#');
        if (lastMark < 0) {
            return null;
        }
        if (digest.fields().containsKey(DAY_LAST_RECORDS)) {
            for (String entry : digest.field(DAY_LAST_RECORDS).split(",", -1)) {
                int colon = entry.lastIndexOf(':');
                int hashMark = colon < 0 ? -1 : entry.lastIndexOf('#', colon);
                if (hashMark >= 0 && entry.substring(0, hashMark).equals(day)) {
                    return entry.substring(colon + 1);
                }
            }
            return null;
        }
        String lastDay = last.substring(0, lastMark);
        String firstRecord = digest.field("firstRecord");
        int firstMark = firstRecord.lastIndexOf('#');
        String firstDay = firstMark < 0 ? "" : firstRecord.substring(0, firstMark);
        if (day.compareTo(lastDay) > 0 || day.compareTo(firstDay) < 0) {
            return null;
        }
        return day.equals(lastDay) ? digest.field("lastRecordHash") : "";
    }

    /** Whether {@code digest} read {@code day} whole: a day of its period that had ended when it read. */
    static boolean closes(SignedStatement digest, String day) {
        return day.compareTo(digest.field("from")) >= 0 && day.compareTo(digest.field("to")) <= 0
                && day.compareTo(closedThrough(EvidenceValues.time(digest.field("readAt")))) <= 0;
    }

    /**
     * What streaming through records found: how many, the sha256 of their bytes, the first and last, and the last
     * sequence of each day.
     */
    private record Checked(long count, String sha256, AuditRecord first, AuditRecord last,
            Map<String, Long> lastSequence) {}

    /**
     * Streams through records, checking each as the format's step 3 says; with {@code links} (an export, not the
     * store), keeps the last records of each day it wants that this read had whole.
     */
    private Checked verifyRecords(String file, InputStream stream, String from, String to, Instant readAt,
            String digestName, Statements signed, DayLinks links) throws IOException {
        Map<String, TreeMap<Long, List<Witness>>> witnesses = signed.witnesses();
        MessageDigest sha = Sha256.newDigest();
        ExportLines lines = new ExportLines(new BufferedInputStream(new DigestInputStream(stream, sha), 1 << 16));
        Map<String, Long> lastSequence = new HashMap<>();
        // The days this read had whole: every record they will hold existed when it began.
        String closedThrough = closedThrough(readAt);
        ArrayDeque<String> currentDay = new ArrayDeque<>();
        Set<String> currentDaySet = new HashSet<>();
        AuditRecord first = null;
        AuditRecord previous = null;
        // The digest that says the current day had the fewest records, of those that closed it and bind this read.
        Closure closing = null;
        long closedAt = -1;
        long line = 0;
        for (byte[] bytes; (bytes = lines.next()) != null; ) {
            line++;
            AuditRecord record;
            try {
                if (lines.tooLong()) {
                    throw new ExportLines.Malformed("it is longer than " + ExportLines.MAX_LINE_BYTES + " bytes, far"
                            + " more than any audit record");
                }
                if (!lines.endedInLineFeed()) {
                    throw new ExportLines.Malformed("it does not end in a line feed (LF); every line does, the last"
                            + " one too");
                }
                record = ExportLines.record(bytes);
            } catch (ExportLines.Malformed e) {
                throw new Failed(Kind.MALFORMED_RECORD, file, line, position(file, line) + " is not an audit record: "
                        + e.getMessage());
            }
            String at = position(file, line) + " (" + EvidenceLayout.recordRef(record.partition(), record.sequence())
                    + ")";
            String partition = record.partition();
            if (partition.compareTo(from) < 0 || partition.compareTo(to) > 0) {
                throw new Failed(Kind.WRONG_PARTITION, file, line, at + " is outside the exported period " + from
                        + " to " + to + ": it was inserted");
            }
            if (!partition.equals(AuditLog.partitionOf(record.time()))) {
                throw new Failed(Kind.WRONG_PARTITION, file, line, at + " has a time on " + AuditLog.partitionOf(
                        record.time()) + " but names day " + partition + ": it was moved or its time was changed");
            }
            if (!AuditChain.hashOf(record).equals(record.hash())) {
                throw new Failed(Kind.HASH_MISMATCH, file, line, at + " does not match its hash: its content was"
                        + " changed after it was written");
            }
            if (previous == null || !previous.partition().equals(partition)) {
                if (previous != null && partition.compareTo(previous.partition()) < 0) {
                    throw new Failed(Kind.WRONG_PARTITION, file, line, at + " follows a record of "
                            + previous.partition() + ": days are out of order");
                }
                if (record.sequence() != 1) {
                    throw new Failed(Kind.SEQUENCE_GAP, file, line, at + " is the first record of " + partition
                            + " but has sequence " + record.sequence() + ": " + missingBefore(record.sequence()));
                }
                if (previous != null && !currentDaySet.contains(record.previousHash())) {
                    throw new Failed(Kind.BROKEN_LINK, file, line, at + " does not chain to any record of "
                            + previous.partition() + ", the day before it: records of that day were changed or removed");
                }
                if (previous != null && links != null) {
                    links.keepTail(file, previous.partition(), closedThrough, currentDaySet);
                }
                currentDay = new ArrayDeque<>();
                currentDaySet = new HashSet<>();
                closing = closing(signed.closures(), partition, readAt, digestName);
                closedAt = closing == null ? -1 : closing.recordsOf(partition);
            } else {
                if (record.sequence() != previous.sequence() + 1) {
                    throw new Failed(Kind.SEQUENCE_GAP, file, line, at + " follows record " + previous.sequence()
                            + "; expected sequence " + (previous.sequence() + 1) + ": records were removed, reordered"
                            + " or inserted");
                }
                // previous.hash() passed the hash check above, so it is not null; this record's link may be.
                if (!previous.hash().equals(record.previousHash())) {
                    throw new Failed(Kind.BROKEN_LINK, file, line, at + " does not carry the hash of record "
                            + previous.sequence() + ": that record was replaced, or this record's link was changed");
                }
            }
            checkWitnesses(witnesses, record, readAt, digestName, file, line, at);
            if (closing != null && record.sequence() > closedAt) {
                throw new Failed(Kind.CONTRADICTS_SIGNED_EVIDENCE, file, line, at + " was appended to " + partition
                        + " after the day was exported: " + closing.source() + " (signed " + closing.time() + ") says"
                        + " the day had " + (closedAt == 0 ? "no records" : closedAt == 1 ? "1 record" : closedAt
                        + " records") + " when its export read it at " + closing.readAt() + ", after the day had"
                        + " ended", partition, closing.source());
            }
            currentDay.addLast(record.hash());
            currentDaySet.add(record.hash());
            if (currentDay.size() > PREVIOUS_DAY_HASHES) {
                currentDaySet.remove(currentDay.removeFirst());
            }
            lastSequence.put(partition, record.sequence());
            if (first == null) {
                first = record;
            }
            previous = record;
        }
        if (previous != null && links != null) {
            links.keepTail(file, previous.partition(), closedThrough, currentDaySet);
        }
        checkTruncation(witnesses, from, to, readAt, digestName, file, lastSequence);
        return new Checked(line, Sha256.hex(sha), first, previous, lastSequence);
    }

    /**
     * Where the {@code n}th record read from {@code file} is: a line of an export file, or, for the live store, which
     * holds records rather than lines, the record's place in the order it was read (both counted from 1).
     */
    private static String position(String file, long n) {
        return file.equals(STORE) ? "record " + n + " read from " + file : "line " + n + " of " + file;
    }

    /** What a day's first record with {@code sequence} (not 1) shows: which records of the day are missing. */
    private static String missingBefore(long sequence) {
        if (sequence == 0) {
            return "the records of a day are numbered from 1";
        }
        return sequence == 2 ? "record 1 of that day is missing"
                : "records 1 to " + (sequence - 1) + " of that day are missing";
    }

    private static void checkWitnesses(Map<String, TreeMap<Long, List<Witness>>> witnesses, AuditRecord record,
            Instant readAt, String digestName, String file, long line, String at) {
        TreeMap<Long, List<Witness>> day = witnesses.get(record.partition());
        if (day == null) {
            return;
        }
        for (Witness witness : day.getOrDefault(record.sequence(), List.of())) {
            if (applies(witness, readAt, digestName) && !witness.hash().equals(record.hash())) {
                throw new Failed(Kind.CONTRADICTS_SIGNED_EVIDENCE, file, line, at + " has hash " + abbreviate(
                        record.hash()) + " but " + witness.source() + " (signed " + witness.time() + ") says it had "
                        + abbreviate(witness.hash()) + ": the log was rewritten after that was signed",
                        record.partition(), witness.source());
            }
        }
    }

    /**
     * Of the digests that closed {@code day} and bind a read at {@code readAt}, the one that says it had the fewest
     * records; null when none closed it.
     */
    private static Closure closing(List<Closure> closures, String day, Instant readAt, String digestName) {
        Closure least = null;
        for (Closure closure : closures) {
            long records = closure.recordsOf(day);
            if (records >= 0 && (closure.time().isBefore(readAt) || closure.source().equals(digestName))
                    && (least == null || records < least.recordsOf(day))) {
                least = closure;
            }
        }
        return least;
    }

    private static void checkTruncation(Map<String, TreeMap<Long, List<Witness>>> witnesses, String from, String to,
            Instant readAt, String digestName, String file, Map<String, Long> lastSequence) {
        List<String> days = witnesses.keySet().stream().filter(d -> d.compareTo(from) >= 0 && d.compareTo(to) <= 0)
                .sorted().toList();
        for (String day : days) {
            long last = lastSequence.getOrDefault(day, 0L);
            for (Map.Entry<Long, List<Witness>> entry : witnesses.get(day).tailMap(last, false).entrySet()) {
                for (Witness witness : entry.getValue()) {
                    if (applies(witness, readAt, digestName)) {
                        throw new Failed(Kind.TRUNCATED, file, 0, file + (last == 0 ? " has no records of " + day
                                : " ends " + day + " at record " + last) + ", but " + witness.source() + " (signed "
                                + witness.time() + ") names record " + EvidenceLayout.recordRef(day, entry.getKey())
                                + ": records were removed from the log", day, witness.source());
                    }
                }
            }
        }
    }

    /**
     * A witness binds an export if it was signed before the export started reading (every record it names
     * existed then), or if it is the export's own digest.
     */
    private static boolean applies(Witness witness, Instant readAt, String digestName) {
        return witness.time().isBefore(readAt) || witness.source().equals(digestName);
    }

    private static void checkAgainstDigest(SignedStatement digest, String name, String file, long count, String sha256,
            AuditRecord first, AuditRecord last) {
        if (!Long.toString(count).equals(digest.field("count"))) {
            throw new Failed(Kind.EXPORT_MISMATCH, file, 0, file + " holds " + count + " records; " + name
                    + " says " + digest.field("count") + ": lines were removed or added");
        }
        if (!sha256.equals(digest.field("sha256"))) {
            throw new Failed(Kind.EXPORT_MISMATCH, file, 0, "the sha256 of " + file + " is " + abbreviate(sha256)
                    + "; " + name + " says " + abbreviate(digest.field("sha256")) + ": the file was changed after"
                    + " it was exported");
        }
        String firstHash = first == null ? "" : first.hash();
        String lastHash = last == null ? "" : last.hash();
        if (!firstHash.equals(digest.field("firstRecordHash")) || !lastHash.equals(digest.field("lastRecordHash"))) {
            throw new Failed(Kind.EXPORT_MISMATCH, file, 0, "the first or last record of " + file + " is not the one "
                    + name + " names");
        }
    }

    private static void addWitness(Map<String, TreeMap<Long, List<Witness>>> witnesses, String source, String ref,
            String hash, Instant time) {
        if (ref.isEmpty()) {
            return;
        }
        int hashMark = ref.lastIndexOf('#');
        long sequence = hashMark < 0 ? -1 : EvidenceValues.wholeNumber(ref.substring(hashMark + 1));
        if (sequence < 0) {
            throw new Failed(Kind.MALFORMED_STATEMENT, source, 0, source + " names record '" + ref + "'; records"
                    + " are named day#sequence");
        }
        if (hashMark <= 0 || hash.isEmpty()) {
            throw new Failed(Kind.MALFORMED_STATEMENT, source, 0, source + " names record '" + ref + "' without"
                    + " its hash");
        }
        witnesses.computeIfAbsent(ref.substring(0, hashMark), d -> new TreeMap<>())
                .computeIfAbsent(sequence, s -> new ArrayList<>())
                .add(new Witness(ref.substring(0, hashMark), sequence, hash, time, source));
    }

    private static String nameOf(SignedStatement statement) {
        if (EvidenceLayout.ANCHOR_FORMAT.equals(statement.field("format"))) {
            return EvidenceLayout.ANCHORS + statement.field("hour") + ".json";
        }
        long number = EvidenceValues.wholeNumber(statement.field("number"));
        return number < 0 ? EvidenceLayout.DIGESTS + "(no number)" : EvidenceLayout.digestName(number);
    }

    private static long count(SignedStatement digest, String name) {
        long count = EvidenceValues.wholeNumber(digest.field("count"));
        if (count < 0) {
            throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + " has no valid record count in 'count' (a whole"
                    + " number: digits only, without sign or leading zero)");
        }
        return count;
    }

    private static Instant instant(SignedStatement statement, String name, String field) {
        Instant time = EvidenceValues.time(statement.field(field));
        if (time == null) {
            throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + " has no valid time in '" + field + "'");
        }
        return time;
    }

    /**
     * An anchor's {@code anchoredAt}, which lies within its {@code hour}: the anchor is named for the hour it is signed
     * in, so a time outside it was not written by the hourly anchoring (or by an instance whose clock was wrong), and
     * as a witness it would bind exports read at a time the anchor does not name.
     */
    private static Instant anchoredAt(SignedStatement anchor, String name) {
        Instant anchoredAt = instant(anchor, name, "anchoredAt");
        Instant hour = EvidenceValues.hour(anchor.field("hour"));
        Instant nextHour = hour.plus(1, java.time.temporal.ChronoUnit.HOURS);
        if (anchoredAt.isBefore(hour) || !anchoredAt.isBefore(nextHour)) {
            throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + " was signed at " + anchor.field("anchoredAt")
                    + " (its anchoredAt), outside its hour " + anchor.field("hour") + " (from " + hour + " to "
                    + nextHour + "): an anchor is signed within the hour it is named for, so this one was not made by"
                    + " Vigil's hourly anchoring, or the clock of the instance that signed it was wrong");
        }
        return anchoredAt;
    }

    /**
     * A digest's {@code exportedAt}, not before its {@code readAt}: a digest is signed after its records were read, and
     * its witnesses, made at {@code exportedAt}, bind the exports read after it.
     */
    private static Instant exportedAt(SignedStatement digest, String name) {
        Instant exportedAt = instant(digest, name, "exportedAt");
        if (exportedAt.isBefore(instant(digest, name, "readAt"))) {
            throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + " was signed at " + digest.field("exportedAt")
                    + " (its exportedAt), before its export began reading the records at " + digest.field("readAt")
                    + " (its readAt): a digest is signed after its records are read, so this one was not made by"
                    + " Vigil's export, or the clock of the instance that signed it was wrong");
        }
        return exportedAt;
    }

    /** A digest's period, {@code from} not after {@code to}: an export covers the days from one to the other. */
    private static void period(SignedStatement digest, String name) {
        String from = day(digest, name, "from");
        String to = day(digest, name, "to");
        if (from.compareTo(to) > 0) {
            throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + " covers the days from " + from + " to " + to
                    + ", which ends before it starts: an export's first day is not after its last, so this digest was"
                    + " not made by Vigil's export");
        }
    }

    /**
     * A digest's {@code records}, the name of its export: a file under {@code exports/}, in segments of letters,
     * digits, {@code .}, {@code _} and {@code -} separated by {@code /}, none of them {@code .} or {@code ..}. The name
     * is only a label, but one that leaves the folder (a signed {@code ../} would have the export read from outside
     * it) or that no file can have is no export's, so the digest was not made by Vigil's export.
     */
    private static void exportName(SignedStatement digest, String name) {
        String records = digest.field("records");
        boolean plain = EXPORT_NAME.matcher(records).matches()
                && Arrays.stream(records.split("/")).noneMatch(s -> s.equals(".") || s.equals(".."));
        if (!plain) {
            throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + " names no file under exports/ in 'records'"
                    + " (an export's name is exports/ and segments of letters, digits, '.', '_' and '-' separated by"
                    + " '/', none of them '.' or '..'): this digest was not made by Vigil's export");
        }
    }

    private static String day(SignedStatement statement, String name, String field) {
        LocalDate day = EvidenceValues.day(statement.field(field));
        if (day == null) {
            throw new Failed(Kind.MALFORMED_STATEMENT, name, 0, name + " has no valid day in '" + field + "'");
        }
        return day.toString();
    }

    /** Whether {@code text} is a sha256 as evidence writes one: 64 lower-case hexadecimal digits. */
    private static boolean isSha256(String text) {
        return text.length() == 64 && text.chars().allMatch(c -> (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    }

    private static String abbreviate(String hash) {
        return hash.length() > 16 ? hash.substring(0, 16) + "..." : hash;
    }
}
