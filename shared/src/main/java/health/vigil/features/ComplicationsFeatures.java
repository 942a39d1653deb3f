package health.vigil.features;

import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The feature definition of the post-operative complications model: one surgical case (procedure, ASA
 * physical status, urgency, patient, comorbidities, operative duration and pre-operative labs) becomes the
 * model's input vector, with derived kidney function (eGFR), anaemia, hypoalbuminaemia and obesity flags.
 */
public final class ComplicationsFeatures {
    public static final String NAME = "complications";

    public static final String PROCEDURE = "procedure_type";
    public static final String ASA_CLASS = "asa_class";
    public static final String EMERGENCY = "emergency";
    public static final String AGE = "age";
    public static final String SEX = "sex";
    public static final String BMI = "bmi";
    public static final String DIABETES = "diabetes";
    public static final String HYPERTENSION = "hypertension";
    public static final String COPD = "copd";
    public static final String HEART_FAILURE = "heart_failure";
    public static final String CHRONIC_KIDNEY_DISEASE = "chronic_kidney_disease";
    public static final String CURRENT_SMOKER = "current_smoker";
    public static final String DURATION = "duration_min";
    public static final String HEMOGLOBIN = "hemoglobin";
    public static final String ALBUMIN = "albumin";
    public static final String CREATININE = "creatinine";
    public static final String WBC = "wbc";

    public static final List<String> PROCEDURES = List.of("orthopedic", "spine", "colorectal", "upper_gi",
            "hepatobiliary", "vascular", "cardiac", "gynecologic", "urologic", "hernia");
    public static final List<String> SEXES = List.of("Female", "Male");
    public static final List<String> COMORBIDITIES = List.of(DIABETES, HYPERTENSION, COPD, HEART_FAILURE,
            CHRONIC_KIDNEY_DISEASE, CURRENT_SMOKER);

    private static final DefinedPipeline PIPELINE = new DefinedPipeline(NAME, rawSchema(), columns());

    private ComplicationsFeatures() {}

    public static DefinedPipeline pipeline() {
        return PIPELINE;
    }

    static FeatureSchema rawSchema() {
        List<Feature> f = new ArrayList<>();
        f.add(Feature.categorical(PROCEDURE, PROCEDURES).withDescription("surgical specialty of the principal procedure"));
        f.add(Feature.integer(ASA_CLASS, "ASA class", 1, 5).withDescription("ASA physical status classification, 1-5"));
        f.add(Feature.bool(EMERGENCY).withDescription("emergency (unplanned) surgery"));
        f.add(Feature.integer(AGE, "years", 18, 110).withDescription("age on the day of surgery"));
        f.add(Feature.categorical(SEX, SEXES).optional().withDescription("sex as recorded; missing when unknown"));
        f.add(Feature.numeric(BMI, "kg/m2", 10, 90).optional().withDescription("body-mass index"));
        for (String comorbidity : COMORBIDITIES) {
            f.add(Feature.bool(comorbidity).withDescription("documented " + comorbidity.replace('_', ' ')));
        }
        f.add(Feature.numeric(DURATION, "minutes", 5, 1440).withDescription("operative duration, incision to closure"));
        f.add(Feature.numeric(HEMOGLOBIN, "g/dL", 3, 25).optional().withDescription("pre-operative haemoglobin"));
        f.add(Feature.numeric(ALBUMIN, "g/dL", 1, 6).optional().withDescription("pre-operative serum albumin"));
        f.add(Feature.numeric(CREATININE, "mg/dL", 0.1, 20).optional().withDescription("pre-operative serum creatinine"));
        f.add(Feature.numeric(WBC, "10^9/L", 0.1, 100).optional().withDescription("pre-operative white cell count"));
        return new FeatureSchema(f);
    }

    static List<Column> columns() {
        List<Column> c = new ArrayList<>();
        c.addAll(Columns.oneHot(PROCEDURE, PROCEDURES));
        c.add(Columns.value(ASA_CLASS, 2.0));
        c.add(Columns.flag(EMERGENCY, 0.0));
        c.add(Columns.value(AGE, 60.0));
        c.add(Columns.oneHot(SEX, "Female"));
        c.add(Columns.missing(SEX));
        c.add(Columns.value(BMI, 27.0));
        c.add(Columns.missing(BMI));
        // The yes/no columns show the measurement they are read from: "obese 1" says less than the BMI itself.
        c.add(Columns.derived("obese", Column.Kind.BINARY, "bmi >= 30, 0 when bmi missing; r1",
                Column.Wording.showing("obesity (BMI 30 or more), BMI", BMI), r -> r.get(BMI) != null && Columns.number(r.get(BMI)) >= 30 ? 1 : 0));
        for (String comorbidity : COMORBIDITIES) {
            c.add(Columns.flag(comorbidity, 0.0));
        }
        c.add(Columns.derived("comorbidity_count", Column.Kind.CONTINUOUS, "count of true " + COMORBIDITIES + "; r1",
                Column.Wording.of("comorbidities", null), r -> COMORBIDITIES.stream().filter(name -> Boolean.TRUE.equals(r.get(name))).count()));
        c.add(Columns.derived("duration_hours", Column.Kind.CONTINUOUS, DURATION + " / 60; r1",
                Column.Wording.showing("operation length", DURATION), r -> Columns.number(r.get(DURATION)) / 60.0));
        c.add(Columns.value(HEMOGLOBIN, 13.0));
        c.add(Columns.missing(HEMOGLOBIN));
        c.add(Columns.derived("anemia", Column.Kind.BINARY,
                "hemoglobin < 12 g/dL if Female else < 13 g/dL (WHO), 0 when hemoglobin missing; r1",
                Column.Wording.showing("anemia (hemoglobin below 12 g/dL in women, 13 in men), hemoglobin", HEMOGLOBIN),
                r -> anemic(r) ? 1 : 0));
        c.add(Columns.value(ALBUMIN, 4.0));
        c.add(Columns.missing(ALBUMIN));
        c.add(Columns.derived("hypoalbuminemia", Column.Kind.BINARY, "albumin < 3.5 g/dL, 0 when missing; r1",
                Column.Wording.showing("low albumin (below 3.5 g/dL), albumin", ALBUMIN), r -> r.get(ALBUMIN) != null && Columns.number(r.get(ALBUMIN)) < 3.5 ? 1 : 0));
        c.add(Columns.value(CREATININE, 0.9));
        c.add(Columns.missing(CREATININE));
        c.add(Columns.derived("egfr", Column.Kind.CONTINUOUS,
                "CKD-EPI 2021 creatinine equation (mL/min/1.73m2), mean of both sexes when sex missing,"
                        + " 90 when creatinine missing; r1",
                Column.Wording.of("eGFR", "mL/min/1.73m2").missingWithout(CREATININE), ComplicationsFeatures::egfr));
        c.add(Columns.value(WBC, 7.0));
        c.add(Columns.missing(WBC));
        return c;
    }

    private static boolean anemic(Map<String, Object> r) {
        Object hb = r.get(HEMOGLOBIN);
        if (hb == null) {
            return false;
        }
        double threshold = "Female".equals(r.get(SEX)) ? 12.0 : 13.0;
        return Columns.number(hb) < threshold;
    }

    static double egfr(Map<String, Object> r) {
        Object creatinine = r.get(CREATININE);
        if (creatinine == null) {
            return 90.0;
        }
        double scr = Columns.number(creatinine);
        double age = Columns.number(r.get(AGE));
        Object sex = r.get(SEX);
        if (sex == null) {
            return (ckdEpi2021(scr, age, true) + ckdEpi2021(scr, age, false)) / 2.0;
        }
        return ckdEpi2021(scr, age, "Female".equals(sex));
    }

    /** The race-free CKD-EPI 2021 creatinine equation (Inker et al., NEJM 2021), mL/min/1.73 m². */
    public static double ckdEpi2021(double creatinineMgDl, double ageYears, boolean female) {
        double kappa = female ? 0.7 : 0.9;
        double alpha = female ? -0.241 : -0.302;
        double ratio = creatinineMgDl / kappa;
        double egfr = 142.0 * Math.pow(Math.min(ratio, 1.0), alpha) * Math.pow(Math.max(ratio, 1.0), -1.200)
                * Math.pow(0.9938, ageYears);
        return female ? egfr * 1.012 : egfr;
    }
}
