package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.SegmentColumns;
import health.vigil.model.Slot;
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
    private static final List<String> COLUMNS = List.of("age", "sex", "weight");

    @Test
    void eachSegmentOfTheGatesColumnsHasItsOwnStatisticsAndOnlyAboveTheMinimumOfBothClasses() {
        SplittableRandom random = new SplittableRandom(11);
        MonitoringSegments segments = new MonitoringSegments(new SegmentColumns("age", List.of("age", "sex", "race")),
                COLUMNS, SCHEMA, 0.5);
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
        List<SegmentPerformance> out = segments.performance(50);

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
    void aCategoryThePipelineOneHotEncodesIsReadBackFromItsIndicators() {
        List<String> columns = List.of("age", "race=Caucasian", "race=AfricanAmerican", "weight");
        MonitoringSegments segments = new MonitoringSegments(new SegmentColumns(null, List.of("race")), columns, SCHEMA,
                0.5);
        SplittableRandom random = new SplittableRandom(5);
        List<double[]> black = new ArrayList<>();
        List<Boolean> blackLabels = new ArrayList<>();
        for (int i = 0; i < 2_000; i++) {
            int race = random.nextInt(3);
            double score = random.nextDouble();
            boolean y = random.nextDouble() < score;
            // The third group is a category the pipeline did not know: no indicator is set.
            segments.add(record(i, new float[] {50, race == 0 ? 1 : 0, race == 1 ? 1 : 0, 70}, score), y);
            if (race == 1) {
                black.add(new double[] {score});
                blackLabels.add(y);
            }
        }
        segments.add(record(2_000, new float[] {50, Float.NaN, Float.NaN, 70}, 0.5), true);

        List<SegmentPerformance> out = segments.performance(50);

        assertThat(segments.unlogged()).isEmpty();
        assertThat(out).extracting(SegmentPerformance::value)
                .containsExactlyInAnyOrder("Caucasian", "AfricanAmerican", "(other)", "(missing)");
        double[] s = black.stream().mapToDouble(v -> v[0]).toArray();
        boolean[] y = new boolean[s.length];
        for (int i = 0; i < y.length; i++) {
            y[i] = blackLabels.get(i);
        }
        SegmentPerformance segment = find(out, "race", "AfricanAmerican");
        assertThat(segment.labelled()).isEqualTo(s.length);
        assertThat(segment.performance().brier()).isCloseTo(LabelledPerformance.of(s, y, s.length).brier(),
                within(1e-12));
        assertThat(MonitoringSegments.oneHotValue(new float[] {1, 1}, new int[] {0, 1}, new String[] {"A", "B"}))
                .as("two indicators set is not a category").isEqualTo("(other)");
    }

    @Test
    void aSegmentOfOneOutcomeClassIsInsufficientAndAColumnOfManyValuesIsPooledPastTheCap() {
        MonitoringSegments segments = new MonitoringSegments(new SegmentColumns(null, List.of("weight")), COLUMNS,
                SCHEMA, 0.5);
        for (int i = 0; i < 1_000; i++) {
            segments.add(record(i, new float[] {50, 0, i % 100}, 0.3), i % 100 == 0);
        }
        segments.add(record(1_000, new float[] {50, 0, Float.NaN}, 0.3), false);
        List<SegmentPerformance> out = segments.performance(5);
        assertThat(out).hasSize(MonitoringSegments.MAX_VALUES + 2);
        assertThat(find(out, "weight", "0").status()).isEqualTo(SegmentPerformance.Status.INSUFFICIENT_DATA);
        assertThat(find(out, "weight", "1").status()).isEqualTo(SegmentPerformance.Status.INSUFFICIENT_DATA);
        assertThat(find(out, "weight", MonitoringSegments.OTHER).labelled()).isEqualTo(1_000 - 10 * 32);
        assertThat(find(out, "weight", MonitoringSegments.MISSING).labelled()).isEqualTo(1);
    }

    private static SegmentPerformance find(List<SegmentPerformance> all, String column, String value) {
        return all.stream().filter(p -> p.column().equals(column) && p.value().equals(value)).findFirst().orElseThrow();
    }

    private static PredictionRecord record(int i, float[] features, double score) {
        return new PredictionRecord("p" + i, new ModelName("readmission"), 1, Slot.STABLE, null,
                Instant.parse("2026-12-01T10:00:00Z"), features, score, score >= 0.5, null);
    }
}
