package health.vigil.scoring.batch;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Reads a byte range of a file line by line, keeping each line's end offset, so a checkpoint can say exactly where
 * the next line starts. A line ends at {@code \n} (a {@code \r} before it is dropped); the last line of the range
 * may lack one. Only the current line is held, and no line may be longer than {@code maxLineBytes} (the {@code \r} of a
 * CRLF end not counted, so a line at the limit reads alike with either line end): a longer one
 * is skipped and reported as too long, so a file without newlines cannot exhaust memory.
 */
final class LineReader implements AutoCloseable {
    private static final int BUFFER_BYTES = 1 << 16;
    private static final long NEWLINES = 0x0A0A0A0A0A0A0A0AL;
    private static final long ONES = 0x0101010101010101L;
    /** The high bit of each byte of a long; {@link CsvRowDecoder} reads its eight-byte steps with these two too. */
    static final long HIGH_BITS = 0x8080808080808080L;
    private static final long LOW_BITS = 0x7F7F7F7F7F7F7F7FL;
    /** Eight bytes of an array read as one little-endian long, the first byte lowest. */
    static final VarHandle LITTLE_ENDIAN_LONGS =
            MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final InputStream in;
    private final long end;
    private final int maxLineBytes;
    private final byte[] buffer = new byte[BUFFER_BYTES];
    private int bufferLength;
    private int bufferPosition;
    private long position;
    private byte[] line = new byte[256];
    private int lineLength;
    private boolean lineTooLong;

    /** {@code in} is positioned at {@code start}; reading stops at {@code end}. */
    LineReader(InputStream in, long start, long end, int maxLineBytes) {
        this.in = in;
        this.position = start;
        this.end = end;
        this.maxLineBytes = maxLineBytes;
    }

    /** Reads the next line; false at the end of the range. */
    boolean next() {
        if (position >= end) {
            return false;
        }
        lineLength = 0;
        lineTooLong = false;
        long lineStart = position;
        while (position < end) {
            if (bufferPosition == bufferLength && !fill()) {
                if (position == lineStart) {
                    return false; // the file ended before the range did
                }
                break;
            }
            int limit = (int) Math.min(bufferLength, bufferPosition + (end - position));
            int i = newline(buffer, bufferPosition, limit);
            append(bufferPosition, i - bufferPosition);
            position += i - bufferPosition;
            bufferPosition = i;
            if (i < limit) {
                bufferPosition++;
                position++;
                break;
            }
        }
        if (lineLength > 0 && line[lineLength - 1] == '\r') {
            lineLength--;
        }
        if (lineLength > maxLineBytes) {
            // One byte over is kept only for a CRLF line at the limit, whose \r is not part of the line.
            lineTooLong = true;
            lineLength = 0;
        }
        return true;
    }

    /**
     * Moves past whole lines up to and including the first that ends at or past {@code boundary} (its position, past
     * its newline, is at least {@code boundary}), or to the end of the range, and returns how many it passed: what
     * planning a job needs, which only counts lines and cuts partitions between them. The lines before the boundary's
     * last byte are only counted, eight bytes at a time; their lengths are not checked (nor kept: {@link #bytes},
     * {@link #length} and {@link #tooLong} then say nothing). Zero only at the end of the range.
     */
    long skipLines(long boundary) {
        long passed = 0;
        // Whether bytes were passed since the last newline: a last line without one still counts.
        boolean inLine = false;
        while (position < end) {
            if (bufferPosition == bufferLength && !fill()) {
                break;
            }
            int limit = (int) Math.min(bufferLength, bufferPosition + (end - position));
            // Every newline before the boundary's last byte ends a line that ends short of the boundary.
            long countable = boundary - 1 - position;
            if (countable > 0) {
                int upTo = (int) Math.min(limit, bufferPosition + countable);
                passed += newlines(buffer, bufferPosition, upTo);
                inLine = buffer[upTo - 1] != '\n';
                position += upTo - bufferPosition;
                bufferPosition = upTo;
                continue;
            }
            int i = newline(buffer, bufferPosition, limit);
            position += i - bufferPosition;
            inLine |= i > bufferPosition;
            bufferPosition = i;
            if (i < limit) {
                bufferPosition++;
                position++;
                return passed + 1;
            }
        }
        return inLine ? passed + 1 : passed;
    }

    /** Where the line just read ends (past its newline): the next line's start. */
    long position() {
        return position;
    }

    byte[] bytes() {
        return line;
    }

    int length() {
        return lineLength;
    }

    /** Whether the line just read was longer than the limit (its bytes are then not kept). */
    boolean tooLong() {
        return lineTooLong;
    }

    /**
     * The index of the first {@code \n} in {@code bytes[from, limit)}, or {@code limit}: eight bytes at a time, each
     * read as one long in which a byte equal to the newline becomes zero. Subtracting one from every byte borrows
     * from the high bit only of a zero byte (or of one above a zero, never below it), so the lowest flagged byte is
     * the first newline.
     */
    static int newline(byte[] bytes, int from, int limit) {
        int i = from;
        for (; i + Long.BYTES <= limit; i += Long.BYTES) {
            long x = (long) LITTLE_ENDIAN_LONGS.get(bytes, i) ^ NEWLINES;
            long found = (x - ONES) & ~x & HIGH_BITS;
            if (found != 0) {
                return i + (Long.numberOfTrailingZeros(found) >>> 3);
            }
        }
        while (i < limit && bytes[i] != '\n') {
            i++;
        }
        return i;
    }

    /**
     * How many {@code \n} bytes {@code bytes[from, to)} holds, eight at a time: in each long read with the newlines
     * made zero, a byte's high bit is set exactly when the byte is zero (its low seven bits added to seven ones carry
     * into the high bit unless they are all zero, and no sum carries into the next byte), and those bits are counted.
     */
    static int newlines(byte[] bytes, int from, int to) {
        int count = 0;
        int i = from;
        for (; i + Long.BYTES <= to; i += Long.BYTES) {
            long x = (long) LITTLE_ENDIAN_LONGS.get(bytes, i) ^ NEWLINES;
            count += Long.bitCount(~(((x & LOW_BITS) + LOW_BITS) | x | LOW_BITS));
        }
        for (; i < to; i++) {
            if (bytes[i] == '\n') {
                count++;
            }
        }
        return count;
    }

    /**
     * Adds {@code buffer[from, from + count)} to the line, counted against the limit plus one byte: the \r of a CRLF
     * line end, which {@link #next} drops before it holds the line to the limit.
     */
    private void append(int from, int count) {
        if (lineTooLong || count == 0) {
            return;
        }
        if (lineLength + count > maxLineBytes + 1) {
            lineTooLong = true;
            lineLength = 0;
            return;
        }
        if (lineLength + count > line.length) {
            line = Arrays.copyOf(line, Math.min(maxLineBytes + 1, Math.max(line.length * 2, lineLength + count)));
        }
        System.arraycopy(buffer, from, line, lineLength, count);
        lineLength += count;
    }

    private boolean fill() {
        try {
            bufferLength = in.read(buffer, 0, buffer.length);
        } catch (IOException e) {
            throw new UncheckedIOException("the batch file could not be read at byte " + position, e);
        }
        bufferPosition = 0;
        if (bufferLength <= 0) {
            bufferLength = 0;
            return false;
        }
        return true;
    }

    @Override
    public void close() {
        try {
            in.close();
        } catch (IOException e) {
            // A read-only stream: nothing was lost by failing to close it.
        }
    }
}
