package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.features.IdentityPipeline;
import health.vigil.json.Json;
import health.vigil.model.FeatureSchema;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.SegmentColumns;
import health.vigil.model.Slot;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The partial summary one partition of a monitoring window contributes: written as JSON and read back it is the same
 * to the last bit, and partials merged in partition order break performance down by segment as one pass over the
 * partitions in that order does.
 */
class MonitoringPartialTest {
    private static final FeatureSchema SCHEMA = DriftFixtures.SCHEMA;
    private static final IdentityPipeline PIPELINE = new IdentityPipeline(SCHEMA);
    private static final SegmentColumns SEGMENTS = new SegmentColumns("age", List.of("age", "admission", "prior_visits"));
    private static final MonitoringPolicy THIRTY_OUTCOMES = new MonitoringPolicy(Duration.ofHours(1),
            DriftThresholds.DEFAULTS, 1, 30, 1, 0.6, 0.25, 0.6);
    private static final ModelName MODEL = new ModelName("readmission");

    @Test
    void aPartialWrittenAsJsonReadsBackEqualToTheLastBit() {
        DriftCheck check = DriftCheck.of(SCHEMA, DriftFixtures.reference(), DriftFixtures.THRESHOLD,
                DriftThresholds.DEFAULTS);
        float[][] rows = DriftFixtures.rows(new Random(5), 3_000, new DriftFixtures.Shift(4, 0.45, 0.1));
        double[] scores = DriftFixtures.scores(rows);
        DriftAccumulator drift = check.newAccumulator();
        LabelledSummary labelled = new LabelledSummary(DriftFixtures.THRESHOLD);
        MonitoringSegments segments = new MonitoringSegments(SEGMENTS, PIPELINE, DriftFixtures.THRESHOLD);
        Random outcomes = new Random(6);
        for (int r = 0; r < rows.length; r++) {
            drift.add(rows[r], scores[r]);
            if (r % 3 != 0) {
                boolean positive = outcomes.nextDouble() < scores[r];
                labelled.add(scores[r], positive);
                segments.add(record(r, rows[r], scores[r]), positive);
            }
        }
        MonitoringPartial partial = new MonitoringPartial("readmission/v1/stable/2026-12-01T100000Z--2026-12-01T140000Z",
                "2026120110-0", rows.length, drift.summary(), labelled.parts(), segments.segments(),
                List.of(new MonitoringService.Served(1, Slot.STABLE), new MonitoringService.Served(2, Slot.CANARY)));

        byte[] json = Json.writeBytes(partial);
        MonitoringPartial readBack = Json.read("partial", json, MonitoringPartial.class);

        assertThat(readBack).isEqualTo(partial);
        assertThat(Json.writeBytes(readBack)).isEqualTo(json);
        assertThat(readBack.segments()).hasSameSizeAs(partial.segments()).isNotEmpty();
        assertThat(readBack.served()).hasSize(2);
        // The summaries it rebuilds judge exactly as the ones it was taken from.
        assertThat(LabelledSummary.of(readBack.labelled()).performance()).isEqualTo(labelled.performance());
        assertThat(check.report(readBack.drift())).isEqualTo(check.report(drift.summary()));
        MonitoringSegments rebuilt = new MonitoringSegments(SEGMENTS, PIPELINE, DriftFixtures.THRESHOLD);
        rebuilt.merge(readBack.segments());
        assertThat(rebuilt.performance(THIRTY_OUTCOMES)).isEqualTo(segments.performance(THIRTY_OUTCOMES));
        assertThat(new String(json, java.nio.charset.StandardCharsets.UTF_8)).doesNotContain("patient");
    }

    @Test
    void segmentsMergedInPartitionOrderCountAndPoolValuesAsOnePassDoes() {
        // Fifty values of prior_visits: the first partition sees 0-19, the second 10-49, so the 32 named values and
        // the pooled rest depend on the order the merge sees them in.
        Random random = new Random(9);
        List<PredictionRecord> first = new ArrayList<>();
        List<PredictionRecord> second = new ArrayList<>();
        List<Boolean> labels = new ArrayList<>();
        for (int i = 0; i < 4_000; i++) {
            int visits = i < 2_000 ? i % 20 : 10 + i % 40;
            float[] row = {20 + random.nextInt(70), Float.NaN, random.nextInt(2), random.nextInt(3), 0, visits};
            double score = random.nextDouble();
            (i < 2_000 ? first : second).add(record(i, row, score));
            labels.add(random.nextDouble() < score);
        }
        MonitoringSegments onePass = new MonitoringSegments(SEGMENTS, PIPELINE, DriftFixtures.THRESHOLD);
        MonitoringSegments a = new MonitoringSegments(SEGMENTS, PIPELINE, DriftFixtures.THRESHOLD);
        MonitoringSegments b = new MonitoringSegments(SEGMENTS, PIPELINE, DriftFixtures.THRESHOLD);
        for (int i = 0; i < 4_000; i++) {
            PredictionRecord r = i < 2_000 ? first.get(i) : second.get(i - 2_000);
            onePass.add(r, labels.get(i));
            (i < 2_000 ? a : b).add(r, labels.get(i));
        }
        MonitoringSegments merged = new MonitoringSegments(SEGMENTS, PIPELINE, DriftFixtures.THRESHOLD);
        merged.merge(Json.read("a", Json.writeBytes(new Holder(a.segments())), Holder.class).segments());
        merged.merge(Json.read("b", Json.writeBytes(new Holder(b.segments())), Holder.class).segments());

        List<SegmentPerformance> expected = onePass.performance(THIRTY_OUTCOMES);
        List<SegmentPerformance> actual = merged.performance(THIRTY_OUTCOMES);
        assertThat(actual).extracting(SegmentPerformance::column, SegmentPerformance::value)
                .containsExactlyElementsOf(expected.stream().map(p -> org.assertj.core.groups.Tuple.tuple(p.column(),
                        p.value())).toList());
        assertThat(actual.stream().filter(p -> p.column().equals("prior_visits") && !p.value().equals(MonitoringSegments.OTHER)))
                .hasSize(MonitoringSegments.MAX_VALUES);
        for (int k = 0; k < expected.size(); k++) {
            SegmentPerformance e = expected.get(k);
            SegmentPerformance m = actual.get(k);
            assertThat(m.labelled()).as(e.value()).isEqualTo(e.labelled());
            assertThat(m.positives()).as(e.value()).isEqualTo(e.positives());
            assertThat(m.status()).isEqualTo(e.status());
            if (e.performance() != null) {
                // AUROC reads only counts: equal. Brier reads sums added in another order: equal to rounding.
                assertThat(m.performance().auroc()).isEqualTo(e.performance().auroc());
                assertThat(m.performance().brier()).isCloseTo(e.performance().brier(), within(1e-12));
            }
        }
    }

    /** A list of segments as a partial holds them. */
    record Holder(List<MonitoringSegments.Segment> segments) {}

    private static PredictionRecord record(int i, float[] row, double score) {
        return new PredictionRecord("p-" + i, MODEL, 1, Slot.STABLE, null, Instant.parse("2026-12-01T10:00:00Z")
                .plusSeconds(i), row, score, score >= DriftFixtures.THRESHOLD, null);
    }
}
