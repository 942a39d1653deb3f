package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;

import com.azure.cosmos.CosmosContainer;
import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The time to live an outcome is written with: it ends when the retention cut-off passes its predictions. */
class CosmosOutcomeStoreTest {
    private static final ModelName MODEL = new ModelName("readmission");
    private static final Duration RETENTION = Duration.ofDays(30);
    private static final Instant RECORDED = Instant.parse("2026-12-01T09:00:00Z");

    @Test
    void anOutcomeLivesUntilTheRetentionHasPassedThePredictionsItLabels() {
        // A patient's day of 2026-11-20 ends at 2026-11-21T00:00Z; 30 days later is 2026-12-21T00:00Z.
        Outcome byDay = new Outcome(MODEL, Outcome.patientDayKey("pseudo", Instant.parse("2026-11-20T15:00:00Z")),
                true, RECORDED, "api");
        // A version 7 id of 2026-09-10T12:00:00Z: its predictions were past the period before it arrived.
        Outcome ofAGonePrediction = new Outcome(MODEL,
                Outcome.predictionKey("01a08b30-6600-7000-8000-000000000002"), true, RECORDED, "api");

        assertThat(CosmosOutcomeStore.ttlSeconds(byDay, RETENTION))
                .isEqualTo(Duration.between(RECORDED, Instant.parse("2026-12-21T00:00:00Z")).toSeconds());
        assertThat(CosmosOutcomeStore.ttlSeconds(ofAGonePrediction, RETENTION)).isEqualTo(1);
    }

    /** Cosmos DB removes outcomes by their ttl: the retention run is told so, to audit them as such. */
    @Test
    void theStoreSaysItsOutcomesExpireByTheirTimeToLive() {
        assertThat(new CosmosOutcomeStore(mock(CosmosContainer.class), RETENTION).expiresByTimeToLive()).isTrue();
    }
}
