package health.vigil.gates;

import health.vigil.error.ValidationException;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.ByteArrayInputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * An evaluation dataset read for one model: each row's raw clinical record typed as the model's raw schema
 * says (what the feature pipeline expects), its label, and its value in each segment column. Columns the
 * schema does not name (identifiers, the label, segment-only columns) never reach the record. Messages name
 * the row and the column, never a value.
 */
public record EvaluationRows(List<Map<String, Object>> records, boolean[] labels, Map<String, String[]> segments) {

    public EvaluationRows {
        records = List.copyOf(records);
        labels = labels.clone();
        segments = Map.copyOf(segments);
    }

    public int size() {
        return labels.length;
    }

    @Override
    public boolean[] labels() {
        return labels.clone();
    }

    /** The header and the labels only: what registration checks before it stores a file. */
    record Summary(List<String> columns, int rows, int positives) {}

    static Summary summarise(byte[] csv, String label) {
        List<String> header;
        int rows = 0;
        int positives = 0;
        try (CSVParser parser = parser(csv)) {
            header = parser.getHeaderNames();
            if (!header.contains(label)) {
                throw new ValidationException("the dataset has no label column '" + label + "'; its columns are " + header);
            }
            for (CSVRecord row : parser) {
                rows++;
                positives += label(row, label, rows) ? 1 : 0;
            }
        } catch (IOException | IllegalStateException | java.io.UncheckedIOException e) {
            throw new ValidationException("the dataset is not a CSV file with a header row (" + e.getClass().getSimpleName()
                    + "); send RFC 4180 CSV whose first line names the columns");
        }
        return new Summary(header, rows, positives);
    }

    /** Reads every row for a model whose raw schema is {@code schema}; a value that does not parse fails the row. */
    public static EvaluationRows read(byte[] csv, EvaluationDataset dataset, FeatureSchema schema) {
        List<Map<String, Object>> records = new ArrayList<>();
        List<Boolean> labels = new ArrayList<>();
        Map<String, List<String>> segments = new LinkedHashMap<>();
        List<String> segmentColumns = dataset.segmentColumns();
        segmentColumns.forEach(c -> segments.put(c, new ArrayList<>()));
        try (CSVParser parser = parser(csv)) {
            List<String> header = parser.getHeaderNames();
            for (String column : segmentColumns) {
                if (!header.contains(column)) {
                    throw new ValidationException("the dataset declares segment column '" + column
                            + "' but has no such column");
                }
            }
            int n = 0;
            for (CSVRecord row : parser) {
                n++;
                Map<String, Object> record = new HashMap<>();
                for (Feature feature : schema.features()) {
                    if (!row.isMapped(feature.name()) || !row.isSet(feature.name())) {
                        continue;
                    }
                    String raw = row.get(feature.name());
                    if (raw.isEmpty()) {
                        continue;
                    }
                    record.put(feature.name(), typed(feature, raw, n));
                }
                records.add(record);
                labels.add(label(row, dataset.label(), n));
                for (String column : segmentColumns) {
                    String value = row.isSet(column) ? row.get(column) : "";
                    segments.get(column).add(column.equals(dataset.ageColumn()) ? ageBand(value) : value.isEmpty() ? null : value);
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new ValidationException("the dataset could not be read as CSV (" + e.getClass().getSimpleName() + ")");
        }
        boolean[] y = new boolean[labels.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = labels.get(i);
        }
        Map<String, String[]> segmentArrays = new LinkedHashMap<>();
        segments.forEach((c, values) -> segmentArrays.put(c, values.toArray(String[]::new)));
        return new EvaluationRows(records, y, segmentArrays);
    }

    /** A numeric age becomes its decade ({@code 70-79}); a value that already is a band stays as it is. */
    static String ageBand(String value) {
        if (value == null || value.isEmpty()) {
            return null;
        }
        try {
            int decade = (int) Math.floor(Double.parseDouble(value) / 10) * 10;
            return decade + "-" + (decade + 9);
        } catch (NumberFormatException band) {
            return value;
        }
    }

    private static Object typed(Feature feature, String raw, int row) {
        try {
            return switch (feature.type()) {
                case NUMERIC -> Double.parseDouble(raw);
                case INTEGER -> Long.parseLong(raw);
                case BOOLEAN -> bool(raw).orElseThrow(NumberFormatException::new);
                case CATEGORICAL, CODE -> raw;
            };
        } catch (NumberFormatException e) {
            throw new ValidationException("row " + row + ": column '" + feature.name() + "' must be "
                    + feature.type().name().toLowerCase(Locale.ROOT) + " as the model's schema says");
        }
    }

    private static boolean label(CSVRecord row, String label, int n) {
        String raw = row.isSet(label) ? row.get(label) : "";
        return bool(raw).orElseThrow(() -> new ValidationException("row " + n + ": label column '" + label
                + "' must be 0, 1, true or false"));
    }

    private static java.util.Optional<Boolean> bool(String raw) {
        return switch (raw.trim().toLowerCase(Locale.ROOT)) {
            case "1", "true" -> java.util.Optional.of(true);
            case "0", "false" -> java.util.Optional.of(false);
            default -> java.util.Optional.empty();
        };
    }

    private static CSVParser parser(byte[] csv) throws IOException {
        Reader reader = new InputStreamReader(new ByteArrayInputStream(csv), StandardCharsets.UTF_8);
        CSVFormat format = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true)
                .setIgnoreEmptyLines(true).get();
        return CSVParser.builder().setReader(reader).setFormat(format).get();
    }
}
