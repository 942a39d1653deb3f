package health.vigil.adapter.local;

import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.port.PredictionLog;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import org.sqlite.SQLiteConfig;

/**
 * The local prediction log in {@code {home}/predictions.db}, with group commit: every {@link #append} is
 * queued, and whichever caller holds the commit lock commits everything queued so far (many callers' records)
 * in one transaction and only then releases those callers. Under load one commit serves a whole batch; an idle
 * log commits a lone record at once on the caller's own thread, with no hand-over to another thread and back,
 * which on a busy host costs as much as the commit itself.
 *
 * <p>Durability ({@link PredictionLogDurability}): WAL, and by default {@code synchronous=NORMAL}. A commit has
 * then written its WAL frames to the operating system before {@code append} returns, so a record is never lost if
 * the process is killed after it answered; an OS crash or power loss may roll back the commits made since the WAL
 * was last fsynced (at a checkpoint). {@link PredictionLogDurability#POWER_LOSS} ({@code synchronous=FULL})
 * fsyncs the WAL at every commit and survives those too, at the price of one fsync (about a millisecond on
 * common disks) per group commit.
 *
 * <p>Features are stored as a little-endian float32 blob (4 bytes per feature).
 */
final class SqlitePredictionLog implements PredictionLog {
    public static final String FILE_NAME = "predictions.db";
    /** Bounds one transaction, so one large burst does not hold the write lock (and readers' WAL) for long. */
    static final int MAX_RECORDS_PER_TRANSACTION = 5_000;
    /** Appends waiting to be committed; beyond this, callers wait to enqueue (back-pressure, not memory growth). */
    static final int MAX_PENDING_APPENDS = 10_000;
    private static final int PURGE_CHUNK = 10_000;
    // Nanoseconds since the epoch fit a long from 1677-09-21 to 2262-04-11.
    private static final Instant EARLIEST = Instant.ofEpochSecond(0, Long.MIN_VALUE);
    private static final Instant LATEST = Instant.ofEpochSecond(0, Long.MAX_VALUE);
    private static final int SCHEMA_VERSION = 1;
    private static final List<String> SCHEMA = List.of(
            "CREATE TABLE predictions (seq INTEGER PRIMARY KEY, prediction_id TEXT NOT NULL, model TEXT NOT NULL,"
                    + " version INTEGER NOT NULL, slot TEXT NOT NULL, patient TEXT, time_nanos INTEGER NOT NULL,"
                    + " features BLOB NOT NULL, score REAL NOT NULL, decision INTEGER NOT NULL, explanation TEXT)",
            "CREATE INDEX predictions_by_model_time ON predictions (model, time_nanos)",
            "CREATE INDEX predictions_by_time ON predictions (time_nanos)");
    private static final String INSERT = "INSERT INTO predictions (prediction_id, model, version, slot, patient,"
            + " time_nanos, features, score, decision, explanation) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private final SqliteDatabase db;
    private final BlockingQueue<PendingAppend> queue = new LinkedBlockingQueue<>(MAX_PENDING_APPENDS);
    private final ReadWriteLock lifecycle = new ReentrantReadWriteLock();
    /** Held by the one thread committing a batch; the others queue behind it and find their records committed. */
    private final ReentrantLock commitLock = new ReentrantLock();
    private final Runnable beforeBatch;
    private final AtomicLong transactions = new AtomicLong();
    private final AtomicLong committedRecords = new AtomicLong();
    private boolean closed; // guarded by lifecycle's write lock; read under its read lock
    private PreparedStatement insert; // guarded by commitLock; compiled once, on the writer connection
    private boolean databaseClosed; // guarded by commitLock

    /** Records waiting to be committed; a stop marker has none, and is done once everything before it is. */
    private record PendingAppend(List<PredictionRecord> records, CompletableFuture<Void> done) {
        boolean isStop() {
            return records.isEmpty();
        }
    }

    private SqlitePredictionLog(SqliteDatabase db, Runnable beforeBatch) {
        this.db = db;
        this.beforeBatch = beforeBatch;
    }

    /** Opens the log with the {@linkplain PredictionLogDurability#DEFAULT default durability}. */
    public static SqlitePredictionLog open(Path home) {
        return open(home, PredictionLogDurability.DEFAULT);
    }

    public static SqlitePredictionLog open(Path home, PredictionLogDurability durability) {
        return open(home, durability, () -> {});
    }

    /** Opens the log with a hook run before each batch is gathered (tests hold batches with it). */
    static SqlitePredictionLog open(Path home, Runnable beforeBatch) {
        return open(home, PredictionLogDurability.DEFAULT, beforeBatch);
    }

    private static SqlitePredictionLog open(Path home, PredictionLogDurability durability, Runnable beforeBatch) {
        Objects.requireNonNull(home, "home");
        Objects.requireNonNull(durability, "durability");
        Objects.requireNonNull(beforeBatch, "beforeBatch");
        return new SqlitePredictionLog(SqliteDatabase.open(home.resolve(FILE_NAME), "prediction log",
                synchronous(durability), SCHEMA_VERSION, SCHEMA), beforeBatch);
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

    /**
     * Returns once every record is committed (and, with {@link PredictionLogDurability#POWER_LOSS}, fsynced), or
     * throws; a record is never silently dropped.
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
        PendingAppend pending = new PendingAppend(List.copyOf(records), new CompletableFuture<>());
        lifecycle.readLock().lock();
        try {
            if (closed) {
                throw closedException();
            }
            if (pending.records().isEmpty()) {
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
        db.read("scan the predictions of " + model, c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT prediction_id, version, slot, patient, time_nanos,"
                    + " features, score, decision, explanation FROM predictions"
                    + " WHERE model = ? AND time_nanos >= ? AND time_nanos < ? ORDER BY time_nanos, seq")) {
                s.setString(1, model.value());
                s.setLong(2, clampedNanos(from));
                s.setLong(3, clampedNanos(to));
                s.setFetchSize(512);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        sink.accept(recordFrom(model, rs));
                    }
                }
            }
            return null;
        });
    }

    @Override
    public long purgeOlderThan(Instant cutoff) {
        Objects.requireNonNull(cutoff, "cutoff");
        ensureOpen();
        long bound = clampedNanos(cutoff);
        long total = 0;
        // Deleting in chunks lets queued appends commit between them instead of waiting for one long delete.
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
                return total;
            }
        }
    }

    /**
     * Stops taking appends, commits everything already queued (those callers get their answer), then closes the
     * database. Appends that arrive after this point fail with a StoreException.
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
        PendingAppend stop = new PendingAppend(List.of(), new CompletableFuture<>());
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
        commitLock.lock();
        try {
            databaseClosed = true;
            closeInsert();
            db.close();
        } finally {
            commitLock.unlock();
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Transactions committed since the log was opened; with {@link #committedRecords()}, how well appends batch. */
    public long transactions() {
        return transactions.get();
    }

    /** Records committed since the log was opened. */
    public long committedRecords() {
        return committedRecords.get();
    }

    /** SQLite's {@code synchronous} level on the connection that commits: 1 is NORMAL, 2 is FULL. */
    int synchronousLevel() {
        return db.write("read the durability level", c -> SqliteDatabase.queryInt(c, "PRAGMA synchronous"));
    }

    /** Appends (and a closing log's stop marker) queued and not yet taken into a batch. */
    int pendingAppends() {
        return queue.size();
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
     * Commits queued batches on this thread until {@code pending} has its outcome. Whoever holds the commit
     * lock commits everything queued ahead of it, so a caller that waited for the lock usually finds its
     * records already committed by the holder, which is what batches many callers into one transaction.
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

    /** Takes the appends at the head of the queue (up to a transaction's worth) and commits them. */
    private void commitNextBatch() {
        PendingAppend first = queue.poll();
        if (first == null) {
            return; // everything queued was committed by an earlier holder of the lock
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
                // a hook failure must not cost the batch its commit
            }
            int count = first.records().size();
            for (PendingAppend next; count < MAX_RECORDS_PER_TRANSACTION && (next = queue.poll()) != null; ) {
                if (next.isStop()) {
                    stop = next; // nothing is queued behind it
                    break;
                }
                batch.add(next);
                count += next.records().size();
            }
            commit(batch, count);
        } catch (Throwable t) {
            // Only reached if gathering itself failed: no caller taken from the queue may be left waiting.
            StoreException failed = new StoreException("the prediction log could not commit these records;"
                    + " nothing of them was written", t);
            batch.forEach(p -> p.done().completeExceptionally(failed));
            throw t;
        } finally {
            if (stop != null) {
                stop.done().complete(null);
            }
        }
    }

    private void commit(List<PendingAppend> batch, int count) {
        try {
            if (databaseClosed) {
                throw new StoreException("the prediction log's database was closed before these records were"
                        + " committed; nothing of them was written", null);
            }
            db.write("log " + count + " prediction record(s)", c -> {
                insert(insertStatement(c), batch);
                return null;
            });
            transactions.incrementAndGet();
            committedRecords.addAndGet(count);
            batch.forEach(p -> p.done().complete(null));
        } catch (Throwable t) {
            // The whole transaction rolled back, so every caller in it learns that its records are not there.
            batch.forEach(p -> p.done().completeExceptionally(t));
        }
    }

    /** The INSERT, compiled once: preparing it for every commit would cost a sizeable part of the commit. */
    private PreparedStatement insertStatement(Connection c) throws SQLException {
        if (insert == null) {
            insert = c.prepareStatement(INSERT);
        }
        return insert;
    }

    private void closeInsert() {
        if (insert != null) {
            try {
                insert.close();
            } catch (SQLException ignored) {
                // closing the database releases it anyway
            }
            insert = null;
        }
    }

    private static void insert(PreparedStatement s, List<PendingAppend> batch) throws SQLException {
        s.clearBatch();
        try {
            for (PendingAppend p : batch) {
                for (PredictionRecord r : p.records()) {
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
                    s.addBatch();
                }
            }
            s.executeBatch();
        } finally {
            s.clearBatch();
        }
    }

    private static PredictionRecord recordFrom(ModelName model, ResultSet rs) throws SQLException {
        long nanos = rs.getLong(5);
        return new PredictionRecord(rs.getString(1), model, rs.getInt(2), Slot.fromWire(rs.getString(3)),
                rs.getString(4), Instant.ofEpochSecond(Math.floorDiv(nanos, 1_000_000_000L),
                        Math.floorMod(nanos, 1_000_000_000L)),
                decode(rs.getBytes(6)), rs.getDouble(7), rs.getInt(8) != 0, rs.getString(9));
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

    private static long clampedNanos(Instant t) {
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
