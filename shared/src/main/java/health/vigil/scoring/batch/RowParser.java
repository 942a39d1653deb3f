package health.vigil.scoring.batch;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.TextNode;
import health.vigil.scoring.TextCell;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.BlankColumnNames;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.scoring.PatientRow;
import java.io.IOException;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Turns one line of a batch file into the raw record the scoring path validates: for CSV, the cells under the
 * header's names, typed by the model's schema (a numeric feature's cell becomes a number, an empty cell a missing
 * value); for JSON Lines, the object's {@code patientId} and {@code features}. A line that is not a row at all is
 * a {@link MalformedRow} whose reason names the row and the problem, never a value from it.
 */
final class RowParser {
    static final String PATIENT_ID = "patientId";
    private static final CSVFormat CSV = CSVFormat.RFC4180.builder().setTrim(true).get();

    private final BatchFormat format;
    private final List<String> header;
    private final int patientColumn;
    private final Feature[] columns;

    RowParser(BatchFormat format, List<String> header, FeatureSchema schema) {
        this.format = format;
        this.header = List.copyOf(header);
        this.patientColumn = header.indexOf(PATIENT_ID);
        Map<String, Feature> byName = new HashMap<>();
        schema.features().forEach(f -> byName.put(f.name(), f));
        this.columns = new Feature[header.size()];
        for (int i = 0; i < header.size(); i++) {
            columns[i] = byName.get(header.get(i));
        }
    }

    /**
     * The header of a CSV file, checked: it must name {@code patientId} once, no column twice, and leave no column
     * without a name. A file whose lines end with a carriage return alone is refused before it is read.
     */
    static List<String> csvHeader(byte[] line, int length) {
        List<String> names;
        // Spreadsheets save "CSV UTF-8" with a byte order mark before the header: it is not part of the first name.
        int start = length >= 3 && line[0] == (byte) 0xEF && line[1] == (byte) 0xBB && line[2] == (byte) 0xBF ? 3 : 0;
        try {
            names = cells(new String(line, start, length - start, StandardCharsets.UTF_8));
        } catch (MalformedRow e) {
            throw new ValidationException("the CSV file's first line is not a valid CSV header (" + e.getMessage()
                    + "); start the file with a line naming patientId and the features");
        }
        if (!names.contains(PATIENT_ID)) {
            throw new ValidationException("the CSV file's header has no column patientId; name the column holding"
                    + " each patient's identifier patientId");
        }
        BlankColumnNames.problem(names).ifPresent(problem -> {
            throw new ValidationException("the CSV file's header " + problem);
        });
        int blank = names.indexOf("");
        if (blank >= 0) {
            // One such column is no feature either: said here by its place, rather than as a nameless unknown feature.
            throw new ValidationException("the CSV file's header leaves column " + (blank + 1) + " without a name"
                    + " (counted from 1); name it patientId or one of the model's features, or remove the column (a"
                    + " comma at the end of the header line adds one, and so do the row numbers a data frame writes"
                    + " before its first column)");
        }
        for (int i = 0; i < names.size(); i++) {
            int first = names.indexOf(names.get(i));
            if (first != i) {
                // Which one and where: a wide export's header cannot be searched for a twin by eye.
                throw new ValidationException("the CSV file's header names a column twice: "
                        + Json.quotedName(names.get(i)) + " is column " + (first + 1) + " and column " + (i + 1)
                        + " (counted from 1); give every column one name, or remove the second one");
            }
        }
        return names;
    }

    PatientRow parse(long row, byte[] line, int length) throws MalformedRow {
        return format == BatchFormat.CSV ? csv(row, line, length) : jsonLine(row, line, length);
    }

    private PatientRow csv(long row, byte[] line, int length) throws MalformedRow {
        List<String> cells = cells(new String(line, 0, length, StandardCharsets.UTF_8));
        if (cells.size() != header.size()) {
            throw new MalformedRow("it has " + cells.size() + " cells; the header has " + header.size());
        }
        String patientId = cells.get(patientColumn);
        if (patientId.isEmpty()) {
            throw new MalformedRow("its patientId is empty");
        }
        Map<String, JsonNode> features = new HashMap<>(header.size() * 2);
        for (int i = 0; i < cells.size(); i++) {
            if (i == patientColumn) {
                continue;
            }
            String cell = cells.get(i);
            if (!cell.isEmpty()) {
                features.put(header.get(i), typed(columns[i], cell));
            }
        }
        return new PatientRow(patientId, features);
    }

    /**
     * A cell as the JSON value the validator checks: numbers where the schema wants a number (a cell that does not
     * parse stays text, so the validator names the rule it breaks), true/false for a boolean, text otherwise. An
     * unknown column stays text; the validator refuses it by name.
     */
    static JsonNode typed(Feature feature, String cell) {
        if (feature == null) {
            return TextNode.valueOf(cell);
        }
        switch (feature.type()) {
            case NUMERIC:
            case INTEGER:
                String number = cell.strip();
                if (!isDecimal(number)) {
                    return new TextCell(cell);
                }
                try {
                    if (number.indexOf('.') < 0 && number.indexOf('e') < 0 && number.indexOf('E') < 0
                            && number.length() < 19) {
                        return LongNode.valueOf(Long.parseLong(number));
                    }
                    return feature.type() == health.vigil.model.FeatureType.INTEGER
                            ? DecimalNode.valueOf(new BigDecimal(number)) : DoubleNode.valueOf(Double.parseDouble(number));
                } catch (NumberFormatException e) {
                    return new TextCell(cell);
                }
            case BOOLEAN:
                if (cell.equalsIgnoreCase("true")) {
                    return BooleanNode.TRUE;
                }
                return cell.equalsIgnoreCase("false") ? BooleanNode.FALSE : new TextCell(cell);
            default:
                return TextNode.valueOf(cell);
        }
    }

    /**
     * Whether a cell (blanks around it removed) is a decimal number: an optional sign, ASCII digits with at most one
     * point and at least one digit, and an optional exponent. The JDK's parsers read more than that, and a CSV cell
     * must not mean a number by accident: {@code Double.parseDouble} takes "1.5f", "2d" and hexadecimal "0x1.8p1",
     * {@code Long.parseLong} takes digits of any script. Such cells stay text, which the validator refuses.
     */
    static boolean isDecimal(String s) {
        int n = s.length();
        int i = skipSign(s, 0);
        int whole = digitsEnd(s, i);
        int digits = whole - i;
        i = whole;
        if (i < n && s.charAt(i) == '.') {
            int fraction = digitsEnd(s, i + 1);
            digits += fraction - (i + 1);
            i = fraction;
        }
        if (digits == 0) {
            return false;
        }
        if (i < n && (s.charAt(i) == 'e' || s.charAt(i) == 'E')) {
            int exponent = skipSign(s, i + 1);
            i = digitsEnd(s, exponent);
            if (i == exponent) {
                return false;
            }
        }
        return i == n;
    }

    private static int skipSign(String s, int i) {
        return i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-') ? i + 1 : i;
    }

    /** Where the run of ASCII digits from {@code i} ends. */
    private static int digitsEnd(String s, int i) {
        while (i < s.length() && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
            i++;
        }
        return i;
    }

    /**
     * The cells of one CSV line. A line without a quote character is split at its commas directly: Commons CSV
     * allocates an 8 KB reader for every parse, which cost more than the rest of reading a row. Quoted lines (and
     * every header) go through Commons CSV, which owns the quoting rules.
     */
    private static List<String> cells(String line) throws MalformedRow {
        if (line.indexOf('"') < 0) {
            List<String> cells = new ArrayList<>(32);
            int start = 0;
            while (true) {
                int comma = line.indexOf(',', start);
                if (comma < 0) {
                    cells.add(line.substring(start).trim());
                    return cells;
                }
                cells.add(line.substring(start, comma).trim());
                start = comma + 1;
            }
        }
        requireQuotedCellsOnly(line);
        try (CSVParser parser = CSVParser.parse(new StringReader(line), CSV)) {
            Iterator<CSVRecord> records = parser.iterator();
            if (!records.hasNext()) {
                return List.of("");
            }
            List<String> values = records.next().toList();
            if (records.hasNext()) {
                throw new MalformedRow("it holds more than one CSV record");
            }
            return values;
        } catch (IOException | IllegalStateException | java.io.UncheckedIOException e) {
            throw new MalformedRow("it is not valid CSV (an unclosed or misplaced quote)");
        }
    }

    /**
     * A quote character only opens and closes a whole cell (RFC 4180), with doubled quotes inside: Commons CSV reads a
     * quote inside an unquoted cell ({@code 2"}) as text. Such a cell is what is left of a record a quoted line break
     * split: the line that opened the quote is refused as unclosed, and its second half must not be scored as a
     * patient of its own. The quote opens the cell (a blank before it makes it a quote inside an unquoted cell, as
     * Commons CSV reads it); blanks after the closing quote are allowed.
     */
    private static void requireQuotedCellsOnly(String line) throws MalformedRow {
        int i = 0;
        int n = line.length();
        while (true) {
            if (i < n && line.charAt(i) == '"') {
                i++;
                while (true) {
                    int quote = line.indexOf('"', i);
                    if (quote < 0) {
                        throw new MalformedRow("it is not valid CSV (an unclosed quote: a quoted cell cannot hold a"
                                + " line break, as every row is one line)");
                    }
                    if (quote + 1 < n && line.charAt(quote + 1) == '"') {
                        i = quote + 2;
                        continue;
                    }
                    i = quote + 1;
                    break;
                }
                while (i < n && (line.charAt(i) == ' ' || line.charAt(i) == '\t')) {
                    i++;
                }
                if (i < n && line.charAt(i) != ',') {
                    throw new MalformedRow("it is not valid CSV (text after a quoted cell's closing quote)");
                }
            } else {
                int comma = line.indexOf(',', i);
                int end = comma < 0 ? n : comma;
                if (line.indexOf('"', i) >= 0 && line.indexOf('"', i) < end) {
                    throw new MalformedRow("it is not valid CSV (a quote inside a cell that is not quoted: quote the"
                            + " whole cell and double the quotes in it; a quoted cell cannot hold a line break, as every"
                            + " row is one line)");
                }
                i = end;
            }
            if (i >= n) {
                return;
            }
            i++; // the comma
        }
    }

    private static PatientRow jsonLine(long row, byte[] line, int length) throws MalformedRow {
        JsonNode node;
        try {
            node = Json.mapper().readTree(line, 0, length);
        } catch (JsonProcessingException e) {
            throw new MalformedRow("it " + Json.lineProblem(e));
        } catch (IOException e) {
            throw new MalformedRow("it is not valid JSON");
        }
        if (node == null || !node.isObject()) {
            throw new MalformedRow("it is not a JSON object with patientId and features");
        }
        for (var names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            if (!name.equals(PATIENT_ID) && !name.equals("features")) {
                // As a score request refuses a record's unknown field; the name is the sender's text, not repeated.
                throw new MalformedRow("it has a field other than patientId and features; each line is"
                        + " {\"patientId\": \"...\", \"features\": {...}}");
            }
        }
        JsonNode patientId = node.get(PATIENT_ID);
        if (patientId == null || !patientId.isTextual() || patientId.asText().isBlank()) {
            throw new MalformedRow("its patientId is missing or not a string");
        }
        JsonNode features = node.get("features");
        if (features == null || !features.isObject()) {
            throw new MalformedRow("its features are missing or not an object");
        }
        Map<String, JsonNode> values = new HashMap<>(features.size() * 2);
        features.fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue()));
        return new PatientRow(patientId.asText(), values);
    }

    /** A line that is not a row; the message says why without quoting the line. */
    static final class MalformedRow extends Exception {
        MalformedRow(String reason) {
            super(reason, null, false, false);
        }
    }
}
