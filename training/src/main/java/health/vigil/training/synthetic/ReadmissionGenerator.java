package health.vigil.training.synthetic;

import static health.vigil.features.ReadmissionFeatures.*;

import health.vigil.features.Icd9Groups;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.DatasetDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Generates inpatient encounters of patients with diabetes in the readmission model's raw schema, with a
 * known 30-day readmission probability. The generative process (also in docs/models.md):
 * <ol>
 *   <li>Patients have 1 + Geometric(mean 0.5) encounters; race, sex and age band are per patient, drawn
 *       with about the frequencies of the UCI data (2.5 % race and 0.1 % sex missing).</li>
 *   <li>Per encounter: admission type, discharge group and admission source (5-10 % missing), length of
 *       stay 1 + Geometric(mean 3.4) capped at 14 days, lab tests ~ N(43, 20) clipped to 1-132, procedures
 *       ~ Poisson(1.3) capped at 6, medications ~ Poisson(16), prior outpatient / emergency / inpatient
 *       visits zero-inflated geometric, 3-9 diagnoses, three ICD-9 codes drawn by disease group, test results
 *       mostly "None" (not tested), insulin dose change, medication change and diabetes medication.</li>
 *   <li>The label is Bernoulli(logistic(f)) with f = -2.55 + 0.45 min(inpatient, 4) + 0.25 [inpatient >= 2]
 *       + 0.12 min(emergency, 3) + 0.05 min(outpatient, 4) + 0.04 (stay - 4) + 0.012 (age midpoint - 65)
 *       + 0.35 [discharge facility] + 0.15 [discharge home care] + 0.5 [left against advice]
 *       + 0.25 [primary diagnosis circulatory or respiratory] - 0.2 [primary diagnosis injury or
 *       musculoskeletal] + 0.3 [HbA1c > 7 and no medication change] + 0.15 [insulin up or down]
 *       + 0.01 (medications - 16) + 0.1 [diabetes medication]: nonlinear in prior admissions and with an
 *       interaction, so trees have something to find beyond a linear model.</li>
 * </ol>
 * Patient keys are {@code synthetic-patient-N}: nothing looks like a real identifier.
 */
public final class ReadmissionGenerator {
    private static final Map<String, List<String>> CODES = Map.of(
            "circulatory", List.of("428", "414.01", "410.71", "427.31", "434.91", "402.91", "785"),
            "respiratory", List.of("486", "491.21", "786.05", "493.92", "518.81"),
            "digestive", List.of("577.0", "578.9", "562.11", "787.01", "530.81"),
            "diabetes", List.of("250", "250.02", "250.13", "250.6", "250.83"),
            "injury", List.of("820.8", "996.81", "998.59", "824.2"),
            "musculoskeletal", List.of("715.96", "722.52", "730.07", "715.09"),
            "genitourinary", List.of("599", "584.9", "585", "788.2"),
            "neoplasms", List.of("162.9", "174.9", "153.9", "202.8"),
            Icd9Groups.OTHER, List.of("276.1", "038.9", "780.2", "V57.89", "E888", "682.6", "296.2", "285.9"));
    private static final double[] GROUP_WEIGHTS = {0.30, 0.11, 0.09, 0.12, 0.07, 0.05, 0.05, 0.03, 0.18};

    private final long seed;

    public ReadmissionGenerator(long seed) {
        this.seed = seed;
    }

    public SyntheticData generate(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("rows must be at least 1");
        }
        Draw draw = new Draw(seed);
        List<Map<String, Object>> records = new ArrayList<>(rows);
        List<String> keys = new ArrayList<>(rows);
        boolean[] labels = new boolean[rows];
        double[] truth = new double[rows];
        int patient = 0;
        while (records.size() < rows) {
            patient++;
            String key = "synthetic-patient-" + patient;
            Map<String, Object> person = new HashMap<>();
            int race = draw.weighted(0.75, 0.19, 0.02, 0.006, 0.009, 0.025);
            if (race < RACES.size()) {
                person.put(RACE, RACES.get(race));
            }
            if (!draw.chance(0.001)) {
                person.put(GENDER, draw.chance(0.54) ? "Female" : "Male");
            }
            int band = draw.weighted(0.0016, 0.0068, 0.016, 0.037, 0.095, 0.17, 0.22, 0.256, 0.169, 0.027);
            person.put(AGE_BAND, AGE_BANDS.get(band));
            int encounters = 1 + draw.geometric(0.5);
            for (int e = 0; e < encounters && records.size() < rows; e++) {
                Map<String, Object> r = new HashMap<>(person);
                encounter(draw, r);
                double p = Draw.logistic(trueMargin(r));
                truth[records.size()] = p;
                labels[records.size()] = draw.chance(p);
                records.add(r);
                keys.add(key);
            }
        }
        String sha = DatasetDigest.sha256(pipeline().rawSchema(), records, labels, keys);
        Dataset dataset = new Dataset("synthetic readmission encounters (seed " + seed + ")", records, labels, keys,
                sha, null, List.of(rows + " encounters of " + patient + " synthetic patients"));
        return new SyntheticData(dataset, truth);
    }

    private static void encounter(Draw draw, Map<String, Object> r) {
        int type = draw.weighted(0.53, 0.18, 0.19, 0.0002, 0.0002, 0.10);
        if (type < ADMISSION_TYPES.size()) {
            r.put(ADMISSION_TYPE, ADMISSION_TYPES.get(type));
        }
        int discharge = draw.weighted(0.60, 0.13, 0.20, 0.01, 0.01, 0.05);
        if (discharge < DISCHARGE_GROUPS.size()) {
            r.put(DISCHARGE_DISPOSITION, DISCHARGE_GROUPS.get(discharge));
        }
        int source = draw.weighted(0.57, 0.30, 0.06, 0.0001, 0.01, 0.06);
        if (source < ADMISSION_SOURCES.size()) {
            r.put(ADMISSION_SOURCE, ADMISSION_SOURCES.get(source));
        }
        r.put(TIME_IN_HOSPITAL, (long) Math.min(14, 1 + draw.geometric(3.4)));
        r.put(NUM_LAB_PROCEDURES, (long) Math.max(1, Math.min(132, Math.round(draw.gaussian(43, 20)))));
        r.put(NUM_PROCEDURES, (long) Math.min(6, draw.poisson(1.3)));
        r.put(NUM_MEDICATIONS, (long) Math.max(1, draw.poisson(16)));
        r.put(NUMBER_OUTPATIENT, (long) (draw.chance(0.17) ? 1 + draw.geometric(1.2) : 0));
        r.put(NUMBER_EMERGENCY, (long) (draw.chance(0.11) ? 1 + draw.geometric(0.8) : 0));
        r.put(NUMBER_INPATIENT, (long) (draw.chance(0.34) ? 1 + draw.geometric(1.0) : 0));
        r.put(NUMBER_DIAGNOSES, (long) (3 + draw.weighted(0.05, 0.06, 0.10, 0.10, 0.10, 0.11, 0.48)));
        r.put(DIAG_1, code(draw));
        if (!draw.chance(0.004)) {
            r.put(DIAG_2, code(draw));
        }
        if (!draw.chance(0.014)) {
            r.put(DIAG_3, code(draw));
        }
        r.put(MAX_GLU_SERUM, GLUCOSE_RESULTS.get(draw.weighted(0.948, 0.025, 0.015, 0.012)));
        r.put(A1C_RESULT, A1C_RESULTS.get(draw.weighted(0.833, 0.049, 0.037, 0.081)));
        String insulin = DOSE_CHANGES.get(draw.weighted(0.47, 0.30, 0.11, 0.12));
        r.put(INSULIN, insulin);
        boolean dose = insulin.equals("Up") || insulin.equals("Down");
        r.put(MEDICATION_CHANGE, dose || draw.chance(0.30));
        r.put(DIABETES_MEDICATION, !insulin.equals("No") || draw.chance(0.55));
    }

    private static String code(Draw draw) {
        String group = Icd9Groups.GROUPS.get(draw.weighted(GROUP_WEIGHTS));
        List<String> codes = CODES.get(group);
        return codes.get(draw.integer(0, codes.size() - 1));
    }

    /** The documented f of the class comment; the label is Bernoulli(logistic(f)). */
    static double trueMargin(Map<String, Object> r) {
        long inpatient = (Long) r.get(NUMBER_INPATIENT);
        long emergency = (Long) r.get(NUMBER_EMERGENCY);
        long outpatient = (Long) r.get(NUMBER_OUTPATIENT);
        long stay = (Long) r.get(TIME_IN_HOSPITAL);
        double age = AGE_BANDS.indexOf((String) r.get(AGE_BAND)) * 10 + 5;
        Object discharge = r.get(DISCHARGE_DISPOSITION);
        String primary = Icd9Groups.groupOf((String) r.get(DIAG_1));
        String a1c = (String) r.get(A1C_RESULT);
        String insulin = (String) r.get(INSULIN);
        boolean changed = (Boolean) r.get(MEDICATION_CHANGE);
        double f = -2.55
                + 0.45 * Math.min(inpatient, 4) + (inpatient >= 2 ? 0.25 : 0)
                + 0.12 * Math.min(emergency, 3) + 0.05 * Math.min(outpatient, 4)
                + 0.04 * (stay - 4) + 0.012 * (age - 65)
                + ("facility".equals(discharge) ? 0.35 : 0) + ("home_care".equals(discharge) ? 0.15 : 0)
                + ("left_against_advice".equals(discharge) ? 0.5 : 0)
                + (primary.equals("circulatory") || primary.equals("respiratory") ? 0.25 : 0)
                - (primary.equals("injury") || primary.equals("musculoskeletal") ? 0.2 : 0)
                + ((a1c.equals(">7") || a1c.equals(">8")) && !changed ? 0.3 : 0)
                + (insulin.equals("Up") || insulin.equals("Down") ? 0.15 : 0)
                + 0.01 * ((Long) r.get(NUM_MEDICATIONS) - 16)
                + ((Boolean) r.get(DIABETES_MEDICATION) ? 0.1 : 0);
        return f;
    }
}
