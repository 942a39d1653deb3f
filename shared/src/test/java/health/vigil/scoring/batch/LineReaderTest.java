package health.vigil.scoring.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The reader against a plain split of the same bytes: lines of every length around the eight-byte steps of its
 * newline search, across its 64 KiB buffer, with and without {@code \r}, a last line without a newline, ranges
 * that start and stop inside the file, and lines over the limit; {@link LineReader#skipLines} cuts partitions where
 * the planner's rule, applied to the lines {@link LineReader#next} reads, cuts them.
 */
class LineReaderTest {
    private static final int LIMIT = 700;

    @Test
    void theFirstNewlineIsFoundWhereverItIsInTheEightByteSteps() {
        for (int length = 0; length <= 40; length++) {
            for (int at = 0; at <= length; at++) {
                byte[] bytes = new byte[length];
                Arrays.fill(bytes, (byte) 'x');
                if (at < length) {
                    bytes[at] = '\n';
                }
                // A byte just above and below the newline's value, and one with the high bit set, around it.
                for (int i = 0; i < length; i++) {
                    if (i != at && i % 3 == 0) {
                        bytes[i] = (byte) (i % 2 == 0 ? 0x0B : 0x09);
                    } else if (i != at && i % 5 == 0) {
                        bytes[i] = (byte) 0x8A;
                    }
                }
                for (int from = 0; from <= at; from++) {
                    assertThat(LineReader.newline(bytes, from, length)).as("length %d, newline at %d, from %d",
                            length, at, from).isEqualTo(at);
                }
            }
        }
        byte[] two = "ab\ncd\nef".getBytes(StandardCharsets.US_ASCII);
        assertThat(LineReader.newline(two, 0, two.length)).isEqualTo(2);
        assertThat(LineReader.newline(two, 3, two.length)).isEqualTo(5);
        assertThat(LineReader.newline(two, 6, two.length)).isEqualTo(two.length);
        assertThat(LineReader.newline(two, 0, 2)).as("the limit stops the search").isEqualTo(2);
    }

    @Test
    void linesReadMatchAPlainSplitAndPartitionsCutByCountingMatchTheLineByLineRule() {
        SplittableRandom random = new SplittableRandom(20261205L);
        StringBuilder text = new StringBuilder();
        while (text.length() < 300_000) {
            int length = random.nextInt(10) == 0 ? LIMIT - 5 + random.nextInt(10) : random.nextInt(70);
            for (int i = 0; i < length; i++) {
                text.append((char) ('a' + random.nextInt(26)));
            }
            text.append(random.nextInt(7) == 0 ? "\r\n" : "\n");
        }
        text.append("last line without a newline");
        byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);

        for (long[] range : new long[][] {{0, bytes.length}, {0, Long.MAX_VALUE}, {start(bytes, 1000), 200_000}}) {
            List<String> expected = split(bytes, (int) range[0], (int) Math.min(range[1], bytes.length));
            List<String> read = new ArrayList<>();
            List<Long> readEnds = new ArrayList<>();
            try (LineReader lines = reader(bytes, range[0], range[1])) {
                while (lines.next()) {
                    read.add(lines.tooLong() ? null : new String(lines.bytes(), 0, lines.length(),
                            StandardCharsets.US_ASCII));
                    readEnds.add(lines.position());
                }
            }
            assertThat(read).as("range %s", Arrays.toString(range)).isEqualTo(expected);
            assertThat(read).contains((String) null); // not vacuous: some lines were over the limit
            for (long partitionBytes : new long[] {1, 7, 8, 9, 64, 700, 4093, 65_535, 65_536, 65_537, 100_000,
                    Long.MAX_VALUE}) {
                assertThat(partitions(bytes, range[0], range[1], partitionBytes))
                        .as("range %s, partitions of %d bytes", Arrays.toString(range), partitionBytes)
                        .isEqualTo(partitionsLineByLine(range[0], readEnds, partitionBytes));
            }
        }
    }

    @Test
    void aLineAtTheLimitReadsAlikeWithAnLfOrACrlfEndAndOneByteMoreIsTooLongWithEither() {
        String atLimit = "a".repeat(LIMIT);
        for (String end : new String[] {"\n", "\r\n"}) {
            byte[] bytes = (atLimit + end + "a".repeat(LIMIT + 1) + end + "b" + end)
                    .getBytes(StandardCharsets.US_ASCII);
            try (LineReader lines = reader(bytes, 0, Long.MAX_VALUE)) {
                assertThat(lines.next()).isTrue();
                assertThat(lines.tooLong()).as("%s at the limit", end.length()).isFalse();
                assertThat(new String(lines.bytes(), 0, lines.length(), StandardCharsets.US_ASCII)).isEqualTo(atLimit);
                assertThat(lines.next()).isTrue();
                assertThat(lines.tooLong()).as("one over").isTrue();
                assertThat(lines.next()).isTrue();
                assertThat(new String(lines.bytes(), 0, lines.length(), StandardCharsets.US_ASCII)).isEqualTo("b");
                assertThat(lines.next()).isFalse();
            }
        }
        // A line of the limit's length ending in a \r it keeps (then \r\r\n) is one over once one \r is dropped.
        byte[] twoCr = ("a".repeat(LIMIT) + "\r\r\n").getBytes(StandardCharsets.US_ASCII);
        try (LineReader lines = reader(twoCr, 0, Long.MAX_VALUE)) {
            assertThat(lines.next()).isTrue();
            assertThat(lines.tooLong()).isTrue();
        }
    }

    @Test
    void newlinesAreCountedExactlyWhateverTheBytesAroundThem() {
        SplittableRandom random = new SplittableRandom(20261207L);
        // Bytes next to the newline's value, zero, and bytes with the high bit set: the ones a borrow or carry
        // between the eight bytes of a step would miscount.
        byte[] alphabet = {'\n', '\n', 0x0B, 0x09, 0x00, 0x01, (byte) 0x8A, (byte) 0x80, (byte) 0xFF, 'x', '\r'};
        for (int trial = 0; trial < 5_000; trial++) {
            byte[] bytes = new byte[random.nextInt(80)];
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] = alphabet[random.nextInt(alphabet.length)];
            }
            int from = random.nextInt(bytes.length + 1);
            int to = from + random.nextInt(bytes.length - from + 1);
            int expected = 0;
            for (int i = from; i < to; i++) {
                expected += bytes[i] == '\n' ? 1 : 0;
            }
            assertThat(LineReader.newlines(bytes, from, to)).as("%s [%d, %d)", Arrays.toString(bytes), from, to)
                    .isEqualTo(expected);
        }
    }

    @Test
    void partitionsCutByCountingMatchTheLineByLineRuleOnSmallFiles() {
        SplittableRandom random = new SplittableRandom(20261208L);
        for (int trial = 0; trial < 3_000; trial++) {
            StringBuilder text = new StringBuilder();
            int lineCount = random.nextInt(12);
            for (int l = 0; l < lineCount; l++) {
                text.append("y".repeat(random.nextInt(random.nextInt(5) == 0 ? 40 : 6)));
                if (l < lineCount - 1 || random.nextBoolean()) {
                    text.append(random.nextInt(4) == 0 ? "\r\n" : "\n");
                }
            }
            byte[] bytes = text.toString().getBytes(StandardCharsets.US_ASCII);
            long partitionBytes = 1 + random.nextInt(30);
            List<Long> ends = new ArrayList<>();
            try (LineReader lines = reader(bytes, 0, Long.MAX_VALUE)) {
                while (lines.next()) {
                    ends.add(lines.position());
                }
            }
            assertThat(partitions(bytes, 0, Long.MAX_VALUE, partitionBytes)).as("%s in partitions of %d bytes",
                    text, partitionBytes).isEqualTo(partitionsLineByLine(0, ends, partitionBytes));
        }
    }

    /** {start, end, lines} of each partition as {@link LineReader#skipLines} cuts them. */
    private static List<List<Long>> partitions(byte[] bytes, long start, long end, long partitionBytes) {
        List<List<Long>> partitions = new ArrayList<>();
        try (LineReader lines = reader(bytes, start, end)) {
            long from = start;
            long count;
            while ((count = lines.skipLines(from > Long.MAX_VALUE - partitionBytes ? Long.MAX_VALUE
                    : from + partitionBytes)) > 0) {
                partitions.add(List.of(from, lines.position(), count));
                from = lines.position();
            }
            assertThat(lines.skipLines(Long.MAX_VALUE)).as("nothing after the end").isZero();
        }
        return partitions;
    }

    /**
     * The rule the batch planner followed line by line: a partition ends after the first line whose end is at least
     * {@code partitionBytes} past the partition's start, or with the last line.
     */
    private static List<List<Long>> partitionsLineByLine(long start, List<Long> lineEnds, long partitionBytes) {
        List<List<Long>> partitions = new ArrayList<>();
        long from = start;
        long count = 0;
        for (long lineEnd : lineEnds) {
            count++;
            if (lineEnd - from >= partitionBytes) {
                partitions.add(List.of(from, lineEnd, count));
                from = lineEnd;
                count = 0;
            }
        }
        if (count > 0) {
            partitions.add(List.of(from, lineEnds.get(lineEnds.size() - 1), count));
        }
        return partitions;
    }

    /** The start of the first line at or after {@code from}. */
    private static long start(byte[] bytes, int from) {
        int i = from;
        while (bytes[i - 1] != '\n') {
            i++;
        }
        return i;
    }

    private static LineReader reader(byte[] bytes, long start, long end) {
        InputStream in = new ByteArrayInputStream(bytes, (int) start, bytes.length - (int) start);
        return new LineReader(in, start, end, LIMIT);
    }

    /** The lines of {@code bytes[from, to)}, a {@code \r} before a newline dropped; null for a line over the limit. */
    private static List<String> split(byte[] bytes, int from, int to) {
        List<String> lines = new ArrayList<>();
        int start = from;
        while (start < to) {
            int end = start;
            while (end < to && bytes[end] != '\n') {
                end++;
            }
            int length = end - start;
            if (length > 0 && bytes[end - 1] == '\r') {
                length--;
            }
            // Over the limit as the reader counts: the bytes before the newline, the \r of a CRLF end not counted.
            lines.add(length > LIMIT ? null : new String(bytes, start, length, StandardCharsets.US_ASCII));
            start = end + 1;
        }
        return lines;
    }
}
