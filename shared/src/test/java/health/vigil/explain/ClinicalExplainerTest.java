package health.vigil.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.explain.RandomTrees.Shape;
import health.vigil.json.Json;
import health.vigil.model.Explanation;
import health.vigil.model.Explanation.Direction;
import health.vigil.model.Explanation.Factor;
import health.vigil.model.TreeEnsemble;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ClinicalExplainerTest {

    private static final List<String> COLUMNS = List.of("prior_inpatient", "hba1c", "hba1c_missing", "age",
            "admission_type_emergency", "admission_type_elective");
    private static final Map<String, List<String>> GROUPS = Map.of(
            "hba1c", List.of("hba1c", "hba1c_missing"),
            "admission_type", List.of("admission_type_emergency", "admission_type_elective"));
    private static final Map<String, String> UNITS = Map.of("prior_inpatient", "stays", "hba1c", "%", "age", "years");

    /** A readmission-style logistic model: margin = -2 + w . x, background means as given. */
    private static final LinearShap MODEL = new LinearShap(
            new double[] {0.4, 0.3, 0.5, -0.02, 0.6, -0.2}, -2.0, new double[] {1, 7, 0.1, 60, 0.3, 0.5});
    private static final double[] ROW = {4, 9.1, 0, 75, 1, 0};
    private static final Map<String, Object> RAW = Map.of(
            "prior_inpatient", 4L, "hba1c", 9.1, "age", 75L, "admission_type", "emergency");

    private final ClinicalExplainer explainer =
            new ClinicalExplainer(MODEL, FeatureMapping.of(COLUMNS, GROUPS, UNITS), 4);

    @Test
    void readsLikeAClinicalSentenceWithValuesUnitsAndSignedProbabilityChanges() {
        Explanation explanation = explainer.explain(ROW, RAW);
        // Worked out independently: phi = 1.2 (stays), 0.63 - 0.05 (hba1c and its indicator), -0.3 (age),
        // 0.42 + 0.1 (admission type); margin 1.43, expected -0.57, risk 0.8069, baseline 0.3612; each
        // probability share is phi times (0.8069 - 0.3612) / 2.0.
        assertThat(explanation.summary()).isEqualTo("Risk 0.81 (baseline 0.36). Raised by prior inpatient 4 stays"
                + " (+0.27); hba1c 9.1 % (+0.13); admission type emergency (+0.12). Lowered by age 75 years (-0.07).");
        assertThat(explanation.score()).isCloseTo(0.8069013157667836, within(1e-15));
        assertThat(explanation.baseScore()).isCloseTo(0.361236824851158, within(1e-15));
        assertThat(explanation.margin()).isCloseTo(1.43, within(1e-12));
        assertThat(explanation.expectedMargin()).isCloseTo(-0.57, within(1e-12));
    }

    /** An explainer over {@code pipeline} that gives weight 1 to each of {@code columns} and 0 to the rest. */
    /** A raw record of the pipeline with {@code given} values and every other field missing. */
    private static Map<String, Object> record(health.vigil.features.DefinedPipeline pipeline,
            Map<String, Object> given) {
        Map<String, Object> record = new HashMap<>();
        pipeline.rawSchema().names().forEach(name -> record.put(name, null));
        record.putAll(given);
        return record;
    }

    private static ClinicalExplainer weighing(health.vigil.features.DefinedPipeline pipeline, String... columns) {
        double[] weights = new double[pipeline.width()];
        for (String column : columns) {
            weights[pipeline.columns().indexOf(column)] = 1;
        }
        return new ClinicalExplainer(new LinearShap(weights, -3, new double[pipeline.width()]),
                Explainers.mapping(pipeline), 4);
    }

    private static double[] inputs(health.vigil.features.DefinedPipeline pipeline, Map<String, Object> raw) {
        float[] row = pipeline.transform(raw);
        double[] inputs = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            inputs[i] = row[i];
        }
        return inputs;
    }

    @Test
    void aComputedColumnReadsInAClinicianWordsAndUnitWithoutChangingThePipelinesVersion() {
        var complications = health.vigil.features.ComplicationsFeatures.pipeline();
        Map<String, Object> surgery = record(complications, Map.of("procedure_type", "hernia", "asa_class", 2L,
                "emergency", false, "age", 67L, "duration_min", 5.0, "diabetes", true, "hypertension", true, "copd",
                false, "heart_failure", false, "chronic_kidney_disease", false));
        surgery.put("current_smoker", false);
        Explanation operation = weighing(complications, "duration_hours", "comorbidity_count")
                .explain(inputs(complications, surgery), surgery);

        assertThat(operation.summary()).contains("comorbidities 2 (+", "operation length 5 minutes (+")
                .doesNotContain("duration hours", "comorbidity count");
        assertThat(operation.contributions()).filteredOn(f -> f.feature().equals("duration_hours"))
                .extracting(Factor::value, Factor::unit).containsExactly(org.assertj.core.groups.Tuple.tuple(5.0, "minutes"));

        var readmission = health.vigil.features.ReadmissionFeatures.pipeline();
        Map<String, Object> stay = record(readmission, Map.of("age_band", "[60-70)", "time_in_hospital", 4L,
                "num_lab_procedures", 40L, "num_procedures", 1L, "num_medications", 12L, "number_outpatient", 1L,
                "number_emergency", 0L, "number_inpatient", 2L, "number_diagnoses", 7L, "max_glu_serum", "None"));
        stay.putAll(Map.of("A1Cresult", "None", "insulin", "No", "medication_change", false,
                "diabetes_medication", true));
        Explanation encounter = weighing(readmission, "age_years", "prior_visits")
                .explain(inputs(readmission, stay), stay);

        assertThat(encounter.summary()).contains("age [60-70) years (+", "prior visits 3 (+")
                .doesNotContain("age years", "prior visits 3 visits");
        // The words are not part of any column's spec: the pipelines keep the versions their models were trained with.
        assertThat(List.of(complications.id(), readmission.id(),
                health.vigil.features.AdherenceFeatures.pipeline().id()))
                .containsExactly("complications@be1e1202", "readmission@a9d06702", "adherence@96d1aa49");
    }

    @Test
    void aScalesNameReadsBeforeItsValueAsAClinicianSaysIt() {
        var complications = health.vigil.features.ComplicationsFeatures.pipeline();
        Map<String, Object> surgery = record(complications, Map.of("procedure_type", "hernia", "asa_class", 3L,
                "emergency", false, "age", 67L, "duration_min", 90.0, "sex", "Female"));
        Explanation operation = weighing(complications, "asa_class").explain(inputs(complications, surgery), surgery);

        assertThat(operation.summary()).contains("ASA physical status classification, 1-5 ASA class 3 (+")
                .doesNotContain("3 ASA class");
    }

    @Test
    void aYesNoComputedColumnShowsTheMeasurementItIsReadFromNotAOneOrAZero() {
        var complications = health.vigil.features.ComplicationsFeatures.pipeline();
        Map<String, Object> surgery = record(complications, Map.of("procedure_type", "hernia", "asa_class", 2L,
                "emergency", false, "age", 67L, "duration_min", 90.0, "bmi", 34.0, "hemoglobin", 11.0, "albumin", 3.1,
                "sex", "Female"));
        Explanation operation = weighing(complications, "obese", "anemia", "hypoalbuminemia")
                .explain(inputs(complications, surgery), surgery);

        assertThat(operation.summary()).contains("obesity (BMI 30 or more), BMI 34", "low albumin (below 3.5 g/dL),"
                + " albumin 3.1", "anemia (hemoglobin below 12 g/dL in women, 13 in men), hemoglobin 11")
                .doesNotContain("obese 1", "anemia 1", "hypoalbuminemia 1");
        assertThat(operation.contributions()).filteredOn(f -> f.feature().equals("obese"))
                .extracting(Factor::value).containsExactly(34.0);
        assertThat(complications.id()).isEqualTo("complications@be1e1202");
    }

    @Test
    void restoringWhatTheLogKeptGivesTheSameFactorsInWordsWithoutValues() {
        Explanation original = explainer.explain(ROW, RAW);
        List<Factor> logged = original.contributions().stream().map(f -> Factor.of(f.feature(), null, f.unit(),
                f.marginContribution(), f.probabilityContribution())).toList();

        Explanation restored = ClinicalExplainer.restore(original.margin(), original.expectedMargin(), logged, 4);

        assertThat(restored.topFactors()).extracting(Factor::feature, Factor::probabilityContribution)
                .containsExactlyElementsOf(original.topFactors().stream()
                        .map(f -> org.assertj.core.groups.Tuple.tuple(f.feature(), f.probabilityContribution())).toList());
        assertThat(restored.baseScore()).isEqualTo(original.baseScore());
        // The same sentence as the one the caller got, with the features named and no patient value in it.
        assertThat(restored.summary()).isEqualTo("Risk 0.81 (baseline 0.36). Raised by prior inpatient (+0.27); hba1c"
                + " (+0.13); admission type (+0.12). Lowered by age (-0.07).");
    }

    @Test
    void factorsAreListedWithSemicolonsSoALabelsCommaReadsAsItsOwnAndASemicolonInOneIsQuoted() {
        Explanation original = explainer.explain(ROW, RAW);
        Map<String, String> labels = Map.of("prior_inpatient", "inpatient stays, in the year before",
                "hba1c", "HbA1c; None = not tested");

        Explanation restored = ClinicalExplainer.restore(original.margin(), original.expectedMargin(),
                original.contributions(), 4, f -> labels.getOrDefault(f, f));

        assertThat(restored.summary()).isEqualTo("Risk 0.81 (baseline 0.36). Raised by inpatient stays, in the year"
                + " before (+0.27); \u201cHbA1c; None = not tested\u201d (+0.13); admission_type (+0.12). Lowered by age"
                + " (-0.07).");
    }

    @Test
    void aLoggedExplanationWhoseContributionsDoNotAddUpIsRefused() {
        Explanation original = explainer.explain(ROW, RAW);
        List<Factor> tampered = original.contributions().stream().map(f -> Factor.of(f.feature(), null, f.unit(),
                f.marginContribution() * 1.5, f.probabilityContribution())).toList();
        assertThatThrownBy(() -> ClinicalExplainer.restore(original.margin(), original.expectedMargin(), tampered, 4))
                .isInstanceOf(health.vigil.error.ValidationException.class).hasMessageContaining("add up");
    }

    @Test
    void groupedColumnsBecomeOneFeatureWhoseContributionIsTheirSum() {
        Explanation explanation = explainer.explain(ROW, RAW);
        assertThat(explanation.contributions()).extracting(Factor::feature)
                .containsExactly("prior_inpatient", "hba1c", "age", "admission_type");
        Factor hba1c = explanation.contributions().get(1);
        assertThat(hba1c.marginContribution()).isCloseTo(0.63 - 0.05, within(1e-12));
        assertThat(hba1c.value()).isEqualTo(9.1);
        assertThat(hba1c.unit()).isEqualTo("%");
        Factor admission = explanation.contributions().get(3);
        assertThat(admission.marginContribution()).isCloseTo(0.42 + 0.1, within(1e-12));
        assertThat(admission.value()).isEqualTo("emergency");
        assertThat(admission.unit()).isNull();
    }

    @Test
    void topFactorsAreTheLargestContributionsFirstWithTheirDirection() {
        Explanation explanation = new ClinicalExplainer(MODEL, FeatureMapping.of(COLUMNS, GROUPS, UNITS), 2)
                .explain(ROW, RAW);
        assertThat(explanation.topFactors()).extracting(Factor::feature, Factor::direction)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("prior_inpatient", Direction.RAISES),
                        org.assertj.core.groups.Tuple.tuple("hba1c", Direction.RAISES));
        assertThat(explanation.summary()).doesNotContain("age").doesNotContain("lowered");
    }

    @Test
    void probabilityContributionsAddUpToTheRiskChangeAndKeepEverySign() {
        Random rng = new Random(31);
        TreeEnsemble ensemble = RandomTrees.ensemble(rng, Shape.mixed(8, 7), 30);
        List<String> columns = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            columns.add("x" + i);
        }
        ClinicalExplainer trees = new ClinicalExplainer(new TreeShap(ensemble),
                FeatureMapping.of(columns, Map.of("pair", List.of("x2", "x5")), Map.of()), 3);
        for (int r = 0; r < 50; r++) {
            Explanation e = trees.explain(RandomTrees.row(rng, 8, 0.2));
            double sum = e.contributions().stream().mapToDouble(Factor::probabilityContribution).sum();
            assertThat(sum).isCloseTo(e.score() - e.baseScore(), within(1e-12));
            for (Factor factor : e.contributions()) {
                assertThat(Math.signum(factor.probabilityContribution()))
                        .isEqualTo(Math.signum(factor.marginContribution()));
            }
        }
    }

    @Test
    void aRowAtTheBaselineUsesTheLogisticSlopeThereAndSaysNothingMovedIt() {
        // Every input at its background mean: every contribution is 0 and the risk is the baseline.
        Explanation atBaseline = explainer.explain(new double[] {1, 7, 0.1, 60, 0.3, 0.5});
        assertThat(atBaseline.topFactors()).isEmpty();
        assertThat(atBaseline.summary()).isEqualTo("Risk 0.36 (baseline 0.36); no feature moved it from the baseline.");

        // A tiny move: the shares are the margin contributions times the logistic derivative p (1 - p).
        double[] nudged = {1 + 1e-9, 7, 0.1, 60, 0.3, 0.5};
        Explanation e = explainer.explain(nudged);
        double p = e.baseScore();
        assertThat(e.contributions().get(0).probabilityContribution() / e.contributions().get(0).marginContribution())
                .isCloseTo(p * (1 - p), within(1e-9));
    }

    @Test
    void secantSlopeMatchesTheDirectDifferenceAndItsLimit() {
        double[][] pairs = {{-0.57, 1.43}, {3, -2}, {0, 1e-12}, {-30, 40}, {700, 710}};
        for (double[] pair : pairs) {
            double a = pair[0];
            double b = pair[1];
            double direct = (ClinicalExplainer.sigmoid(b) - ClinicalExplainer.sigmoid(a)) / (b - a);
            double slope = ClinicalExplainer.secantSlope(a, b);
            if (Math.abs(b - a) > 1e-6) {
                assertThat(slope).isCloseTo(direct, within(1e-14));
            } else {
                double p = ClinicalExplainer.sigmoid(a);
                assertThat(slope).isCloseTo(p * (1 - p), within(1e-12));
            }
        }
        assertThat(ClinicalExplainer.secantSlope(2, 2)).isCloseTo(
                ClinicalExplainer.sigmoid(2) * (1 - ClinicalExplainer.sigmoid(2)), within(1e-15));
    }

    @Test
    void withoutRawValuesASingleColumnShowsItsInputAndMissingInputsSaySo() {
        ClinicalExplainer trees = new ClinicalExplainer(
                new TreeShap(RandomTrees.ensemble(new Random(32), Shape.balanced(3, 4), 20)),
                FeatureMapping.of(List.of("heart_rate", "lactate", "on_insulin"), Map.of(),
                        Map.of("heart_rate", "bpm", "lactate", "mmol/L")), 3);
        Explanation e = trees.explain(new double[] {88, Double.NaN, 1}, Map.of("on_insulin", true));
        assertThat(e.contributions()).extracting(Factor::value).containsExactly(88.0, null, true);
        for (Factor factor : e.topFactors()) {
            assertThat(e.summary()).contains(switch (factor.feature()) {
                case "heart_rate" -> "heart rate 88 bpm";
                case "lactate" -> "lactate missing";
                default -> "on insulin yes";
            });
        }
    }

    @Test
    void valuesAreWrittenAsAChartWouldShowThem() {
        assertThat(ClinicalExplainer.format(9.100000000000001)).isEqualTo("9.1");
        assertThat(ClinicalExplainer.format(4.0)).isEqualTo("4");
        assertThat(ClinicalExplainer.format(1234567.0)).isEqualTo("1234567");
        assertThat(ClinicalExplainer.format(0.000123456)).isEqualTo("0.0001235");
        assertThat(ClinicalExplainer.format(12L)).isEqualTo("12");
        assertThat(ClinicalExplainer.format(false)).isEqualTo("no");
        assertThat(ClinicalExplainer.probability(0.001)).isEqualTo("<0.01");
        assertThat(ClinicalExplainer.probability(0.9991)).isEqualTo(">0.99");
        assertThat(ClinicalExplainer.signed(-0.0012)).isEqualTo("-<0.01");
        assertThat(ClinicalExplainer.signed(0.094)).isEqualTo("+0.09");
    }

    @Test
    void twoDecimalsAreTheDigitsFormatterWritesAtTiesNearTiesAndEverywhereElse() {
        java.util.List<Double> values = new java.util.ArrayList<>(java.util.List.of(0.0, 1.0, 0.005, 0.995, 1.005,
                0.125, 0.285, 0.145, 2.675, 1.115, 999_999.995, 999_999.99, 0.994999999999999, 1e-300, 123456.785));
        for (int k = 0; k <= 200_000; k++) {
            // Every third decimal up to 200, the ties among them (k ending in 5) included, and their neighbours.
            double v = k / 1000.0;
            values.add(v);
            values.add(Math.nextUp(v));
            values.add(Math.nextDown(v));
        }
        java.util.SplittableRandom random = new java.util.SplittableRandom(11);
        for (int i = 0; i < 200_000; i++) {
            values.add(random.nextDouble());
            values.add(random.nextDouble() * 1e6);
            values.add(Math.scalb(random.nextDouble(), -random.nextInt(40)));
        }
        for (double v : values) {
            if (v >= 0) {
                assertThat(ClinicalExplainer.twoDecimals(new StringBuilder(), v).toString()).as("%s", v)
                        .isEqualTo(String.format(java.util.Locale.US, "%.2f", v));
            }
        }
        for (double odd : new double[] {Double.NaN, Double.POSITIVE_INFINITY, 1e6, 1e300}) {
            assertThat(ClinicalExplainer.twoDecimals(new StringBuilder(), odd).toString())
                    .isEqualTo(String.format(java.util.Locale.US, "%.2f", odd));
        }
    }

    @Test
    void probabilitiesAndTheirChangesAreWrittenWithTwoDecimalsWhateverTheDefaultLocale() {
        java.util.Locale before = java.util.Locale.getDefault();
        try {
            // A locale whose own digits and decimal separator differ: the sentence must not follow it.
            java.util.Locale.setDefault(java.util.Locale.forLanguageTag("ar-EG-u-nu-arab"));
            java.util.SplittableRandom random = new java.util.SplittableRandom(7);
            for (int i = 0; i < 20_000; i++) {
                double p = 0.005 + random.nextDouble() * 0.99;
                double delta = random.nextDouble() * 2 - 1;
                assertThat(ClinicalExplainer.probability(p)).isEqualTo(new java.math.BigDecimal(Double.toString(p))
                        .setScale(2, java.math.RoundingMode.HALF_UP).toPlainString());
                if (Math.abs(delta) >= 0.005) {
                    assertThat(ClinicalExplainer.signed(delta)).isEqualTo((delta < 0 ? "-" : "+")
                            + new java.math.BigDecimal(Double.toString(Math.abs(delta)))
                                    .setScale(2, java.math.RoundingMode.HALF_UP).toPlainString());
                }
            }
            assertThat(ClinicalExplainer.probability(0.125)).isEqualTo("0.13");
            assertThat(ClinicalExplainer.signed(-0.5)).isEqualTo("-0.50");
        } finally {
            java.util.Locale.setDefault(before);
        }
    }

    @Test
    void printingAnExplanationRevealsNoPatientValue() {
        Explanation explanation = explainer.explain(ROW, RAW);
        assertThat(explanation.toString()).doesNotContain("9.1").doesNotContain("75").doesNotContain("emergency")
                .contains("prior_inpatient");
        assertThat(explanation.topFactors().get(0).toString()).isEqualTo("Factor[prior_inpatient raises]");
    }

    @Test
    void serialisesWithLowerCaseDirectionsAndReadsBack() throws Exception {
        Explanation explanation = explainer.explain(ROW, RAW);
        String json = Json.write(explanation);
        assertThat(json).contains("\"direction\":\"raises\"").contains("\"summary\":\"Risk 0.81");
        Explanation back = Json.mapper().readValue(json, Explanation.class);
        assertThat(back.summary()).isEqualTo(explanation.summary());
        assertThat(back.topFactors()).extracting(Factor::feature)
                .containsExactlyElementsOf(explanation.topFactors().stream().map(Factor::feature).toList());
    }

    @Test
    void anExplainerAndMappingOfDifferentWidthsAreRejected() {
        assertThatThrownBy(() -> new ClinicalExplainer(MODEL, FeatureMapping.of(List.of("a", "b")), 3))
                .isInstanceOfSatisfying(ValidationException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PACKAGE))
                .hasMessage("the model takes 6 inputs but the feature mapping names 2 columns");
        assertThatThrownBy(() -> new ClinicalExplainer(MODEL, FeatureMapping.of(COLUMNS), 0))
                .isInstanceOf(ValidationException.class);
    }

    @Test
    void aRawValueMapMayMarkAGroupedFeatureMissing() {
        Map<String, Object> raw = new HashMap<>(RAW);
        raw.put("hba1c", null);
        Explanation e = explainer.explain(new double[] {4, 0, 1, 75, 1, 0}, raw);
        Factor hba1c = e.contributions().get(1);
        assertThat(hba1c.value()).isNull();
        assertThat(e.summary()).contains("hba1c missing");
    }

    @Test
    void aCountOfOneReadsInTheSingularAndOtherUnitsAsTheyAre() {
        assertThat(ClinicalExplainer.describe(factor("number_inpatient", 1L, "admissions"), true))
                .isEqualTo("number inpatient 1 admission");
        assertThat(ClinicalExplainer.describe(factor("time_in_hospital", 1.0, "days"), true))
                .isEqualTo("time in hospital 1 day");
        assertThat(ClinicalExplainer.describe(factor("number_inpatient", 2L, "admissions"), true))
                .isEqualTo("number inpatient 2 admissions");
        for (String unit : new String[] {"%", "mg/dL", "kg", "mmHg", "class", "breaths/min"}) {
            assertThat(ClinicalExplainer.describe(factor("x", 1L, unit), true)).isEqualTo("x 1 " + unit);
        }
    }

    @Test
    void aUnitFollowsACategoryOnlyWhenTheCategoryIsAQuantity() {
        // HbA1c reported in bands with the unit %: ">7 %" reads as a measurement, "Norm %" and "None %" do not.
        assertThat(ClinicalExplainer.describe(factor("A1Cresult", ">7", "%"), true)).isEqualTo("A1Cresult >7 %");
        assertThat(ClinicalExplainer.describe(factor("max_glu_serum", ">300", "mg/dL"), true))
                .isEqualTo("max glu serum >300 mg/dL");
        assertThat(ClinicalExplainer.describe(factor("age_band", "[70-80)", "years"), true))
                .isEqualTo("age band [70-80) years");
        assertThat(ClinicalExplainer.describe(factor("A1Cresult", "Norm", "%"), true)).isEqualTo("A1Cresult Norm");
        assertThat(ClinicalExplainer.describe(factor("max_glu_serum", "None", "mg/dL"), true))
                .isEqualTo("max glu serum None");
    }

    @Test
    void aUnitThatOnlyRepeatsTheFeaturesNameIsNotSaidTwice() {
        // The complications model gives asa_class the unit "ASA class": "asa class 3 ASA class" says it twice.
        assertThat(ClinicalExplainer.describe(factor("asa_class", 3L, "ASA class"), true)).isEqualTo("asa class 3");
        assertThat(ClinicalExplainer.describe(factor("duration", 3L, "hours"), true)).isEqualTo("duration 3 hours");
    }

    private static Explanation.Factor factor(String feature, Object value, String unit) {
        return new Explanation.Factor(feature, value, unit, 0.1, 0.01, Explanation.Direction.RAISES);
    }
}
