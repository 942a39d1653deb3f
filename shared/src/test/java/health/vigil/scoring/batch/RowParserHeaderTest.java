package health.vigil.scoring.batch;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** A CSV header's problems are refused with what a hospital's export needs to find them: which column, where. */
class RowParserHeaderTest {
    @Test
    void aColumnNamedTwiceIsNamedWithBothOfItsPlaces() {
        byte[] header = "patientId,age,hba1c,on_insulin,age,admission_type".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> RowParser.csvHeader(header, header.length))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("names a column twice: 'age' is column 2 and column 5 (counted from 1)");
    }

    @Test
    void aTwiceNamedColumnWhoseNameIsNotAPlainNameIsPlacedButNotRepeated() {
        // A file whose first line is a patient rather than a header can repeat a value: it is not echoed.
        byte[] header = "patientId,Jane Roe,71,Jane Roe".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> RowParser.csvHeader(header, header.length))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("column 2 and column 4 (counted from 1)")
                .satisfies(e -> org.assertj.core.api.Assertions.assertThat(e.getMessage()).doesNotContain("Jane"));
    }

    @Test
    void aColumnWithoutANameIsRefusedByItsPlaceAsASpreadsheetsTrailingCommaOrADataFramesRowNumbersMake() {
        byte[] trailingComma = "patientId,age,hba1c,".getBytes(StandardCharsets.UTF_8);
        byte[] rowNumbers = ",patientId,age,hba1c".getBytes(StandardCharsets.UTF_8);

        assertThatThrownBy(() -> RowParser.csvHeader(trailingComma, trailingComma.length))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("leaves column 4 without a name (counted from 1)")
                .hasMessageContaining("remove the column");
        assertThatThrownBy(() -> RowParser.csvHeader(rowNumbers, rowNumbers.length))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("leaves column 1 without a name (counted from 1)");
    }
}
