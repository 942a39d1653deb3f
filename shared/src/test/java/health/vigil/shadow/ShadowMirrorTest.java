package health.vigil.shadow;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.canary.InMemoryPredictionLog;
import health.vigil.features.SegmentValues;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.MirroredRows;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionRecord;
import health.vigil.model.SegmentColumns;
import health.vigil.model.ShadowScore;
import health.vigil.model.Slot;
import health.vigil.port.Telemetry;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShadowMirrorTest {
    private static final ModelName MODEL = new ModelName("readmission");
    private static final Instant AT = Instant.parse("2026-12-02T09:00:00Z");

    private static MirroredRows batch(String... liveIds) {
        List<MirroredRows.Row> rows = new ArrayList<>();
        for (String id : liveIds) {
            rows.add(new MirroredRows.Row(id, "ab12cd34", Map.of("age", 74.0, "sex", "female", "race", "Other"),
                    Map.of()));
        }
        return new MirroredRows(MODEL, 2, AT, rows, java.util.Set.of());
    }

    @Test
    void scoredRowsAreLoggedAsShadowPredictionsNamingTheirLivePartnerAndSegments() {
        InMemoryPredictionLog log = new InMemoryPredictionLog();
        // The second row is refused by the shadow's schema: absent from the scores, counted as failed.
        try (ShadowMirror mirror = new ShadowMirror(4, rows -> List.of(new ShadowScore(0, 0.7, true, new float[] {1f})),
                log, v -> new SegmentValues(new SegmentColumns("age", List.of("age", "sex", "payer")), FeatureSchema.of(
                        List.of(Feature.numeric("age", "years", 0, 120), Feature.categorical("sex", List.of("female",
                                "male")), Feature.categorical("race", List.of("Other"))))), Telemetry.NONE,
                Clock.fixed(AT, ZoneOffset.UTC))) {
            mirror.process(batch("live-1", "live-2"));

            List<PredictionRecord> logged = new ArrayList<>();
            log.scan(MODEL, AT, AT.plusSeconds(1), logged::add);
            assertThat(logged).singleElement().satisfies(r -> {
                assertThat(r.slot()).isEqualTo(Slot.SHADOW);
                assertThat(r.version()).isEqualTo(2);
                assertThat(r.time()).isEqualTo(AT);
                assertThat(r.score()).isEqualTo(0.7);
                ShadowPairing.Pair pair = ShadowPairing.read(r.explanation()).orElseThrow();
                assertThat(pair.livePredictionId()).isEqualTo("live-1");
                assertThat(pair.segments()).isEqualTo(Map.of("age", "70-79", "sex", "female"));
            });
            assertThat(mirror.counts(MODEL).scored()).isEqualTo(1);
            assertThat(mirror.counts(MODEL).failed()).isEqualTo(1);
        }
    }

    /**
     * The segments the gates and monitoring define ({@link SegmentValues}): age and sex groups derived from the shadow
     * version's own age and sex fields, a missing value as {@code (missing)}, an unrecorded sex as {@code unknown}; a
     * column only the dataset has (payer) gives none.
     */
    @Test
    void rowsAreSegmentedAsTheGatesAndMonitoringSegmentThem() {
        InMemoryPredictionLog log = new InMemoryPredictionLog();
        Map<String, Object> older = new java.util.HashMap<>();
        older.put("age_band", "[70-80)");
        older.put("gender", "Female");
        older.put("race", null);
        Map<String, Object> unknown = new java.util.HashMap<>();
        unknown.put("age_band", "[40-50)");
        unknown.put("gender", null);
        unknown.put("race", "Asian");
        MirroredRows batch = new MirroredRows(MODEL, 2, AT, List.of(new MirroredRows.Row("live-1", "ab12cd34", older,
                Map.of()), new MirroredRows.Row("live-2", "ab12cd35", unknown, Map.of())), java.util.Set.of());
        List<ModelVersion> asked = new ArrayList<>();
        // The shadow version's schema: the age group comes from its age band, the sex group from its gender.
        FeatureSchema shadowSchema = FeatureSchema.of(List.of(
                Feature.categorical("age_band", List.of("[40-50)", "[70-80)")),
                Feature.categorical("gender", List.of("Female", "Male")).optional(),
                Feature.categorical("race", List.of("Asian", "Caucasian")).optional()));
        try (ShadowMirror mirror = new ShadowMirror(4, rows -> List.of(new ShadowScore(0, 0.7, true, new float[] {1f}),
                new ShadowScore(1, 0.2, false, new float[] {1f})), log, v -> {
                    asked.add(v);
                    return new SegmentValues(new SegmentColumns("age_group", List.of("age_group", "sex_group", "race",
                            "payer")), shadowSchema);
                }, Telemetry.NONE, Clock.fixed(AT, ZoneOffset.UTC))) {
            mirror.process(batch);

            List<PredictionRecord> logged = new ArrayList<>();
            log.scan(MODEL, AT, AT.plusSeconds(1), logged::add);
            assertThat(logged).extracting(r -> ShadowPairing.read(r.explanation()).orElseThrow().segments())
                    .containsExactly(Map.of("age_group", "70-79", "sex_group", "Female", "race", "(missing)"),
                            Map.of("age_group", "<50", "sex_group", "unknown", "race", "Asian"));
            assertThat(asked).containsExactly(new ModelVersion(MODEL, 2));
        }
    }

    @Test
    void aShadowThatThrowsIsCountedAsFailedAndTheMirrorCarriesOn() {
        InMemoryPredictionLog log = new InMemoryPredictionLog();
        try (ShadowMirror mirror = new ShadowMirror(4, rows -> {
            throw new IllegalStateException("model gone");
        }, log, v -> null, Telemetry.NONE, Clock.fixed(AT, ZoneOffset.UTC))) {
            mirror.process(batch("a", "b", "c"));
            mirror.process(batch("d"));
            assertThat(mirror.counts(MODEL).failed()).isEqualTo(4);
        }
    }

    @Test
    void aClosedMirrorDropsWhatItIsOffered() {
        ShadowMirror mirror = new ShadowMirror(4, rows -> List.of(), new InMemoryPredictionLog(),
                v -> null, Telemetry.NONE, Clock.systemUTC());
        mirror.close();
        mirror.offer(batch("a", "b"));
        assertThat(mirror.counts(MODEL).dropped()).isEqualTo(2);
    }
}
