package health.vigil.scoring.batch;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.features.FeaturePipeline;
import health.vigil.features.IdentityPipeline;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The short way from a CSV line to a model's input row, for a model whose pipeline is the identity: the line's
 * bytes are split and each cell is checked against its column's feature and written straight into the float row,
 * without the per-row map of JSON values, the validator's map of typed values and the boxing between them.
 *
 * <p>It decides only the rows it can vouch for: every cell a plain valid value (a number in range, true or false,
 * one of the categories, or empty where the feature is optional). Every other row (a quote or a non-ASCII byte,
 * the wrong number of cells, a missing required value, a number out of range or that does not parse, an unknown
 * category, a value under a column the model does not know) is left to {@link RowParser} and the
 * {@link health.vigil.scoring.RecordValidator}, which score or refuse it with the very reasons a request gets. A
 * row it accepts gets the floats the general path would give it: the same parsing rules (a cell without a point
 * or exponent is a whole number, anything else a correctly rounded decimal) and the identity pipeline's encoding.
 */
final class CsvRowDecoder {
    private static final int PATIENT = -1;
    private static final int UNKNOWN = -2;
    /** 10^0 .. 10^22: every one is exact as a double, so a mantissa below 2^53 divided by one rounds once. */
    private static final double[] POWERS_OF_TEN = new double[23];
    private static final long MAX_EXACT_MANTISSA = 1L << 53;
    private static final long[] LONG_POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000,
        100_000_000};
    private static final long ZEROS = 0x3030303030303030L;
    /** Added to a byte of 0..9 it stays below 0x80; to one of 10..0x7F it reaches 0x80 or more. */
    private static final long BELOW_TEN = 0x7676767676767676L;

    static {
        POWERS_OF_TEN[0] = 1;
        for (int i = 1; i < POWERS_OF_TEN.length; i++) {
            POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10;
        }
    }

    private final FeatureSchema schema;
    /** Per header column: the feature's index in the schema (its column in the model's input), or a marker. */
    private final int[] columns;
    /** Per schema feature: the index of each category, for categorical features. */
    private final Map<String, Integer>[] categories;
    /** The features no header column carries: always missing, so NaN. */
    private final int[] absent;
    /** Where the last {@link #number} read ended; a decoder serves one partition's run, on one thread. */
    private int numberEnd;
    /** Per schema feature: whether it is numeric, and its range (infinite where open), read once, not per cell. */
    private final boolean[] numeric;
    private final double[] min;
    private final double[] max;

    @SuppressWarnings("unchecked")
    private CsvRowDecoder(FeatureSchema schema, List<String> header, int[] absent) {
        this.schema = schema;
        this.columns = new int[header.size()];
        for (int c = 0; c < header.size(); c++) {
            String name = header.get(c);
            columns[c] = RowParser.PATIENT_ID.equals(name) ? PATIENT : schema.indexOf(name).orElse(UNKNOWN);
        }
        this.categories = new Map[schema.size()];
        for (int i = 0; i < schema.size(); i++) {
            Feature f = schema.get(i);
            if (f.type() == FeatureType.CATEGORICAL) {
                Map<String, Integer> index = new HashMap<>();
                for (int k = 0; k < f.categories().size(); k++) {
                    index.put(f.categories().get(k), k);
                }
                categories[i] = index;
            }
        }
        this.absent = absent;
        this.numeric = new boolean[schema.size()];
        this.min = new double[schema.size()];
        this.max = new double[schema.size()];
        for (int i = 0; i < schema.size(); i++) {
            Feature f = schema.get(i);
            numeric[i] = f.type() == FeatureType.NUMERIC;
            min[i] = f.min() == null ? Double.NEGATIVE_INFINITY : f.min();
            max[i] = f.max() == null ? Double.POSITIVE_INFINITY : f.max();
        }
    }

    /**
     * The decoder for this pipeline and header, or empty when rows must take the general path: the pipeline is not
     * the identity over the validator's schema, or a required feature has no column (every row is refused).
     */
    static Optional<CsvRowDecoder> of(FeaturePipeline pipeline, FeatureSchema validated, List<String> header) {
        if (!(pipeline instanceof IdentityPipeline) || !pipeline.rawSchema().equals(validated)) {
            return Optional.empty();
        }
        int[] absent = new int[validated.size()];
        int absentCount = 0;
        for (int i = 0; i < validated.size(); i++) {
            Feature f = validated.get(i);
            if (!header.contains(f.name())) {
                if (f.required() || f.type() == FeatureType.CODE) {
                    return Optional.empty();
                }
                absent[absentCount++] = i;
            }
        }
        return Optional.of(new CsvRowDecoder(validated, header, java.util.Arrays.copyOf(absent, absentCount)));
    }

    /**
     * Writes the row's model inputs to {@code out[offset .. offset + schema size)} and returns its patient id; null
     * when the general path must decide the row (what was written is then meaningless).
     */
    String decode(byte[] line, int length, float[] out, int offset) {
        for (int i : absent) {
            out[offset + i] = Float.NaN;
        }
        String patientId = null;
        int column = 0;
        int start = 0;
        while (true) {
            if (column == columns.length) {
                return null;
            }
            int target = columns[column++];
            // The common cell first: a plain number right up to the comma, read in the same pass that finds its end.
            int end = target >= 0 && numeric[target] ? plainNumberCell(target, line, start, length, out, offset) : -1;
            if (end < 0) {
                end = start;
                while (end < length && line[end] != ',') {
                    if (line[end] == '"' || line[end] < 0) {
                        return null; // quoting and non-ASCII text are the general parser's
                    }
                    end++;
                }
                int from = start;
                int to = end;
                // As String.trim: every character up to the space.
                while (from < to && (line[from] & 0xff) <= ' ') {
                    from++;
                }
                while (to > from && (line[to - 1] & 0xff) <= ' ') {
                    to--;
                }
                if (target == PATIENT) {
                    if (from == to) {
                        return null;
                    }
                    patientId = new String(line, from, to - from, StandardCharsets.ISO_8859_1);
                } else if (target == UNKNOWN) {
                    if (from != to) {
                        return null;
                    }
                } else if (!cell(target, line, from, to, out, offset)) {
                    return null;
                }
            }
            if (end == length) {
                return column == columns.length ? patientId : null;
            }
            start = end + 1;
        }
    }

    /**
     * A numeric feature's cell that is plainly a number ({@link #number}'s spelling, no spaces) ending at a
     * comma or the line's end, parsed as it is scanned and written to its input column if in range. Returns where
     * the cell ends; -1 for any other cell (empty, spaced, another spelling, out of range), which the caller then
     * reads the general way, with the same outcome as before this shortcut.
     */
    private int plainNumberCell(int feature, byte[] line, int start, int length, float[] out, int offset) {
        double value = number(line, start, length);
        int end = numberEnd;
        if (Double.isNaN(value) || (end < length && line[end] != ',')
                || !(value >= min[feature] && value <= max[feature])) {
            return -1;
        }
        out[offset + feature] = (float) value;
        return end;
    }

    /** One feature's cell into its input column; false when the general path must decide. */
    private boolean cell(int feature, byte[] line, int from, int to, float[] out, int offset) {
        Feature f = schema.get(feature);
        if (from == to) {
            out[offset + feature] = Float.NaN;
            return !f.required();
        }
        switch (f.type()) {
            case NUMERIC: {
                double value = plainNumber(line, from, to);
                if (Double.isNaN(value)) {
                    value = generalNumber(f, new String(line, from, to - from, StandardCharsets.ISO_8859_1));
                }
                if (Double.isNaN(value) || !inRange(f, value)) {
                    return false;
                }
                out[offset + feature] = (float) value;
                return true;
            }
            case INTEGER: {
                if (to - from >= 19) {
                    return false;
                }
                long whole = wholeNumber(line, from, to);
                if (whole == Long.MIN_VALUE || !inRange(f, (double) whole)) {
                    return false;
                }
                out[offset + feature] = (float) whole;
                return true;
            }
            case BOOLEAN: {
                String text = new String(line, from, to - from, StandardCharsets.ISO_8859_1);
                if (text.equalsIgnoreCase("true") || text.equalsIgnoreCase("false")) {
                    out[offset + feature] = text.length() == 4 ? 1f : 0f;
                    return true;
                }
                return false;
            }
            case CATEGORICAL: {
                Integer index = categories[feature].get(new String(line, from, to - from, StandardCharsets.ISO_8859_1));
                if (index == null) {
                    return false;
                }
                out[offset + feature] = index;
                return true;
            }
            default:
                return false;
        }
    }

    private static boolean inRange(Feature f, double value) {
        return (f.min() == null || value >= f.min()) && (f.max() == null || value <= f.max());
    }

    /** {@link #number} of a whole cell: NaN unless the number is all of {@code line[from, to)}. */
    private double plainNumber(byte[] line, int from, int to) {
        double value = number(line, from, to);
        return numberEnd == to ? value : Double.NaN;
    }

    /**
     * {@code [+-]digits} (fewer than 19 characters, as the general parser's whole numbers) or {@code [+-]digits.digits}
     * with at most 18 digits, a mantissa below 2^53 and at most 22 decimals, read from {@code from} up to the first
     * byte that cannot continue it (at most {@code to}; {@link #numberEnd} says where), as a double; NaN when its
     * spelling is beyond those limits. A whole number is the long's double, as the general path reads it; a decimal is
     * its mantissa divided by a power of ten, both exact, which rounds once to the nearest double exactly as
     * {@link Double#parseDouble} does.
     */
    private double number(byte[] line, int from, int to) {
        int i = from;
        boolean negative = false;
        if (i < to && (line[i] == '-' || line[i] == '+')) {
            negative = line[i] == '-';
            i++;
        }
        long mantissa = digits(0, line, i, to);
        int wholeEnd = numberEnd;
        int wholeDigits = wholeEnd - i;
        if (wholeDigits > 18) {
            return Double.NaN;
        }
        if (wholeEnd == to || line[wholeEnd] != '.') {
            // The general parser's whole number: at most 18 characters (with a sign), read as a long.
            if (wholeDigits == 0 || wholeEnd - from >= 19) {
                return Double.NaN;
            }
            return (double) (negative ? -mantissa : mantissa);
        }
        int point = wholeEnd + 1;
        mantissa = decimals(mantissa, line, point, to);
        int decimals = numberEnd - point;
        int digits = wholeDigits + decimals;
        if (digits == 0 || digits > 18 || decimals >= POWERS_OF_TEN.length || mantissa >= MAX_EXACT_MANTISSA) {
            return Double.NaN;
        }
        double value = mantissa / POWERS_OF_TEN[decimals];
        return negative ? -value : value;
    }

    /**
     * {@code mantissa} followed by the ASCII digits from {@code from} up to the first other byte (at most {@code to},
     * which {@link #numberEnd} is set to), one at a time: for a whole part of a digit or two this measured faster than
     * eight at a time (docs/benchmarks.md). Past 18 digits the value overflows; the caller refuses such a number by its
     * count.
     */
    private long digits(long mantissa, byte[] line, int from, int to) {
        int i = from;
        while (i < to) {
            int d = line[i] - '0';
            if (d < 0 || d > 9) {
                break;
            }
            mantissa = mantissa * 10 + d;
            i++;
        }
        numberEnd = i;
        return mantissa;
    }

    /**
     * {@link #digits}, for the digits after a point: up to eight found and summed from one little-endian {@code long} at
     * a time (the number's usual seven to nine decimals take one or two reads, with no branch per digit to mispredict
     * where a cell's count of decimals changes from row to row), then one at a time where fewer than eight bytes of
     * the array are left. Bytes past {@code to} may be read but never count.
     */
    private long decimals(long mantissa, byte[] line, int from, int to) {
        int i = from;
        while (i + Long.BYTES <= line.length && i < to) {
            // Each byte less '0': a digit is 0..9. No byte before the first other one borrows or carries, so the
            // lowest byte flagged (below '0', or 10 or more above it) is that first other byte.
            long x = (long) LineReader.LITTLE_ENDIAN_LONGS.get(line, i) - ZEROS;
            long others = (x | (x + BELOW_TEN)) & LineReader.HIGH_BITS;
            int count = Math.min(Long.numberOfTrailingZeros(others) >>> 3, to - i);
            if (count == 0) {
                numberEnd = i;
                return mantissa;
            }
            // The count digits moved to the top bytes: the bytes below are zeros, leading digits that add nothing.
            long digits = x << ((Long.BYTES - count) << 3);
            mantissa = mantissa * LONG_POWERS_OF_TEN[count] + eightDigits(digits);
            i += count;
            if (count < Long.BYTES) {
                numberEnd = i;
                return mantissa;
            }
        }
        return digits(mantissa, line, i, to);
    }

    /**
     * The value of eight digit values (0..9), the first in the lowest byte: neighbours paired (ten times the first plus
     * the second), then pairs of pairs, then the two halves, each step one multiplication over all lanes at once.
     */
    private static long eightDigits(long digits) {
        long pairs = ((digits * 10) + (digits >>> 8)) & 0x00FF00FF00FF00FFL;
        long quads = ((pairs * 100) + (pairs >>> 16)) & 0x0000FFFF0000FFFFL;
        return ((quads & 0xFFFFFFFFL) * 10_000) + (quads >>> 32);
    }

    /** {@code [+-]digits}, as {@link Long#parseLong} reads it (shorter than 19 characters); MIN_VALUE otherwise. */
    private static long wholeNumber(byte[] line, int from, int to) {
        boolean negative = line[from] == '-';
        int i = line[from] == '-' || line[from] == '+' ? from + 1 : from;
        if (i == to) {
            return Long.MIN_VALUE;
        }
        long value = 0;
        for (; i < to; i++) {
            byte b = line[i];
            if (b < '0' || b > '9') {
                return Long.MIN_VALUE;
            }
            value = value * 10 + (b - '0');
        }
        return negative ? -value : value;
    }

    /**
     * A numeric cell in any other spelling (an exponent, many digits), read by the general parser's own rule and
     * accepted only as the validator accepts a numeric value: a finite number, also as the 32-bit float the model
     * takes. NaN when the validator would refuse.
     */
    private static double generalNumber(Feature f, String cell) {
        JsonNode node = RowParser.typed(f, cell);
        if (!node.isNumber()) {
            return Double.NaN;
        }
        double value = node.doubleValue();
        return Double.isFinite(value) && Float.isFinite((float) value) ? value : Double.NaN;
    }
}
