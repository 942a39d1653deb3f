package health.vigil.adapter.local;

import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.adapter.local.PredictionBlocks.Block;
import health.vigil.adapter.local.PredictionBlocks.Placed;
import health.vigil.adapter.local.PredictionBlocks.Stored;
import health.vigil.port.PredictionLog;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * The local prediction log: an append-only journal ({@link PredictionJournal}) in front of
 * {@code {home}/predictions.db}. {@link #append} returns once its records are written to the journal, and a
 * background thread moves them into SQLite in large transactions (see ADR 0008).
 *
 * <p>Group commit: every append is queued, and whichever caller holds the commit lock writes everything queued
 * so far (many callers' records) to the journal in one {@code write(2)} and only then releases those callers.
 * An idle log writes a lone record at once on the caller's own thread, with no hand-over to another thread.
 *
 * <p>Durability ({@link PredictionLogDurability}): by default the journal write is not forced to the disk, so
 * an acknowledged record survives a killed process (the operating system has it) but not an OS crash or a
 * power loss; {@link PredictionLogDurability#POWER_LOSS} forces every group write (one fsync per group) and
 * commits the drain with {@code synchronous=FULL}.
 *
 * <p>Completeness: {@link #scan} and {@link #purgeOlderThan} first wait until every record acknowledged before
 * the call is in SQLite. On start the log moves what the journal holds beyond the last drain into SQLite
 * before it takes appends. A record SQLite refuses (a constraint) is set aside in
 * {@code journal/predictions.refused} and reported, rather than block the records behind it; any other failure
 * is retried, and the records stay in the journal meanwhile.
 *
 * <p>Features are stored as a little-endian float32 blob (4 bytes per feature).
 */
final class SqlitePredictionLog implements PredictionLog {
    public static final String FILE_NAME = "predictions.db";
    /** Bounds one transaction, so one large burst does not hold the write lock (and readers' WAL) for long. */
    static final int MAX_RECORDS_PER_TRANSACTION = 5_000;
    /** Appends waiting to be journaled; beyond this, callers wait to enqueue (back-pressure, not memory growth). */
    static final int MAX_PENDING_APPENDS = 10_000;
    /** Records journaled and not yet in SQLite; beyond this, group commits wait for the drain to catch up. */
    static final int MAX_UNDRAINED_RECORDS = 100_000;
    /** Once everything is drained and the journal is longer than this, it starts again empty. */
    static final long RESET_BYTES = 8L * 1024 * 1024;
    private static final long MAX_RETRY_MILLIS = 5_000;
    /**
     * How long the drain waits for more records before it commits a small batch. A SQLite transaction costs
     * about the same for one record as for hundreds, so batching keeps the drain's CPU (taken from the cores
     * requests run on) to about a microsecond per record. A reader waiting for completeness cuts it short.
     */
    static final long DRAIN_LINGER_MILLIS = 20;
    /** The largest read-back buffer the drain keeps between transactions (a larger backlog reads into a heap array once). */
    private static final int MAX_KEPT_READ_BYTES = 4 * 1024 * 1024;
    /**
     * The page size of a new log file. A block of batch predictions is hundreds of KB, which SQLite writes (to the
     * WAL, then at the checkpoint to the file) one page per system call: 64 KiB pages take a sixteenth of the
     * calls of the default 4 KiB. A file made with another page size keeps it.
     */
    static final int PAGE_SIZE = 65_536;
    private static final Logger LOG = Logger.getLogger(SqlitePredictionLog.class.getName());
    private static final int PURGE_CHUNK = 10_000;
    /** Blocks deleted per purge transaction: a few chunks' worth of records. */
    private static final int PURGE_BLOCKS = 16;
    // Nanoseconds since the epoch fit a long from 1677-09-21 to 2262-04-11.
    private static final Instant EARLIEST = Instant.ofEpochSecond(0, Long.MIN_VALUE);
    private static final Instant LATEST = Instant.ofEpochSecond(0, Long.MAX_VALUE);
    /** Where the drain stopped: one row, written in the same transaction as the records it moved. */
    private static final String JOURNAL_STATE = "CREATE TABLE IF NOT EXISTS prediction_journal"
            + " (id INTEGER PRIMARY KEY CHECK (id = 1), generation INTEGER NOT NULL, drained_offset INTEGER NOT NULL)";
    /**
     * Version 1: the predictions and the journal state; version 2: the batch job a prediction belongs to; version 3:
     * blocks of a batch job's predictions ({@link PredictionBlocks}); version 4: a batch block's key, stored once.
     */
    private static final List<List<String>> MIGRATIONS = List.of(List.of(
            "CREATE TABLE predictions (seq INTEGER PRIMARY KEY, prediction_id TEXT NOT NULL, model TEXT NOT NULL,"
                    + " version INTEGER NOT NULL, slot TEXT NOT NULL, patient TEXT, time_nanos INTEGER NOT NULL,"
                    + " features BLOB NOT NULL, score REAL NOT NULL, decision INTEGER NOT NULL, explanation TEXT)",
            "CREATE INDEX predictions_by_model_time ON predictions (model, time_nanos)",
            "CREATE INDEX predictions_by_time ON predictions (time_nanos)",
            JOURNAL_STATE),
            List.of("ALTER TABLE predictions ADD COLUMN batch TEXT"),
            List.of("CREATE TABLE prediction_blocks (seq INTEGER PRIMARY KEY, model TEXT NOT NULL,"
                    + " first_nanos INTEGER NOT NULL, last_nanos INTEGER NOT NULL, records INTEGER NOT NULL,"
                    + " frames BLOB NOT NULL)",
                    "CREATE INDEX prediction_blocks_by_model_time ON prediction_blocks (model, first_nanos, last_nanos)",
                    "CREATE INDEX prediction_blocks_by_time ON prediction_blocks (first_nanos, last_nanos)"),
            List.of("ALTER TABLE prediction_blocks ADD COLUMN block_key TEXT",
                    "CREATE UNIQUE INDEX prediction_blocks_by_key ON prediction_blocks (block_key)"));
    private static final String INSERT = "INSERT INTO predictions (prediction_id, model, version, slot, patient,"
            + " time_nanos, features, score, decision, explanation, batch) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    /**
     * A batch block whose key is stored already holds the same records logged again: it adds nothing. Answered
     * predictions' blocks have no key, and NULL keys never conflict.
     */
    private static final String INSERT_BLOCK = "INSERT INTO prediction_blocks (model, first_nanos, last_nanos,"
            + " records, frames, block_key) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (block_key) DO NOTHING";
    private static final String MARK_DRAINED = "INSERT OR REPLACE INTO prediction_journal (id, generation,"
            + " drained_offset) VALUES (1, ?, ?)";

    private final SqliteDatabase db;
    private final PredictionJournal journal;
    private final BlockingQueue<PendingAppend> queue = new LinkedBlockingQueue<>(MAX_PENDING_APPENDS);
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** Held by the one thread writing a group; the others queue behind it and find their records written. */
    private final ReentrantLock commitLock = new ReentrantLock();
    /**
     * Held while a journal switch is prepared and made, by the drain (which only tries it, and skips its switch when
     * a purge holds it) or by a purge; taken before {@link #commitLock}.
     */
    private final ReentrantLock switchLock = new ReentrantLock();
    private final Runnable beforeBatch;
    private final Runnable beforeDrain;
    private final Runnable beforeRelease;
    private final AtomicLong groupCommits = new AtomicLong();
    private final AtomicLong journaledRecords = new AtomicLong();
    private final AtomicLong drainTransactions = new AtomicLong();
    private final AtomicLong journalsPrepared = new AtomicLong();
    /**
     * The empty journal of the next generation, written and forced ahead of a switch that then lost its race
     * (records arrived meanwhile), kept for the next attempt; null when none is kept. Under {@link #switchLock}.
     */
    private Path preparedJournal;
    /**
     * Groups waiting to be drained. Not a blocking queue: waking the drain for every group would cost each
     * request a thread wake-up; the drain sleeps through its linger and is woken only when it is idle.
     */
    private final ConcurrentLinkedQueue<Journaled> drainQueue = new ConcurrentLinkedQueue<>();
    private volatile boolean drainIdle;
    private volatile boolean hurry;
    private final Object drainMonitor = new Object();
    private final AtomicInteger waitingReaders = new AtomicInteger();
    private long drainedRecords; // guarded by drainMonitor
    private StoreException drainFailure; // guarded by drainMonitor; the last drain attempt's failure, or null
    private final Thread drainer;
    private volatile boolean stopping;
    private volatile boolean abandoned;
    private boolean closed; // guarded by lifecycle's write lock; read under its read lock
    private boolean journalClosed; // guarded by commitLock
    /** The drain's buffer for frames read back from the journal, grown as needed up to MAX_KEPT_READ_BYTES. */
    private ByteBuffer drainRead = ByteBuffer.allocateDirect(64 * 1024);
    private PreparedStatement insert; // used by the drain only (and by replay, before the drain starts)
    private PreparedStatement insertBlock; // likewise
    private PreparedStatement markDrained; // likewise

    /**
     * Records waiting to be journaled, as the database will store them (rows and blocks), with the frames that
     * journal them; a stop marker has none.
     */
    private record PendingAppend(Stored stored, int count, List<byte[]> frames, CompletableFuture<Void> done) {
        boolean isStop() {
            return count == 0;
        }
    }

    /**
     * One group write, waiting to be drained: its answered predictions placed in the journal (the drain reads their
     * frames back from there), its batch jobs' blocks, and where the journal ended after it.
     */
    private record Journaled(List<Placed> rows, List<Block> blocks, int count, long generation, long endOffset) {
        static final Journaled STOP = new Journaled(List.of(), List.of(), 0, 0, 0);
    }

    private SqlitePredictionLog(SqliteDatabase db, PredictionJournal journal, Runnable beforeBatch,
            Runnable beforeDrain, Runnable beforeRelease) {
        this.db = db;
        this.journal = journal;
        this.beforeBatch = beforeBatch;
        this.beforeDrain = beforeDrain;
        this.beforeRelease = beforeRelease;
        this.drainer = new Thread(this::drainLoop, "vigil-prediction-log-drain");
        this.drainer.setDaemon(true);
    }

    /** Opens the log with the {@linkplain PredictionLogDurability#DEFAULT default durability}. */
    public static SqlitePredictionLog open(Path home) {
        return open(home, PredictionLogDurability.DEFAULT);
    }

    public static SqlitePredictionLog open(Path home, PredictionLogDurability durability) {
        return open(home, durability, () -> {}, () -> {}, () -> {});
    }

    /** Opens the log with a hook run before each group is gathered (tests hold group commits with it). */
    static SqlitePredictionLog open(Path home, Runnable beforeBatch) {
        return open(home, PredictionLogDurability.DEFAULT, beforeBatch, () -> {}, () -> {});
    }

    /** Opens the log with hooks run before each group commit and before each drain transaction (tests). */
    static SqlitePredictionLog open(Path home, Runnable beforeBatch, Runnable beforeDrain) {
        return open(home, PredictionLogDurability.DEFAULT, beforeBatch, beforeDrain, () -> {});
    }

    /**
     * Opens the log with those hooks and one run on the drain thread before it frees a journal file a switch
     * replaced (tests).
     */
    static SqlitePredictionLog open(Path home, Runnable beforeBatch, Runnable beforeDrain, Runnable beforeRelease) {
        return open(home, PredictionLogDurability.DEFAULT, beforeBatch, beforeDrain, beforeRelease);
    }

    private static SqlitePredictionLog open(Path home, PredictionLogDurability durability, Runnable beforeBatch,
            Runnable beforeDrain, Runnable beforeRelease) {
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(durability, "durability");
        Objects.requireNonNull(beforeBatch, "beforeBatch");
        Objects.requireNonNull(beforeDrain, "beforeDrain");
        Objects.requireNonNull(beforeRelease, "beforeRelease");
        SqliteDatabase db = SqliteDatabase.open(home.resolve(FILE_NAME), "prediction log", synchronous(durability),
                MIGRATIONS, PAGE_SIZE);
        PredictionJournal journal = null;
        try {
            // Files made before the journal existed lack its table.
            db.write("prepare the journal state of the prediction log", c -> {
                try (Statement s = c.createStatement()) {
                    s.execute(JOURNAL_STATE);
                    // A purged record's bytes are overwritten, not left on a free page of the file.
                    s.execute("PRAGMA secure_delete = ON");
                }
                return null;
            });
            db.checkpointInBackground("vigil-checkpoint-" + FILE_NAME, SqliteDatabase.CHECKPOINT_PAGES);
            journal = PredictionJournal.open(home, durability == PredictionLogDurability.POWER_LOSS);
            SqlitePredictionLog log = new SqlitePredictionLog(db, journal, beforeBatch, beforeDrain, beforeRelease);
            log.replay();
            log.drainer.start();
            return log;
        } catch (RuntimeException e) {
            if (journal != null) {
                journal.close();
            }
            db.close();
            throw e;
        }
    }

    /**
     * In WAL mode NORMAL writes the commit to the WAL file before returning and fsyncs only at checkpoints,
     * which SQLite documents as durable across application crashes; FULL also fsyncs the WAL at every commit.
     */
    private static SQLiteConfig.SynchronousMode synchronous(PredictionLogDurability durability) {
        return switch (durability) {
            case PROCESS_CRASH -> SQLiteConfig.SynchronousMode.NORMAL;
            case POWER_LOSS -> SQLiteConfig.SynchronousMode.FULL;
        };
    }

    /** Moves what the journal holds beyond the last drain into SQLite, then starts an empty journal. */
    private void replay() {
        long[] state = db.read("read where the prediction journal was drained", c -> {
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT generation, drained_offset FROM prediction_journal")) {
                return rs.next() ? new long[] {rs.getLong(1), rs.getLong(2)} : new long[] {0, 0};
            }
        });
        long generation = journal.generation();
        long[] replayed = {0};
        journal.replay(state[0], state[1], MAX_RECORDS_PER_TRANSACTION, (records, blocks, end) -> {
            // A batch job's blocks come back as their appends made them, so that a block logged again is stored once
            // under its key and never joined with the records of another append.
            Stored alone = PredictionBlocks.split(records);
            List<Block> all = new ArrayList<>(alone.blocks());
            all.addAll(blocks);
            Stored stored = new Stored(alone.rows(), all);
            store(stored, generation, end);
            db.checkpointIfDue();
            replayed[0] += stored.records();
        });
        if (replayed[0] > 0) {
            LOG.info(() -> "moved " + replayed[0] + " journaled prediction record(s) into the database on start");
        }
        if (journal.end() > PredictionJournal.HEADER_BYTES || journal.predatesBlockMarks()) {
            journal.reset();
        }
    }

    /**
     * Returns once every record is written to the journal (and, with {@link PredictionLogDurability#POWER_LOSS},
     * forced to the disk), or throws; a record is never silently dropped.
     */
    @Override
    public void append(List<PredictionRecord> records) {
        Objects.requireNonNull(records, "records");
        for (PredictionRecord r : records) {
            if (r == null) {
                throw new ValidationException("the batch of prediction records contains a null entry");
            }
            if (r.time().isBefore(EARLIEST) || r.time().isAfter(LATEST)) {
                throw new ValidationException("prediction " + r.predictionId() + " has a time outside the years"
                        + " 1678-2262 that the prediction log can store; send the time of the scoring decision");
            }
        }
        // A block's bytes are its records' frames one after the other: journaled as they are, in one write, after a
        // mark that keeps them one block on replay.
        Stored stored = PredictionBlocks.split(records);
        List<byte[]> journaled = stored.rowFrames();
        for (Block b : stored.blocks()) {
            journaled.add(PredictionJournal.blockMark(b));
            journaled.add(b.frames());
        }
        PendingAppend pending = new PendingAppend(stored, records.size(), journaled, new CompletableFuture<>());
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw closedException();
            }
            if (pending.isStop()) {
                return;
            }
            enqueue(pending);
        } finally {
            lifecycle.readLock().unlock();
        }
        awaitCommitted(pending);
        try {
            // join() ignores interrupts on purpose: once queued, the caller must learn the outcome.
            pending.done().join();
        } catch (CompletionException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new StoreException(records.size() + " prediction record(s) were not logged: " + cause.getMessage(),
                    cause);
        }
    }

    @Override
    public void scan(ModelName model, Instant from, Instant to, Consumer<PredictionRecord> sink) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(from, "from");
        Objects.requireNonNull(to, "to");
        Objects.requireNonNull(sink, "sink");
        if (!from.isBefore(to)) {
            return;
        }
        ensureOpen();
        awaitDrained();
        long start = clampedNanos(from);
        long end = clampedNanos(to);
        db.read("scan the predictions of " + model, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT prediction_id, version, slot, patient, time_nanos,"
                    + " features, score, decision, explanation, batch FROM predictions"
                    + " WHERE model = ? AND time_nanos >= ? AND time_nanos < ? ORDER BY time_nanos, seq");
                    PreparedStatement b = blocksOverlapping(c, model, start, end, "seq, first_nanos, frames",
                            " ORDER BY first_nanos, seq")) {
                s.setString(1, model.value());
                s.setLong(2, start);
                s.setLong(3, end);
                s.setFetchSize(512);
                try (ResultSet rows = s.executeQuery(); ResultSet blocks = b.executeQuery()) {
                    merge(model, rows, blocks, start, end, sink);
                }
            }
            return null;
        });
    }

    /**
     * The blocks of {@code model} that may hold records with {@code from <= time < to}: those that start at most a
     * block's span before {@code from}, before {@code to}, and end at or after {@code from}.
     */
    private static PreparedStatement blocksOverlapping(Connection c, ModelName model, long from, long to,
            String columns, String order) throws SQLException {
        PreparedStatement b = c.prepareStatement("SELECT " + columns + " FROM prediction_blocks WHERE model = ?"
                + " AND first_nanos >= ? AND first_nanos < ? AND last_nanos >= ?" + order);
        b.setString(1, model.value());
        b.setLong(2, from < Long.MIN_VALUE + PredictionBlocks.MAX_SPAN_NANOS
                ? Long.MIN_VALUE : from - PredictionBlocks.MAX_SPAN_NANOS);
        b.setLong(3, to);
        b.setLong(4, from);
        return b;
    }

    /**
     * Streams the rows and the blocks' records in time order (a row before a block's record of the same time,
     * blocks among themselves in the order they were stored). A block is opened once every record before its
     * first is out, so only the blocks overlapping the current moment are held.
     */
    private static void merge(ModelName model, ResultSet rows, ResultSet blocks, long from, long to,
            Consumer<PredictionRecord> sink) throws SQLException {
        java.util.PriorityQueue<PredictionBlocks.Cursor> open =
                new java.util.PriorityQueue<>(PredictionBlocks.Cursor.ORDER);
        PredictionRecord row = rows.next() ? recordFrom(model, rows) : null;
        long rowNanos = row == null ? 0 : rows.getLong(5);
        boolean moreBlocks = blocks.next();
        while (true) {
            boolean haveRow = row != null;
            boolean haveOpen = !open.isEmpty();
            if (moreBlocks) {
                long first = blocks.getLong(2);
                if ((!haveRow || first <= rowNanos) && (!haveOpen || first <= open.peek().currentNanos())) {
                    PredictionBlocks.Cursor cursor = new PredictionBlocks.Cursor(blocks.getBytes(3), blocks.getLong(1),
                            from, to);
                    if (cursor.current() != null) {
                        open.add(cursor);
                    }
                    moreBlocks = blocks.next();
                    continue;
                }
            }
            if (haveRow && (!haveOpen || rowNanos <= open.peek().currentNanos())) {
                sink.accept(row);
                row = rows.next() ? recordFrom(model, rows) : null;
                rowNanos = row == null ? 0 : rows.getLong(5);
            } else if (haveOpen) {
                PredictionBlocks.Cursor cursor = open.poll();
                sink.accept(cursor.current());
                if (cursor.advance()) {
                    open.add(cursor);
                }
            } else {
                return;
            }
        }
    }


    @Override
    public Optional<PredictionRecord> find(ModelName model, String predictionId, Instant time) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(predictionId, "predictionId");
        ensureOpen();
        awaitDrained();
        // The id's time is the record's to the millisecond: the (model, time) index narrows the read to that moment.
        long from = clampedNanos(time.truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        return db.read("find a prediction of " + model, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT prediction_id, version, slot, patient, time_nanos,"
                    + " features, score, decision, explanation, batch FROM predictions"
                    + " WHERE model = ? AND time_nanos >= ? AND time_nanos < ? AND prediction_id = ?")) {
                s.setString(1, model.value());
                s.setLong(2, from);
                s.setLong(3, from + 1_000_000L);
                s.setString(4, predictionId);
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next()) {
                        return Optional.of(recordFrom(model, rs));
                    }
                }
            }
            try (PreparedStatement b = blocksOverlapping(c, model, from, from + 1_000_000L, "frames", "");
                    ResultSet blocks = b.executeQuery()) {
                while (blocks.next()) {
                    Optional<PredictionRecord> found = PredictionBlocks.find(blocks.getBytes(1), predictionId, from,
                            from + 1_000_000L);
                    if (found.isPresent()) {
                        return found;
                    }
                }
            }
            return Optional.<PredictionRecord>empty();
        });
    }

    /**
     * The ids grouped by the millisecond they carry, each moment read once in one read transaction: its rows by the
     * {@code (model, time)} index, and the blocks that may hold it, decoding only the records of wanted ids.
     */
    @Override
    public Set<String> logged(ModelName model, Collection<String> predictionIds) {
        Objects.requireNonNull(model, "model");
        Map<Long, Set<String>> byMoment = new TreeMap<>();
        for (String id : predictionIds) {
            PredictionIds.timeOf(id).ifPresent(time -> byMoment.computeIfAbsent(clampedNanos(time),
                    moment -> new HashSet<>()).add(id));
        }
        if (byMoment.isEmpty()) {
            return Set.of();
        }
        ensureOpen();
        awaitDrained();
        return db.read("look up predictions of " + model, c -> {
            Set<String> found = new HashSet<>();
            try (PreparedStatement s = c.prepareStatement("SELECT prediction_id FROM predictions"
                    + " WHERE model = ? AND time_nanos >= ? AND time_nanos < ?")) {
                for (Map.Entry<Long, Set<String>> moment : byMoment.entrySet()) {
                    long from = moment.getKey();
                    long to = from + 1_000_000L;
                    s.setString(1, model.value());
                    s.setLong(2, from);
                    s.setLong(3, to);
                    try (ResultSet rows = s.executeQuery()) {
                        while (rows.next()) {
                            if (moment.getValue().contains(rows.getString(1))) {
                                found.add(rows.getString(1));
                            }
                        }
                    }
                    try (PreparedStatement b = blocksOverlapping(c, model, from, to, "frames", "");
                            ResultSet blocks = b.executeQuery()) {
                        while (blocks.next()) {
                            PredictionBlocks.findAll(blocks.getBytes(1), moment.getValue(), from, to, found);
                        }
                    }
                }
            }
            return found;
        });
    }

    @Override
    public long purgeOlderThan(Instant cutoff) {
        Objects.requireNonNull(cutoff, "cutoff");
        ensureOpen();
        awaitDrained();
        long bound = clampedNanos(cutoff);
        long total = 0;
        // Deleting in chunks lets the drain commit between them instead of waiting for one long delete.
        while (true) {
            int deleted = db.write("purge old predictions", c -> {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM predictions WHERE seq IN"
                        + " (SELECT seq FROM predictions WHERE time_nanos < ? LIMIT " + PURGE_CHUNK + ")")) {
                    s.setLong(1, bound);
                    return s.executeUpdate();
                }
            });
            total += deleted;
            if (deleted < PURGE_CHUNK) {
                break;
            }
        }
        total += purgeBlocksOlderThan(bound);
        // The purged records must leave the files too: the journal still holds every record since its last switch
        // (a quiet log may not reach RESET_BYTES for months), and the WAL keeps page images of deleted rows.
        startEmptyJournalIfDrained();
        if (!db.truncateWal("remove purged predictions from the write-ahead log")) {
            LOG.warning("a reader kept the prediction log's write-ahead log from being truncated after a purge; the"
                    + " next purge truncates it");
        }
        return total;
    }

    /** The copies of a damaged journal that a start kept aside ({@code journal/predictions.journal.damaged-*}). */
    @Override
    public int purgeDamagedCopiesBefore(Instant cutoff, Consumer<DamagedCopy> beforeRemoval) {
        Objects.requireNonNull(cutoff, "cutoff");
        Objects.requireNonNull(beforeRemoval, "beforeRemoval");
        ensureOpen();
        return journal.removeDamagedCopiesBefore(cutoff, beforeRemoval);
    }

    /** The records the drain set aside because the database refused them ({@code journal/predictions.refused}). */
    @Override
    public long purgeRefusedBefore(Instant cutoff, Consumer<RefusedPurge> beforeRemoval) {
        Objects.requireNonNull(cutoff, "cutoff");
        Objects.requireNonNull(beforeRemoval, "beforeRemoval");
        ensureOpen();
        return journal.removeRefusedBefore(cutoff, beforeRemoval);
    }

    /**
     * Starts an empty journal if everything in it is in the database; a purge calls it so that the records it
     * deleted are not kept in the journal. Under steady traffic the journal is seldom fully drained, but then it
     * reaches {@link #RESET_BYTES} and starts again soon enough by itself.
     */
    private void startEmptyJournalIfDrained() {
        PredictionJournal.Retired replaced = null;
        switchLock.lock();
        try {
            commitLock.lock();
            try {
                if (!journalClosed && journal.end() > PredictionJournal.HEADER_BYTES && drainQueue.isEmpty()
                        && undrained() == 0) {
                    Path next = preparedJournal != null && Files.exists(preparedJournal)
                            ? preparedJournal : journal.prepareNext();
                    preparedJournal = null;
                    replaced = journal.reset(next);
                }
            } finally {
                commitLock.unlock();
            }
        } finally {
            switchLock.unlock();
        }
        if (replaced != null) {
            replaced.close();
        }
    }

    /**
     * Deletes the blocks whose every record is older than {@code bound}, a few at a time, then cuts the older
     * records out of the blocks that straddle it (they start at most a block's span before it).
     */
    private long purgeBlocksOlderThan(long bound) {
        long total = 0;
        while (true) {
            long[] deleted = db.write("purge old blocks of predictions", c -> {
                long records = 0;
                int blocks = 0;
                try (PreparedStatement s = c.prepareStatement("SELECT seq, records FROM prediction_blocks"
                        + " WHERE first_nanos < ? AND last_nanos < ? LIMIT " + PURGE_BLOCKS);
                        PreparedStatement d = c.prepareStatement("DELETE FROM prediction_blocks WHERE seq = ?")) {
                    s.setLong(1, bound);
                    s.setLong(2, bound);
                    List<Long> seqs = new ArrayList<>();
                    try (ResultSet rs = s.executeQuery()) {
                        while (rs.next()) {
                            seqs.add(rs.getLong(1));
                            records += rs.getLong(2);
                        }
                    }
                    for (long seq : seqs) {
                        d.setLong(1, seq);
                        d.executeUpdate();
                        blocks++;
                    }
                }
                return new long[] {blocks, records};
            });
            total += deleted[1];
            if (deleted[0] < PURGE_BLOCKS) {
                break;
            }
        }
        return total + db.write("purge old predictions from blocks", c -> {
            long cut = 0;
            try (PreparedStatement s = c.prepareStatement("SELECT seq, records, frames FROM prediction_blocks"
                    + " WHERE first_nanos < ? AND last_nanos >= ?");
                    PreparedStatement u = c.prepareStatement("UPDATE prediction_blocks SET first_nanos = ?,"
                            + " records = ?, frames = ? WHERE seq = ?")) {
                s.setLong(1, bound);
                s.setLong(2, bound);
                // Read first, then rewritten: not while the query that found them is still walking the index.
                record Straddling(long seq, int records, byte[] frames) {}
                List<Straddling> straddling = new ArrayList<>();
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        straddling.add(new Straddling(rs.getLong(1), rs.getInt(2), rs.getBytes(3)));
                    }
                }
                for (Straddling block : straddling) {
                    byte[] kept = PredictionBlocks.keepFrom(block.frames(), bound);
                    List<PredictionRecord> left = PredictionBlocks.records(kept);
                    cut += block.records() - left.size();
                    // Not empty: the block's last record is at or after the bound.
                    u.setLong(1, clampedNanos(left.get(0).time()));
                    u.setInt(2, left.size());
                    u.setBytes(3, kept);
                    u.setLong(4, block.seq());
                    u.executeUpdate();
                }
            }
            return cut;
        });
    }

    /**
     * Stops taking appends, journals everything already queued (those callers get their answer), moves every
     * journaled record into SQLite, then closes the journal and the database. Appends that arrive after this
     * point fail with a StoreException. Records the drain cannot move stay in the journal for the next start.
     */
    @Override
    public void close() {
        lifecycle.writeLock().lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lifecycle.writeLock().unlock();
        }
        // Every append admitted before `closed` was set is already queued (appends enqueue under the read
        // lock), so once the marker behind them is reached, all of them have their answer.
        PendingAppend stop = new PendingAppend(new Stored(List.of(), List.of()), 0, List.of(), new CompletableFuture<>());
        boolean interrupted = false;
        while (true) {
            try {
                queue.put(stop);
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        awaitCommitted(stop);
        stopping = true;
        drainQueue.add(Journaled.STOP);
        LockSupport.unpark(drainer);
        interrupted |= SqliteDatabase.joinUninterruptibly(drainer);
        commitLock.lock();
        try {
            journalClosed = true;
            if (!abandoned && undrained() == 0 && journal.end() > PredictionJournal.HEADER_BYTES) {
                try {
                    journal.reset();
                } catch (StoreException e) {
                    // the journal is replayed on the next start instead; nothing is lost
                }
            }
            journal.close();
            if (preparedJournal != null) {
                // the drain has stopped (joined above): a next journal kept for a switch that never came is removed
                try {
                    Files.deleteIfExists(preparedJournal);
                } catch (IOException e) {
                    // an empty file of a generation not in use: the next start's first switch writes it again
                }
            }
            closeStatements();
            db.close();
        } finally {
            commitLock.unlock();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops as a killed process would: nothing more is drained, the journal keeps what it has, and the files
     * are closed without the clean-up {@link #close} does. For tests of the start after a crash.
     */
    void abandon() {
        abandoned = true;
        drainer.interrupt();
        close();
    }

    /** Group writes to the journal since the log was opened; with {@link #journaledRecords()}, how well appends batch. */
    public long groupCommits() {
        return groupCommits.get();
    }

    /** Records acknowledged (written to the journal) since the log was opened. */
    public long journaledRecords() {
        return journaledRecords.get();
    }

    /** Transactions that moved journaled records into SQLite since the log was opened. */
    public long drainTransactions() {
        return drainTransactions.get();
    }

    /** SQLite's {@code synchronous} level on the connection that commits: 1 is NORMAL, 2 is FULL. */
    int synchronousLevel() {
        return db.write("read the durability level", c -> SqliteDatabase.queryInt(c, "PRAGMA synchronous"));
    }

    /**
     * Empty journals of the next generation written and forced so far: one per switch, plus at most one kept for
     * a switch still to come, however often a switch finds records arriving and waits for the next drain.
     */
    long journalsPrepared() {
        return journalsPrepared.get();
    }

    /** Appends (and a closing log's stop marker) queued and not yet taken into a group. */
    int pendingAppends() {
        return queue.size();
    }

    /** Records acknowledged and not yet in SQLite. */
    long undrained() {
        synchronized (drainMonitor) {
            return journaledRecords.get() - drainedRecords;
        }
    }

    private void enqueue(PendingAppend pending) {
        try {
            queue.put(pending);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for room in the prediction log's queue; nothing"
                    + " was written: retry the append", e);
        }
    }

    /**
     * Writes queued groups on this thread until {@code pending} has its outcome. Whoever holds the commit
     * lock writes everything queued ahead of it, so a caller that waited for the lock usually finds its
     * records already written by the holder, which is what batches many callers into one write.
     */
    private void awaitCommitted(PendingAppend pending) {
        while (!pending.done().isDone()) {
            commitLock.lock();
            try {
                if (!pending.done().isDone()) {
                    commitNextBatch();
                }
            } finally {
                commitLock.unlock();
            }
        }
    }

    /** Takes the appends at the head of the queue (up to a transaction's worth) and journals them. */
    private void commitNextBatch() {
        PendingAppend first = queue.poll();
        if (first == null) {
            return; // everything queued was written by an earlier holder of the lock
        }
        if (first.isStop()) {
            first.done().complete(null);
            return;
        }
        List<PendingAppend> batch = new ArrayList<>();
        batch.add(first);
        PendingAppend stop = null;
        try {
            try {
                beforeBatch.run();
            } catch (RuntimeException e) {
                // a hook failure must not cost the group its write
            }
            int count = first.count();
            for (PendingAppend next; count < MAX_RECORDS_PER_TRANSACTION && (next = queue.poll()) != null; ) {
                if (next.isStop()) {
                    stop = next; // nothing is queued behind it
                    break;
                }
                batch.add(next);
                count += next.count();
            }
            commit(batch, count);
        } catch (Throwable t) {
            // Only reached if gathering itself failed: no caller taken from the queue may be left waiting.
            StoreException failed = new StoreException("the prediction log could not journal these records;"
                    + " nothing of them was acknowledged", t);
            batch.forEach(p -> p.done().completeExceptionally(failed));
            throw t;
        } finally {
            if (stop != null) {
                stop.done().complete(null);
            }
        }
    }

    /** One write of the group's frames to the journal; then the callers are released and the drain takes over. */
    private void commit(List<PendingAppend> batch, int count) {
        try {
            if (journalClosed) {
                throw new StoreException("the prediction journal was closed before these records were written;"
                        + " nothing of them was acknowledged", null);
            }
            awaitDrainRoom();
            List<byte[]> frames;
            if (batch.size() == 1) {
                frames = batch.get(0).frames();
            } else {
                frames = new ArrayList<>(count);
                for (PendingAppend p : batch) {
                    frames.addAll(p.frames());
                }
            }
            // Placed before the write, so that a mismatch is found while nothing of the group is in the journal.
            Journaled placed = placed(batch, count, journal.end(), frames);
            journal.write(frames);
            groupCommits.incrementAndGet();
            journaledRecords.addAndGet(count);
            drainQueue.add(placed);
            if (drainIdle) {
                LockSupport.unpark(drainer);
            }
            batch.forEach(p -> p.done().complete(null));
        } catch (Throwable t) {
            // Nothing of the group was acknowledged: every caller in it learns that its records are not logged.
            batch.forEach(p -> p.done().completeExceptionally(t));
        }
    }

    /**
     * What the drain needs of a group whose {@code frames} are written from {@code start} on: each append's frames are
     * its rows' then its blocks' with their marks ({@link #append}), so each row's place follows from the lengths
     * before it.
     */
    private Journaled placed(List<PendingAppend> batch, int count, long start, List<byte[]> frames) {
        List<Placed> rows = new ArrayList<>();
        List<Block> blocks = new ArrayList<>();
        long at = start;
        for (PendingAppend p : batch) {
            for (PredictionBlocks.Row r : p.stored().rows()) {
                rows.add(new Placed(r.model(), r.nanos(), at, r.frame().length));
                at += r.frame().length;
            }
            for (Block b : p.stored().blocks()) {
                blocks.add(b);
                at += PredictionJournal.BLOCK_MARK_BYTES + b.frames().length;
            }
        }
        long written = start;
        for (byte[] f : frames) {
            written += f.length;
        }
        if (at != written) {
            throw new IllegalStateException("a group's frames take " + (written - start) + " bytes where its records' take "
                    + (at - start));
        }
        return new Journaled(rows, blocks, count, journal.generation(), at);
    }

    /** Back-pressure: while the drain is far behind, wait for it; if it is failing meanwhile, refuse. */
    private void awaitDrainRoom() {
        synchronized (drainMonitor) {
            while (journaledRecords.get() - drainedRecords >= MAX_UNDRAINED_RECORDS) {
                if (drainFailure != null || !drainer.isAlive()) {
                    throw new StoreException("the prediction log cannot move records into its database and "
                            + MAX_UNDRAINED_RECORDS + " are waiting; nothing of these was acknowledged. Cause: "
                            + (drainFailure == null ? "the drain stopped" : drainFailure.getMessage()), drainFailure);
                }
                waitOnDrain();
            }
        }
    }

    /** Waits until every record acknowledged before this call is in SQLite; readers that must see them call it. */
    private void awaitDrained() {
        long target = journaledRecords.get();
        waitingReaders.incrementAndGet();
        try {
            if (undrained() > 0) {
                hurry = true; // cuts short a drain lingering for more records
                LockSupport.unpark(drainer);
            }
            awaitDrained(target);
        } finally {
            waitingReaders.decrementAndGet();
        }
    }

    private void awaitDrained(long target) {
        synchronized (drainMonitor) {
            while (drainedRecords < target) {
                if (drainFailure != null) {
                    throw new StoreException((target - drainedRecords) + " acknowledged prediction record(s) are in"
                            + " the journal but not yet in the database, which failed: " + drainFailure.getMessage()
                            + ". They are kept and retried; read again once the database is writable", drainFailure);
                }
                if (!drainer.isAlive()) {
                    throw new StoreException("the prediction log's drain has stopped with " + (target - drainedRecords)
                            + " record(s) still in the journal; they are moved into the database on the next start",
                            null);
                }
                waitOnDrain();
            }
        }
    }

    private void waitOnDrain() {
        try {
            drainMonitor.wait(100);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for the prediction log's drain", e);
        }
    }

    /** The drain thread: moves journaled groups into SQLite, up to a transaction's worth at a time, in order. */
    private void drainLoop() {
        List<Journaled> batch = new ArrayList<>();
        while (true) {
            Journaled first = drainQueue.poll();
            if (first == null) {
                drainIdle = true;
                // Checked again after saying so: a group added before the flag was visible is not missed.
                first = drainQueue.poll();
                if (first == null) {
                    LockSupport.park(this);
                    drainIdle = false;
                    if (abandoned) {
                        return;
                    }
                    continue;
                }
                drainIdle = false;
            }
            if (first == Journaled.STOP) {
                return;
            }
            // Linger for more groups unless a reader waits or the log closes; nobody wakes this thread meanwhile.
            long lingerUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(DRAIN_LINGER_MILLIS);
            for (long left; !hurry && !stopping && waitingReaders.get() == 0
                    && (left = lingerUntil - System.nanoTime()) > 0; ) {
                LockSupport.parkNanos(this, left);
            }
            hurry = false;
            if (abandoned) {
                return;
            }
            batch.clear();
            batch.add(first);
            int count = first.count();
            boolean stop = false;
            for (Journaled next; count < MAX_RECORDS_PER_TRANSACTION && (next = drainQueue.peek()) != null; ) {
                drainQueue.poll();
                if (next == Journaled.STOP) {
                    stop = true;
                    break;
                }
                batch.add(next);
                count += next.count();
            }
            try {
                beforeDrain.run();
            } catch (RuntimeException e) {
                // a hook failure must not stop the drain
            }
            if (abandoned || !drainWithRetries(batch, count) || stop) {
                return;
            }
            resetJournalIfDrained();
        }
    }

    /** Drains one batch, retrying with back-off; false when the log is closing and the batch was not drained. */
    private boolean drainWithRetries(List<Journaled> batch, int count) {
        Journaled last = batch.get(batch.size() - 1);
        long delay = 50;
        while (true) {
            try {
                store(loaded(batch), last.generation(), last.endOffset());
                db.checkpointIfDue();
                drainTransactions.incrementAndGet();
                drained(count, null);
                return true;
            } catch (StoreException e) {
                drained(0, e);
                LOG.log(Level.WARNING, "could not move " + count + " journaled prediction record(s) into the"
                        + " database; they stay in the journal and are retried: " + e.getMessage());
                if (stopping) {
                    return false;
                }
                sleep(delay);
                delay = Math.min(delay * 2, MAX_RETRY_MILLIS);
            }
        }
    }

    /**
     * A drain batch's records as the database stores them: the answered predictions' frames read back from the journal
     * in one read (they lie between the first one's place and the last one's end) and joined into blocks, then the
     * batch jobs' blocks as they were appended.
     */
    private Stored loaded(List<Journaled> batch) {
        List<Placed> rows = new ArrayList<>();
        List<Block> blocks = new ArrayList<>();
        for (Journaled j : batch) {
            rows.addAll(j.rows());
            blocks.addAll(j.blocks());
        }
        if (rows.isEmpty()) {
            return new Stored(List.of(), blocks);
        }
        long from = Long.MAX_VALUE;
        long to = 0;
        for (Placed r : rows) {
            from = Math.min(from, r.offset());
            to = Math.max(to, r.offset() + r.length());
        }
        int length = Math.toIntExact(to - from);
        ByteBuffer frames;
        if (length <= MAX_KEPT_READ_BYTES) {
            if (drainRead.capacity() < length) {
                drainRead = ByteBuffer.allocateDirect(Math.min(MAX_KEPT_READ_BYTES, Integer.highestOneBit(length - 1) << 1));
            }
            frames = drainRead.clear().limit(length);
        } else {
            frames = ByteBuffer.allocate(length); // a backlog's read, once
        }
        journal.read(from, frames);
        List<Block> answered = PredictionBlocks.placedAsBlocks(rows, frames, from);
        List<Block> all = new ArrayList<>(blocks.size() + answered.size());
        all.addAll(blocks);
        all.addAll(answered);
        return new Stored(List.of(), all);
    }

    /**
     * Inserts the records (rows and blocks) and records where the drain stopped in one transaction. If SQLite
     * refuses one of them (a constraint), the others go in one by one and the refused ones are set aside, so one
     * bad record does not hold up every record behind it.
     */
    private void store(Stored records, long generation, long endOffset) {
        Stored blocked = PredictionBlocks.rowsAsBlocks(records);
        try {
            db.write("log " + records.records() + " prediction record(s)", c -> {
                insertBlocks(c, blocked.blocks()); // answered predictions too: rowsAsBlocks leaves no rows
                mark(c, generation, endOffset);
                return null;
            });
        } catch (StoreException e) {
            if (!isRefusal(e)) {
                throw e;
            }
            List<PredictionRecord> refused = db.write("log " + records.records() + " prediction record(s) one by one",
                    c -> insertEachSettingAsideRefused(c, records, generation, endOffset));
            LOG.severe(() -> "the prediction database refused " + refused.size() + " record(s); they were set aside"
                    + " in " + PredictionJournal.FOLDER + "/" + PredictionJournal.REFUSED_FILE_NAME);
        }
    }

    private List<PredictionRecord> insertEachSettingAsideRefused(Connection c, Stored records,
            long generation, long endOffset) throws SQLException {
        List<PredictionRecord> refused = new ArrayList<>();
        PreparedStatement s = insertStatement(c);
        for (PredictionBlocks.Row row : records.rows()) {
            PredictionRecord r = row.record();
            if (!insertedAlone(c, () -> {
                bind(s, r);
                s.executeUpdate();
            })) {
                refused.add(r);
            }
        }
        PreparedStatement b = insertBlockStatement(c);
        for (Block block : records.blocks()) {
            if (block.key() == null) {
                // Answered predictions the drain joined into a block: each on its own, as a row, so that one refused
                // record is set aside alone.
                for (PredictionRecord r : PredictionBlocks.records(block.frames())) {
                    if (!insertedAlone(c, () -> {
                        bind(s, r);
                        s.executeUpdate();
                    })) {
                        refused.add(r);
                    }
                }
                continue;
            }
            if (!insertedAlone(c, () -> {
                bind(b, block);
                b.executeUpdate();
            })) {
                refused.addAll(PredictionBlocks.records(block.frames()));
            }
        }
        // Set aside (and forced to the disk) before the transaction that moves the drain past them commits.
        journal.setAside(refused);
        mark(c, generation, endOffset);
        return refused;
    }

    /** An insert that SQL can fail, run on its own.  */
    @FunctionalInterface
    private interface Insert {
        void run() throws SQLException;
    }

    /** Runs one insert in a savepoint; false (and nothing of it kept) when SQLite refuses it. */
    private static boolean insertedAlone(Connection c, Insert insert) throws SQLException {
        exec(c, "SAVEPOINT one_record");
        try {
            insert.run();
            exec(c, "RELEASE one_record");
            return true;
        } catch (SQLException e) {
            exec(c, "ROLLBACK TO one_record");
            exec(c, "RELEASE one_record");
            if (!isRefusal(e)) {
                throw e;
            }
            return false;
        }
    }

    private static boolean isRefusal(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLiteException se) {
                int primary = se.getResultCode().code & 0xff;
                return primary == SQLiteErrorCode.SQLITE_CONSTRAINT.code
                        || primary == SQLiteErrorCode.SQLITE_MISMATCH.code
                        || primary == SQLiteErrorCode.SQLITE_TOOBIG.code;
            }
        }
        return false;
    }

    private void drained(int count, StoreException failure) {
        synchronized (drainMonitor) {
            drainedRecords += count;
            drainFailure = failure;
            drainMonitor.notifyAll();
        }
    }

    /**
     * Starts an empty journal once it is long and fully drained. Only tries the commit lock: a caller holding it
     * may be waiting for this thread to drain.
     */
    private void resetJournalIfDrained() {
        // A hint read without the lock (checked again under it): most drains leave the journal short or busy.
        if (!drainQueue.isEmpty() || undrained() != 0 || journal.end() <= RESET_BYTES) {
            return;
        }
        if (!switchLock.tryLock()) {
            return; // a purge is switching the journal
        }
        try {
            // The new file is written and forced before the lock is taken: journal writes wait on that lock, and a
            // forced write can take milliseconds, which every request arriving meanwhile would have waited. Under
            // steady traffic records usually arrive during that force and the switch waits for the next drain:
            // the file is kept for it, not written and forced again at every drain (each force also makes the file
            // system commit, which stalls the journal's own appends).
            if (preparedJournal == null || !Files.exists(preparedJournal)) {
                preparedJournal = journal.prepareNext();
                journalsPrepared.incrementAndGet();
            }
            PredictionJournal.Retired replaced = null;
            if (commitLock.tryLock()) {
                try {
                    if (!journalClosed && journal.end() > RESET_BYTES && drainQueue.isEmpty() && undrained() == 0) {
                        Path next = preparedJournal;
                        preparedJournal = null; // reset consumes it, or deletes it if it fails
                        replaced = journal.reset(next);
                    }
                } finally {
                    commitLock.unlock();
                }
            }
            if (replaced != null) {
                // Freeing the replaced file waits for the kernel to drop its pages (milliseconds once write-back has
                // begun): done here, after the lock, so that no journal write waits for it.
                beforeRelease.run();
                replaced.close();
            }
        } catch (StoreException e) {
            LOG.warning(() -> "could not start a new prediction journal; the current one grows until the next"
                    + " attempt: " + e.getMessage());
        } finally {
            switchLock.unlock();
        }
    }

    private static void sleep(long millis) {
        try {
            TimeUnit.MILLISECONDS.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The INSERT, compiled once: preparing it for every transaction would cost a sizeable part of it. */
    private PreparedStatement insertStatement(Connection c) throws SQLException {
        if (insert == null) {
            insert = c.prepareStatement(INSERT);
        }
        return insert;
    }

    private PreparedStatement insertBlockStatement(Connection c) throws SQLException {
        if (insertBlock == null) {
            insertBlock = c.prepareStatement(INSERT_BLOCK);
        }
        return insertBlock;
    }

    private void mark(Connection c, long generation, long endOffset) throws SQLException {
        if (markDrained == null) {
            markDrained = c.prepareStatement(MARK_DRAINED);
        }
        markDrained.setLong(1, generation);
        markDrained.setLong(2, endOffset);
        markDrained.executeUpdate();
    }

    private void closeStatements() {
        for (PreparedStatement s : new PreparedStatement[] {insert, insertBlock, markDrained}) {
            if (s != null) {
                try {
                    s.close();
                } catch (SQLException ignored) {
                    // closing the database releases it anyway
                }
            }
        }
        insert = null;
        insertBlock = null;
        markDrained = null;
    }

    private void insertBlocks(Connection c, List<Block> blocks) throws SQLException {
        if (blocks.isEmpty()) {
            return;
        }
        PreparedStatement s = insertBlockStatement(c);
        for (Block b : blocks) {
            bind(s, b);
            s.executeUpdate();
        }
        // The statement keeps its last parameters until it is bound again, the next drain's: a block's bytes would
        // then outlive their insert by the drain's linger, across a young collection (docs/adr/0041).
        s.clearParameters();
    }

    private static void bind(PreparedStatement s, Block b) throws SQLException {
        s.setString(1, b.model().value());
        s.setLong(2, b.firstNanos());
        s.setLong(3, b.lastNanos());
        s.setInt(4, b.records());
        s.setBytes(5, b.frames());
        setNullable(s, 6, b.key());
    }

    private static void bind(PreparedStatement s, PredictionRecord r) throws SQLException {
        s.setString(1, r.predictionId());
        s.setString(2, r.modelName().value());
        s.setInt(3, r.version());
        s.setString(4, r.slot().wireName());
        setNullable(s, 5, r.patientPseudonym());
        s.setLong(6, clampedNanos(r.time()));
        s.setBytes(7, encode(r.features()));
        s.setDouble(8, r.score());
        s.setInt(9, r.decision() ? 1 : 0);
        setNullable(s, 10, r.explanation());
        setNullable(s, 11, r.batchId());
    }

    private static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private static PredictionRecord recordFrom(ModelName model, ResultSet rs) throws SQLException {
        long nanos = rs.getLong(5);
        return new PredictionRecord(rs.getString(1), model, rs.getInt(2), Slot.fromWire(rs.getString(3)),
                rs.getString(4), Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L),
                        Math.floorMod(nanos, 1_000_000_000L)),
                decode(rs.getBytes(6)), rs.getDouble(7), rs.getInt(8) != 0, rs.getString(9), rs.getString(10));
    }

    static byte[] encode(float[] features) {
        ByteBuffer buffer = ByteBuffer.allocate(features.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        buffer.asFloatBuffer().put(features);
        return buffer.array();
    }

    static float[] decode(byte[] blob) {
        if (blob == null || blob.length % Float.BYTES != 0) {
            throw new StoreException("a stored prediction's features are not a whole number of float32 values;"
                    + " the prediction log is damaged", null);
        }
        float[] features = new float[blob.length / Float.BYTES];
        ByteBuffer.wrap(blob).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(features);
        return features;
    }

    static long clampedNanos(Instant t) {
        if (t.isBefore(EARLIEST)) {
            return Long.MIN_VALUE;
        }
        if (t.isAfter(LATEST)) {
            return Long.MAX_VALUE;
        }
        long seconds = t.getEpochSecond();
        long nanos = t.getNano();
        if (seconds < 0 && nanos > 0) {
            // seconds * 1e9 alone would overflow just above EARLIEST; borrow one second first.
            return Math.multiplyExact(seconds + 1, 1_000_000_000L) + (nanos - 1_000_000_000L);
        }
        return Math.addExact(Math.multiplyExact(seconds, 1_000_000_000L), nanos);
    }

    private static void setNullable(PreparedStatement s, int index, String value) throws SQLException {
        if (value == null) {
            s.setNull(index, Types.VARCHAR);
        } else {
            s.setString(index, value);
        }
    }

    private void ensureOpen() {
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw closedException();
            }
        } finally {
            lifecycle.readLock().unlock();
        }
    }

    private static StoreException closedException() {
        return new StoreException("the prediction log is closed; open it again to append or read", null);
    }
}
