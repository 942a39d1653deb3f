package health.vigil.training.data;

import health.vigil.error.ValidationException;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The code tables of the UCI Diabetes 130-US hospitals data ({@code IDs_mapping.csv}: admission type,
 * discharge disposition and admission source, three tables stacked in one file with blank separator lines),
 * and how Vigil groups their descriptions into the readmission model's categories.
 */
public final class UciIdsMapping {
    public static final String ADMISSION_TYPE = "admission_type_id";
    public static final String DISCHARGE_DISPOSITION = "discharge_disposition_id";
    public static final String ADMISSION_SOURCE = "admission_source_id";
    /** The group of an encounter that ended in death or hospice: it cannot be readmitted. */
    public static final String EXCLUDED = "excluded";

    private final Map<String, Map<Integer, String>> tables;

    private UciIdsMapping(Map<String, Map<Integer, String>> tables) {
        this.tables = tables;
    }

    /** Parses the stacked tables; each starts with a header line {@code <table>_id,description}. */
    public static UciIdsMapping parse(String text) {
        Map<String, Map<Integer, String>> tables = new HashMap<>();
        Map<Integer, String> current = null;
        int lineNumber = 0;
        for (String line : text.split("\r?\n")) {
            lineNumber++;
            String trimmed = line.strip();
            if (trimmed.isEmpty() || trimmed.matches(",*")) {
                current = null;
                continue;
            }
            int comma = trimmed.indexOf(',');
            if (comma < 0) {
                throw new ValidationException("IDs mapping line " + lineNumber + " has no comma; expected 'id,description'");
            }
            String first = trimmed.substring(0, comma).strip();
            String rest = unquote(trimmed.substring(comma + 1).strip());
            if (first.endsWith("_id")) {
                current = new HashMap<>();
                tables.put(first, current);
                continue;
            }
            if (current == null) {
                throw new ValidationException("IDs mapping line " + lineNumber + " comes before any table header");
            }
            try {
                current.put(Integer.parseInt(first), rest);
            } catch (NumberFormatException e) {
                throw new ValidationException("IDs mapping line " + lineNumber + " does not start with a numeric id");
            }
        }
        for (String table : List.of(ADMISSION_TYPE, DISCHARGE_DISPOSITION, ADMISSION_SOURCE)) {
            if (!tables.containsKey(table)) {
                throw new ValidationException("IDs mapping has no '" + table + "' table; expected the three stacked"
                        + " tables of the UCI Diabetes 130-US hospitals data");
            }
        }
        return new UciIdsMapping(tables);
    }

    private static String unquote(String s) {
        if (s.length() >= 2 && s.startsWith("\"") && s.endsWith("\"")) {
            return s.substring(1, s.length() - 1).replace("\"\"", "\"");
        }
        return s;
    }

    public Optional<String> description(String table, int id) {
        return Optional.ofNullable(tables.get(table).get(id));
    }

    /**
     * The model category of a code, or empty when the code means "not known" (NULL, not available, not
     * mapped, unknown/invalid). Discharge codes of death or hospice give {@link #EXCLUDED}.
     */
    public Optional<String> group(String table, int id) {
        String description = description(table, id).orElseThrow(() -> new ValidationException(
                table + " " + id + " is not in the IDs mapping; use the IDs_mapping.csv that came with the data"));
        String d = description.toLowerCase(Locale.ROOT).strip();
        if (d.equals("null") || d.contains("not available") || d.contains("not mapped") || d.contains("unknown/invalid")) {
            return Optional.empty();
        }
        return Optional.of(switch (table) {
            case ADMISSION_TYPE -> admissionType(d, table, id);
            case DISCHARGE_DISPOSITION -> discharge(d);
            case ADMISSION_SOURCE -> admissionSource(d);
            default -> throw new IllegalArgumentException("unknown table " + table);
        });
    }

    private static String admissionType(String d, String table, int id) {
        return switch (d) {
            case "emergency" -> "emergency";
            case "urgent" -> "urgent";
            case "elective" -> "elective";
            case "newborn" -> "newborn";
            case "trauma center" -> "trauma_center";
            default -> throw new ValidationException(table + " " + id + " has a description Vigil cannot group;"
                    + " expected Emergency, Urgent, Elective, Newborn, Trauma Center or a not-known marker");
        };
    }

    private static String discharge(String d) {
        if (d.contains("expired") || d.contains("hospice")) {
            return EXCLUDED;
        }
        if (d.equals("discharged to home")) {
            return "home";
        }
        if (d.contains("home health") || d.contains("home iv") || d.contains("home under care")) {
            return "home_care";
        }
        if (d.contains("left ama")) {
            return "left_against_advice";
        }
        if (d.contains("outpatient") || d.contains("admitted as an inpatient") || d.contains("still patient")) {
            return "other";
        }
        if (d.contains("transferred") || d.contains("discharged to another hospital")) {
            return "facility";
        }
        return "other";
    }

    private static String admissionSource(String d) {
        if (d.contains("emergency room")) {
            return "emergency_room";
        }
        if (d.contains("referral") && !d.contains("readmission")) {
            return "referral";
        }
        if (d.contains("transfer")) {
            return "transfer";
        }
        if (d.contains("delivery") || d.contains("baby") || d.contains("birth") || d.contains("born")) {
            return "birth";
        }
        return "other";
    }
}
