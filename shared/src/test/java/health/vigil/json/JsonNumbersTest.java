package health.vigil.json;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Numbers read from JSON are the doubles the JDK reads from the same text, bit for bit. */
class JsonNumbersTest {
    private static double read(String number) {
        byte[] json = ("{\"x\":" + number + "}").getBytes(StandardCharsets.UTF_8);
        return Json.readTree("a number", json).get("x").doubleValue();
    }

    private static void assertSameAsTheJdk(String number) {
        assertThat(Double.doubleToRawLongBits(read(number))).as(number)
                .isEqualTo(Double.doubleToRawLongBits(Double.parseDouble(number)));
    }

    @Test
    void edgeCasesReadAsTheJdkReadsThem() {
        for (String number : List.of("0.0", "-0.0", "1", "-1", "0.1", "0.30000000000000004", "1e308", "1.7976931348623157e308",
                "1.7976931348623159e308", "4.9e-324", "2.4703282292062327e-324", "2.4703282292062328e-324", "2.2250738585072011e-308",
                "2.2250738585072012e-308", "9007199254740993", "9007199254740992.5", "0.1000000000000000055511151231257827",
                "123456789012345678901234567890.123456789", "1.00000000000000011102230246251565404236316680908203125",
                "1.00000000000000011102230246251565404236316680908203124", "1e-400", "-1e-400")) {
            assertSameAsTheJdk(number);
        }
    }

    @Test
    void randomDecimalsOfEveryLengthReadAsTheJdkReadsThem() {
        SplittableRandom random = new SplittableRandom(20261203);
        List<String> numbers = new ArrayList<>();
        for (int i = 0; i < 20_000; i++) {
            double value = Double.longBitsToDouble(random.nextLong()); // every exponent
            if (Double.isFinite(value)) {
                numbers.add(Double.toString(value));
                numbers.add(new BigDecimal(value).toString()); // the exact value: up to hundreds of digits
            }
            // Clinical-looking decimals with 1 to 25 significant digits.
            String digits = Long.toString(Math.abs(random.nextLong())) + Long.toString(Math.abs(random.nextLong()));
            int length = 1 + random.nextInt(Math.min(25, digits.length()));
            int point = random.nextInt(length + 1);
            String number = digits.substring(0, point) + (point == 0 ? "0" : "") + "." + digits.substring(point, length)
                    + (point == length ? "0" : "");
            numbers.add(number);
            numbers.add(number + "e" + (random.nextInt(640) - 330));
        }
        for (String number : numbers) {
            assertSameAsTheJdk(number);
        }
    }

    @Test
    void responsesWriteEveryDoubleAsTextThatReadsBackAsTheSameDoubleAndTheRestAsTheOneSetupWritesIt() {
        SplittableRandom random = new SplittableRandom(20261204);
        List<Double> values = new ArrayList<>(List.of(0.0, -0.0, 1.0, -1.0, 0.1, 1e-3, 9.999999999999999e-4, 1e7,
                9999999.999999998, 1.0e23, 2.0e-3, Double.MIN_VALUE, Double.MAX_VALUE, Double.MIN_NORMAL, 0.5f + 0.0));
        for (int i = 0; i < 40_000; i++) {
            double value = Double.longBitsToDouble(random.nextLong());
            if (Double.isFinite(value)) {
                values.add(value);
            }
            values.add((double) Float.intBitsToFloat(random.nextInt(0x3f800001))); // scores and contributions
            values.add(random.nextDouble(-5, 5));
        }
        java.util.Map<String, Object> body = new java.util.LinkedHashMap<>();
        body.put("model", "readmission \u00e9 \"quoted\"");
        body.put("values", values);
        body.put("nested", java.util.Map.of("count", 3, "flag", true));
        byte[] bytes = Json.writeResponseBytes(body);
        assertThat(bytes).isEqualTo(Json.writeResponse(body).getBytes(StandardCharsets.UTF_8));
        var tree = Json.readTree("a response", bytes);
        for (int i = 0; i < values.size(); i++) {
            assertThat(Double.doubleToRawLongBits(tree.get("values").get(i).doubleValue())).as("value %s", values.get(i))
                    .isEqualTo(Double.doubleToRawLongBits(values.get(i)));
        }
        body.remove("values");
        assertThat(Json.writeResponse(body)).isEqualTo(Json.write(body));
    }
}
