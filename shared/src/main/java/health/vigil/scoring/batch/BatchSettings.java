package health.vigil.scoring.batch;

import health.vigil.error.ValidationException;
import java.time.Duration;
import java.util.Objects;

/**
 * How batch files are cut and scored: a partition holds about {@code partitionBytes} of the file (one invocation
 * each; sized to finish well within a function's time limit), a chunk is the rows scored by one ONNX Runtime run
 * and logged by one prediction-log append, {@code checkpointChunks} chunks are made durable together (one results
 * blob and one checkpoint, so one pair of forced writes), and no line may exceed {@code maxLineBytes}. A run holds
 * its partition's lease for {@code lease} after each renewal (see {@link health.vigil.port.BlobLease}).
 */
public record BatchSettings(long partitionBytes, int chunkRows, int checkpointChunks, int maxLineBytes,
        Duration lease) {
    /**
     * 30 seconds: a run renews its lease at least every quarter of it (a chunk takes well under a second), and a
     * partition whose run died waits at most this long for another delivery to take it over.
     */
    public static final Duration DEFAULT_LEASE = Duration.ofSeconds(30);

    /**
     * 32 MiB partitions (about 300,000 rows of the reference models), 2,048-row chunks, a checkpoint every 8 chunks
     * (16,384 rows: a forced write of the results and of the checkpoint cost more than scoring a chunk on a VM's
     * disk), 64 KiB lines, 30-second leases.
     */
    public static final BatchSettings DEFAULTS = new BatchSettings(32L * 1024 * 1024, 2048, 8, 64 * 1024);

    public BatchSettings {
        Objects.requireNonNull(lease, "lease");
        if (partitionBytes < 1 || chunkRows < 1 || checkpointChunks < 1 || maxLineBytes < 64) {
            throw new ValidationException("batch settings need partitionBytes >= 1, chunkRows >= 1,"
                    + " checkpointChunks >= 1 and maxLineBytes >= 64");
        }
        if (lease.compareTo(Duration.ofMillis(100)) < 0) {
            throw new ValidationException("a batch partition's lease must last at least 100 ms");
        }
    }

    /** The default lease. */
    public BatchSettings(long partitionBytes, int chunkRows, int checkpointChunks, int maxLineBytes) {
        this(partitionBytes, chunkRows, checkpointChunks, maxLineBytes, DEFAULT_LEASE);
    }

    /** A checkpoint after every chunk, the default lease. */
    public BatchSettings(long partitionBytes, int chunkRows, int maxLineBytes) {
        this(partitionBytes, chunkRows, 1, maxLineBytes);
    }

    /** The most rows a run scores and logs after a checkpoint before it writes the next one. */
    long rowsPerCheckpoint() {
        return (long) chunkRows * checkpointChunks;
    }
}
