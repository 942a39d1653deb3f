package health.vigil.training.data;

import health.vigil.features.RawRecordValidator;
import health.vigil.hash.Sha256;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.text.Words;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Loads a CSV file with one row per example whose columns are the raw schema's feature names plus a patient
 * key, a date and a 0/1 label column. An empty field is a missing value; booleans are {@code true/false}
 * or {@code 1/0}; dates are ISO ({@code 2024-03-01}).
 */
public final class FlatCsvLoader {
    private final FeatureSchema schema;
    private final String keyColumn;
    private final String dateColumn;
    private final String labelColumn;

    public FlatCsvLoader(FeatureSchema schema, String keyColumn, String dateColumn, String labelColumn) {
        this.schema = schema;
        this.keyColumn = keyColumn;
        this.dateColumn = dateColumn;
        this.labelColumn = labelColumn;
    }

    /** The header the loader expects, in the order a writer should use. */
    public List<String> header() {
        List<String> header = new ArrayList<>(List.of(keyColumn, dateColumn));
        header.addAll(schema.names());
        header.add(labelColumn);
        return header;
    }

    public Dataset load(String name, String description, byte[] data) {
        CsvTable table = CsvTable.read(name, new InputStreamReader(new ByteArrayInputStream(data), StandardCharsets.UTF_8));
        table.require(header());
        RawRecordValidator validator = new RawRecordValidator(schema);
        List<Map<String, Object>> records = new ArrayList<>(table.size());
        List<String> keys = new ArrayList<>(table.size());
        boolean[] labels = new boolean[table.size()];
        LocalDate first = null;
        LocalDate last = null;
        for (int row = 0; row < table.size(); row++) {
            Map<String, Object> r = new HashMap<>();
            for (Feature feature : schema.features()) {
                String text = table.get(row, feature.name());
                if (!text.isEmpty()) {
                    r.put(feature.name(), parse(table, row, feature, text));
                }
            }
            validator.validate(r, name + " row " + table.rowNumber(row));
            String key = table.get(row, keyColumn);
            if (key.isEmpty()) {
                throw table.invalid(row, keyColumn, "the patient key is empty; every row needs one to split by patient");
            }
            LocalDate date = date(table, row, dateColumn);
            first = first == null || date.isBefore(first) ? date : first;
            last = last == null || date.isAfter(last) ? date : last;
            labels[row] = switch (table.get(row, labelColumn)) {
                case "1", "true" -> true;
                case "0", "false" -> false;
                default -> throw table.invalid(row, labelColumn, "expected 1 or 0");
            };
            records.add(r);
            keys.add(key);
        }
        String range = first == null ? null : first + "/" + last;
        return new Dataset(description + " (" + name + ")", records, labels, keys, Sha256.hex(data), range,
                List.of(Words.count(table.size(), "row") + " read"));
    }

    static LocalDate date(CsvTable table, int row, String column) {
        try {
            return LocalDate.parse(table.get(row, column));
        } catch (DateTimeParseException e) {
            throw table.invalid(row, column, "expected an ISO date such as 2024-03-01");
        }
    }

    static Object parse(CsvTable table, int row, Feature feature, String text) {
        return switch (feature.type()) {
            case NUMERIC -> table.number(row, feature.name());
            case INTEGER -> table.integer(row, feature.name());
            case BOOLEAN -> switch (text) {
                case "true", "1" -> true;
                case "false", "0" -> false;
                default -> throw table.invalid(row, feature.name(), "expected true, false, 1 or 0");
            };
            case CATEGORICAL, CODE -> text;
        };
    }

    /** Quotes a field for CSV when needed. */
    public static String field(Object value) {
        if (value == null) {
            return "";
        }
        String text = value.toString();
        if (text.contains(",") || text.contains("\"") || text.contains("\n")) {
            return "\"" + text.replace("\"", "\"\"") + "\"";
        }
        return text;
    }
}
