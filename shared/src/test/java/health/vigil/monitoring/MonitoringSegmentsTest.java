package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.features.Columns;
import health.vigil.features.DefinedPipeline;
import health.vigil.features.IdentityPipeline;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.SegmentColumns;
import health.vigil.model.Slot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Realised performance per segment, checked against the statistics of each segment's raw scores taken apart. */
class MonitoringSegmentsTest {
    private static final FeatureSchema SCHEMA = FeatureSchema.of(List.of(
            new Feature("age", FeatureType.NUMERIC, "years", 0.0, 120.0, null, true, null, null),
            new Feature("sex", FeatureType.CATEGORICAL, null, null, null, List.of("F", "M"), true, null, null),
            new Feature("weight", FeatureType.NUMERIC, "kg", 0.0, 400.0, null, false, null, null)));
    private static final IdentityPipeline PIPELINE = new IdentityPipeline(SCHEMA);

    @Test
    void eachSegmentOfTheGatesColumnsHasItsOwnStatisticsAndOnlyAboveTheMinimumOfBothClasses() {
        SplittableRandom random = new SplittableRandom(11);
        MonitoringSegments segments = new MonitoringSegments(new SegmentColumns("age", List.of("age", "sex", "race")),
                PIPELINE, 0.5);
        List<double[]> women = new ArrayList<>();
        List<Boolean> womenLabels = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            // Few patients in their nineties: that band stays below the minimum.
            float age = i % 100 == 0 ? 93 : 40 + random.nextInt(40);
            float sex = random.nextInt(2);
            double score = random.nextDouble();
            boolean y = random.nextDouble() < (sex == 0 ? score : 0.5);
            segments.add(record(i, new float[] {age, sex, 70}, score), y);
            if (sex == 0) {
                women.add(new double[] {score});
                womenLabels.add(y);
            }
        }
        List<SegmentPerformance> out = segments.performance(minimums(50, 1));

        assertThat(segments.unlogged()).containsExactly("race");
        SegmentPerformance nineties = find(out, "age", "90-99");
        assertThat(nineties.labelled()).isEqualTo(30);
        assertThat(nineties.status()).isEqualTo(SegmentPerformance.Status.INSUFFICIENT_DATA);
        assertThat(nineties.performance()).isNull();
        assertThat(out).extracting(SegmentPerformance::value).contains("40-49", "50-59", "60-69", "70-79")
                .doesNotContain("(other)");

        double[] s = women.stream().mapToDouble(v -> v[0]).toArray();
        boolean[] y = new boolean[s.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = womenLabels.get(i);
        }
        LabelledPerformance exact = LabelledPerformance.of(s, y, s.length);
        SegmentPerformance f = find(out, "sex", "F");
        assertThat(f.status()).isEqualTo(SegmentPerformance.Status.MEASURED);
        assertThat(f.labelled()).isEqualTo(s.length);
        assertThat(f.positives()).isEqualTo(exact.positives());
        assertThat(f.performance().brier()).isCloseTo(exact.brier(), within(1e-12));
        assertThat(f.performance().calibrationError()).isCloseTo(exact.calibrationError(), within(1e-12));
        assertThat(f.performance().auroc()).isCloseTo(exact.auroc(), within(0.001));
        assertThat(f.performance().aurocLower()).isLessThan(f.performance().auroc());
        assertThat(f.performance().brierUpper()).isGreaterThan(f.performance().brier());
        // Men's outcomes ignore the score: their AUROC is near one half, women's far above.
        assertThat(find(out, "sex", "M").performance().auroc()).isCloseTo(0.5, within(0.06));
        assertThat(f.performance().auroc()).isGreaterThan(0.75);
    }

    @Test
    void eachRequestFieldIsReadBackFromTheModelInputsAndTheDerivedGroupsFromThem() {
        // A pipeline like readmission's: race one-hot with its missingness indicator, gender with an indicator for
        // Female only, the age band as its midpoint, weight filled without saying it was missing.
        FeatureSchema schema = new FeatureSchema(List.of(
                Feature.categorical("race", List.of("Caucasian", "AfricanAmerican", "Other")).optional(),
                Feature.categorical("gender", List.of("Female", "Male")).optional(),
                Feature.categorical("age_band", List.of("[40-50)", "[60-70)", "[70-80)")),
                Feature.numeric("weight", "kg", 0, 400).optional()));
        DefinedPipeline pipeline = new DefinedPipeline("segments-test", schema, List.of(
                Columns.oneHot("race", "Caucasian"), Columns.oneHot("race", "AfricanAmerican"),
                Columns.oneHot("race", "Other"), Columns.missing("race"), Columns.oneHot("gender", "Female"),
                Columns.missing("gender"), Columns.scored("age_years", "age_band",
                        java.util.Map.of("[40-50)", 45.0, "[60-70)", 65.0, "[70-80)", 75.0), 65.0),
                Columns.value("weight", 70.0)));
        MonitoringSegments segments = new MonitoringSegments(new SegmentColumns("age_group", List.of("age_group",
                "sex_group", "race", "gender", "weight", "payer")), pipeline, 0.5);
        SplittableRandom random = new SplittableRandom(5);
        java.util.Map<String, Long> expected = new java.util.TreeMap<>();
        String[] races = {"Caucasian", "AfricanAmerican", "Other", null};
        String[] genders = {"Female", "Male", null};
        String[] bands = {"[40-50)", "[60-70)", "[70-80)"};
        String[] groups = {"<50", "50-69", "70-79"};
        for (int i = 0; i < 2_000; i++) {
            java.util.Map<String, Object> request = new java.util.HashMap<>();
            String race = races[random.nextInt(4)];
            String gender = genders[random.nextInt(3)];
            int band = random.nextInt(3);
            request.put("race", race);
            request.put("gender", gender);
            request.put("age_band", bands[band]);
            segments.add(record(i, pipeline.transform(request), random.nextDouble()), random.nextBoolean());
            expected.merge("race=" + (race == null ? "(missing)" : race), 1L, Long::sum);
            expected.merge("gender=" + (gender == null ? "(missing)" : gender), 1L, Long::sum);
            expected.merge("sex_group=" + (gender == null ? "unknown" : gender), 1L, Long::sum);
            expected.merge("age_group=" + groups[band], 1L, Long::sum);
        }

        java.util.Map<String, Long> counted = new java.util.TreeMap<>();
        segments.performance(minimums(50, 1)).forEach(p -> counted.put(p.column() + "=" + p.value(), p.labelled()));

        assertThat(counted).isEqualTo(expected);
        // A weight filled with 70 when missing could be 70 kg; a payer the requests never carry.
        assertThat(segments.unlogged()).containsExactly("weight", "payer");
    }

    @Test
    void aSegmentOfOneOutcomeClassIsInsufficientAndAColumnOfManyValuesIsPooledPastTheCap() {
        MonitoringSegments segments = new MonitoringSegments(new SegmentColumns(null, List.of("weight")), PIPELINE,
                0.5);
        for (int i = 0; i < 1_000; i++) {
            segments.add(record(i, new float[] {50, 0, i % 100}, 0.3), i % 100 == 0);
        }
        segments.add(record(1_000, new float[] {50, 0, Float.NaN}, 0.3), false);
        List<SegmentPerformance> out = segments.performance(minimums(5, 1));
        assertThat(out).hasSize(MonitoringSegments.MAX_VALUES + 2);
        assertThat(find(out, "weight", "0").status()).isEqualTo(SegmentPerformance.Status.INSUFFICIENT_DATA);
        assertThat(find(out, "weight", "1").status()).isEqualTo(SegmentPerformance.Status.INSUFFICIENT_DATA);
        assertThat(find(out, "weight", MonitoringSegments.OTHER).labelled()).isEqualTo(1_000 - 10 * 32);
        assertThat(find(out, "weight", MonitoringSegments.MISSING).labelled()).isEqualTo(1);
    }

    @Test
    void aSegmentShortOfThePolicysMinimumOfEitherClassIsInsufficient() {
        MonitoringSegments segments = new MonitoringSegments(new SegmentColumns(null, List.of("sex")), PIPELINE, 0.5);
        SplittableRandom random = new SplittableRandom(5);
        // A hundred outcomes of women, five of them positive; a hundred of men, ten of them negative.
        for (int i = 0; i < 200; i++) {
            boolean woman = i < 100;
            boolean positive = woman ? i % 20 == 0 : i % 10 != 0;
            segments.add(record(i, new float[] {50, woman ? 0 : 1, 70}, random.nextDouble()), positive);
        }

        List<SegmentPerformance> tenOfEach = segments.performance(minimums(50, 10));
        List<SegmentPerformance> fiveOfEach = segments.performance(minimums(50, 5));

        SegmentPerformance women = find(tenOfEach, "sex", "F");
        assertThat(women.labelled()).isEqualTo(100);
        assertThat(women.positives()).isEqualTo(5);
        assertThat(women.status()).isEqualTo(SegmentPerformance.Status.INSUFFICIENT_DATA);
        assertThat(women.performance()).isNull();
        assertThat(find(tenOfEach, "sex", "M").status()).isEqualTo(SegmentPerformance.Status.MEASURED);
        assertThat(find(tenOfEach, "sex", "M").positives()).isEqualTo(90);
        assertThat(find(fiveOfEach, "sex", "F").status()).isEqualTo(SegmentPerformance.Status.MEASURED);
        assertThat(find(fiveOfEach, "sex", "F").performance().auroc()).isNotNull();
    }

    /** A policy judging by {@code labelled} outcomes, {@code perClass} of each class. */
    private static MonitoringPolicy minimums(long labelled, long perClass) {
        return new MonitoringPolicy(Duration.ofHours(1), DriftThresholds.DEFAULTS, 1, labelled, perClass, 0.6, 0.25,
                0.6);
    }

    private static SegmentPerformance find(List<SegmentPerformance> all, String column, String value) {
        return all.stream().filter(p -> p.column().equals(column) && p.value().equals(value)).findFirst().orElseThrow();
    }

    private static PredictionRecord record(int i, float[] features, double score) {
        return new PredictionRecord("p" + i, new ModelName("readmission"), 1, Slot.STABLE, null,
                Instant.parse("2026-12-01T10:00:00Z"), features, score, score >= 0.5, null);
    }
}
