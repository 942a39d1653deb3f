package health.vigil.training.data;

import health.vigil.error.ValidationException;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * A CSV file with a header row, read with Apache Commons CSV, whose fields are looked up by column name.
 * Errors name the file, the row and the column, never the content.
 */
final class CsvTable {
    private final String what;
    private final Map<String, Integer> columns = new HashMap<>();
    private final List<CSVRecord> rows;

    private CsvTable(String what, List<String> header, List<CSVRecord> rows) {
        this.what = what;
        for (int i = 0; i < header.size(); i++) {
            columns.put(header.get(i).trim(), i);
        }
        this.rows = rows;
    }

    static CsvTable read(String what, Reader reader) {
        // Unnamed and repeated column names are read, so that the check below can say which column is wrong (the
        // parser's own exception would say only that something is).
        CSVFormat format = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true)
                .setIgnoreEmptyLines(true).setAllowMissingColumnNames(true)
                .setDuplicateHeaderMode(org.apache.commons.csv.DuplicateHeaderMode.ALLOW_ALL).get();
        try (CSVParser parser = CSVParser.builder().setReader(reader).setFormat(format).get()) {
            List<String> header = parser.getHeaderNames().stream().map(String::trim).toList();
            for (int i = 0; i < header.size(); i++) {
                if (header.get(i).isEmpty()) {
                    throw new ValidationException(what + ": column " + (i + 1) + " of the header (counted from 1) has"
                            + " no name; name it, or remove the column (a comma at the end of the header line adds one)");
                }
                if (header.indexOf(header.get(i)) != i) {
                    throw new ValidationException(what + ": columns " + (header.indexOf(header.get(i)) + 1) + " and "
                            + (i + 1) + " of the header (counted from 1) have one name; give every column its own");
                }
            }
            List<CSVRecord> rows = new ArrayList<>();
            for (CSVRecord row : parser) {
                rows.add(row);
            }
            return new CsvTable(what, parser.getHeaderNames(), rows);
        } catch (IOException e) {
            throw new UncheckedIOException(what + " could not be read", e);
        } catch (IllegalArgumentException | IllegalStateException | java.io.UncheckedIOException e) {
            throw new ValidationException(what + " is not a valid CSV file with a header row: "
                    + e.getClass().getSimpleName());
        }
    }

    void require(List<String> names) {
        List<String> absent = names.stream().filter(n -> !columns.containsKey(n)).toList();
        if (!absent.isEmpty()) {
            throw new ValidationException(what + " has no column " + absent + "; expected columns " + names);
        }
    }

    int size() {
        return rows.size();
    }

    /** The trimmed field; an error when the row is too short. Rows are numbered from 2 (the header is row 1). */
    String get(int row, String column) {
        CSVRecord record = rows.get(row);
        int index = columns.get(column);
        if (index >= record.size()) {
            throw new ValidationException(what + " row " + rowNumber(row) + " has fewer fields than the header");
        }
        return record.get(index).trim();
    }

    long rowNumber(int row) {
        return row + 2L;
    }

    ValidationException invalid(int row, String column, String rule) {
        return new ValidationException(what + " row " + rowNumber(row) + ", column '" + column + "': " + rule);
    }

    long integer(int row, String column) {
        String text = get(row, column);
        try {
            return Long.parseLong(text);
        } catch (NumberFormatException e) {
            throw invalid(row, column, "expected a whole number");
        }
    }

    double number(int row, String column) {
        String text = get(row, column);
        try {
            double value = Double.parseDouble(text);
            if (!Double.isFinite(value)) {
                throw new NumberFormatException();
            }
            return value;
        } catch (NumberFormatException e) {
            throw invalid(row, column, "expected a finite number");
        }
    }
}
