package health.vigil.scoring.batch;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.features.IdentityPipeline;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The decoder's numbers against the JDK: a numeric cell it takes is exactly {@code (float)} of what
 * {@link Double#parseDouble} (a decimal) or {@link Long#parseLong} (a whole number, the general parser's rule) gives
 * the cell's text, wherever the cell stands in the row; any cell it does not vouch for is left to the general path
 * (null), never read differently.
 */
class CsvRowDecoderNumbersTest {
    private static final double LIMIT = 1e300;
    private static final FeatureSchema SCHEMA = FeatureSchema.of(List.of(
            new Feature("a", FeatureType.NUMERIC, null, -LIMIT, LIMIT, null, true, null),
            new Feature("b", FeatureType.NUMERIC, null, null, null, null, false, null),
            new Feature("c", FeatureType.NUMERIC, null, -LIMIT, LIMIT, null, true, null)));
    private static final CsvRowDecoder DECODER = CsvRowDecoder.of(new IdentityPipeline(SCHEMA), SCHEMA,
            List.of("patientId", "a", "b", "c")).orElseThrow();

    /** The value the general path gives a numeric cell: a whole number's long as a double, or a decimal's double. */
    private static double jdk(String cell) {
        String digits = cell.startsWith("+") ? cell.substring(1) : cell;
        return cell.matches(".*[.eE].*") ? Double.parseDouble(cell) : (double) Long.parseLong(digits);
    }

    /** The cell in each of the three columns (first, middle, last of the line, each with its own neighbours). */
    private static void check(String cell, boolean plain) {
        String[] lines = {"p," + cell + ",1.5,2", "p,1.5," + cell + ",2", "p,1.5,2," + cell};
        for (int column = 0; column < 3; column++) {
            byte[] line = lines[column].getBytes(StandardCharsets.UTF_8);
            float[] out = new float[3];
            String patient = DECODER.decode(line, line.length, out, 0);
            assertReadAlikeInAReusedArray(line, patient, out);
            if (patient == null) {
                assertThat(plain).as("a plain number the short way must take: %s", cell).isFalse();
                continue;
            }
            assertThat(patient).isEqualTo("p");
            float expected = (float) jdk(cell);
            assertThat(Float.floatToRawIntBits(out[column])).as("cell %s in column %d", cell, column)
                    .isEqualTo(Float.floatToRawIntBits(expected));
        }
    }

    /**
     * The line decoded as a batch run holds it, at the start of an array kept from a longer row whose bytes after the
     * line are digits (1 to 16 of them), reads as it did alone: the same patient (or left alike) and the same inputs.
     */
    private static void assertReadAlikeInAReusedArray(byte[] line, String patient, float[] inputs) {
        for (int padding = 1; padding <= 16; padding++) {
            byte[] reused = java.util.Arrays.copyOf(line, line.length + padding);
            java.util.Arrays.fill(reused, line.length, reused.length, (byte) '7');
            float[] out = new float[3];
            assertThat(DECODER.decode(reused, line.length, out, 0)).as("after %d bytes of digits", padding)
                    .isEqualTo(patient);
            for (int c = 0; patient != null && c < 3; c++) {
                assertThat(Float.floatToRawIntBits(out[c])).as("column %d after %d bytes of digits", c, padding)
                        .isEqualTo(Float.floatToRawIntBits(inputs[c]));
            }
        }
    }

    @Test
    void edgeSpellingsReadAsTheJdkReadsThemOrAreLeftToTheGeneralPath() {
        for (String cell : new String[] {"0", "-0", "+0", "0.0", "-0.0", "+1.5", "5.", ".5", "-.5", "00012.500",
            "1", "-1", "123456789012345678", "-12345678901234567", "0.1", "0.2", "0.3", "0.7", "1.1",
            "9007199254740991.0", "900719925474099.15", "0.000000000000000000001", "0.0000000000000000000001",
            "1.4E-45", "3.4028235E38", "1e5", "1E-7"}) {
            // Every one of these, if the short way takes it, reads exactly as the JDK reads it.
            check(cell, false);
        }
        for (String cell : new String[] {"0", "-0", "0.0", "-0.0", "+1.5", "5.", ".5", "123456789012345678",
            "9007199254740991.0", "0.000000000000000000001"}) {
            check(cell, true);
        }
        // Not plain numbers: the short way leaves every one to the general path (which reads or refuses it).
        for (String cell : new String[] {"", " 1.5", "1.5 ", "1e5", "1E-7", "NaN", "Infinity", "-Infinity", "-", "+",
            ".", "-.", "1.2.3", "1,5", "0x10", "1_000", "١٢", "1.5f", "1234567890123456789", "12345678901234567.89",
            "9007199254740993.0", "0.00000000000000000000001", "\"1.5\"", "--1", "+-1"}) {
            if (cell.equals("1,5")) {
                continue; // two cells: covered by the cell-count rule, not a number's
            }
            String[] lines = {"p," + cell + ",1.5,2", "p,1.5," + cell + ",2", "p,1.5,2," + cell};
            for (int column = 0; column < 3; column++) {
                byte[] line = lines[column].getBytes(StandardCharsets.UTF_8);
                float[] out = new float[3];
                String patient = DECODER.decode(line, line.length, out, 0);
                if (patient != null && !cell.isEmpty()) {
                    // Only a decimal number with blanks around it, read by the general parser's rule, may pass.
                    assertThat(RowParser.isDecimal(cell.strip())).as("cell %s", cell).isTrue();
                    assertThat(Float.floatToRawIntBits(out[column])).as("cell %s", cell)
                            .isEqualTo(Float.floatToRawIntBits((float) Double.parseDouble(cell.strip())));
                }
                if (!cell.isEmpty() && !RowParser.isDecimal(cell.strip())) {
                    assertThat(patient).as("cell %s is not a number and is left to the general path's refusal", cell)
                            .isNull();
                }
            }
        }
        // An empty optional cell is missing (NaN); an empty required one is the general path's to refuse.
        byte[] line = "p,1.5,,2".getBytes(StandardCharsets.UTF_8);
        float[] out = new float[3];
        assertThat(DECODER.decode(line, line.length, out, 0)).isEqualTo("p");
        assertThat(out[1]).isNaN();
        line = "p,,1.5,2".getBytes(StandardCharsets.UTF_8);
        assertThat(DECODER.decode(line, line.length, out, 0)).isNull();
    }

    @Test
    void aNumberBeyondTheModelsThirtyTwoBitFloatIsLeftToTheGeneralPathWhichRefusesIt() throws Exception {
        // Column b has no range: 1e39 is a finite double, but as the model's 32-bit float it would be Infinity.
        RowParser parser = new RowParser(BatchFormat.CSV, List.of("patientId", "a", "b", "c"), SCHEMA);
        health.vigil.scoring.RecordValidator validator = new health.vigil.scoring.RecordValidator(SCHEMA);
        for (String cell : new String[] {"1e39", "-1e39", "3.5E38", "1000000000000000000000000000000000000000.0"}) {
            byte[] line = ("p,1.5," + cell + ",2").getBytes(StandardCharsets.UTF_8);
            float[] out = new float[3];
            assertThat(DECODER.decode(line, line.length, out, 0)).as("cell %s", cell).isNull();

            health.vigil.scoring.RecordValidator.Checked checked = validator.check(0,
                    parser.parse(1, line, line.length).features(), java.util.Set.of());
            assertThat(checked.problems()).as("cell %s", cell).singleElement().asString()
                    .startsWith("feature `b` must be a finite number; it is too large for the model's input")
                    .doesNotContain(cell);
        }
        // The largest float the model takes is read as the JDK reads it.
        byte[] line = "p,1.5,3.4e38,2".getBytes(StandardCharsets.UTF_8);
        float[] out = new float[3];
        assertThat(DECODER.decode(line, line.length, out, 0)).isEqualTo("p");
        assertThat(out[1]).isEqualTo((float) 3.4e38);
    }

    @Test
    void randomNumbersReadExactlyAsTheJdkReadsThem() {
        SplittableRandom random = new SplittableRandom(18_03);
        for (int i = 0; i < 300_000; i++) {
            String cell;
            switch (i % 4) {
                case 0 -> cell = Float.toString((float) random.nextDouble()); // the benchmark file's cells
                case 1 -> cell = Float.toString(Float.intBitsToFloat(random.nextInt()));
                case 2 -> cell = Double.toString(random.nextDouble() * Math.pow(10, random.nextInt(-5, 16)));
                default -> {
                    // Any digits either side of a point, with or without a sign.
                    StringBuilder b = new StringBuilder(random.nextInt(4) == 0 ? "-" : "");
                    int whole = random.nextInt(0, 10);
                    int decimals = random.nextInt(0, 12);
                    for (int d = 0; d < whole; d++) {
                        b.append((char) ('0' + random.nextInt(10)));
                    }
                    if (decimals > 0 || whole == 0 || random.nextBoolean()) {
                        b.append('.');
                    }
                    for (int d = 0; d < decimals; d++) {
                        b.append((char) ('0' + random.nextInt(10)));
                    }
                    cell = b.toString();
                }
            }
            if (cell.equals(".") || cell.equals("-.") || cell.contains("E") || cell.contains("N")
                    || cell.contains("I")) {
                check(cell, false);
                continue;
            }
            String digits = cell.replaceAll("[^0-9]", "");
            boolean plain = cell.contains(".") ? digits.length() <= 15 && Math.abs(jdk(cell)) <= LIMIT
                    : cell.length() < 19;
            check(cell, plain);
        }
    }
}
