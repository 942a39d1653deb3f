package health.vigil.scoring.batch;

import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a partition's scoring stands: the next line to read (byte and row), how many results blobs are written
 * (one per checkpoint), the counts so far (refusals by kind), and when the checkpoint was taken: the predictions
 * made after it, up to the next checkpoint, are logged at {@code at} (their ids carry it), which is where a resumed
 * run looks for predictions that a crashed run made but did not checkpoint. {@code rowsUntilNext} is the most rows a run from this checkpoint scores and
 * logs before it writes the next one, so a resumed run knows which rows to look up (0 in checkpoints written before
 * it was kept: one chunk).
 */
public record BatchCheckpoint(int partition, long nextByte, long nextRow, int chunks, long scored, long refused,
        Map<String, Long> refusals, Instant at, long rowsUntilNext) {
    /** Refusal kinds kept per partition; more distinct kinds than this are counted under one. */
    static final int MAX_KINDS = 64;
    static final String OTHER_KINDS = "other problems";

    public BatchCheckpoint {
        refusals = Map.copyOf(refusals == null ? Map.of() : refusals);
    }

    static BatchCheckpoint start(BatchPartition p, Instant submittedAt, long rowsUntilNext) {
        return new BatchCheckpoint(p.index(), p.startByte(), p.firstRow(), 0, 0, 0, Map.of(), submittedAt,
                rowsUntilNext);
    }

    long rowsDone(BatchPartition p) {
        return nextRow - p.firstRow();
    }

    /** The checkpoint after one more results blob (the chunks scored since this checkpoint). */
    BatchCheckpoint next(long nextByte, long nextRow, long scoredSince, Map<String, Long> refusedSince,
            Instant at, long rowsUntilNextOne) {
        Map<String, Long> kinds = new TreeMap<>(refusals);
        long refusedCount = 0;
        for (Map.Entry<String, Long> e : refusedSince.entrySet()) {
            String kind = kinds.containsKey(e.getKey()) || kinds.size() < MAX_KINDS ? e.getKey() : OTHER_KINDS;
            kinds.merge(kind, e.getValue(), Long::sum);
            refusedCount += e.getValue();
        }
        return new BatchCheckpoint(partition, nextByte, nextRow, chunks + 1, scored + scoredSince,
                refused + refusedCount, kinds, at, rowsUntilNextOne);
    }
}
