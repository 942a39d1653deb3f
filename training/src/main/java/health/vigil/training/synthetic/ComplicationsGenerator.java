package health.vigil.training.synthetic;

import static health.vigil.features.ComplicationsFeatures.*;

import health.vigil.features.ComplicationsFeatures;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.FlatCsvLoader;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Generates a surgical cohort, written as the CSV {@link #loader()} reads, with a known probability of a
 * 30-day post-operative complication. The generative process (also in docs/models.md):
 * <ol>
 *   <li>Procedure by specialty (orthopedic 25 %, gynecologic 13 %, colorectal, urologic and hernia 10 %
 *       each, spine 8 %, cardiac 7 %, hepatobiliary and vascular 6 %, upper GI 5 %); age ~ N(60, 15)
 *       within 18-95; sex (1 % missing); comorbidities with age-dependent prevalence; BMI ~ N(28.5, 6)
 *       (5 % missing); ASA class from the comorbidity count and age plus noise; emergency surgery 8-25 %
 *       by specialty; duration lognormal around a specialty median; haemoglobin, albumin, creatinine and
 *       white cells depending on sex, comorbidities and urgency (5-20 % missing).</li>
 *   <li>The label is Bernoulli(logistic(f)) with f = -3.4 + specialty risk (hernia -0.4 ... upper GI 1.0)
 *       + 0.45 (ASA - 2) + 0.7 [emergency] + 0.015 (age - 60) + 0.2 hours + 0.35 [duration > 3 h]
 *       + 0.6 [albumin < 3.5] + 0.4 [anaemia] + 0.3 [eGFR < 45] + 0.3 COPD + 0.4 heart failure
 *       + 0.25 diabetes + 0.25 smoker + 0.03 max(BMI - 35, 0) + 0.4 [emergency and albumin < 3.5]; a missing
 *       lab or BMI contributes nothing, so f is a function of the record as sent.</li>
 * </ol>
 * Patient ids are {@code synthetic-patient-N}; surgery dates fall in 2022-01-01 .. 2024-12-30.
 */
public final class ComplicationsGenerator {
    public static final String KEY = "patient_id";
    public static final String DATE = "surgery_date";
    public static final String LABEL = "complication_30d";
    private static final double[] PROCEDURE_WEIGHTS = {0.25, 0.08, 0.10, 0.05, 0.06, 0.06, 0.07, 0.13, 0.10, 0.10};
    private static final double[] PROCEDURE_RISK = {0.0, 0.2, 0.9, 1.0, 0.6, 0.8, 0.9, -0.2, 0.0, -0.4};
    private static final double[] MEDIAN_MINUTES = {110, 180, 200, 220, 120, 190, 280, 100, 90, 70};
    private static final double[] EMERGENCY_SHARE = {0.08, 0.05, 0.25, 0.20, 0.25, 0.20, 0.10, 0.08, 0.08, 0.15};
    private static final LocalDate FIRST_DATE = LocalDate.of(2022, 1, 1);

    private final long seed;

    public ComplicationsGenerator(long seed) {
        this.seed = seed;
    }

    /** Reads the cohort CSV: patient_id, surgery_date, the raw features, complication_30d. */
    public static FlatCsvLoader loader() {
        return new FlatCsvLoader(ComplicationsFeatures.pipeline().rawSchema(), KEY, DATE, LABEL);
    }

    public SyntheticData generate(int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("rows must be at least 1");
        }
        Draw draw = new Draw(seed);
        FlatCsvLoader loader = loader();
        List<String> header = loader.header();
        StringBuilder csv = new StringBuilder(String.join(",", header)).append('\n');
        double[] truth = new double[rows];
        for (int i = 0; i < rows; i++) {
            Map<String, Object> r = surgicalCase(draw);
            truth[i] = Draw.logistic(trueMargin(r));
            boolean complication = draw.chance(truth[i]);
            csv.append("synthetic-patient-").append(i + 1).append(',').append(FIRST_DATE.plusDays(draw.integer(0, 1094)));
            for (String name : header.subList(2, header.size() - 1)) {
                csv.append(',').append(FlatCsvLoader.field(r.get(name)));
            }
            csv.append(',').append(complication ? 1 : 0).append('\n');
        }
        Dataset dataset = loader.load("synthetic-surgery-seed-" + seed + ".csv", "synthetic surgical cohort",
                csv.toString().getBytes(StandardCharsets.UTF_8));
        return new SyntheticData(dataset, truth);
    }

    private static Map<String, Object> surgicalCase(Draw draw) {
        Map<String, Object> r = new HashMap<>();
        int procedure = draw.weighted(PROCEDURE_WEIGHTS);
        r.put(PROCEDURE, PROCEDURES.get(procedure));
        long age = Math.max(18, Math.min(95, Math.round(draw.gaussian(60, 15))));
        r.put(AGE, age);
        String sex = draw.chance(0.01) ? null : draw.chance(0.5) ? "Female" : "Male";
        if (sex != null) {
            r.put(SEX, sex);
        }
        double a = age - 60;
        boolean diabetes = draw.chance(Draw.logistic(-2.2 + 0.03 * a));
        boolean hypertension = draw.chance(Draw.logistic(-0.8 + 0.05 * a));
        boolean copd = draw.chance(0.08);
        boolean heartFailure = draw.chance(Draw.logistic(-3.5 + 0.05 * a));
        boolean ckd = draw.chance(Draw.logistic(-3.0 + 0.05 * a));
        boolean smoker = draw.chance(0.18);
        r.put(DIABETES, diabetes);
        r.put(HYPERTENSION, hypertension);
        r.put(COPD, copd);
        r.put(HEART_FAILURE, heartFailure);
        r.put(CHRONIC_KIDNEY_DISEASE, ckd);
        r.put(CURRENT_SMOKER, smoker);
        int comorbidities = (diabetes ? 1 : 0) + (hypertension ? 1 : 0) + (copd ? 1 : 0) + (heartFailure ? 1 : 0)
                + (ckd ? 1 : 0) + (smoker ? 1 : 0);
        if (!draw.chance(0.05)) {
            r.put(BMI, round1(Math.max(15, Math.min(70, draw.gaussian(28.5, 6)))));
        }
        r.put(ASA_CLASS, Math.max(1, Math.min(5, Math.round(1.3 + 0.5 * comorbidities + 0.01 * a + draw.gaussian(0, 0.5)))));
        boolean emergency = draw.chance(EMERGENCY_SHARE[procedure]);
        r.put(EMERGENCY, emergency);
        r.put(DURATION, (double) Math.max(5, Math.min(1440, Math.round(MEDIAN_MINUTES[procedure] * Math.exp(draw.gaussian(0, 0.35))))));
        boolean female = "Female".equals(sex);
        if (!draw.chance(0.05)) {
            r.put(HEMOGLOBIN, round1(Math.max(5, Math.min(20, draw.gaussian(13.8 - (female ? 1.2 : 0) - (ckd ? 0.8 : 0), 1.5)))));
        }
        if (!draw.chance(0.20)) {
            r.put(ALBUMIN, round1(Math.max(1.5, Math.min(5.5, draw.gaussian(4.0 - (emergency ? 0.4 : 0) - (heartFailure ? 0.2 : 0), 0.45)))));
        }
        if (!draw.chance(0.08)) {
            double median = (female ? 0.75 : 0.95) * (ckd ? 2.0 : 1.0);
            r.put(CREATININE, round2(Math.max(0.3, Math.min(15, median * Math.exp(draw.gaussian(0, 0.25))))));
        }
        if (!draw.chance(0.08)) {
            r.put(WBC, round1(Math.max(1, Math.min(40, 7.0 * (emergency ? 1.4 : 1.0) * Math.exp(draw.gaussian(0, 0.3))))));
        }
        return r;
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double round2(double v) {
        return Math.round(v * 100) / 100.0;
    }

    /** The documented f of the class comment. */
    static double trueMargin(Map<String, Object> r) {
        int procedure = PROCEDURES.indexOf((String) r.get(PROCEDURE));
        double hours = (Double) r.get(DURATION) / 60.0;
        boolean emergency = (Boolean) r.get(EMERGENCY);
        Double albumin = (Double) r.get(ALBUMIN);
        boolean lowAlbumin = albumin != null && albumin < 3.5;
        Double hb = (Double) r.get(HEMOGLOBIN);
        boolean anemia = hb != null && hb < ("Female".equals(r.get(SEX)) ? 12.0 : 13.0);
        boolean lowEgfr = r.get(CREATININE) != null && egfrOf(r) < 45;
        Double bmi = (Double) r.get(BMI);
        return -3.4 + PROCEDURE_RISK[procedure] + 0.45 * ((Long) r.get(ASA_CLASS) - 2) + (emergency ? 0.7 : 0)
                + 0.015 * ((Long) r.get(AGE) - 60) + 0.2 * hours + (hours > 3 ? 0.35 : 0)
                + (lowAlbumin ? 0.6 : 0) + (anemia ? 0.4 : 0) + (lowEgfr ? 0.3 : 0)
                + (flag(r, COPD) ? 0.3 : 0) + (flag(r, HEART_FAILURE) ? 0.4 : 0) + (flag(r, DIABETES) ? 0.25 : 0)
                + (flag(r, CURRENT_SMOKER) ? 0.25 : 0) + (bmi == null ? 0 : 0.03 * Math.max(bmi - 35, 0))
                + (emergency && lowAlbumin ? 0.4 : 0);
    }

    private static boolean flag(Map<String, Object> r, String name) {
        return Boolean.TRUE.equals(r.get(name));
    }

    private static double egfrOf(Map<String, Object> r) {
        double scr = (Double) r.get(CREATININE);
        double age = (Long) r.get(AGE);
        Object sex = r.get(SEX);
        if (sex == null) {
            return (ckdEpi2021(scr, age, true) + ckdEpi2021(scr, age, false)) / 2;
        }
        return ckdEpi2021(scr, age, "Female".equals(sex));
    }
}
