package health.vigil.scoring.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Partitions cut as a job's plan cuts them, then trimmed, against a plain split of the same bytes: the rows end with
 * the last line holding anything but spaces, tabs and carriage returns, whatever the partitions' size and however
 * the reads fall (a byte at a time, a blank run or a CRLF split between two reads).
 */
class TrailingBlankLinesTest {
    private static final String[] BLANK = {"", " ", "\t", "\r", "  \t ", " \r"};

    @Test
    void theRowsEndWithTheLastLineThatIsNotBlankHoweverTheFileIsCutAndRead() {
        SplittableRandom random = new SplittableRandom(20261207L);
        for (int file = 0; file < 400; file++) {
            List<String> lines = new ArrayList<>();
            int count = random.nextInt(12);
            for (int i = 0; i < count; i++) {
                lines.add(random.nextInt(3) == 0 ? BLANK[random.nextInt(BLANK.length)] : "row-" + i + ",5");
            }
            for (int i = random.nextInt(6); i > 0; i--) {
                lines.add(BLANK[random.nextInt(BLANK.length)]);
            }
            boolean lastEnded = random.nextBoolean();
            byte[] bytes = (String.join("\n", lines) + (lastEnded && !lines.isEmpty() ? "\n" : ""))
                    .getBytes(StandardCharsets.US_ASCII);
            Expected expected = Expected.of(bytes);
            for (long partitionBytes : new long[] {1, 2, 5, 9, 40, 1 << 20}) {
                int readBytes = 1 + random.nextInt(7);
                List<BatchPartition> kept = planned(bytes, partitionBytes, readBytes);
                String what = "file " + file + " " + lines + (lastEnded ? " ended" : "") + ", partitions of "
                        + partitionBytes + " bytes, reads of " + readBytes;
                assertThat(kept.stream().mapToLong(BatchPartition::rows).sum()).as(what).isEqualTo(expected.rows);
                assertThat(kept.isEmpty() ? 0 : kept.get(kept.size() - 1).endByte()).as(what)
                        .isEqualTo(expected.end);
                long start = 0;
                long firstRow = 1;
                for (int i = 0; i < kept.size(); i++) {
                    BatchPartition p = kept.get(i);
                    assertThat(p.index()).as(what).isEqualTo(i);
                    assertThat(p.startByte()).as(what).isEqualTo(start);
                    assertThat(p.firstRow()).as(what).isEqualTo(firstRow);
                    assertThat(p.rows()).as(what).isEqualTo(Expected.lines(bytes, p.startByte(), p.endByte()))
                            .isPositive();
                    start = p.endByte();
                    firstRow += p.rows();
                }
            }
        }
    }

    @Test
    void blankLinesBeforeARowAreRowsAndAFileOfBlankLinesHasNone() {
        byte[] inside = "a\n\n \nb\n\n".getBytes(StandardCharsets.US_ASCII);
        assertThat(planned(inside, 1, 3)).extracting(BatchPartition::rows).containsExactly(1L, 1L, 1L, 1L);
        assertThat(planned(inside, 1, 3).get(3).endByte()).isEqualTo(7);
        assertThat(planned(" \n\r\n\t".getBytes(StandardCharsets.US_ASCII), 2, 1)).isEmpty();
        assertThat(planned(new byte[0], 2, 1)).isEmpty();
    }

    /** The plan's cut: a partition ends with the first line that takes it to {@code partitionBytes}, then trimmed. */
    private static List<BatchPartition> planned(byte[] bytes, long partitionBytes, int readBytes) {
        TrailingBlankLines watched = new TrailingBlankLines(new Trickle(bytes, readBytes));
        List<BatchPartition> partitions = new ArrayList<>();
        try (LineReader lines = new LineReader(watched, 0, Long.MAX_VALUE, 1_024)) {
            long start = 0;
            long firstRow = 1;
            for (long in; (in = lines.skipLines(start + partitionBytes)) > 0; ) {
                partitions.add(new BatchPartition(partitions.size(), start, lines.position(), firstRow, in));
                start = lines.position();
                firstRow += in;
            }
        }
        return watched.trim(partitions);
    }

    /** What a plain split says: the rows up to the last line that is not blank, and where that line ends. */
    private record Expected(long rows, long end) {
        static Expected of(byte[] bytes) {
            long rows = 0;
            long end = 0;
            long line = 0;
            int lineStart = 0;
            for (int i = 0; i <= bytes.length; i++) {
                if (i == bytes.length && i == lineStart) {
                    break;
                }
                if (i == bytes.length || bytes[i] == '\n') {
                    line++;
                    if (!blank(bytes, lineStart, i)) {
                        rows = line;
                        end = Math.min(i + 1, bytes.length);
                    }
                    lineStart = i + 1;
                }
            }
            return new Expected(rows, end);
        }

        /** The lines {@code bytes[from, to)} holds: its newlines, and a last line without one. */
        static long lines(byte[] bytes, long from, long to) {
            long n = 0;
            for (long i = from; i < to; i++) {
                if (bytes[(int) i] == '\n') {
                    n++;
                }
            }
            return n + (to > from && bytes[(int) to - 1] != '\n' ? 1 : 0);
        }

        private static boolean blank(byte[] bytes, int from, int to) {
            for (int i = from; i < to; i++) {
                if (bytes[i] != ' ' && bytes[i] != '\t' && bytes[i] != '\r') {
                    return false;
                }
            }
            return true;
        }
    }

    /** A stream that gives at most {@code step} bytes a read, as a network stream may. */
    private static final class Trickle extends InputStream {
        private final ByteArrayInputStream in;
        private final int step;

        Trickle(byte[] bytes, int step) {
            this.in = new ByteArrayInputStream(bytes);
            this.step = step;
        }

        @Override
        public int read() {
            return in.read();
        }

        @Override
        public int read(byte[] b, int off, int len) {
            return in.read(b, off, Math.min(len, step));
        }
    }
}
