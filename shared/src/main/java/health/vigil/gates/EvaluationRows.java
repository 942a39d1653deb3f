package health.vigil.gates;

import health.vigil.error.ValidationException;
import health.vigil.features.RawRecordValidator;
import health.vigil.features.SegmentValues;
import health.vigil.json.Json;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.SegmentColumns;
import health.vigil.text.Words;
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
 * says (what the feature pipeline expects), its label, and its segment in each segment column as
 * {@link SegmentValues} defines it (monitoring segments production by the same definition). Columns the
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

    /**
     * Which rows a version whose raw schema is {@code schema} reads, as scoring would validate them (on the fields
     * the schema names): {@code problems[i]} is null for a row it reads, else why it refuses it (the row number and the
     * rule, never a value); how many it refuses, why the first, and how many for each rule (first seen first).
     */
    public record Acceptance(String[] problems, int refused, String firstRefusal, Map<String, Integer> refusedByRule) {
        /** How many rules {@link #described} counts rows for at most. */
        static final int RULES_SHOWN = 3;

        public boolean reads(int row) {
            return problems[row] == null;
        }

        /**
         * Why the first refused row was refused and, when rows are refused by more than one rule, how many by each
         * (the most first, at most {@value #RULES_SHOWN}): what a data steward needs to tell a source's missing-value
         * mark from a column in the wrong format. Null when no row is refused.
         */
        public String described() {
            if (firstRefusal == null || refusedByRule.size() < 2) {
                return firstRefusal;
            }
            List<Map.Entry<String, Integer>> rules = new ArrayList<>(refusedByRule.entrySet());
            rules.sort(Map.Entry.<String, Integer>comparingByValue().reversed());
            StringBuilder by = new StringBuilder(firstRefusal).append("; by rule: ");
            for (int i = 0; i < Math.min(RULES_SHOWN, rules.size()); i++) {
                by.append(i == 0 ? "" : ", ").append(Words.count(rules.get(i).getValue(), "row")).append(": ")
                        .append(rules.get(i).getKey());
            }
            if (rules.size() > RULES_SHOWN) {
                by.append(", and ").append(Words.count(rules.size() - RULES_SHOWN, "more rule", "more rules"));
            }
            return by.toString();
        }
    }

    public Acceptance acceptedBy(FeatureSchema schema) {
        RawRecordValidator validator = new RawRecordValidator(schema);
        java.util.Set<String> names = java.util.Set.copyOf(schema.names());
        String[] problems = new String[size()];
        int refused = 0;
        String first = null;
        Map<String, Integer> byRule = new LinkedHashMap<>();
        for (int i = 0; i < problems.length; i++) {
            String where = "row " + (i + 1);
            try {
                validator.validate(onlyKnown(records.get(i), names), where);
            } catch (ValidationException e) {
                problems[i] = e.getMessage();
                refused++;
                first = first == null ? e.getMessage() : first;
                // The validator's message is the row, a space, then the rule.
                byRule.merge(e.getMessage().substring(where.length() + 1), 1, Integer::sum);
            }
        }
        return new Acceptance(problems, refused, first, byRule);
    }

    /** The record restricted to the fields a version reads; the record itself when it reads them all. */
    static Map<String, Object> onlyKnown(Map<String, Object> record, java.util.Set<String> names) {
        if (names.containsAll(record.keySet())) {
            return record;
        }
        Map<String, Object> known = new HashMap<>(record);
        known.keySet().retainAll(names);
        return known;
    }

    /**
     * The header and the labels only: what registration checks before it stores a file. Per counted column, its
     * distinct values and how many rows hold a value no other row holds (both counted while the column has at most
     * {@link #MAX_SEGMENT_VALUES} values).
     */
    record Summary(List<String> columns, int rows, int positives, Map<String, Integer> distinct,
            Map<String, Integer> oneOfAKind) {}

    /** Distinct values counted per segment column up to this many; more are reported as this plus one. */
    static final int MAX_SEGMENT_VALUES = 50;

    /**
     * Checks the file's shape and counts its labels: a header of distinct column names (a UTF-8 byte order mark
     * before it is skipped), every row as many cells as the header, a 0/1 label in each; and the distinct values of
     * each of {@code counted} (up to {@link #MAX_SEGMENT_VALUES} + 1), each with its rows. A message repeats the
     * header's names only when it names the label or one of {@code expected} (the declared columns, the model's raw
     * features).
     */
    static Summary summarise(byte[] csv, String label, List<String> counted, java.util.Set<String> expected) {
        List<String> header;
        int rows = 0;
        int positives = 0;
        Map<String, Map<String, Integer>> values = new LinkedHashMap<>();
        try (CSVParser parser = parser(csv)) {
            header = parser.getHeaderNames();
            health.vigil.model.BlankColumnNames.problem(header).ifPresent(problem -> {
                throw new ValidationException("the dataset's header " + problem);
            });
            if (header.stream().anyMatch(String::isBlank)) {
                int column = header.indexOf(header.stream().filter(String::isBlank).findFirst().orElseThrow()) + 1;
                throw new ValidationException("the dataset's header has a column without a name (column " + column
                        + ", counted from 1); name it, or remove the column (a comma at the end of the header line adds"
                        + " one)");
            }
            boolean isHeader = looksLikeAHeader(header, label, expected);
            for (int i = 0; i < header.size(); i++) {
                if (header.indexOf(header.get(i)) != i) {
                    throw new ValidationException("the dataset's header names a column twice"
                            + (isHeader ? " ('" + header.get(i) + "')" : "") + "; give every column one name");
                }
            }
            if (!header.contains(label)) {
                throw new ValidationException("the dataset has no label column " + Json.quotedName(label) + "; " + (isHeader
                        ? "its columns are " + header
                        : "its first line does not look like a header of column names (it is not repeated here): start"
                                + " the file with a line naming the columns"));
            }
            counted.stream().filter(header::contains).forEach(c -> values.put(c, new HashMap<>()));
            for (CSVRecord row : parser) {
                rows++;
                if (row.size() != header.size()) {
                    throw new ValidationException("row " + rows + " has " + row.size() + " cells; the header has "
                            + header.size() + ": every row needs one cell per column (quote a cell holding a comma)");
                }
                positives += label(row, label, rows) ? 1 : 0;
                values.forEach((column, seen) -> {
                    if (seen.size() <= MAX_SEGMENT_VALUES) {
                        seen.merge(row.get(column), 1, Integer::sum);
                    }
                });
            }
        } catch (IOException | IllegalStateException | java.io.UncheckedIOException e) {
            throw new ValidationException("the dataset is not RFC 4180 CSV with a header row (a quote is left open, or the"
                    + " file is not UTF-8 text); send CSV whose first line names the columns");
        }
        Map<String, Integer> distinct = new LinkedHashMap<>();
        Map<String, Integer> oneOfAKind = new LinkedHashMap<>();
        values.forEach((column, seen) -> {
            distinct.put(column, seen.size());
            oneOfAKind.put(column, (int) seen.values().stream().filter(n -> n == 1).count());
        });
        return new Summary(header, rows, positives, distinct, oneOfAKind);
    }

    /**
     * Whether a header is one, so that a message may list its names: it names the label or a column the dataset is
     * expected to have, and every name looks like a column name. A file without a header has a patient's row there,
     * which is never repeated, and a row of words (a record number, a name, categories) looks like names.
     */
    private static boolean looksLikeAHeader(List<String> header, String label, java.util.Set<String> expected) {
        return header.stream().anyMatch(name -> name.equals(label) || expected.contains(name))
                && header.stream().allMatch(name -> name.matches("[A-Za-z_][A-Za-z0-9_ .()-]{0,63}"));
    }

    /** Reads every row for a model whose raw schema is {@code schema}; a value that does not parse fails the row. */
    public static EvaluationRows read(byte[] csv, EvaluationDataset dataset, FeatureSchema schema) {
        List<Map<String, Object>> records = new ArrayList<>();
        List<Boolean> labels = new ArrayList<>();
        Map<String, List<String>> segments = new LinkedHashMap<>();
        List<String> segmentColumns = dataset.segmentColumns();
        // One definition with monitoring: a request field's value, age_group and sex_group derived from the row's
        // age and sex fields, the file's cell for any other column.
        SegmentValues definitions = new SegmentValues(new SegmentColumns(dataset.ageColumn(), segmentColumns), schema);
        segmentColumns.forEach(c -> segments.put(c, new ArrayList<>()));
        try (CSVParser parser = parser(csv)) {
            List<String> header = parser.getHeaderNames();
            for (String column : segmentColumns) {
                if (!header.contains(column)) {
                    throw new ValidationException("the dataset declares segment column " + Json.quotedName(column)
                            + " but has no such column");
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
                Map<String, Object> withCells = new HashMap<>(record);
                for (String column : segmentColumns) {
                    if (definitions.source(column).isEmpty() && row.isSet(column)) {
                        withCells.put(column, row.get(column));
                    }
                }
                for (String column : segmentColumns) {
                    segments.get(column).add(definitions.valueOf(column, withCells));
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new ValidationException("the dataset could not be read as RFC 4180 CSV in UTF-8; register it again");
        }
        boolean[] y = new boolean[labels.size()];
        for (int i = 0; i < y.length; i++) {
            y[i] = labels.get(i);
        }
        Map<String, String[]> segmentArrays = new LinkedHashMap<>();
        segments.forEach((c, values) -> segmentArrays.put(c, values.toArray(String[]::new)));
        return new EvaluationRows(records, y, segmentArrays);
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
        return bool(raw).orElseThrow(() -> new ValidationException("row " + n + ": label column " + Json.quotedName(label)
                + " must be 0, 1, true or false"));
    }

    private static java.util.Optional<Boolean> bool(String raw) {
        return switch (raw.trim().toLowerCase(Locale.ROOT)) {
            case "1", "true" -> java.util.Optional.of(true);
            case "0", "false" -> java.util.Optional.of(false);
            default -> java.util.Optional.empty();
        };
    }

    private static CSVParser parser(byte[] csv) throws IOException {
        // A spreadsheet's "CSV UTF-8" starts with a byte order mark: it is not part of the first column's name.
        int start = csv.length >= 3 && csv[0] == (byte) 0xEF && csv[1] == (byte) 0xBB && csv[2] == (byte) 0xBF ? 3 : 0;
        // Strict: bytes that are not UTF-8 are refused, not read as replacement characters.
        Reader reader = new InputStreamReader(new ByteArrayInputStream(csv, start, csv.length - start),
                StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                        .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT));
        // Columns without a name are read, so that the header's check can say which they are (the parser would
        // throw an IllegalArgumentException naming the cells).
        CSVFormat format = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true)
                .setIgnoreEmptyLines(true).setAllowMissingColumnNames(true).get();
        return CSVParser.builder().setReader(reader).setFormat(format).get();
    }
}
