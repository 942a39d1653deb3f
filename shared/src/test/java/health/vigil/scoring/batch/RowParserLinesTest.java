package health.vigil.scoring.batch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Lines a batch file may hold that are not rows as the format describes them: each is one refused row, or a header. */
class RowParserLinesTest {
    private static final FeatureSchema SCHEMA = new FeatureSchema(List.of(
            new Feature("age", FeatureType.NUMERIC, null, 0.0, 120.0, null, true, null)));

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aJsonLineNestedDeeperThanTheParserReadsIsAMalformedRowNotAFailure() {
        RowParser parser = new RowParser(BatchFormat.JSON_LINES, List.of(), SCHEMA);
        byte[] deep = bytes("{\"patientId\":\"x\",\"features\":" + "[".repeat(5000) + "]".repeat(5000) + "}");

        assertThatThrownBy(() -> parser.parse(2, deep, deep.length)).isInstanceOf(RowParser.MalformedRow.class)
                .hasMessageStartingWith("it nests arrays or objects more than 1000 levels deep");
        // A field given twice, and a field that is not one of the row's two, are named as such.
        byte[] twice = bytes("{\"patientId\":\"x\",\"patientId\":\"y\",\"features\":{}}");
        assertThatThrownBy(() -> parser.parse(4, twice, twice.length)).isInstanceOf(RowParser.MalformedRow.class)
                .hasMessageStartingWith("it gives the field 'patientId' more than once");
        byte[] extra = bytes("{\"patientId\":\"x\",\"features\":{},\"MRN 5551234\":1}");
        assertThatThrownBy(() -> parser.parse(5, extra, extra.length)).isInstanceOf(RowParser.MalformedRow.class)
                .hasMessageStartingWith("it has a field other than patientId and features").hasMessageNotContaining("5551234");
        byte[] cut = bytes("{\"patientId\": \"x\", ");
        assertThatThrownBy(() -> parser.parse(3, cut, cut.length)).isInstanceOf(RowParser.MalformedRow.class)
                .hasMessageStartingWith("it is not valid JSON (column ");
    }

    @Test
    void aCsvHeaderAfterAByteOrderMarkNamesItsColumnsWithoutIt() {
        byte[] header = bytes("\uFEFFpatientId,age");
        assertThat(header[0]).isEqualTo((byte) 0xEF);

        assertThat(RowParser.csvHeader(header, header.length)).containsExactly("patientId", "age");
    }

    @Test
    void aRecordSplitByAQuotedLineBreakIsTwoRefusedRowsAndNeitherHalfIsAPatient() throws Exception {
        RowParser parser = new RowParser(BatchFormat.CSV, List.of("patientId", "age"), SCHEMA);
        // "p<LF>2",41 in a file: rows are lines, so the record arrives as two lines.
        byte[] opened = bytes("\"p");
        assertThatThrownBy(() -> parser.parse(2, opened, opened.length)).isInstanceOf(RowParser.MalformedRow.class)
                .hasMessageStartingWith("it is not valid CSV (an unclosed quote");
        byte[] rest = bytes("2\",41");
        assertThatThrownBy(() -> parser.parse(3, rest, rest.length)).isInstanceOf(RowParser.MalformedRow.class)
                .hasMessageStartingWith("it is not valid CSV (a quote inside a cell that is not quoted")
                .hasMessageNotContaining("41");
        byte[] trailing = bytes("\"p-1\"x,41");
        assertThatThrownBy(() -> parser.parse(4, trailing, trailing.length)).isInstanceOf(RowParser.MalformedRow.class)
                .hasMessageStartingWith("it is not valid CSV (text after a quoted cell's closing quote)");
        // Quoted cells, doubled quotes and blanks around them are CSV as RFC 4180 writes it.
        byte[] blankFirst = bytes(" \"p, 1\",41");
        assertThatThrownBy(() -> parser.parse(5, blankFirst, blankFirst.length)).isInstanceOf(RowParser.MalformedRow.class)
                .hasMessageStartingWith("it is not valid CSV (a quote inside a cell that is not quoted");
        for (String good : new String[] {"\"p-1\",41", "\"p, \"\"one\"\"\" , 41", "\"p\"\"2\",41", "p-1,\"41\""}) {
            byte[] line = bytes(good);
            assertThat(parser.parse(5, line, line.length)).as(good).isNotNull();
        }
    }
}
