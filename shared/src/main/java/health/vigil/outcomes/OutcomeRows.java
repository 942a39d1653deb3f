package health.vigil.outcomes;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.model.BlankColumnNames;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Reads outcomes from the three shapes they arrive in: the JSON array of {@code POST /outcomes}, a JSON Lines file
 * (one object per line) and a CSV file with a header. Each row becomes an {@link OutcomeRow}; a row that cannot be
 * read becomes one with its problem, so the other rows go on. Messages name the field and the rule, never the value.
 * The CSV reader is written here because the files are small and flat (RFC 4180 quoting, no multi-line fields) and
 * the shared module carries no CSV library.
 */
final class OutcomeRows {
    static final String MODEL = "model";
    static final String PREDICTION_ID = "predictionId";
    static final String PATIENT_ID = "patientId";
    static final String INDEX_TIME = "indexTime";
    static final String OUTCOME = "outcome";
    private static final List<String> FIELDS = List.of(MODEL, PREDICTION_ID, PATIENT_ID, INDEX_TIME, OUTCOME);
    /** The index times whose UTC day can be written as yyyy-MM-dd, with room for any patient's history. */
    private static final Instant EARLIEST_INDEX_TIME = Instant.parse("1900-01-01T00:00:00Z");
    private static final Instant LATEST_INDEX_TIME = Instant.parse("9999-12-31T23:59:59.999999999Z");

    private OutcomeRows() {}

    /** The rows of a JSON array; {@code defaultModel} applies to rows that name none. Rows are numbered from 1. */
    static void fromJsonArray(JsonNode array, String defaultModel, Consumer<OutcomeRow> sink) {
        int row = 0;
        for (JsonNode node : array) {
            sink.accept(fromObject(++row, node, defaultModel));
        }
    }

    /** The rows of a JSON Lines file, numbered by line; blank lines are skipped. */
    static void fromJsonLines(BufferedReader in, Consumer<OutcomeRow> sink) {
        int line = 0;
        for (String text : lines(in)) {
            line++;
            if (text.isBlank()) {
                continue;
            }
            JsonNode node;
            try {
                node = Json.mapper().readTree(text);
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                sink.accept(OutcomeRow.unreadable(line, "the line " + Json.lineProblem(e)
                        + "; each line is one JSON object of an outcome"));
                continue;
            }
            sink.accept(fromObject(line, node, null));
        }
    }

    /**
     * The rows of a CSV file whose first line names the columns ({@code model}, {@code predictionId} or
     * {@code patientId} and {@code indexTime}, {@code outcome}); rows are numbered by line, the header being line 1.
     */
    static void fromCsv(BufferedReader in, Consumer<OutcomeRow> sink) {
        int line = 0;
        Map<String, Integer> columns = null;
        int width = 0;
        for (String text : lines(in)) {
            line++;
            if (text.isBlank()) {
                continue;
            }
            List<String> cells = cells(text);
            if (columns == null && cells == null) {
                sink.accept(OutcomeRow.unreadable(line, "the header has an unterminated quoted field"));
                return;
            }
            if (columns == null) {
                columns = new HashMap<>();
                List<String> names = new ArrayList<>();
                for (int i = 0; i < cells.size(); i++) {
                    // A spreadsheet's "CSV UTF-8" starts with a byte order mark: not part of the first column's name.
                    names.add((i == 0 ? cells.get(i).replaceFirst("^\uFEFF", "") : cells.get(i)).trim());
                }
                Optional<String> blank = BlankColumnNames.problem(names);
                if (blank.isPresent()) {
                    sink.accept(OutcomeRow.unreadable(line, "the header " + blank.get()));
                    return;
                }
                for (int i = 0; i < names.size(); i++) {
                    String name = names.get(i);
                    if (columns.put(name, i) != null) {
                        sink.accept(OutcomeRow.unreadable(line, "the header names the column " + Json.quotedName(name)
                                + " twice; give every column one name"));
                        return;
                    }
                }
                if (!columns.containsKey(OUTCOME) || !columns.containsKey(MODEL)) {
                    sink.accept(OutcomeRow.unreadable(line, "the header must name the columns model, outcome and either"
                            + " predictionId or patientId and indexTime" + caseHint(columns.keySet())));
                    return;
                }
                width = cells.size();
                continue;
            }
            if (cells == null) {
                sink.accept(OutcomeRow.unreadable(line, "the line has an unterminated quoted field"));
                continue;
            }
            if (cells.size() != width) {
                // A cell too many or too few shifts the others under the wrong names (an unquoted comma in a
                // patient identifier, a column left out): no cell of the line can be trusted to be what it says.
                sink.accept(OutcomeRow.unreadable(line, "the line has " + cells.size() + " cells; the header has "
                        + width + ": quote a cell that holds a comma, and give every line one cell per column"));
                continue;
            }
            Map<String, String> values = new HashMap<>();
            for (String field : FIELDS) {
                Integer at = columns.get(field);
                if (at != null && !cells.get(at).isBlank()) {
                    values.put(field, cells.get(at).trim());
                }
            }
            sink.accept(row(line, values.get(MODEL), values.get(PREDICTION_ID), values.get(PATIENT_ID),
                    values.get(INDEX_TIME), values.get(OUTCOME)));
        }
    }

    private static OutcomeRow fromObject(int row, JsonNode node, String defaultModel) {
        if (!node.isObject()) {
            return OutcomeRow.unreadable(row, "an outcome must be a JSON object");
        }
        for (var names = node.fieldNames(); names.hasNext();) {
            String name = names.next();
            if (!FIELDS.contains(name)) {
                // The name is the sender's text and may hold anything: say which fields are allowed instead.
                return OutcomeRow.unreadable(row, "the outcome has a field that is not one of " + FIELDS);
            }
        }
        // An identifier is taken as written (ADR 0029): a number there is refused rather than converted, since
        // 5551234 cannot say whether the record reads 05551234, and a converted id would silently join nothing.
        // The outcome is read from its text as a CSV cell is ("1", "true" and 1, true alike), and must be one.
        for (String field : List.of(MODEL, PREDICTION_ID, PATIENT_ID, INDEX_TIME)) {
            JsonNode value = node.get(field);
            if (value != null && !value.isNull() && !value.isTextual()) {
                return OutcomeRow.unreadable(row, "'" + field + "' must be text (a JSON string), not a number, a"
                        + " true/false or a list");
            }
        }
        JsonNode outcomeValue = node.get(OUTCOME);
        if (outcomeValue != null && outcomeValue.isContainerNode()) {
            return OutcomeRow.unreadable(row, "'outcome' must be 1 or 0 (or true or false)");
        }
        String outcome = outcomeValue != null && !outcomeValue.isNull() ? outcomeValue.asText() : null;
        String model = text(node, MODEL);
        return row(row, model != null ? model : defaultModel, text(node, PREDICTION_ID), text(node, PATIENT_ID),
                text(node, INDEX_TIME), outcome);
    }

    private static OutcomeRow row(int row, String model, String predictionId, String patientId, String indexTime,
            String outcome) {
        if (model == null) {
            return OutcomeRow.unreadable(row, "'model' is missing: name the model whose prediction this outcome is of");
        }
        Boolean positive = outcome(outcome);
        if (positive == null) {
            return OutcomeRow.unreadable(row, "'outcome' must be 1 or 0 (or true or false)");
        }
        if (predictionId != null && (patientId != null || indexTime != null)) {
            return OutcomeRow.unreadable(row, "give either 'predictionId', or 'patientId' and 'indexTime', not both");
        }
        if (predictionId != null) {
            return new OutcomeRow(row, model, predictionId, null, null, positive, null);
        }
        if (patientId == null || indexTime == null) {
            return OutcomeRow.unreadable(row, "name the prediction: 'predictionId', or 'patientId' and 'indexTime'");
        }
        Instant time;
        try {
            time = Instant.parse(indexTime);
        } catch (DateTimeParseException e) {
            return OutcomeRow.unreadable(row, "'indexTime' must be an ISO-8601 UTC time like 2026-11-24T08:30:00Z");
        }
        if (time.isBefore(EARLIEST_INDEX_TIME) || time.isAfter(LATEST_INDEX_TIME)) {
            // Instant reads years up to a billion; a UTC day is formatted only for years 0 to 9999.
            return OutcomeRow.unreadable(row, "'indexTime' must be a time in the years 1900 to 9999, like"
                    + " 2026-11-24T08:30:00Z");
        }
        return new OutcomeRow(row, model, null, patientId, time, positive, null);
    }

    private static Boolean outcome(String value) {
        if (value == null) {
            return null;
        }
        return switch (value.trim().toLowerCase(java.util.Locale.ROOT)) {
            case "1", "true" -> Boolean.TRUE;
            case "0", "false" -> Boolean.FALSE;
            default -> null;
        };
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return null;
        }
        String text = value.asText().trim();
        return text.isEmpty() ? null : text;
    }

    /** The cells of one CSV line, or null when a quoted field is not closed. */
    static List<String> cells(String line) {
        List<String> cells = new ArrayList<>();
        StringBuilder cell = new StringBuilder();
        boolean quoted = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (quoted) {
                if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
                    cell.append('"');
                    i++;
                } else if (c == '"') {
                    quoted = false;
                } else {
                    cell.append(c);
                }
            } else if (c == '"') {
                quoted = true;
            } else if (c == ',') {
                cells.add(cell.toString());
                cell.setLength(0);
            } else {
                cell.append(c);
            }
        }
        if (quoted) {
            return null;
        }
        cells.add(cell.toString());
        return cells;
    }

    private static Iterable<String> lines(BufferedReader in) {
        return () -> new java.util.Iterator<>() {
            private String next = read();

            private String read() {
                try {
                    return in.readLine();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }

            @Override
            public boolean hasNext() {
                return next != null;
            }

            @Override
            public String next() {
                if (next == null) {
                    throw new java.util.NoSuchElementException();
                }
                String line = next;
                next = read();
                return line;
            }
        };
    }

    /** For a header whose names differ from the columns only in case, which ones to rename: names are case-sensitive. */
    private static String caseHint(java.util.Set<String> names) {
        List<String> renames = new ArrayList<>();
        for (String name : names) {
            for (String column : List.of(MODEL, PREDICTION_ID, PATIENT_ID, INDEX_TIME, OUTCOME)) {
                if (!name.equals(column) && name.equalsIgnoreCase(column)) {
                    renames.add(Json.quotedName(name) + " as " + column);
                }
            }
        }
        return renames.isEmpty() ? "" : "; column names are case-sensitive: name " + String.join(", ", renames.stream()
                .sorted().toList());
    }
}
