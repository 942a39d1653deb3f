package health.vigil.adapter.local;

import health.vigil.error.StoreException;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * How the local prediction log stores a batch job's records: the records of one append that belong to one batch
 * job of one model go into one database row, a <em>block</em>, as their journal frames ({@link PredictionJournal})
 * one after the other in time order (ADR 0018). A batch chunk of 2,048 predictions is then one insert instead of
 * 2,048 inserts into a table and two indexes. Predictions answered over HTTP (no batch id) that the drain moves in one
 * transaction become one block per model too (ADR 0022); rows written by earlier versions are still read.
 *
 * <p>A block spans at most {@link #MAX_SPAN_NANOS} of time and holds at most {@link #MAX_RECORDS} records, so a
 * reader looking for the records of a moment looks at the blocks that start within that span before it, and a block
 * is never large to decode. Its frames take at most {@link #MAX_BYTES} (beyond when a single frame is larger).
 */
final class PredictionBlocks {
    /** The most time between a block's first and last record; a reader looks this far back for blocks. */
    static final long MAX_SPAN_NANOS = 60_000_000_000L;
    /** The most records in one block: a chunk is 2,048 rows by default, and a block is decoded whole. */
    static final int MAX_RECORDS = 8_192;
    /**
     * The most bytes of frames in one block (unless one frame is larger): below half of G1's smallest region
     * (1 MiB), so a block's array is never a humongous object. Every humongous allocation may start a young
     * collection and a marking cycle: with a 2,048-row chunk in one block (about 780 KB), 252 of the 265 collections
     * of two 1,000,000-row jobs were started that way (docs/benchmarks.md, ADR 0018).
     */
    static final int MAX_BYTES = 256 * 1024;

    /**
     * Where a worker thread writes a batch chunk's frames before they are cut into blocks: kept by the thread, so a
     * chunk's frames take no new array beyond the blocks' own. Not kept once it has grown past 2 MiB (a chunk with
     * long explanations), so a thread holds at most that.
     */
    private static final ThreadLocal<ByteBuffer> SCRATCH = ThreadLocal.withInitial(() -> ByteBuffer.allocate(MAX_BYTES));

    private PredictionBlocks() {}

    /**
     * One block: its model, the time of its first and last record, how many it holds, and their frames. A batch job's
     * block also has a key, its job and first prediction id, under which the database stores it once: a batch
     * prediction's id and time are fixed by its job, row and checkpoint, so an append of records already logged (a
     * second run of the same stretch) adds nothing. Answered predictions' blocks have none (null).
     */
    record Block(ModelName model, long firstNanos, long lastNanos, int records, byte[] frames, String key) {
        Block {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(frames, "frames");
        }
    }

    /**
     * An answered prediction on its way to the database: its model, its time and its journal frame. The record itself
     * is not kept: what waits for the drain (tens of milliseconds, across young collections) is the frame alone.
     */
    record Row(ModelName model, long nanos, byte[] frame) {
        Row {
            Objects.requireNonNull(model, "model");
            Objects.requireNonNull(frame, "frame");
        }

        /** The record, decoded from its frame (only where one must be stored or set aside on its own). */
        PredictionRecord record() {
            return records(frame).get(0);
        }
    }

    /** An append's records as the database stores them: rows of their own, and blocks. */
    record Stored(List<Row> rows, List<Block> blocks) {
        int records() {
            int n = rows.size();
            for (Block b : blocks) {
                n += b.records();
            }
            return n;
        }

        /** The rows' journal frames, in order, in a new list with room for the blocks' marks and frames after them. */
        List<byte[]> rowFrames() {
            List<byte[]> frames = new ArrayList<>(rows.size() + 2 * blocks.size());
            for (Row r : rows) {
                frames.add(r.frame());
            }
            return frames;
        }
    }

    /**
     * Splits records into the rows and blocks the database stores, with their journal frames: the records of each
     * (model, batch job) in time order (the order of the append among equal times), cut where a block would pass
     * {@link #MAX_SPAN_NANOS} or {@link #MAX_RECORDS}.
     */
    static Stored split(List<PredictionRecord> records) {
        List<Row> rows = new ArrayList<>();
        Map<List<String>, List<Integer>> jobs = null; // most appends are answered predictions: no map for them
        List<String> lastKey = null;
        List<Integer> lastIndexes = null;
        for (int i = 0; i < records.size(); i++) {
            PredictionRecord r = records.get(i);
            if (r.batchId() == null) {
                rows.add(new Row(r.modelName(), SqlitePredictionLog.clampedNanos(r.time()), PredictionJournal.frame(r)));
                continue;
            }
            // A chunk's records share their job and model: look the key up once, not for every record.
            if (lastKey == null || !lastKey.get(0).equals(r.modelName().value()) || !lastKey.get(1).equals(r.batchId())) {
                lastKey = List.of(r.modelName().value(), r.batchId());
                if (jobs == null) {
                    jobs = new LinkedHashMap<>();
                }
                lastIndexes = jobs.computeIfAbsent(lastKey, k -> new ArrayList<>());
            }
            lastIndexes.add(i);
        }
        if (jobs == null) {
            return new Stored(rows, List.of());
        }
        List<Block> blocks = new ArrayList<>();
        long[] nanos = new long[records.size()];
        int[] at = new int[records.size()];
        int[] bytes = new int[records.size()];
        for (List<Integer> indexes : jobs.values()) {
            boolean sorted = true;
            long previous = Long.MIN_VALUE;
            for (int i : indexes) {
                nanos[i] = SqlitePredictionLog.clampedNanos(records.get(i).time());
                sorted &= nanos[i] >= previous;
                previous = nanos[i];
            }
            List<Integer> ordered = indexes;
            if (!sorted) {
                ordered = new ArrayList<>(indexes);
                ordered.sort(Comparator.comparingLong(i -> nanos[i])); // stable: the append's order among equals
            }
            // The frames in block order, one after the other in the thread's scratch; each block then copies its run.
            ByteBuffer frames = SCRATCH.get().clear();
            PredictionRecord shared = records.get(ordered.get(0));
            byte[] model = PredictionJournal.utf8(shared.modelName().value());
            byte[] batch = PredictionJournal.utf8(shared.batchId());
            for (int i : ordered) {
                at[i] = frames.position();
                frames = PredictionJournal.frameInto(records.get(i), frames, model, batch);
                bytes[i] = frames.position() - at[i];
            }
            if (frames.capacity() <= 8 * MAX_BYTES) {
                SCRATCH.set(frames);
            }
            byte[] written = frames.array();
            cut(ordered, nanos, bytes, run -> {
                int first = run.get(0);
                int last = run.get(run.size() - 1);
                PredictionRecord r = records.get(first);
                blocks.add(new Block(r.modelName(), nanos[first], nanos[last], run.size(),
                        Arrays.copyOfRange(written, at[first], at[last] + bytes[last]), key(r)));
            });
        }
        return new Stored(rows, blocks);
    }

    /** A batch job's block's key: its job and its first record's prediction id. */
    private static String key(PredictionRecord first) {
        return first.batchId() + "/" + first.predictionId();
    }

    /**
     * The batch job's block whose frames a journal replay read back, as {@link #split} made it when its records were
     * appended: same records, same bytes, same key. {@code records} are the frames' records, in their order.
     */
    static Block batchBlock(byte[] frames, List<PredictionRecord> records) {
        PredictionRecord first = records.get(0);
        PredictionRecord last = records.get(records.size() - 1);
        if (first.batchId() == null) {
            throw new IllegalArgumentException("a block of frames without a batch id");
        }
        return new Block(first.modelName(), SqlitePredictionLog.clampedNanos(first.time()),
                SqlitePredictionLog.clampedNanos(last.time()), records.size(), frames, key(first));
    }

    /**
     * An answered prediction waiting for the drain: its model, its time, and where its frame is in the journal. Its
     * bytes stay there (and in the page cache) until the drain reads them back, so what waits across young collections
     * is these few fields, not a frame of a kilobyte or two a record (docs/adr/0041).
     */
    record Placed(ModelName model, long nanos, long offset, int length) {
        Placed {
            Objects.requireNonNull(model, "model");
        }
    }

    /**
     * The drain's form of an append's records: its rows (answered predictions) joined into blocks as well, one run per
     * model in time order (the order of the append among equal times), cut like a batch job's, from the frames the
     * journal already wrote. Answered predictions then cost the drain one insert per model and transaction instead of
     * one per prediction (ADR 0022).
     */
    static Stored rowsAsBlocks(Stored stored) {
        if (stored.rows().isEmpty()) {
            return stored;
        }
        // The rows' frames one after the other, as the journal holds them, and where each one is.
        int size = 0;
        for (Row r : stored.rows()) {
            size += r.frame().length;
        }
        ByteBuffer frames = ByteBuffer.allocate(size);
        List<Placed> placed = new ArrayList<>(stored.rows().size());
        for (Row r : stored.rows()) {
            placed.add(new Placed(r.model(), r.nanos(), frames.position(), r.frame().length));
            frames.put(r.frame());
        }
        List<Block> blocks = new ArrayList<>(stored.blocks());
        blocks.addAll(placedAsBlocks(placed, frames, 0));
        return new Stored(List.of(), blocks);
    }

    /**
     * The blocks of answered predictions placed in the journal, as {@link #rowsAsBlocks} cuts them, with their bytes
     * taken from {@code frames}, which holds the journal's bytes from offset {@code base} on (at its index 0).
     */
    static List<Block> placedAsBlocks(List<Placed> rows, ByteBuffer frames, long base) {
        Map<String, List<Integer>> byModel = new LinkedHashMap<>();
        long[] nanos = new long[rows.size()];
        int[] bytes = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            nanos[i] = rows.get(i).nanos();
            bytes[i] = rows.get(i).length();
            byModel.computeIfAbsent(rows.get(i).model().value(), k -> new ArrayList<>()).add(i);
        }
        List<Block> blocks = new ArrayList<>();
        for (List<Integer> indexes : byModel.values()) {
            indexes.sort(Comparator.comparingLong(i -> nanos[i])); // stable: the append's order among equals
            cut(indexes, nanos, bytes, run -> blocks.add(joined(rows, run, nanos, frames, base)));
        }
        return blocks;
    }

    /**
     * Hands out the runs of {@code ordered} (record indexes in time order) that make one block each: cut where a
     * block would pass {@link #MAX_RECORDS} or {@link #MAX_BYTES} ({@code bytes[i]}: record {@code i}'s frame) or
     * span more than {@link #MAX_SPAN_NANOS}.
     */
    private static void cut(List<Integer> ordered, long[] nanos, int[] bytes,
            java.util.function.Consumer<List<Integer>> block) {
        int start = 0;
        long size = 0;
        for (int k = 0; k <= ordered.size(); k++) {
            if (k > start && (k == ordered.size() || k - start == MAX_RECORDS
                    || size + bytes[ordered.get(k)] > MAX_BYTES
                    || nanos[ordered.get(k)] - nanos[ordered.get(start)] > MAX_SPAN_NANOS)) {
                block.accept(ordered.subList(start, k));
                start = k;
                size = 0;
            }
            if (k < ordered.size()) {
                size += bytes[ordered.get(k)];
            }
        }
    }

    private static Block joined(List<Placed> rows, List<Integer> indexes, long[] nanos, ByteBuffer frames, long base) {
        int size = 0;
        for (int i : indexes) {
            size += rows.get(i).length();
        }
        byte[] bytes = new byte[size];
        int at = 0;
        for (int i : indexes) {
            Placed row = rows.get(i);
            frames.get(Math.toIntExact(row.offset() - base), bytes, at, row.length());
            at += row.length();
        }
        return new Block(rows.get(indexes.get(0)).model(), nanos[indexes.get(0)],
                nanos[indexes.get(indexes.size() - 1)], indexes.size(), bytes, null);
    }

    /** Every record of a block, in its order. */
    static List<PredictionRecord> records(byte[] frames) {
        List<PredictionRecord> out = new ArrayList<>();
        Reader reader = new Reader(frames);
        while (reader.hasNext()) {
            out.add(reader.next());
        }
        return out;
    }

    /** The record of {@code predictionId} in a block with {@code from <= time < to}, decoding only that one. */
    static Optional<PredictionRecord> find(byte[] frames, String predictionId, long from, long to) {
        byte[] id = predictionId.getBytes(StandardCharsets.UTF_8);
        Reader reader = new Reader(frames);
        while (reader.hasNext()) {
            if (reader.nextIdIs(id)) {
                PredictionRecord r = reader.next();
                long nanos = SqlitePredictionLog.clampedNanos(r.time());
                if (nanos >= from && nanos < to) {
                    return Optional.of(r);
                }
            } else {
                reader.skip();
            }
        }
        return Optional.empty();
    }

    /**
     * Adds to {@code found} the ids of {@code wanted} that a block holds with {@code from <= time < to}, decoding only
     * the records whose id is wanted.
     */
    static void findAll(byte[] frames, Set<String> wanted, long from, long to, Set<String> found) {
        Reader reader = new Reader(frames);
        while (reader.hasNext()) {
            if (wanted.contains(reader.nextId())) {
                PredictionRecord r = reader.next();
                long nanos = SqlitePredictionLog.clampedNanos(r.time());
                if (nanos >= from && nanos < to) {
                    found.add(r.predictionId());
                }
            } else {
                reader.skip();
            }
        }
    }

    /** The frames of a block's records with a time at or after {@code cutoff} (a block is in time order). */
    static byte[] keepFrom(byte[] frames, long cutoff) {
        Reader reader = new Reader(frames);
        while (reader.hasNext()) {
            int at = reader.position();
            if (SqlitePredictionLog.clampedNanos(reader.next().time()) >= cutoff) {
                return Arrays.copyOfRange(frames, at, frames.length);
            }
        }
        return new byte[0];
    }

    /**
     * Reads a block's records with {@code from <= time < to} one at a time, for a scan that merges blocks and rows
     * in time order; {@link #current} is the record it is on, null once it has none left.
     */
    static final class Cursor {
        private final Reader reader;
        private final long sequence;
        private final long from;
        private final long to;
        private PredictionRecord current;
        private long currentNanos;

        Cursor(byte[] frames, long sequence, long from, long to) {
            this.reader = new Reader(frames);
            this.sequence = sequence;
            this.from = from;
            this.to = to;
            advance();
        }

        /** Orders cursors by their current record's time, then by the block's place in the database. */
        static final Comparator<Cursor> ORDER = Comparator.comparingLong((Cursor c) -> c.currentNanos)
                .thenComparingLong(c -> c.sequence);

        PredictionRecord current() {
            return current;
        }

        long currentNanos() {
            return currentNanos;
        }

        /** Moves to the next record inside the window; false (and no current record) when there is none. */
        boolean advance() {
            current = null;
            while (reader.hasNext()) {
                PredictionRecord r = reader.next();
                long nanos = SqlitePredictionLog.clampedNanos(r.time());
                if (nanos >= to) {
                    return false; // in time order: nothing after it is inside either
                }
                if (nanos >= from) {
                    current = r;
                    currentNanos = nanos;
                    return true;
                }
            }
            return false;
        }
    }

    /** Walks a block's frames, checking each one's CRC as it decodes it. */
    private static final class Reader {
        private final byte[] frames;
        private final ByteBuffer in;

        Reader(byte[] frames) {
            this.frames = frames;
            this.in = ByteBuffer.wrap(frames).order(ByteOrder.LITTLE_ENDIAN);
        }

        boolean hasNext() {
            return in.hasRemaining();
        }

        int position() {
            return in.position();
        }

        PredictionRecord next() {
            int length = length();
            int start = in.position() + PredictionJournal.FRAME_HEADER_BYTES;
            if (PredictionJournal.crc(frames, start, length) != in.getInt(in.position() + Integer.BYTES)) {
                throw damaged(null);
            }
            ByteBuffer payload = ByteBuffer.wrap(frames, start, length).slice().order(ByteOrder.LITTLE_ENDIAN);
            PredictionRecord r;
            try {
                r = PredictionJournal.decode(payload);
            } catch (IllegalArgumentException e) {
                throw damaged(e);
            }
            in.position(start + length);
            return r;
        }

        void skip() {
            int length = length();
            in.position(in.position() + PredictionJournal.FRAME_HEADER_BYTES + length);
        }

        /** Whether the next record's prediction id is {@code id}, from its bytes (the payload starts with it). */
        boolean nextIdIs(byte[] id) {
            length();
            int at = in.position() + PredictionJournal.FRAME_HEADER_BYTES;
            if (in.getInt(at) != id.length) {
                return false;
            }
            return Arrays.equals(frames, at + Integer.BYTES, at + Integer.BYTES + id.length, id, 0, id.length);
        }

        /** The next record's prediction id, read from its bytes (the payload starts with it) without decoding it. */
        String nextId() {
            length();
            int at = in.position() + PredictionJournal.FRAME_HEADER_BYTES;
            int idLength = in.getInt(at);
            if (idLength < 0 || idLength > in.remaining() - PredictionJournal.FRAME_HEADER_BYTES - Integer.BYTES) {
                throw damaged(null);
            }
            return new String(frames, at + Integer.BYTES, idLength, StandardCharsets.UTF_8);
        }

        private int length() {
            if (in.remaining() < PredictionJournal.FRAME_HEADER_BYTES) {
                throw damaged(null);
            }
            int length = in.getInt(in.position());
            if (length <= 0 || length > in.remaining() - PredictionJournal.FRAME_HEADER_BYTES) {
                throw damaged(null);
            }
            return length;
        }

        private static StoreException damaged(Throwable cause) {
            return new StoreException("a stored block of predictions does not read back as its records; the"
                    + " prediction log is damaged", cause);
        }
    }
}
