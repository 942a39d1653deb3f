package health.vigil.scoring.batch;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.model.Feature;
import health.vigil.model.FeatureType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How a CSV cell becomes the value the validator checks: a number only when it is written as a decimal number. */
class RowParserCellsTest {
    private static final Feature NUMERIC = new Feature("a", FeatureType.NUMERIC, null, -1e9, 1e9, null, true, null);
    private static final Feature INTEGER = new Feature("n", FeatureType.INTEGER, null, -1e9, 1e9, null, true, null);

    @Test
    void decimalNumbersWithOrWithoutBlanksAroundThemAreNumbers() {
        for (String cell : List.of("0", "-0", "+1.5", "5.", ".5", "-.5", "00012.500", "1e5", "1E-7", "2.5e+3",
                " 1.5", "1.5 ", "\t15", " -3 ", "123456789012345678", "12345678901234567890.5")) {
            JsonNode node = RowParser.typed(NUMERIC, cell);
            assertThat(node.isNumber()).as("cell '%s'", cell).isTrue();
            assertThat(node.doubleValue()).as("cell '%s'", cell).isEqualTo(Double.parseDouble(cell.strip()));
        }
        assertThat(RowParser.typed(INTEGER, " 42 ").isNumber()).isTrue();
        assertThat(RowParser.typed(INTEGER, "4.0").decimalValue()).isEqualByComparingTo("4.0");
    }

    @Test
    void cellsTheJdkWouldReadButThatAreNotDecimalNumbersStayTextForTheValidatorToRefuse() {
        // Double.parseDouble reads the first six; Long.parseLong reads digits of any script.
        for (String cell : List.of("1.5f", "1.5F", "2d", "1e5D", "0x1.8p1", "0x10", "\u0661\u0662", "1\u0665",
                "NaN", "Infinity", "-Infinity", "", " ", "-", "+", ".", "-.", "1.2.3", "1e", "1e+", "e5", "--1",
                "+-1", "1_000", "1,5", "1 000", "\u00a01.5")) {
            assertThat(RowParser.typed(NUMERIC, cell).isTextual()).as("cell '%s'", cell).isTrue();
            assertThat(RowParser.typed(INTEGER, cell).isTextual()).as("cell '%s'", cell).isTrue();
        }
    }
}
