package health.vigil.scoring.batch;

import health.vigil.error.ValidationException;

/**
 * One range of a batch file, scored by one invocation: the bytes {@code [startByte, endByte)}, which hold whole
 * lines only, and the rows they hold, numbered from {@code firstRow} (rows count from 1, after a CSV header).
 */
public record BatchPartition(int index, long startByte, long endByte, long firstRow, long rows) {
    public BatchPartition {
        if (index < 0 || startByte < 0 || endByte < startByte || firstRow < 1 || rows < 0) {
            throw new ValidationException("batch partition " + index + " is not a valid range of the file");
        }
    }
}
