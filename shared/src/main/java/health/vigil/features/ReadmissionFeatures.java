package health.vigil.features;

import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The feature definition of the 30-day readmission model: one inpatient encounter of a patient with
 * diabetes, in the schema of the UCI "Diabetes 130-US hospitals" data (Strack et al., 2014), becomes the
 * model's input vector. Code tables (admission type, discharge disposition, admission source) arrive as
 * named groups; diagnoses arrive as ICD-9-CM codes and are grouped here.
 */
public final class ReadmissionFeatures {
    public static final String NAME = "readmission";

    public static final String RACE = "race";
    public static final String GENDER = "gender";
    public static final String AGE_BAND = "age_band";
    public static final String ADMISSION_TYPE = "admission_type";
    public static final String DISCHARGE_DISPOSITION = "discharge_disposition";
    public static final String ADMISSION_SOURCE = "admission_source";
    public static final String TIME_IN_HOSPITAL = "time_in_hospital";
    public static final String NUM_LAB_PROCEDURES = "num_lab_procedures";
    public static final String NUM_PROCEDURES = "num_procedures";
    public static final String NUM_MEDICATIONS = "num_medications";
    public static final String NUMBER_OUTPATIENT = "number_outpatient";
    public static final String NUMBER_EMERGENCY = "number_emergency";
    public static final String NUMBER_INPATIENT = "number_inpatient";
    public static final String NUMBER_DIAGNOSES = "number_diagnoses";
    public static final String DIAG_1 = "diag_1";
    public static final String DIAG_2 = "diag_2";
    public static final String DIAG_3 = "diag_3";
    public static final String MAX_GLU_SERUM = "max_glu_serum";
    public static final String A1C_RESULT = "A1Cresult";
    public static final String INSULIN = "insulin";
    public static final String MEDICATION_CHANGE = "medication_change";
    public static final String DIABETES_MEDICATION = "diabetes_medication";

    public static final List<String> RACES = List.of("Caucasian", "AfricanAmerican", "Hispanic", "Asian", "Other");
    public static final List<String> GENDERS = List.of("Female", "Male");
    public static final List<String> AGE_BANDS = List.of("[0-10)", "[10-20)", "[20-30)", "[30-40)", "[40-50)",
            "[50-60)", "[60-70)", "[70-80)", "[80-90)", "[90-100)");
    public static final List<String> ADMISSION_TYPES = List.of("emergency", "urgent", "elective", "newborn", "trauma_center");
    public static final List<String> DISCHARGE_GROUPS = List.of("home", "home_care", "facility", "left_against_advice", "other");
    public static final List<String> ADMISSION_SOURCES = List.of("emergency_room", "referral", "transfer", "birth", "other");
    /** {@code None} means the test was not done (a real answer, not a missing value). */
    public static final List<String> GLUCOSE_RESULTS = List.of("None", "Norm", ">200", ">300");
    public static final List<String> A1C_RESULTS = List.of("None", "Norm", ">7", ">8");
    public static final List<String> DOSE_CHANGES = List.of("No", "Steady", "Up", "Down");

    private static final DefinedPipeline PIPELINE = new DefinedPipeline(NAME, rawSchema(), columns());

    private ReadmissionFeatures() {}

    public static DefinedPipeline pipeline() {
        return PIPELINE;
    }

    static FeatureSchema rawSchema() {
        List<Feature> f = new ArrayList<>();
        f.add(Feature.categorical(RACE, RACES).optional().withDescription("race as recorded; missing when not recorded"));
        f.add(Feature.categorical(GENDER, GENDERS).optional().withDescription("sex as recorded; missing when unknown"));
        f.add(Feature.categorical(AGE_BAND, AGE_BANDS).withUnit("years").withDescription("age in ten-year bands"));
        f.add(Feature.categorical(ADMISSION_TYPE, ADMISSION_TYPES).optional()
                .withDescription("admission type; missing when not available, NULL or not mapped"));
        f.add(Feature.categorical(DISCHARGE_DISPOSITION, DISCHARGE_GROUPS).optional()
                .withDescription("where the patient was discharged to, grouped; expired and hospice are out of scope"));
        f.add(Feature.categorical(ADMISSION_SOURCE, ADMISSION_SOURCES).optional()
                .withDescription("where the admission came from, grouped"));
        f.add(count(TIME_IN_HOSPITAL, "days", 1, 365, "length of stay"));
        f.add(count(NUM_LAB_PROCEDURES, "tests", 0, 500, "lab tests performed during the encounter"));
        f.add(count(NUM_PROCEDURES, "procedures", 0, 100, "procedures other than lab tests during the encounter"));
        f.add(count(NUM_MEDICATIONS, "medications", 0, 200, "distinct generic medications given during the encounter"));
        f.add(count(NUMBER_OUTPATIENT, "visits", 0, 200, "outpatient visits in the year before the encounter"));
        f.add(count(NUMBER_EMERGENCY, "visits", 0, 200, "emergency visits in the year before the encounter"));
        f.add(count(NUMBER_INPATIENT, "admissions", 0, 200, "inpatient admissions in the year before the encounter"));
        f.add(count(NUMBER_DIAGNOSES, "diagnoses", 1, 50, "diagnoses entered for the encounter"));
        f.add(diagnosis(DIAG_1, "primary diagnosis, ICD-9-CM"));
        f.add(diagnosis(DIAG_2, "secondary diagnosis, ICD-9-CM"));
        f.add(diagnosis(DIAG_3, "additional secondary diagnosis, ICD-9-CM"));
        f.add(Feature.categorical(MAX_GLU_SERUM, GLUCOSE_RESULTS).withUnit("mg/dL")
                .withDescription("glucose serum test result; None = not tested"));
        f.add(Feature.categorical(A1C_RESULT, A1C_RESULTS).withUnit("%")
                .withDescription("HbA1c test result; None = not tested"));
        f.add(Feature.categorical(INSULIN, DOSE_CHANGES).withDescription("insulin prescribed and its dose change"));
        f.add(Feature.bool(MEDICATION_CHANGE).withDescription("any diabetes medication changed (dose or drug)"));
        f.add(Feature.bool(DIABETES_MEDICATION).withDescription("any diabetes medication prescribed"));
        return new FeatureSchema(f);
    }

    private static Feature diagnosis(String name, String description) {
        return Feature.code(name, Icd9Groups.PATTERN).withPatternDescription(Icd9Groups.PATTERN_IN_WORDS).optional()
                .withDescription(description);
    }

    private static Feature count(String name, String unit, double min, double max, String description) {
        return Feature.integer(name, unit, min, max).withDescription(description);
    }

    static List<Column> columns() {
        List<Column> c = new ArrayList<>();
        Map<String, Double> midpoints = new LinkedHashMap<>();
        for (int i = 0; i < AGE_BANDS.size(); i++) {
            midpoints.put(AGE_BANDS.get(i), i * 10 + 5.0);
        }
        c.add(Columns.scored("age_years", AGE_BAND, midpoints, 65.0, Column.Wording.showing("age", AGE_BAND)));
        c.add(Columns.oneHot(GENDER, "Female"));
        c.add(Columns.missing(GENDER));
        c.addAll(Columns.oneHot(RACE, RACES));
        c.add(Columns.missing(RACE));
        c.addAll(Columns.oneHot(ADMISSION_TYPE, ADMISSION_TYPES));
        c.add(Columns.missing(ADMISSION_TYPE));
        c.addAll(Columns.oneHot(DISCHARGE_DISPOSITION, DISCHARGE_GROUPS));
        c.add(Columns.missing(DISCHARGE_DISPOSITION));
        c.addAll(Columns.oneHot(ADMISSION_SOURCE, ADMISSION_SOURCES));
        c.add(Columns.missing(ADMISSION_SOURCE));
        for (String count : List.of(TIME_IN_HOSPITAL, NUM_LAB_PROCEDURES, NUM_PROCEDURES, NUM_MEDICATIONS,
                NUMBER_OUTPATIENT, NUMBER_EMERGENCY, NUMBER_INPATIENT, NUMBER_DIAGNOSES)) {
            c.add(Columns.value(count, 0.0));
        }
        c.add(Columns.derived("prior_visits", Column.Kind.CONTINUOUS,
                "sum(" + NUMBER_OUTPATIENT + ", " + NUMBER_EMERGENCY + ", " + NUMBER_INPATIENT + "); r1",
                Column.Wording.of("prior visits", null), r -> Columns.number(r.get(NUMBER_OUTPATIENT)) + Columns.number(r.get(NUMBER_EMERGENCY))
                        + Columns.number(r.get(NUMBER_INPATIENT))));
        for (String diag : List.of(DIAG_1, DIAG_2, DIAG_3)) {
            for (String group : Icd9Groups.GROUPS) {
                c.add(Icd9Groups.indicator(diag, group));
            }
            c.add(Columns.missing(diag));
        }
        c.addAll(Columns.oneHot(MAX_GLU_SERUM, GLUCOSE_RESULTS));
        c.addAll(Columns.oneHot(A1C_RESULT, A1C_RESULTS));
        c.addAll(Columns.oneHot(INSULIN, DOSE_CHANGES));
        c.add(Columns.flag(MEDICATION_CHANGE, 0.0));
        c.add(Columns.flag(DIABETES_MEDICATION, 0.0));
        return c;
    }
}
