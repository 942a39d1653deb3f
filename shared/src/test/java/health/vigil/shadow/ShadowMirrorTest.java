package health.vigil.shadow;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.canary.InMemoryPredictionLog;
import health.vigil.model.MirroredRows;
import health.vigil.model.ModelName;
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
        return new MirroredRows(MODEL, 2, AT, rows);
    }

    @Test
    void scoredRowsAreLoggedAsShadowPredictionsNamingTheirLivePartnerAndSegments() {
        InMemoryPredictionLog log = new InMemoryPredictionLog();
        // The second row is refused by the shadow's schema: absent from the scores, counted as failed.
        try (ShadowMirror mirror = new ShadowMirror(4, rows -> List.of(new ShadowScore(0, 0.7, true, new float[] {1f})),
                log, m -> new SegmentColumns("age", List.of("age", "sex", "payer")), Telemetry.NONE,
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

    @Test
    void aShadowThatThrowsIsCountedAsFailedAndTheMirrorCarriesOn() {
        InMemoryPredictionLog log = new InMemoryPredictionLog();
        try (ShadowMirror mirror = new ShadowMirror(4, rows -> {
            throw new IllegalStateException("model gone");
        }, log, m -> SegmentColumns.NONE, Telemetry.NONE, Clock.fixed(AT, ZoneOffset.UTC))) {
            mirror.process(batch("a", "b", "c"));
            mirror.process(batch("d"));
            assertThat(mirror.counts(MODEL).failed()).isEqualTo(4);
        }
    }

    @Test
    void aClosedMirrorDropsWhatItIsOffered() {
        ShadowMirror mirror = new ShadowMirror(4, rows -> List.of(), new InMemoryPredictionLog(),
                m -> SegmentColumns.NONE, Telemetry.NONE, Clock.systemUTC());
        mirror.close();
        mirror.offer(batch("a", "b"));
        assertThat(mirror.counts(MODEL).dropped()).isEqualTo(2);
    }
}
