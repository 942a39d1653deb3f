package health.vigil.scoring.batch;

import health.vigil.error.ValidationException;

/**
 * How batch files are cut and scored: a partition holds about {@code partitionBytes} of the file (one invocation
 * each; sized to finish well within a function's time limit), a chunk is the rows scored by one ONNX Runtime run
 * and made durable together (the unit of a checkpoint), and no line may exceed {@code maxLineBytes}.
 */
public record BatchSettings(long partitionBytes, int chunkRows, int maxLineBytes) {
    /** 32 MiB partitions (about 300,000 rows of the reference models), 2,048-row chunks, 64 KiB lines. */
    public static final BatchSettings DEFAULTS = new BatchSettings(32L * 1024 * 1024, 2048, 64 * 1024);

    public BatchSettings {
        if (partitionBytes < 1 || chunkRows < 1 || maxLineBytes < 64) {
            throw new ValidationException("batch settings need partitionBytes >= 1, chunkRows >= 1 and"
                    + " maxLineBytes >= 64");
        }
    }
}
