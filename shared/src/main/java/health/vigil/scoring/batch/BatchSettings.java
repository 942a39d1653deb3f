package health.vigil.scoring.batch;

import health.vigil.error.ValidationException;

/**
 * How batch files are cut and scored: a partition holds about {@code partitionBytes} of the file (one invocation
 * each; sized to finish well within a function's time limit), a chunk is the rows scored by one ONNX Runtime run
 * and logged by one prediction-log append, {@code checkpointChunks} chunks are made durable together (one results
 * blob and one checkpoint, so one pair of forced writes), and no line may exceed {@code maxLineBytes}.
 */
public record BatchSettings(long partitionBytes, int chunkRows, int checkpointChunks, int maxLineBytes) {
    /**
     * 32 MiB partitions (about 300,000 rows of the reference models), 2,048-row chunks, a checkpoint every 8 chunks
     * (16,384 rows: a forced write of the results and of the checkpoint cost more than scoring a chunk on a VM's
     * disk), 64 KiB lines.
     */
    public static final BatchSettings DEFAULTS = new BatchSettings(32L * 1024 * 1024, 2048, 8, 64 * 1024);

    public BatchSettings {
        if (partitionBytes < 1 || chunkRows < 1 || checkpointChunks < 1 || maxLineBytes < 64) {
            throw new ValidationException("batch settings need partitionBytes >= 1, chunkRows >= 1,"
                    + " checkpointChunks >= 1 and maxLineBytes >= 64");
        }
    }

    /** A checkpoint after every chunk. */
    public BatchSettings(long partitionBytes, int chunkRows, int maxLineBytes) {
        this(partitionBytes, chunkRows, 1, maxLineBytes);
    }

    /** The most rows a run scores and logs after a checkpoint before it writes the next one. */
    long rowsPerCheckpoint() {
        return (long) chunkRows * checkpointChunks;
    }
}
