package health.vigil.scoring.batch;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * Watches a batch file go by while its job is planned, for the blank lines at its very end: those after the last line
 * holding anything but spaces, tabs and carriage returns. An editor or an export leaves them; they are no rows, so
 * the plan ends before them ({@link #trim}), wherever the partitions would have cut them. A blank line with rows after
 * it is still a row, refused as empty. Each read is looked at backwards from its last byte only as far as the last
 * byte that is not blank: a byte or two for lines of data.
 */
final class TrailingBlankLines extends FilterInputStream {
    /** The bytes read so far. */
    private long read;
    /** Where the last byte that is neither blank nor a line end is; -1 while there is none. */
    private long lastContent = -1;
    /** Past the newline that ends the line of {@link #lastContent}; -1 while that newline is not read. */
    private long contentLineEnd = -1;
    /** The newlines read after {@link #lastContent} (from the start while there is none). */
    private long newlinesAfter;
    private byte last;

    TrailingBlankLines(InputStream in) {
        super(in);
    }

    @Override
    public int read() throws IOException {
        int b = in.read();
        if (b >= 0) {
            watch(new byte[] {(byte) b}, 0, 1);
        }
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = in.read(b, off, len);
        if (n > 0) {
            watch(b, off, n);
        }
        return n;
    }

    /** Read through, so that no byte passes unwatched. */
    @Override
    public long skip(long n) throws IOException {
        byte[] dropped = new byte[(int) Math.min(n, 8192)];
        long skipped = 0;
        for (int r; skipped < n && (r = read(dropped, 0, (int) Math.min(dropped.length, n - skipped))) > 0; ) {
            skipped += r;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    private void watch(byte[] b, int off, int n) {
        int i = off + n - 1;
        int firstNewline = -1;
        long newlines = 0;
        for (; i >= off && isBlank(b[i]); i--) {
            if (b[i] == '\n') {
                newlines++;
                firstNewline = i;
            }
        }
        if (i >= off) {
            lastContent = read + i - off;
            newlinesAfter = newlines;
            contentLineEnd = firstNewline < 0 ? -1 : read + firstNewline - off + 1;
        } else {
            newlinesAfter += newlines;
            if (lastContent >= 0 && contentLineEnd < 0 && firstNewline >= 0) {
                contentLineEnd = read + firstNewline - off + 1;
            }
        }
        last = b[off + n - 1];
        read += n;
    }

    private static boolean isBlank(byte b) {
        return b == ' ' || b == '\t' || b == '\r' || b == '\n';
    }

    /** Where the file's rows end, once it was read to its end: past the line of its last byte that is not blank. */
    long rowsEnd() {
        if (lastContent < 0) {
            return 0;
        }
        return contentLineEnd < 0 ? read : contentLineEnd;
    }

    /** How many lines start at {@link #rowsEnd} or after it: the blank lines at the end of the file. */
    long blankLinesAtEnd() {
        long newlines = lastContent < 0 ? newlinesAfter : contentLineEnd < 0 ? 0 : newlinesAfter - 1;
        return newlines + (read > rowsEnd() && last != '\n' ? 1 : 0);
    }

    /**
     * {@code partitions}, cut at line boundaries from the whole file once it was read to its end, without the blank
     * lines at its end: a partition of nothing else is left out, and the one they begin in ends where they begin.
     */
    List<BatchPartition> trim(List<BatchPartition> partitions) {
        long end = rowsEnd();
        long blank = blankLinesAtEnd();
        List<BatchPartition> kept = new ArrayList<>(partitions.size());
        for (BatchPartition p : partitions) {
            if (p.startByte() < end) {
                kept.add(p);
            } else {
                blank -= p.rows();
            }
        }
        if (blank > 0) {
            BatchPartition p = kept.remove(kept.size() - 1);
            kept.add(new BatchPartition(p.index(), p.startByte(), end, p.firstRow(), p.rows() - blank));
        }
        return kept;
    }
}
