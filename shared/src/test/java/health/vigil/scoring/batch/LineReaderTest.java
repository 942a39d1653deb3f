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
 * that start and stop inside the file, and lines over the limit; {@link LineReader#skip} places lines exactly as
 * {@link LineReader#next} does.
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
    void linesReadAndSkippedMatchAPlainSplitOfTheSameBytes() {
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
            List<Boolean> skippedTooLong = new ArrayList<>();
            List<Long> skippedEnds = new ArrayList<>();
            try (LineReader lines = reader(bytes, range[0], range[1])) {
                while (lines.skip()) {
                    skippedTooLong.add(lines.tooLong());
                    skippedEnds.add(lines.position());
                }
            }
            assertThat(read).as("range %s", Arrays.toString(range)).isEqualTo(expected);
            assertThat(skippedEnds).isEqualTo(readEnds);
            assertThat(skippedTooLong).isEqualTo(read.stream().map(line -> line == null).toList());
            assertThat(read).contains((String) null); // not vacuous: some lines were over the limit
        }
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
            // Over the limit as the reader counts: the bytes before the newline, any \r included.
            if (length > LIMIT) {
                lines.add(null);
            } else {
                if (length > 0 && bytes[end - 1] == '\r') {
                    length--;
                }
                lines.add(new String(bytes, start, length, StandardCharsets.US_ASCII));
            }
            start = end + 1;
        }
        return lines;
    }
}
