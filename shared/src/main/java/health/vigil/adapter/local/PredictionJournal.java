package health.vigil.adapter.local;

import health.vigil.adapter.local.PredictionBlocks.Block;
import health.vigil.error.Failures;
import health.vigil.error.StoreException;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.port.PredictionLog.DamagedCopy;
import health.vigil.port.PredictionLog.RefusedPurge;
import java.io.IOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * The prediction log's append-only journal, {@code {home}/journal/predictions.journal}: the file an
 * acknowledged record is in before the background drain has moved it into SQLite. A record is one frame
 * (length, CRC-32C, payload), and one group of callers' frames is one {@code write(2)}; with
 * {@code fsync} set every write is also forced to the disk before it returns. The frames of a batch job's block
 * (ADR 0018) follow a block mark that says how many there are, so that a replay stores the block the append made.
 *
 * <p>The file starts with a header naming its generation. Once everything in it has been drained, the log
 * replaces it with an empty file of the next generation (written aside, then renamed over it), so the journal
 * stays small. Where a drain stopped is kept in SQLite with the drained records, as (generation, offset); a
 * journal of another generation was never drained at all.
 *
 * <p>A replay cuts off a write the end of a process cut short (it was never acknowledged). Damage anywhere else
 * is not cut off silently: the journal is copied aside as it is, the damage is reported, and the records after it
 * are read on from the next whole frame.
 *
 * <p>It holds patient-derived data (pseudonyms, model inputs): the folder is created 0700 and the files 0600
 * where the file system has POSIX permissions. An exclusive lock keeps a second process from appending to it, and a
 * list of the journals open in this process keeps out a second prediction log of the same process.
 * Not thread-safe: the prediction log calls it under its commit lock ({@link #setAside},
 * {@link #removeRefusedBefore} and {@link #removeDamagedCopiesBefore} excepted, which touch only their own files; the
 * first two under a lock of their own).
 */
final class PredictionJournal implements AutoCloseable {
    static final String FOLDER = "journal";
    static final String FILE_NAME = "predictions.journal";
    /** Records the database refused, kept in the journal's frame format for an operator to inspect. */
    static final String REFUSED_FILE_NAME = "predictions.refused";
    static final int HEADER_BYTES = 16;
    private static final int MAGIC = 0x56504a31; // "VPJ1"
    /** Format 2: a batch job's block of frames follows a block mark. */
    private static final int FORMAT = 2;
    /** A journal written before block marks: replayed (its batch records cut into blocks anew), never appended to. */
    private static final int FORMAT_WITHOUT_MARKS = 1;
    static final int FRAME_HEADER_BYTES = 8;
    /**
     * What a block mark has where a frame has its length (a frame's length is positive). The mark is
     * {@link #BLOCK_MARK_BYTES} long: this, the CRC-32C of the rest, the block's record count and its frames' length
     * in bytes; the block's frames follow it.
     */
    static final int BLOCK_MARK = -1;
    static final int BLOCK_MARK_BYTES = 16;
    /** A frame longer than this is damage, not a record (a record is a few hundred bytes to a few KB). */
    private static final int MAX_FRAME_BYTES = 64 * 1024 * 1024;
    /** A copy of a damaged journal, kept for an operator: {@code predictions.journal.damaged-<generation>}. */
    private static final String DAMAGED_SUFFIX = ".damaged-";
    /** What a scan for the next whole frame after damage reads at a time. */
    private static final int RESYNC_WINDOW_BYTES = 64 * 1024;
    private static final Logger LOG = Logger.getLogger(PredictionJournal.class.getName());
    /**
     * The journal folders this process has open (real paths). A second open in the process is refused here, before it
     * opens the file: its lock would only be refused within the JVM, and closing its own descriptor then would
     * release the first one's lock (POSIX drops a process's locks on a file when any descriptor of it closes), letting
     * another process in.
     */
    private static final Set<Path> OPEN = ConcurrentHashMap.newKeySet();
    private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_FOLDER = PosixFilePermissions.fromString("rwx------");

    private final Path folder;
    private final Path file;
    private final boolean fsync;
    private final boolean posix;
    private volatile FileChannel channel; // read by the drain without the commit lock (see read)
    private FileLock lock;
    /** This journal's entry in {@link #OPEN}, or null when it has none (not yet, or no longer). */
    private Path registered;
    private int format;
    private long generation;
    private long end;
    /**
     * Set while bytes of a group write that failed may lie past {@link #end}: complete frames among them would be
     * replayed on the next start although their callers were told that nothing was logged. They are cut off before
     * anything else is written.
     */
    private boolean failedWritePastEnd;
    /** Reused for every group write: one copy into it, then one system call. */
    private ByteBuffer outgoing = ByteBuffer.allocateDirect(64 * 1024);
    /** Run once a group's bytes are in the file, before they are forced: tests fail a write there. */
    private IoStep afterWrite = () -> {};
    /**
     * Held while {@code predictions.refused} is appended to or rewritten: a record set aside while a retention run
     * rewrites the file would otherwise go to the file the new one replaces, and be lost with it.
     */
    private final ReentrantLock refusedLock = new ReentrantLock();
    /** Run once a rewritten {@code predictions.refused} is forced, before it replaces the old one (tests). */
    private IoStep beforeRefusedReplaced = () -> {};

    private PredictionJournal(Path folder, boolean fsync) {
        this.folder = folder;
        this.file = folder.resolve(FILE_NAME);
        this.fsync = fsync;
        this.posix = folder.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /**
     * Opens the journal under {@code home}, creating the folder (0700) and an empty journal (0600) of
     * generation 1 if there is none, and takes the lock on it.
     *
     * @param fsync force every write to the disk before it returns (survives an OS crash or power loss)
     */
    static PredictionJournal open(Path home, boolean fsync) {
        PredictionJournal journal = new PredictionJournal(home.toAbsolutePath().resolve(FOLDER), fsync);
        try {
            journal.openFile();
        } catch (IOException e) {
            journal.closeQuietly();
            throw new StoreException("cannot open the prediction journal at " + journal.file + ": check that the"
                    + " Vigil home folder is writable by this user", e);
        } catch (RuntimeException e) {
            journal.closeQuietly();
            throw e;
        }
        return journal;
    }

    private void openFile() throws IOException {
        Files.createDirectories(folder.getParent());
        try {
            Files.createDirectory(folder, attributes(OWNER_FOLDER));
        } catch (FileAlreadyExistsException e) {
            // an earlier start created it
        }
        Path real = folder.toRealPath();
        if (!OPEN.add(real)) {
            throw inUse();
        }
        registered = real;
        if (!Files.exists(file)) {
            Path fresh = writeEmpty(1);
            Files.move(fresh, file, StandardCopyOption.ATOMIC_MOVE);
        }
        channel = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
        lock = tryLock(channel);
        ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
        while (header.hasRemaining() && channel.read(header, header.position()) > 0) {
            // keep reading: a short read is not the end of a 16-byte header
        }
        header.flip();
        format = header.remaining() == HEADER_BYTES && header.getInt() == MAGIC ? header.getInt() : 0;
        if (format != FORMAT && format != FORMAT_WITHOUT_MARKS) {
            throw new StoreException("the prediction journal at " + file + " is not a Vigil prediction journal of"
                    + " format " + FORMAT_WITHOUT_MARKS + " or " + FORMAT + "; move it away (it may hold predictions"
                    + " not yet in predictions.db) and start again", null);
        }
        generation = header.getLong();
        end = channel.size();
        cutTornRefusedTail();
    }

    /**
     * Cuts off the part of a frame that a set-aside cut short by the end of its process left at the end of
     * {@code predictions.refused}. Its records are safe: the drain sets records aside before the transaction that moves
     * it past them, so the replay sets them aside again. Left there, the part would hide every later record's frame
     * from retention, which would then keep the whole file for ever. A whole frame that does not read (damage) is left
     * for retention to report. Called with the journal's lock held, before anything is set aside.
     */
    private void cutTornRefusedTail() throws IOException {
        Path refused = folder.resolve(REFUSED_FILE_NAME);
        if (!Files.exists(refused, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (FileChannel in = FileChannel.open(refused, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long size = in.size();
            long position = 0;
            for (Entry entry; position < size && (entry = frameAt(in, position, size)) != null; ) {
                position = entry.end();
            }
            if (position == size || !partOfAFrame(in, position, size)) {
                return;
            }
            long wholeFrames = position;
            in.truncate(wholeFrames);
            in.force(true);
            LOG.warning(() -> FOLDER + "/" + REFUSED_FILE_NAME + " ended in part of a record (" + (size - wholeFrames)
                    + " bytes after offset " + wholeFrames + ") that a stop cut short; it was cut off, and the records"
                    + " are set aside again as the journal is replayed");
        }
    }

    /** Whether the bytes at {@code position} are the start of a frame whose end lies past {@code size}. */
    private static boolean partOfAFrame(FileChannel in, long position, long size) throws IOException {
        if (position + FRAME_HEADER_BYTES > size) {
            return true;
        }
        ByteBuffer frameHeader = ByteBuffer.allocate(FRAME_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(in, frameHeader, position);
        return frameEndsPast(frameHeader.getInt(0), position, size);
    }

    private FileLock tryLock(FileChannel opened) throws IOException {
        FileLock taken;
        try {
            taken = opened.tryLock();
        } catch (OverlappingFileLockException e) {
            taken = null;
        }
        if (taken == null) {
            throw inUse();
        }
        return taken;
    }

    private StoreException inUse() {
        return new StoreException("the prediction journal at " + file + " is in use by another Vigil process"
                + " (or another prediction log in this one); stop it, or point this one at another home", null);
    }

    long generation() {
        return generation;
    }

    /**
     * Whether the journal was written before block marks: it is replayed and then replaced by an empty journal of
     * the current format, never appended to.
     */
    boolean predatesBlockMarks() {
        return format == FORMAT_WITHOUT_MARKS;
    }

    /** The journal's length: where the next frame goes. */
    long end() {
        return end;
    }

    /**
     * Appends the frames in one write (forced to the disk when asked to) and returns the new end. If the write or its
     * force fails, the file is cut back to where the write started, so that nothing of it is replayed; while that
     * fails too, every write is refused.
     */
    long write(List<byte[]> frames) {
        int total = 0;
        for (byte[] f : frames) {
            total += f.length;
        }
        if (outgoing.capacity() < total) {
            outgoing = ByteBuffer.allocateDirect(Integer.highestOneBit(total - 1) << 1);
        }
        outgoing.clear();
        for (byte[] f : frames) {
            outgoing.put(f);
        }
        outgoing.flip();
        // An interrupt pending on the calling thread (meant for whatever that thread does next: a shadow mirror told
        // to stop, an event worker shut down) would close the channel at its first write, for the whole process and
        // its lock with it. It is put back once the journal is written.
        boolean interrupted = Thread.interrupted();
        try {
            return writeOutgoing();
        } finally {
            restoreInterrupt(interrupted);
        }
    }

    private long writeOutgoing() {
        if (!channel.isOpen()) {
            reopenAfterInterrupt();
        }
        if (failedWritePastEnd) {
            try {
                cutBackToEnd();
            } catch (IOException e) {
                throw new StoreException("the prediction journal at " + file + " still holds the bytes of a write"
                        + " that failed and they cannot be removed: check the disk; nothing of these records was"
                        + " acknowledged", e);
            }
        }
        try {
            long position = end;
            while (outgoing.hasRemaining()) {
                position += channel.write(outgoing, position);
            }
            afterWrite.run();
            if (fsync) {
                channel.force(false);
            }
            end = position;
            return end;
        } catch (IOException e) {
            // Some or all of the frames may be in the file; whole ones would be replayed as if acknowledged.
            failedWritePastEnd = true;
            try {
                if (e instanceof ClosedByInterruptException) {
                    // Interrupted in the middle of the write: the channel is closed, not the file.
                    reopenAfterInterrupt();
                }
                cutBackToEnd();
            } catch (IOException | RuntimeException again) {
                e.addSuppressed(again);
            }
            throw new StoreException("cannot write to the prediction journal at " + file + ": check free disk space"
                    + " and that the file is writable; nothing of these records was acknowledged", e);
        }
    }

    /**
     * Opens the journal again after an interrupt closed its channel (and so released its lock), taking the lock
     * again; another process that took it in between has the journal, and this one refuses every write.
     */
    private void reopenAfterInterrupt() {
        boolean interrupted = Thread.interrupted();
        try {
            FileChannel reopened = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE);
            try {
                lock = tryLock(reopened);
            } catch (IOException | RuntimeException e) {
                reopened.close();
                throw e;
            }
            channel = reopened;
            LOG.warning(() -> "the prediction journal at " + file + " was closed by an interrupt of a writing thread"
                    + " and has been opened again");
        } catch (IOException e) {
            throw new StoreException("the prediction journal at " + file + " was closed by an interrupt and cannot be"
                    + " opened again; nothing of these records was acknowledged", e);
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Truncates the file at {@link #end} (forced, when writes are), removing what a failed write left. */
    private void cutBackToEnd() throws IOException {
        channel.truncate(end);
        if (fsync) {
            channel.force(false);
        }
        failedWritePastEnd = false;
    }

    /** A step of a group write that may fail as a write to the disk fails. */
    @FunctionalInterface
    interface IoStep {
        void run() throws IOException;
    }

    /** Runs {@code step} in each group write once its bytes are in the file, before they are forced (tests). */
    void afterWrite(IoStep step) {
        afterWrite = step;
    }

    /**
     * Reads {@code into}'s remaining bytes from the journal at {@code offset}: frames the drain moves into SQLite,
     * read back where they were written. The drain's only call, without the commit lock: a read at a position never
     * moves the channel, and the journal is only switched for a new one once everything in it has been drained.
     */
    void read(long offset, ByteBuffer into) {
        try {
            readFully(into, offset);
        } catch (IOException e) {
            throw new StoreException("cannot read the prediction journal at " + file + " back for the drain; the"
                    + " records stay in it and are retried", e);
        }
    }

    /**
     * Reads the records after {@code offset} (or from the start when {@code fromGeneration} is another
     * generation), in order. A frame the journal's end cuts short is a write the end of the process interrupted,
     * never acknowledged: the file is truncated there, so later frames follow the last good one. Any other damage is
     * reported at SEVERE after the journal's bytes are copied aside (see {@link #keepAside}), and the records after
     * it are read from the next whole frame on. A batch job's block comes back whole, as its append made it;
     * {@code batchSize} records or more are handed over at a time.
     */
    void replay(long fromGeneration, long offset, int batchSize, Replayed sink) {
        long position = fromGeneration == generation ? Math.max(offset, HEADER_BYTES) : HEADER_BYTES;
        try {
            long size = channel.size();
            List<PredictionRecord> records = new ArrayList<>();
            List<Block> blocks = new ArrayList<>();
            int count = 0;
            Damage damage = null;
            while (position < size) {
                Entry entry = entryAt(position, size);
                if (entry == null) {
                    long next = nextEntry(position + 1, size);
                    if (next < 0 && cutShort(position, size)) {
                        LOG.info(() -> "cut off a write to the prediction journal that the end of the last process"
                                + " interrupted (never acknowledged)");
                        break;
                    }
                    if (damage == null) {
                        damage = new Damage(position, keepAside());
                    }
                    damage.skipped((next < 0 ? size : next) - position);
                    if (next < 0) {
                        break;
                    }
                    position = next;
                    continue;
                }
                position = entry.end();
                if (entry.block() == null) {
                    records.add(entry.record());
                } else {
                    blocks.add(entry.block());
                }
                count += entry.records();
                if (damage != null) {
                    damage.recovered += entry.records();
                }
                if (count >= batchSize) {
                    sink.accept(List.copyOf(records), List.copyOf(blocks), position);
                    records.clear();
                    blocks.clear();
                    count = 0;
                }
            }
            if (count > 0) {
                sink.accept(List.copyOf(records), List.copyOf(blocks), position);
            }
            if (damage != null) {
                report(damage);
            }
            if (position < size) {
                channel.truncate(position);
            }
            end = Math.max(position, HEADER_BYTES);
        } catch (IOException e) {
            throw new StoreException("cannot read the prediction journal at " + file + " to move its records into"
                    + " the database; check that the file is readable", e);
        }
    }

    /** What a replay found damaged: where first, how many stretches and bytes, and the records read after it. */
    private static final class Damage {
        final long first;
        final Path kept;
        int stretches;
        long bytes;
        long recovered;

        Damage(long first, Path kept) {
            this.first = first;
            this.kept = kept;
        }

        void skipped(long length) {
            stretches++;
            bytes += length;
        }
    }

    private void report(Damage damage) {
        // Offsets and counts only: the bytes are patient data.
        LOG.severe(() -> "the prediction journal (generation " + generation + ") is damaged: " + damage.stretches
                + " stretch(es) of " + damage.bytes + " byte(s) in all, the first at offset " + damage.first + ", do"
                + " not read as records and were skipped (the records in them are lost). "
                + damage.recovered + " record(s) after the damage were read and moved into the database. The journal"
                + " as it was is kept in " + FOLDER + "/" + damage.kept.getFileName() + " (owner-only, it holds patient"
                + " data) for inspection: check the disk; the daily retention run removes the copy once it is older"
                + " than the retention period");
    }

    /**
     * Receives replayed records with the journal offset just after the last of them: those journaled on their own
     * (answered predictions, and a batch job's in a journal that predates block marks), and batch jobs' blocks.
     */
    @FunctionalInterface
    interface Replayed {
        void accept(List<PredictionRecord> records, List<Block> blocks, long endOffset);
    }

    /** One record's frame, or one block mark with its block's frames, read back; and where it ends. */
    private record Entry(PredictionRecord record, Block block, long end) {
        int records() {
            return block == null ? 1 : block.records();
        }
    }

    /**
     * The frame or the marked block at {@code position}, or null when the bytes there are not a whole one: they stop
     * before its end, or a length, a CRC or a record does not hold.
     */
    private Entry entryAt(long position, long size) throws IOException {
        if (position + FRAME_HEADER_BYTES > size) {
            return null;
        }
        ByteBuffer frameHeader = ByteBuffer.allocate(FRAME_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(frameHeader, position);
        int length = frameHeader.getInt(0);
        int crc = frameHeader.getInt(Integer.BYTES);
        if (length == BLOCK_MARK && format != FORMAT_WITHOUT_MARKS) {
            return blockAt(position, crc, size);
        }
        return recordAt(channel, position, size, length, crc);
    }

    /** The one-record frame at {@code position} of {@code from}, or null when its bytes are not a whole one. */
    private static Entry frameAt(FileChannel from, long position, long size) throws IOException {
        if (position + FRAME_HEADER_BYTES > size) {
            return null;
        }
        ByteBuffer frameHeader = ByteBuffer.allocate(FRAME_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(from, frameHeader, position);
        return recordAt(from, position, size, frameHeader.getInt(0), frameHeader.getInt(Integer.BYTES));
    }

    /** The record of the frame at {@code position} whose header says {@code length} and {@code crc}, or null. */
    private static Entry recordAt(FileChannel from, long position, long size, int length, int crc)
            throws IOException {
        if (length <= 0 || length > MAX_FRAME_BYTES || position + FRAME_HEADER_BYTES + length > size) {
            return null;
        }
        ByteBuffer payload = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        readFully(from, payload, position + FRAME_HEADER_BYTES);
        if (crc(payload.array(), 0, length) != crc) {
            return null;
        }
        payload.flip();
        try {
            return new Entry(decode(payload), null, position + FRAME_HEADER_BYTES + length);
        } catch (RuntimeException damaged) {
            return null;
        }
    }

    /**
     * Whether the bytes at {@code position} begin a frame or a block whose end lies past {@code size}: what a write
     * leaves that the end of its process cut short, as against damage to bytes that were all written.
     */
    private boolean cutShort(long position, long size) throws IOException {
        if (position + FRAME_HEADER_BYTES > size) {
            return true;
        }
        ByteBuffer header = ByteBuffer.allocate(BLOCK_MARK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        header.limit((int) Math.min(BLOCK_MARK_BYTES, size - position));
        readFully(header, position);
        int length = header.getInt(0);
        if (length == BLOCK_MARK && format != FORMAT_WITHOUT_MARKS) {
            return header.position() < BLOCK_MARK_BYTES
                    || (crc(header.array(), FRAME_HEADER_BYTES, BLOCK_MARK_BYTES - FRAME_HEADER_BYTES)
                            == header.getInt(Integer.BYTES)
                            && position + BLOCK_MARK_BYTES + header.getInt(3 * Integer.BYTES) > size);
        }
        return frameEndsPast(length, position, size);
    }

    /** Whether a frame at {@code position} whose header gives {@code length} would end past {@code size}. */
    private static boolean frameEndsPast(int length, long position, long size) {
        return length > 0 && length <= MAX_FRAME_BYTES && position + FRAME_HEADER_BYTES + length > size;
    }

    /**
     * Where the next whole frame or marked block after damage starts ({@code from} on), or -1 if none does. Tried at
     * every byte: bytes of a damaged frame pass for a whole one only if a length, a CRC-32C and a record's fields all
     * hold by chance. Each place is first tested on a window of the file (the start of a record, a mark's CRC) so that
     * few are read and checked in full.
     */
    private long nextEntry(long from, long size) throws IOException {
        ByteBuffer window = ByteBuffer.allocate(RESYNC_WINDOW_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        long start = from;
        for (long p = from; p + FRAME_HEADER_BYTES <= size; p++) {
            // The window holds at least a block mark and the start of a record after p (or the rest of the file).
            if (p == from || (p + RESYNC_WINDOW_BYTES / 16 > start + window.limit() && start + window.limit() < size)) {
                start = p;
                window.clear().limit((int) Math.min(RESYNC_WINDOW_BYTES, size - p));
                readFully(window, p);
            }
            int at = (int) (p - start);
            int length = window.getInt(at);
            boolean candidate;
            if (length == BLOCK_MARK && format != FORMAT_WITHOUT_MARKS) {
                candidate = at + BLOCK_MARK_BYTES <= window.limit() && crc(window.array(), at + FRAME_HEADER_BYTES,
                        BLOCK_MARK_BYTES - FRAME_HEADER_BYTES) == window.getInt(at + Integer.BYTES);
            } else {
                candidate = length > 0 && length <= MAX_FRAME_BYTES && p + FRAME_HEADER_BYTES + length <= size
                        && mayStartRecord(window, at + FRAME_HEADER_BYTES, window.limit());
            }
            if (candidate && entryAt(p, size) != null) {
                return p;
            }
        }
        return -1;
    }

    /**
     * Whether a record's payload may start at {@code at}, as far as the bytes up to {@code limit} tell: an id and a
     * model name, a version, then one of the slots' names as {@link #frameInto} writes them.
     */
    private static boolean mayStartRecord(ByteBuffer bytes, int at, int limit) {
        long p = at;
        for (int field = 0; field < 2; field++, p += Integer.BYTES) { // the id, then the model name
            if (p + Integer.BYTES > limit) {
                return true;
            }
            int length = bytes.getInt((int) p);
            if (length < 0) {
                return false;
            }
            p += length;
        }
        p += Integer.BYTES; // the version
        if (p + Integer.BYTES > limit) {
            return true;
        }
        int slotLength = bytes.getInt((int) p);
        p += Integer.BYTES;
        for (byte[] slot : SLOTS) {
            if (slot.length == slotLength) {
                if (p + slotLength > limit) {
                    return true;
                }
                if (java.util.Arrays.equals(bytes.array(), (int) p, (int) p + slotLength, slot, 0, slotLength)) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Copies the journal as it is, before a replay cuts anything off, to
     * {@code predictions.journal.damaged-<generation>} (0600 from the start, forced to the disk): the bytes of the
     * damage and around it, for an operator. A start that cannot keep the copy fails rather than go on without it.
     */
    private Path keepAside() throws IOException {
        Path kept = folder.resolve(FILE_NAME + DAMAGED_SUFFIX + generation);
        for (int n = 2; Files.exists(kept); n++) {
            kept = folder.resolve(FILE_NAME + DAMAGED_SUFFIX + generation + "-" + n);
        }
        try (FileChannel out = FileChannel.open(kept, Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
                attributes(OWNER_FILE))) {
            long size = channel.size();
            for (long at = 0; at < size; ) {
                at += channel.transferTo(at, size - at, out);
            }
            out.force(true);
        } catch (IOException e) {
            throw new StoreException("the prediction journal at " + file + " is damaged, and a copy of it cannot be"
                    + " kept in " + kept + " before the damage is cut off; free space in that folder and start"
                    + " again (the journal is left as it is)", e);
        }
        forceFolder();
        return kept;
    }

    /**
     * Removes the copies {@link #keepAside} made that were written (by their files' modification time) before
     * {@code cutoff}, each handed to {@code beforeRemoval} first; returns how many this call removed. A copy that
     * cannot be removed keeps no other from its turn, and the call then fails.
     */
    int removeDamagedCopiesBefore(Instant cutoff, Consumer<DamagedCopy> beforeRemoval) {
        List<Path> copies = new ArrayList<>();
        try (DirectoryStream<Path> found = Files.newDirectoryStream(folder, FILE_NAME + DAMAGED_SUFFIX + "*")) {
            found.forEach(copies::add);
        } catch (IOException e) {
            throw new StoreException("cannot list the copies of a damaged prediction journal in " + folder + " to"
                    + " remove those past retention; check that the folder is readable by this user", e);
        }
        copies.sort(null);
        int[] removed = {0};
        Failures.forEach(copies, copy -> {
            if (removeIfWrittenBefore(copy, cutoff, beforeRemoval)) {
                removed[0]++;
            }
        });
        return removed[0];
    }

    private boolean removeIfWrittenBefore(Path copy, Instant cutoff, Consumer<DamagedCopy> beforeRemoval) {
        String name = copy.getFileName().toString();
        try {
            Instant written = Files.getLastModifiedTime(copy).toInstant();
            if (!written.isBefore(cutoff)) {
                return false;
            }
            beforeRemoval.accept(new DamagedCopy(name, written));
            if (!Files.deleteIfExists(copy)) {
                return false; // another retention run removed it meanwhile
            }
            // The file's name and time only: its bytes are patient data.
            LOG.info(() -> "removed " + FOLDER + "/" + name + ", a copy of a damaged prediction journal written "
                    + written + ", older than the retention period");
            return true;
        } catch (NoSuchFileException e) {
            return false; // another retention run removed it meanwhile
        } catch (IOException e) {
            throw new StoreException("cannot remove " + FOLDER + "/" + name + ", a copy of a damaged prediction"
                    + " journal older than the retention period; check that the folder is writable by this user (the"
                    + " next retention run tries again)", e);
        }
    }

    private Entry blockAt(long position, int crc, long size) throws IOException {
        if (position + BLOCK_MARK_BYTES > size) {
            return null;
        }
        ByteBuffer mark = ByteBuffer.allocate(BLOCK_MARK_BYTES - FRAME_HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        readFully(mark, position + FRAME_HEADER_BYTES);
        if (crc(mark.array(), 0, mark.capacity()) != crc) {
            return null;
        }
        int count = mark.getInt(0);
        int bytes = mark.getInt(Integer.BYTES);
        // A block is cut at MAX_BYTES of frames unless one frame is larger.
        if (count <= 0 || bytes <= 0 || bytes > FRAME_HEADER_BYTES + MAX_FRAME_BYTES
                || position + BLOCK_MARK_BYTES + bytes > size) {
            return null;
        }
        byte[] frames = new byte[bytes];
        readFully(ByteBuffer.wrap(frames), position + BLOCK_MARK_BYTES);
        try {
            List<PredictionRecord> records = PredictionBlocks.records(frames); // checks each frame's CRC
            return records.size() == count
                    ? new Entry(null, PredictionBlocks.batchBlock(frames, records), position + BLOCK_MARK_BYTES + bytes)
                    : null;
        } catch (RuntimeException damaged) {
            return null;
        }
    }

    /**
     * Replaces the journal with an empty one of the next generation; the caller has made sure everything in it
     * is in the database. The new file is written aside and renamed over the old, so a crash leaves one or
     * the other, never a mix.
     */
    void reset() {
        reset(prepareNext()).close();
    }

    /**
     * Writes and forces the empty file the next {@link #reset(Path)} switches to, so that the switch itself, which
     * callers make while journal writes wait, is a rename. Only the thread that resets may call it.
     */
    Path prepareNext() {
        // A pending interrupt (a retention purge run on a worker being shut down) would close the new file's channel
        // and fail the switch; like a write, the switch sets it aside and puts it back.
        boolean interrupted = Thread.interrupted();
        try {
            return writeEmpty(generation + 1);
        } catch (IOException e) {
            throw new StoreException("cannot start a new prediction journal at " + file + "; the current one is"
                    + " kept and is replayed on the next start", e);
        } finally {
            restoreInterrupt(interrupted);
        }
    }

    private static void restoreInterrupt(boolean interrupted) {
        if (interrupted || Thread.interrupted()) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Starts again empty from a file {@link #prepareNext()} wrote, and returns the replaced file, still open: the
     * caller closes it once journal writes no longer wait on it. Closing it frees the file (it has no name left),
     * and the kernel drops its cached pages then, waiting for any the disk is still writing: 0.5 ms for 10 MiB of
     * cached pages on a quiet machine, 4-5 ms once write-back has started, up to about 20 ms measured under load.
     */
    Retired reset(Path fresh) {
        // Set aside as in prepareNext: an interrupt would also close the folder's channel before the rename is forced,
        // silently, leaving the switch undurable under power-loss.
        boolean interrupted = Thread.interrupted();
        try {
            FileChannel next = FileChannel.open(fresh, StandardOpenOption.READ, StandardOpenOption.WRITE);
            FileLock nextLock;
            try {
                nextLock = tryLock(next);
                Files.move(fresh, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException | RuntimeException e) {
                next.close();
                Files.deleteIfExists(fresh);
                throw e;
            }
            if (fsync) {
                forceFolder();
            }
            Retired retired = new Retired(channel, lock);
            channel = next;
            lock = nextLock;
            format = FORMAT;
            generation++;
            end = HEADER_BYTES;
            failedWritePastEnd = false; // what a failed write left went with the replaced file
            return retired;
        } catch (IOException e) {
            throw new StoreException("cannot start a new prediction journal at " + file + "; the current one is"
                    + " kept and is replayed on the next start", e);
        } finally {
            restoreInterrupt(interrupted);
        }
    }

    /**
     * Appends records the database refused to {@code predictions.refused} (0600) and forces them to the disk,
     * so the drain can move past them without losing them. Waits for a retention run rewriting the file.
     */
    void setAside(List<PredictionRecord> records) {
        if (records.isEmpty()) {
            return;
        }
        Path refused = folder.resolve(REFUSED_FILE_NAME);
        refusedLock.lock();
        try (FileChannel out = FileChannel.open(refused, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND), attributes(OWNER_FILE))) {
            for (PredictionRecord r : records) {
                ByteBuffer frame = ByteBuffer.wrap(frame(r));
                while (frame.hasRemaining()) {
                    out.write(frame);
                }
            }
            out.force(false);
        } catch (IOException e) {
            throw new StoreException("cannot set aside " + records.size() + " prediction record(s) the database"
                    + " refused in " + refused + "; they stay in the journal", e);
        } finally {
            refusedLock.unlock();
        }
    }

    /**
     * Removes from {@code predictions.refused} the records whose time is before {@code cutoff} (the file is appended
     * to, so its own time says nothing of its oldest record); returns how many this call removed. The others are
     * copied as they are into a new file (0600, forced) that is renamed over the old one, all under the lock
     * {@link #setAside} appends under, so that no record set aside meanwhile is lost. {@code beforeRemoval} is told
     * the counts first; when it throws, the file stays as it is. A file with nothing to remove is left untouched, and
     * so is one whose frames cannot all be read, which is reported (offsets and sizes, never its bytes).
     */
    long removeRefusedBefore(Instant cutoff, Consumer<RefusedPurge> beforeRemoval) {
        Path refused = folder.resolve(REFUSED_FILE_NAME);
        Path next = folder.resolve(REFUSED_FILE_NAME + ".next");
        refusedLock.lock();
        try {
            Files.deleteIfExists(next); // what a run that stopped half-way left (patient data too)
            if (!Files.exists(refused)) {
                return 0;
            }
            try (FileChannel in = FileChannel.open(refused, StandardOpenOption.READ)) {
                long size = in.size();
                List<long[]> kept = new ArrayList<>(); // stretches of whole frames to keep: from, to
                long keptRecords = 0;
                long removed = 0;
                for (long position = 0; position < size; ) {
                    Entry entry = frameAt(in, position, size);
                    if (entry == null) {
                        long at = position;
                        LOG.severe(() -> FOLDER + "/" + REFUSED_FILE_NAME + " (the records the database refused) does"
                                + " not read as records from offset " + at + " of its " + size + " bytes, so retention"
                                + " cannot tell their times and keeps the whole file, records past the retention period"
                                + " included; check the disk, then remove the file by hand under the retention policy");
                        return 0;
                    }
                    if (entry.record().time().isBefore(cutoff)) {
                        removed++;
                    } else {
                        keptRecords++;
                        if (!kept.isEmpty() && kept.get(kept.size() - 1)[1] == position) {
                            kept.get(kept.size() - 1)[1] = entry.end();
                        } else {
                            kept.add(new long[] {position, entry.end()});
                        }
                    }
                    position = entry.end();
                }
                if (removed == 0) {
                    return 0;
                }
                beforeRemoval.accept(new RefusedPurge(REFUSED_FILE_NAME, removed, keptRecords));
                replaceRefused(in, kept, next, refused);
                long removedRecords = removed;
                long left = keptRecords;
                // Counts only: the records are patient data.
                LOG.info(() -> "removed " + removedRecords + " record(s) older than the retention period from "
                        + FOLDER + "/" + REFUSED_FILE_NAME + " (the records the database refused); " + left + " kept");
                return removed;
            }
        } catch (IOException e) {
            throw new StoreException("cannot remove the records older than the retention period from " + FOLDER + "/"
                    + REFUSED_FILE_NAME + "; check that the folder is readable and writable by this user (the next"
                    + " retention run tries again; the file is kept as it was)", e);
        } finally {
            refusedLock.unlock();
        }
    }

    /** Writes the {@code kept} stretches of {@code from} to {@code next}, forces it and renames it over {@code to}. */
    private void replaceRefused(FileChannel from, List<long[]> kept, Path next, Path to) throws IOException {
        try {
            try (FileChannel out = FileChannel.open(next, Set.of(StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE), attributes(OWNER_FILE))) {
                for (long[] stretch : kept) {
                    for (long at = stretch[0]; at < stretch[1]; ) {
                        at += from.transferTo(at, stretch[1] - at, out);
                    }
                }
                out.force(true);
            }
            beforeRefusedReplaced.run();
            Files.move(next, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException | RuntimeException e) {
            try {
                Files.deleteIfExists(next);
            } catch (IOException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
        forceFolder();
    }

    /** Runs {@code step} once a rewritten {@code predictions.refused} is forced, before it replaces the old (tests). */
    void beforeRefusedReplaced(IoStep step) {
        beforeRefusedReplaced = step;
    }

    @Override
    public void close() {
        if (failedWritePastEnd) {
            try {
                cutBackToEnd();
            } catch (IOException e) {
                LOG.severe(() -> "the prediction journal at " + file + " keeps the bytes of a write that failed past"
                        + " offset " + end + "; the next start may move those records, whose callers were told they"
                        + " were not logged, into the database");
            }
        }
        closeQuietly();
    }

    private Path writeEmpty(long newGeneration) throws IOException {
        Path fresh = folder.resolve(FILE_NAME + ".next");
        Files.deleteIfExists(fresh);
        Files.createFile(fresh, attributes(OWNER_FILE));
        try (FileChannel out = FileChannel.open(fresh, StandardOpenOption.WRITE)) {
            ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES).putInt(MAGIC).putInt(FORMAT).putLong(newGeneration);
            header.flip();
            while (header.hasRemaining()) {
                out.write(header);
            }
            out.force(true);
        }
        return fresh;
    }

    private void forceFolder() {
        try (FileChannel dir = FileChannel.open(folder, StandardOpenOption.READ)) {
            dir.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // Not every platform can fsync a folder; the rename is then as durable as the platform makes it.
        }
    }

    private void readFully(ByteBuffer into, long position) throws IOException {
        readFully(channel, into, position);
    }

    private static void readFully(FileChannel from, ByteBuffer into, long position) throws IOException {
        long at = position;
        while (into.hasRemaining()) {
            int n = from.read(into, at);
            if (n < 0) {
                throw new IOException("unexpected end of the journal");
            }
            at += n;
        }
    }

    private void closeQuietly() {
        release(channel, lock);
        if (registered != null) {
            OPEN.remove(registered); // once the file is closed: a new open in this process may then lock it
            registered = null;
        }
    }

    private static void release(FileChannel channel, FileLock lock) {
        try {
            if (lock != null && lock.isValid()) {
                lock.release();
            }
        } catch (IOException ignored) {
            // closing the channel releases it anyway
        }
        try {
            if (channel != null) {
                channel.close();
            }
        } catch (IOException ignored) {
            // nothing left to do with a journal that will not close
        }
    }

    /**
     * A journal file {@link #reset(Path)} replaced: renamed over, so no longer the journal, but still open until
     * {@link #close()}, which releases its lock and frees it. Closing twice does nothing more.
     */
    static final class Retired implements AutoCloseable {
        private FileChannel channel;
        private FileLock lock;

        private Retired(FileChannel channel, FileLock lock) {
            this.channel = channel;
            this.lock = lock;
        }

        @Override
        public void close() {
            release(channel, lock);
            channel = null;
            lock = null;
        }
    }

    private FileAttribute<?>[] attributes(Set<PosixFilePermission> permissions) {
        return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)}
                : new FileAttribute<?>[0];
    }

    /** The mark a batch job's block's frames follow in the journal (see {@link #BLOCK_MARK}). */
    static byte[] blockMark(Block block) {
        ByteBuffer mark = ByteBuffer.allocate(BLOCK_MARK_BYTES).order(ByteOrder.LITTLE_ENDIAN);
        mark.putInt(BLOCK_MARK).putInt(0).putInt(block.records()).putInt(block.frames().length);
        mark.putInt(Integer.BYTES, crc(mark.array(), FRAME_HEADER_BYTES, BLOCK_MARK_BYTES - FRAME_HEADER_BYTES));
        return mark.array();
    }

    /** One record as a frame: payload length, CRC-32C of the payload, payload (little-endian). */
    static byte[] frame(PredictionRecord r) {
        return frameInto(r, null).array();
    }

    /**
     * Writes one record's frame at {@code out}'s position and returns the buffer it is in: {@code out}, or a larger
     * copy of it when it lacks room ({@code null}: a buffer of exactly the frame). Lets a block of frames be written
     * into one array, without an array per record.
     */
    static ByteBuffer frameInto(PredictionRecord r, ByteBuffer out) {
        return frameInto(r, out, utf8(r.modelName().value()), utf8(r.batchId()));
    }

    /**
     * {@link #frameInto(PredictionRecord, ByteBuffer)} with the record's model name and batch id already in UTF-8
     * ({@code batch} null when it has none): a block's records share both, which are then encoded once per block.
     */
    static ByteBuffer frameInto(PredictionRecord r, ByteBuffer out, byte[] model, byte[] batch) {
        byte[] id = utf8(r.predictionId());
        byte[] slot = SLOTS[r.slot().ordinal()];
        byte[] patient = utf8(r.patientPseudonym());
        byte[] explanation = utf8(r.explanation());
        int featureCount = r.featureCount();
        int payload = sized(id) + sized(model) + Integer.BYTES + sized(slot) + sized(patient) + Long.BYTES
                + Integer.BYTES + Integer.BYTES + featureCount * Float.BYTES + Double.BYTES + 1 + sized(explanation)
                + sized(batch);
        int length = FRAME_HEADER_BYTES + payload;
        if (out == null) {
            out = ByteBuffer.allocate(length);
        } else if (out.remaining() < length) {
            ByteBuffer larger = ByteBuffer.allocate(Math.max(out.capacity() * 2, out.position() + length));
            larger.put(out.array(), 0, out.position());
            out = larger;
        }
        out.order(ByteOrder.LITTLE_ENDIAN);
        int start = out.position();
        out.putInt(payload).putInt(0);
        put(out, id);
        put(out, model);
        out.putInt(r.version());
        put(out, slot);
        put(out, patient);
        out.putLong(r.time().getEpochSecond()).putInt(r.time().getNano());
        out.putInt(featureCount);
        r.copyFeaturesTo(out.asFloatBuffer());
        out.position(out.position() + featureCount * Float.BYTES);
        out.putDouble(r.score()).put((byte) (r.decision() ? 1 : 0));
        put(out, explanation);
        // Added after the first journals were written: a frame that ends before it has no batch.
        put(out, batch);
        out.putInt(start + Integer.BYTES, crc(out.array(), start + FRAME_HEADER_BYTES, payload));
        return out;
    }

    static PredictionRecord decode(ByteBuffer in) {
        try {
            String id = string(in);
            ModelName model = new ModelName(string(in));
            int version = in.getInt();
            Slot slot = Slot.fromWire(string(in));
            String patient = string(in);
            Instant time = Instant.ofEpochSecond(in.getLong(), in.getInt());
            int count = in.getInt();
            if (count < 0 || count > in.remaining() / Float.BYTES) {
                throw new IllegalArgumentException("feature count out of range");
            }
            float[] features = new float[count];
            in.asFloatBuffer().get(features);
            in.position(in.position() + count * Float.BYTES);
            double score = in.getDouble();
            boolean decision = in.get() != 0;
            String explanation = string(in);
            String batch = in.hasRemaining() ? string(in) : null;
            return new PredictionRecord(id, model, version, slot, patient, time, features, score, decision, explanation,
                    batch);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("frame shorter than its record", e);
        }
    }

    static int crc(byte[] bytes, int offset, int length) {
        CRC32C crc = new CRC32C();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /** Each slot's wire name in UTF-8, by ordinal. */
    private static final byte[][] SLOTS = java.util.Arrays.stream(Slot.values())
            .map(slot -> slot.wireName().getBytes(StandardCharsets.UTF_8)).toArray(byte[][]::new);

    static byte[] utf8(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    private static int sized(byte[] b) {
        return Integer.BYTES + (b == null ? 0 : b.length);
    }

    private static void put(ByteBuffer out, byte[] b) {
        if (b == null) {
            out.putInt(-1);
        } else {
            out.putInt(b.length).put(b);
        }
    }

    private static String string(ByteBuffer in) {
        int length = in.getInt();
        if (length == -1) {
            return null;
        }
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("string length out of range");
        }
        String s = new String(in.array(), in.arrayOffset() + in.position(), length, StandardCharsets.UTF_8);
        in.position(in.position() + length);
        return s;
    }
}
