package health.vigil.audit;

import health.vigil.audit.VerificationReport.Break;
import health.vigil.audit.VerificationReport.Problem;
import health.vigil.port.AuditRecordUnreadableException;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.model.AuditRecord;
import health.vigil.port.AuditStore;
import health.vigil.port.AuditStore.KeyedAppend;
import health.vigil.port.Telemetry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Function;

/**
 * Vigil's append-only, hash-chained audit trail: writes records into one partition per UTC day and checks
 * afterwards that nothing was changed, removed or reordered.
 *
 * <p>Within a day, record n carries the hash of record n-1. The first record of a day carries the hash of
 * the last record of the previous day that holds records (or {@link AuditChain#GENESIS_HASH} for the very
 * first record), so removing the tail of a day is detected too. Finding that anchor costs a read of the
 * previous partition, and only when today's partition is still empty: every other append reads just its
 * own partition's last record. The previous calendar day is tried first (one point read); only when it has
 * no records does the writer list partitions to find the latest earlier one.
 *
 * <p>Writers never lock: each append is conditional on its sequence number being free, and a writer that
 * loses the race re-reads the last record, re-chains and tries again.
 *
 * <p>{@link #recordOnce} is how a decision and its record become one step: the record is appended under an
 * idempotency key naming the decision, the store binds the key to the record atomically with the append, and
 * every later or concurrent call with that key returns the same record (ADR 0006).
 */
public final class AuditLog {
    /** Enough for heavy contention; running out means the store keeps refusing appends. */
    static final int MAX_APPEND_ATTEMPTS = 64;
    /** The detail under which {@link #recordOnce} records its idempotency key. */
    public static final String KEY_DETAIL = "idempotencyKey";
    public static final int MAX_KEY_LENGTH = 512;
    /**
     * How long after a day ended a write that read the clock before midnight may still append to that day: it reads
     * the day's last record and appends within one or two store calls, whose retries under throttling take seconds.
     * A record of a day appended after the next day began with a time earlier than this before the day's end did not
     * race midnight; it was added to the day afterwards. Verifiers hold a day to the records a digest signed once its
     * export read them this long after the day ended.
     */
    public static final Duration MIDNIGHT_RACE = Duration.ofMinutes(5);
    /** The most records one page of {@link #readPage} holds. */
    public static final int MAX_PAGE_SIZE = 1000;

    private final AuditStore store;
    private final Clock clock;
    private final Telemetry telemetry;

    public AuditLog(AuditStore store, Clock clock) {
        this(store, clock, Telemetry.NONE);
    }

    /** An audit log that also counts its verifications' outcomes, so a broken chain can raise an alert. */
    public AuditLog(AuditStore store, Clock clock, Telemetry telemetry) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    /** The partition a moment belongs to: its UTC day as {@code yyyy-MM-dd}. */
    public static String partitionOf(Instant time) {
        return LocalDate.ofInstant(time, ZoneOffset.UTC).toString();
    }

    /**
     * Appends a record and returns it as stored. {@code details} hold ids and outcomes, never patient data.
     * The time is truncated to milliseconds so every store keeps it exactly and the hash stays verifiable.
     * Every call appends; for the record of a decision that may be made or replayed more than once, use
     * {@link #recordOnce}.
     */
    public AuditRecord record(String actor, String action, String subject, String outcome, Map<String, String> details) {
        Map<String, String> safeDetails = checked(actor, action, subject, outcome, details);
        return append(action, safeDetails, actor, subject, outcome,
                signed -> store.tryAppend(signed) ? KeyedAppend.APPENDED : KeyedAppend.SEQUENCE_TAKEN).record();
    }

    /**
     * Records a decision exactly once: appends a record under the idempotency {@code key}, or, when a record
     * was appended under that key before, appends nothing and returns that earlier record. Concurrent callers
     * with one key (threads, processes, replays on a later UTC day) all get the same single record.
     *
     * <p>The key names the decision, not the request: derive it from the state the decision produced, such as
     * {@code "model.register:readmission:3"} or {@code "deployment:readmission:revision-7"}, so that whoever
     * finds that state without its record (a redelivered event, a repeated click, a retry after a crash between
     * the decision's write and this call) completes the same record instead of adding another. The record
     * carries the key in its details as {@value #KEY_DETAIL}, so the chain shows which decision each record is;
     * {@code details} must not use that name. Fields of a call that finds the key recorded are not compared
     * with the earlier record's: the first record of a decision is the evidence.
     *
     * @param key at most {@value #MAX_KEY_LENGTH} characters, no control characters
     * @return the record stored under {@code key}, new or earlier
     */
    public AuditRecord recordOnce(String key, String actor, String action, String subject, String outcome,
            Map<String, String> details) {
        return recordFirst(key, actor, action, subject, outcome, details).record();
    }

    /**
     * What {@link #recordFirst} did: the record stored under the key, and whether this call appended it (false: an
     * earlier or concurrent call had).
     */
    public record Once(AuditRecord record, boolean appended) {}

    /**
     * {@link #recordOnce}, telling whether this call was the one that appended the record: for effects that must
     * follow a decision once, such as its telemetry, when several callers may complete the same decision at once.
     */
    public Once recordFirst(String key, String actor, String action, String subject, String outcome,
            Map<String, String> details) {
        requireKey(key);
        Map<String, String> safeDetails = checked(actor, action, subject, outcome, details);
        if (safeDetails.containsKey(KEY_DETAIL)) {
            throw new ValidationException("audit details of '" + action + "' use the name '" + KEY_DETAIL
                    + "', which recordOnce reserves for the idempotency key; rename that detail");
        }
        Optional<AuditRecord> earlier = store.findByKey(key);
        if (earlier.isPresent()) {
            return new Once(earlier.get(), false);
        }
        Map<String, String> keyed = new TreeMap<>(safeDetails);
        keyed.put(KEY_DETAIL, key);
        return append(action, keyed, actor, subject, outcome, signed -> store.tryAppendOnce(key, signed));
    }

    /** The record {@link #recordOnce} stored under {@code key}, if it has been recorded. */
    public Optional<AuditRecord> findOnce(String key) {
        requireKey(key);
        return store.findByKey(key);
    }

    /**
     * The chaining loop shared by both kinds of append: builds the record for the partition's next sequence and
     * hands it to {@code attempt}, re-chaining while other writers take the sequence. The record id stays the
     * same across attempts. Returns the appended record, or the earlier one {@code attempt} found under its key,
     * and which of the two it is.
     */
    private Once append(String action, Map<String, String> details, String actor, String subject,
            String outcome, Function<AuditRecord, KeyedAppend> attempt) {
        String id = UUID.randomUUID().toString();
        for (int n = 1; n <= MAX_APPEND_ATTEMPTS; n++) {
            // Re-read the clock on every attempt so a record's time never precedes the record it chains to.
            Instant time = clock.instant().truncatedTo(ChronoUnit.MILLIS);
            String partition = partitionOf(time);
            Optional<AuditRecord> last = store.last(partition);
            long sequence = last.map(r -> r.sequence() + 1).orElse(1L);
            String previousHash = last.map(AuditRecord::hash).orElseGet(() -> anchorFor(partition));
            AuditRecord unsigned = new AuditRecord(id, partition, sequence, time, actor, action, subject, outcome,
                    details, previousHash, null);
            AuditRecord signed = AuditChain.withHash(unsigned, AuditChain.hashOf(unsigned));
            KeyedAppend result = attempt.apply(signed);
            if (result.appended()) {
                return new Once(signed, true);
            }
            if (result.existing() != null) {
                return new Once(result.existing(), false);
            }
        }
        throw new VigilException(ErrorCode.STORE_UNAVAILABLE, "the audit store refused " + MAX_APPEND_ATTEMPTS
                + " attempts to append '" + action + "' because other writers kept taking the next sequence;"
                + " retry the operation");
    }

    private static Map<String, String> checked(String actor, String action, String subject, String outcome,
            Map<String, String> details) {
        requireText("actor", actor);
        requireText("action", action);
        requireText("subject", subject);
        requireText("outcome", outcome);
        Map<String, String> safeDetails = details == null ? Map.of() : details;
        safeDetails.forEach((key, value) -> {
            if (key == null || value == null) {
                throw new ValidationException("audit details of '" + action + "' have a null key or value;"
                        + " leave the entry out instead");
            }
        });
        return safeDetails;
    }

    private static void requireKey(String key) {
        if (key == null || key.isBlank() || key.length() > MAX_KEY_LENGTH
                || key.chars().anyMatch(Character::isISOControl)) {
            throw new ValidationException("an idempotency key is a non-blank name of the decision of at most "
                    + MAX_KEY_LENGTH + " characters without control characters, such as deployment:readmission:revision-7");
        }
    }

    /** The records of the UTC days {@code from} to {@code to} (inclusive), day by day in sequence order. */
    public List<AuditRecord> read(LocalDate from, LocalDate to) {
        List<AuditRecord> out = new ArrayList<>();
        forEach(from, to, out::add);
        return out;
    }

    /**
     * Each record of the UTC days {@code from} to {@code to} (inclusive), day by day in sequence order, one day read
     * at a time: a search over a long period (a prediction's lineage reads up to its retention) holds one day of the
     * log, not the period, however large the log has grown.
     */
    public void forEach(LocalDate from, LocalDate to, java.util.function.Consumer<AuditRecord> sink) {
        for (String partition : partitionsBetween(from, to)) {
            store.read(partition).forEach(sink);
        }
    }

    /**
     * At most {@code limit} records of the UTC days {@code from} to {@code to} (inclusive) in chain order, starting
     * where {@code continuationToken} says (the first record of the period when it is null). The token is only
     * valid for the same period; a token this log did not give for it is a {@link ValidationException}.
     */
    public AuditPage readPage(LocalDate from, LocalDate to, String continuationToken, int limit) {
        if (limit < 1 || limit > MAX_PAGE_SIZE) {
            throw new ValidationException("a page holds 1 to " + MAX_PAGE_SIZE + " records; ask for a limit in that range");
        }
        List<String> partitions = partitionsBetween(from, to);
        Cursor start = continuationToken == null ? new Cursor(from.toString(), 1) : Cursor.decode(continuationToken, from, to);
        List<AuditRecord> page = new ArrayList<>();
        for (int i = 0; i < partitions.size(); i++) {
            String partition = partitions.get(i);
            if (partition.compareTo(start.partition()) < 0) {
                continue;
            }
            long fromSequence = partition.equals(start.partition()) ? start.sequence() : 1;
            int wanted = limit - page.size();
            List<AuditRecord> read;
            try {
                read = store.read(partition, fromSequence, wanted + 1); // one more: is there a next page?
            } catch (AuditRecordUnreadableException e) {
                if (e.readBefore().size() < wanted) {
                    throw e;
                }
                // The page is full before the damaged record; the next page starts at it, and names it.
                page.addAll(e.readBefore().subList(0, wanted));
                return new AuditPage(from, to, page, new Cursor(partition, e.sequence()).encode(from, to));
            }
            if (read.size() > wanted) {
                page.addAll(read.subList(0, wanted));
                return new AuditPage(from, to, page, new Cursor(partition, read.get(wanted).sequence()).encode(from, to));
            }
            page.addAll(read);
            if (page.size() == limit && i + 1 < partitions.size()) {
                return new AuditPage(from, to, page, new Cursor(partitions.get(i + 1), 1).encode(from, to));
            }
        }
        return new AuditPage(from, to, page, null);
    }

    /** Where a page starts: a partition and the first sequence to read in it. */
    private record Cursor(String partition, long sequence) {
        private static final String VERSION = "a1";

        /** Opaque to callers; bound to the period so it cannot be replayed against another one. */
        String encode(LocalDate from, LocalDate to) {
            String plain = String.join("|", VERSION, from.toString(), to.toString(), partition, Long.toString(sequence));
            return java.util.Base64.getUrlEncoder().withoutPadding()
                    .encodeToString(plain.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }

        static Cursor decode(String token, LocalDate from, LocalDate to) {
            ValidationException refused = new ValidationException("continuationToken is not one this server gave for"
                    + " the period " + from + " to " + to + "; ask for that period again without a token to start at"
                    + " its first record");
            if (token.isEmpty() || token.length() > 200) {
                throw refused;
            }
            try {
                String[] parts = new String(java.util.Base64.getUrlDecoder().decode(token),
                        java.nio.charset.StandardCharsets.US_ASCII).split("\\|", -1);
                if (parts.length != 5 || !VERSION.equals(parts[0]) || !from.toString().equals(parts[1])
                        || !to.toString().equals(parts[2])) {
                    throw refused;
                }
                LocalDate day = LocalDate.parse(parts[3]);
                long sequence = Long.parseLong(parts[4]);
                // As encode writes them, and no other way (04, +4): anything else is a token this log did not give.
                if (day.isBefore(from) || day.isAfter(to) || sequence < 1 || !day.toString().equals(parts[3])
                        || !Long.toString(sequence).equals(parts[4])) {
                    throw refused;
                }
                return new Cursor(day.toString(), sequence);
            } catch (IllegalArgumentException | java.time.format.DateTimeParseException e) {
                throw refused;
            }
        }
    }

    /**
     * Recomputes every hash and link of the days {@code from} to {@code to} (inclusive) and reports the first
     * record where the chain is broken. The first day in the period is also checked against the latest
     * earlier day in the store, so a period can be verified on its own.
     */
    public VerificationReport verify(LocalDate from, LocalDate to) {
        List<String> partitions = partitionsBetween(from, to);
        ChainWalk walk = walk(from);
        Break problem = walk.start();
        for (int i = 0; problem == null && i < partitions.size(); i++) {
            problem = walk.day(partitions.get(i), readForVerification(partitions.get(i)));
        }
        telemetry.auditVerified(problem == null);
        return new VerificationReport(from, to, walk.partitionsChecked, walk.recordsChecked, problem, walk.notes);
    }

    /** A walk along the chain of a period that starts on {@code from}. */
    ChainWalk walk(LocalDate from) {
        return new ChainWalk(from);
    }

    /**
     * Follows the chain of a period a day at a time, as a reader that holds one day (and the day before it) reads
     * it: each day's records are checked against their hashes, their links and the day before, the period's first
     * day against the latest earlier day in the store. Used by {@link #verify} and by an export, which checks the
     * records it is about to sign.
     */
    final class ChainWalk {
        final List<String> notes = new ArrayList<>();
        int partitionsChecked;
        long recordsChecked;
        private String previousPartition;
        private List<AuditRecord> previousRecords;
        private final Break start;
        private final List<AuditRecord> dayBefore;

        /** Reads the latest day before {@code from} in the store, which the period's first day chains to. */
        ChainWalk(LocalDate from) {
            previousPartition = lastRecordBefore(store, from.toString()).map(AuditRecord::partition).orElse(null);
            PartitionRead before = previousPartition == null ? new PartitionRead(List.of(), null)
                    : readForVerification(previousPartition);
            previousRecords = before.records();
            dayBefore = before.records();
            start = before.unreadable() == null ? null : unreadable(before.unreadable(), " (the day before the"
                    + " period, which its first day chains to)");
        }

        /** The records of the latest day before the period, as read; empty when the store has none. */
        List<AuditRecord> dayBefore() {
            return dayBefore;
        }

        /** The break found reading the day before the period, null when it read. */
        Break start() {
            return start;
        }

        /** Checks the next day of the period, as read; the first break in it, null when it chains on intact. */
        Break day(String partition, PartitionRead read) {
            List<AuditRecord> records = read.records();
            if (records.isEmpty() && read.unreadable() == null) {
                return null;
            }
            partitionsChecked++;
            AuditRecord previous = null;
            for (AuditRecord record : records) {
                Break problem = previous == null
                        ? checkFirst(partition, record, previousPartition, previousRecords, notes)
                        : checkNext(partition, record, previous);
                if (problem == null) {
                    problem = checkOwnHash(partition, record);
                }
                if (problem != null) {
                    return problem;
                }
                recordsChecked++;
                previous = record;
            }
            if (read.unreadable() != null) {
                return unreadable(read.unreadable(), "");
            }
            previousPartition = partition;
            previousRecords = records;
            return null;
        }

        /**
         * Checks, once the period's days ending on {@code to} were walked, the first record after them: the first
         * record of the first day after {@code to} that holds records, up to the day of {@code head}, the chain head
         * read before the period was. That record existed then, so the record it chains to was read with the period
         * (the latest day with records up to {@code to}): one it chains to that is not there was removed from the end
         * of the period, which the period's chain, checked backwards only, cannot show. Null when it chains on, or
         * when no record after the period existed as the head was read.
         */
        Break following(String to, AuditRecord head) {
            if (head == null || head.partition().compareTo(to) <= 0) {
                return null;
            }
            List<String> after = store.partitions().stream()
                    .filter(p -> p.compareTo(to) > 0 && p.compareTo(head.partition()) <= 0).sorted().toList();
            for (String partition : after) {
                List<AuditRecord> first;
                try {
                    first = store.read(partition, 1, 1);
                } catch (AuditRecordUnreadableException e) {
                    return unreadable(e, " (the first day after the period, whose first record chains to it)");
                }
                if (!first.isEmpty()) {
                    return checkFirst(partition, first.get(0), previousPartition, previousRecords, notes);
                }
            }
            return null;
        }
    }

    /** The records of a partition that read, up to the first one that does not (then named), in order. */
    record PartitionRead(List<AuditRecord> records, AuditRecordUnreadableException unreadable) {}

    PartitionRead readForVerification(String partition) {
        try {
            return new PartitionRead(store.read(partition), null);
        } catch (AuditRecordUnreadableException e) {
            return new PartitionRead(e.readBefore(), e);
        }
    }

    private static Break unreadable(AuditRecordUnreadableException e, String where) {
        return new Break(e.partition(), e.sequence(), Problem.UNREADABLE, "record " + e.sequence() + " of "
                + e.partition() + where + " cannot be read as an audit record: it was damaged or replaced after it was"
                + " written; restore it from a backup or an export");
    }

    private Break checkFirst(String partition, AuditRecord record, String previousPartition,
            List<AuditRecord> previousRecords, List<String> notes) {
        Break misplaced = checkPlacement(partition, record);
        if (misplaced != null) {
            return misplaced;
        }
        if (record.sequence() != 1) {
            return new Break(partition, record.sequence(), Problem.SEQUENCE_GAP, "the first record of " + partition
                    + " has sequence " + record.sequence() + "; sequences start at 1, so records 1 to "
                    + (record.sequence() - 1) + " are missing");
        }
        if (previousRecords.isEmpty()) {
            if (!AuditChain.GENESIS_HASH.equals(record.previousHash())) {
                notes.add("the first record of " + partition + " chains to a day that is no longer in the store"
                        + " (removed by retention, or never copied here); that link cannot be checked");
            }
            return null;
        }
        int anchor = -1;
        for (int i = 0; i < previousRecords.size(); i++) {
            if (previousRecords.get(i).hash() != null && previousRecords.get(i).hash().equals(record.previousHash())) {
                anchor = i;
            }
        }
        if (anchor < 0) {
            return new Break(partition, record.sequence(), Problem.BROKEN_LINK, "the first record of " + partition
                    + " does not chain to any record of " + previousPartition + ", the previous day in the store:"
                    + " records of " + previousPartition + " were changed or removed");
        }
        int last = previousRecords.size() - 1;
        if (anchor < last) {
            // A writer that read the clock just before midnight can append after the next day has started, moments
            // after it did: a record appended then with an earlier time was added to the day later.
            Instant raceFrom = LocalDate.parse(previousPartition).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant()
                    .minus(MIDNIGHT_RACE);
            for (AuditRecord late : previousRecords.subList(anchor + 1, last + 1)) {
                if (late.time().isBefore(raceFrom)) {
                    return new Break(previousPartition, late.sequence(), Problem.BROKEN_LINK, "record "
                            + late.sequence() + " of " + previousPartition + " was appended after " + partition
                            + " began (whose first record chains to record " + previousRecords.get(anchor).sequence()
                            + "), but its time " + late.time() + " is more than " + MIDNIGHT_RACE.toMinutes()
                            + " minutes before " + previousPartition + " ended, which no write racing midnight is:"
                            + " it was added to the day afterwards");
                }
            }
            notes.add("records " + previousRecords.get(anchor + 1).sequence() + " to " + previousRecords.get(last).sequence()
                    + " of " + previousPartition + " were appended after " + partition + " began; they are chained"
                    + " within their day but the next day does not anchor them");
        }
        return null;
    }

    private Break checkNext(String partition, AuditRecord record, AuditRecord previous) {
        Break misplaced = checkPlacement(partition, record);
        if (misplaced != null) {
            return misplaced;
        }
        long expected = previous.sequence() + 1;
        if (record.sequence() != expected) {
            return new Break(partition, record.sequence(), Problem.SEQUENCE_GAP, "record " + record.sequence()
                    + " of " + partition + " follows record " + previous.sequence() + "; expected sequence " + expected
                    + ": records were removed or reordered");
        }
        if (!Objects.equals(record.previousHash(), previous.hash())) {
            return new Break(partition, record.sequence(), Problem.BROKEN_LINK, "record " + record.sequence() + " of "
                    + partition + " does not carry the hash of record " + previous.sequence()
                    + ": record " + previous.sequence() + " was replaced, or this record's link was changed");
        }
        return null;
    }

    private static Break checkPlacement(String partition, AuditRecord record) {
        if (!partition.equals(record.partition()) || !partition.equals(partitionOf(record.time()))) {
            return new Break(partition, record.sequence(), Problem.WRONG_PARTITION, "record " + record.sequence()
                    + " is stored in " + partition + " but names partition " + record.partition() + " and has a time"
                    + " on " + partitionOf(record.time()) + ": it was moved or its time was changed");
        }
        return null;
    }

    private static Break checkOwnHash(String partition, AuditRecord record) {
        if (!AuditChain.hashOf(record).equals(record.hash())) {
            return new Break(partition, record.sequence(), Problem.HASH_MISMATCH, "record " + record.sequence() + " of "
                    + partition + " does not match its hash: its content was changed after it was written");
        }
        return null;
    }

    /** The hash the first record of {@code partition} chains to. */
    private String anchorFor(String partition) {
        String yesterday = LocalDate.parse(partition).minusDays(1).toString();
        Optional<AuditRecord> previous = store.last(yesterday);
        if (previous.isEmpty()) {
            previous = lastRecordBefore(store, partition);
        }
        return previous.map(AuditRecord::hash).orElse(AuditChain.GENESIS_HASH);
    }

    /**
     * The last record of the latest day before {@code partition} ({@code null}: of any day) that holds one. A store
     * may list a day that holds none (a writer that listed the day and died before its record was written): such a
     * day is passed over, so the chain goes on from the last record there is, rather than starting again from the
     * genesis hash, which every later verification would read as a broken link.
     */
    static Optional<AuditRecord> lastRecordBefore(AuditStore store, String partition) {
        List<String> days = store.partitions().stream()
                .filter(p -> partition == null || p.compareTo(partition) < 0)
                .sorted(java.util.Comparator.reverseOrder())
                .toList();
        for (String day : days) {
            Optional<AuditRecord> last = store.last(day);
            if (last.isPresent()) {
                return last;
            }
        }
        return Optional.empty();
    }

    private List<String> partitionsBetween(LocalDate from, LocalDate to) {
        checkPeriod(from, to);
        String first = from.toString();
        String last = to.toString();
        return store.partitions().stream()
                .filter(p -> p.compareTo(first) >= 0 && p.compareTo(last) <= 0)
                .sorted()
                .toList();
    }

    /** The most days one read or export of the log covers, both ends counted (a year, a leap year's too). */
    public static final int MAX_PERIOD_DAYS = 366;

    /**
     * A period of the audit log anyone may ask for: both ends, in order, each a day of the years 1900 to 9999 (the
     * log's days are named yyyy-MM-dd; a date reader accepts years up to a billion, which name no day of it).
     */
    public static void checkPeriod(LocalDate from, LocalDate to) {
        if (from == null || to == null) {
            throw new ValidationException("give both ends of the period (from and to, as yyyy-MM-dd)");
        }
        for (LocalDate day : new LocalDate[] {from, to}) {
            if (day.getYear() < 1900 || day.getYear() > 9999) {
                throw new ValidationException("the period's days must be in the years 1900 to 9999, as yyyy-MM-dd");
            }
        }
        if (from.isAfter(to)) {
            throw new ValidationException("the period starts on " + from + ", after it ends on " + to
                    + "; swap from and to");
        }
    }

    /**
     * A period one read or export of the log may cover: {@link #checkPeriod} and at most {@link #MAX_PERIOD_DAYS}
     * days, both ends counted (from 2025-12-05 to 2026-12-05 is 366 days).
     */
    public static void checkBoundedPeriod(LocalDate from, LocalDate to) {
        checkPeriod(from, to);
        if (java.time.temporal.ChronoUnit.DAYS.between(from, to) >= MAX_PERIOD_DAYS) {
            throw new ValidationException("the period is longer than " + MAX_PERIOD_DAYS + " days; ask for a"
                    + " shorter one");
        }
    }

    private static void requireText(String name, String value) {
        if (value == null || value.isBlank()) {
            throw new ValidationException("an audit record needs a " + name);
        }
    }
}
