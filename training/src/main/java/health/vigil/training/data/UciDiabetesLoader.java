package health.vigil.training.data;

import static health.vigil.features.ReadmissionFeatures.*;

import health.vigil.error.ValidationException;
import health.vigil.features.Icd9Groups;
import health.vigil.features.RawRecordValidator;
import health.vigil.hash.Sha256;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Loads the UCI "Diabetes 130-US hospitals for years 1999-2008" data (Strack et al., 2014, BioMed Research
 * International 781670; CC BY 4.0) into readmission-model records, handling the file's pitfalls: {@code ?}
 * marks a missing value; the literal {@code None} in the glucose and HbA1c results means "not tested" and
 * is kept as a category; age comes in ten-year bands; ICD-9 codes lost their leading zeros ({@code 8} is
 * {@code 008}); gender {@code Unknown/Invalid} is missing; encounters ending in death or hospice cannot be
 * readmitted and are excluded; the code tables come from the stacked {@code IDs_mapping.csv}. The label is
 * {@code readmitted == "<30"}; {@code patient_nbr} is kept only to split by patient.
 */
public final class UciDiabetesLoader {
    public static final String MAPPING_FILE = "IDs_mapping.csv";
    /** The study period the source states; rows carry no dates. */
    public static final String DATE_RANGE = "1999-01-01/2008-12-31";

    static final List<String> COLUMNS = List.of("patient_nbr", "race", "gender", "age", "admission_type_id",
            "discharge_disposition_id", "admission_source_id", "time_in_hospital", "num_lab_procedures",
            "num_procedures", "num_medications", "number_outpatient", "number_emergency", "number_inpatient",
            "diag_1", "diag_2", "diag_3", "number_diagnoses", "max_glu_serum", "A1Cresult", "insulin", "change",
            "diabetesMed", "readmitted");
    private static final String MISSING = "?";
    private static final Pattern LOST_ZEROS = Pattern.compile("\\d{1,2}(\\.\\d{1,2})?");

    private UciDiabetesLoader() {}

    /** Loads {@code diabetic_data.csv} with the {@code IDs_mapping.csv} next to it. */
    public static Dataset load(Path dataFile) {
        return load(dataFile, dataFile.resolveSibling(MAPPING_FILE));
    }

    public static Dataset load(Path dataFile, Path mappingFile) {
        byte[] data = DataFiles.read(dataFile, "the readmission data file");
        byte[] mapping = DataFiles.read(mappingFile, "the UCI code table file " + MAPPING_FILE
                + " (it must sit next to the data file)");
        return load(dataFile.getFileName().toString(), data, new String(mapping, StandardCharsets.UTF_8));
    }

    public static Dataset load(String name, byte[] data, String mappingText) {
        UciIdsMapping mapping = UciIdsMapping.parse(mappingText);
        CsvTable table = CsvTable.read(name, new InputStreamReader(new java.io.ByteArrayInputStream(data),
                StandardCharsets.UTF_8));
        table.require(COLUMNS);
        RawRecordValidator validator = new RawRecordValidator(pipeline().rawSchema());
        List<Map<String, Object>> records = new ArrayList<>(table.size());
        List<String> keys = new ArrayList<>(table.size());
        boolean[] labels = new boolean[table.size()];
        int excluded = 0;
        int unknownGender = 0;
        for (int row = 0; row < table.size(); row++) {
            Optional<String> discharge = code(table, row, mapping, UciIdsMapping.DISCHARGE_DISPOSITION);
            if (discharge.isPresent() && discharge.get().equals(UciIdsMapping.EXCLUDED)) {
                excluded++;
                continue;
            }
            Map<String, Object> r = new HashMap<>();
            category(table, row, "race", RACE, r);
            String gender = table.get(row, "gender");
            if (gender.equals("Unknown/Invalid")) {
                unknownGender++;
            } else {
                category(table, row, "gender", GENDER, r);
            }
            r.put(AGE_BAND, table.get(row, "age"));
            code(table, row, mapping, UciIdsMapping.ADMISSION_TYPE).ifPresent(v -> r.put(ADMISSION_TYPE, v));
            discharge.ifPresent(v -> r.put(DISCHARGE_DISPOSITION, v));
            code(table, row, mapping, UciIdsMapping.ADMISSION_SOURCE).ifPresent(v -> r.put(ADMISSION_SOURCE, v));
            for (String count : List.of(TIME_IN_HOSPITAL, NUM_LAB_PROCEDURES, NUM_PROCEDURES, NUM_MEDICATIONS,
                    NUMBER_OUTPATIENT, NUMBER_EMERGENCY, NUMBER_INPATIENT, NUMBER_DIAGNOSES)) {
                r.put(count, table.integer(row, count));
            }
            for (String diag : List.of(DIAG_1, DIAG_2, DIAG_3)) {
                String code = table.get(row, diag);
                if (!code.equals(MISSING)) {
                    r.put(diag, icd9(table, row, diag, code));
                }
            }
            r.put(MAX_GLU_SERUM, table.get(row, "max_glu_serum"));
            r.put(A1C_RESULT, table.get(row, "A1Cresult"));
            r.put(INSULIN, table.get(row, "insulin"));
            r.put(MEDICATION_CHANGE, yesNo(table, row, "change", "Ch", "No"));
            r.put(DIABETES_MEDICATION, yesNo(table, row, "diabetesMed", "Yes", "No"));
            labels[records.size()] = switch (table.get(row, "readmitted")) {
                case "<30" -> true;
                case ">30", "NO" -> false;
                default -> throw table.invalid(row, "readmitted", "expected <30, >30 or NO");
            };
            validator.validate(r, name + " row " + table.rowNumber(row));
            records.add(r);
            keys.add("uci-" + table.get(row, "patient_nbr"));
        }
        boolean[] kept = java.util.Arrays.copyOf(labels, records.size());
        List<String> notes = List.of(
                table.size() + " encounters read",
                excluded + " excluded: discharged to hospice or expired (cannot be readmitted)",
                unknownGender + " with gender Unknown/Invalid kept with gender missing");
        return new Dataset("UCI Diabetes 130-US hospitals (" + name + ")", records, kept, keys, Sha256.hex(data),
                DATE_RANGE, notes);
    }

    private static Optional<String> code(CsvTable table, int row, UciIdsMapping mapping, String column) {
        long id = table.integer(row, column);
        try {
            return mapping.group(column, Math.toIntExact(id));
        } catch (ValidationException | ArithmeticException e) {
            throw table.invalid(row, column, "the code is not in " + MAPPING_FILE);
        }
    }

    private static void category(CsvTable table, int row, String column, String feature, Map<String, Object> r) {
        String value = table.get(row, column);
        if (!value.equals(MISSING)) {
            r.put(feature, value);
        }
    }

    private static boolean yesNo(CsvTable table, int row, String column, String yes, String no) {
        String value = table.get(row, column);
        if (value.equals(yes)) {
            return true;
        }
        if (value.equals(no)) {
            return false;
        }
        throw table.invalid(row, column, "expected " + yes + " or " + no);
    }

    /** Restores the leading zeros the source dropped from numeric codes (8 → 008, 38.1 → 038.1). */
    static String icd9(CsvTable table, int row, String column, String code) {
        String fixed = code;
        if (LOST_ZEROS.matcher(code).matches()) {
            int dot = code.indexOf('.');
            String whole = dot < 0 ? code : code.substring(0, dot);
            fixed = "0".repeat(3 - whole.length()) + code;
        }
        if (!fixed.matches(Icd9Groups.PATTERN)) {
            throw table.invalid(row, column, "not an ICD-9-CM diagnosis code");
        }
        return fixed;
    }
}
