package health.vigil.adapter.local;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.contract.OutcomeStoreContract;
import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import health.vigil.port.OutcomeStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the {@link OutcomeStore} contract against {@link SqliteOutcomeStore} in a fresh home folder. */
class SqliteOutcomeStoreContractTest extends OutcomeStoreContract {
    @TempDir
    Path home;
    private SqliteOutcomeStore store;

    @Override
    protected OutcomeStore newStore() {
        store = SqliteOutcomeStore.open(home);
        return store;
    }

    @AfterEach
    void close() {
        store.close();
    }

    /**
     * The outcomes of predictions made before the cut-off go (by the time a version 7 id carries, by the whole UTC day
     * of a patient and day, by when it was recorded for an id that carries no time), counted once before they go;
     * those of predictions at or after it stay, and a second purge finds nothing.
     */
    @Test
    void aPurgeRemovesTheOutcomesWhosePredictionsAllPredateTheCutoff() {
        Instant cutoff = Instant.parse("2026-09-10T12:00:00Z");
        ModelName model = new ModelName("readmission");
        ModelName other = new ModelName("adherence");
        Instant late = Instant.parse("2026-12-01T09:00:00Z");
        // 2026-09-10T11:59:59.999Z and 2026-09-10T12:00:00Z, as version 7 ids carry them.
        Outcome idBefore = new Outcome(model, Outcome.predictionKey("01a08b30-65ff-7000-8000-000000000001"), true,
                late, "api");
        Outcome idAtCutoff = new Outcome(model, Outcome.predictionKey("01a08b30-6600-7000-8000-000000000002"), true,
                late, "api");
        Outcome dayBefore = new Outcome(other, Outcome.patientDayKey("pseudo-1", Instant.parse("2026-09-09T23:00:00Z")),
                false, late, "blob:a.csv");
        Outcome dayOfCutoff = new Outcome(model,
                Outcome.patientDayKey("pseudo-2", Instant.parse("2026-09-10T01:00:00Z")), false, late, "api");
        Outcome olderFormRecordedBefore = new Outcome(model,
                Outcome.predictionKey("5f0c6c1e-8b0e-4d4a-9a51-3f6f0a0b1c2d"), true, cutoff.minusSeconds(1), "api");
        Outcome olderFormRecordedAfter = new Outcome(model,
                Outcome.predictionKey("5f0c6c1e-8b0e-4d4a-9a51-3f6f0a0b1c2e"), true, cutoff.plusSeconds(1), "api");
        OutcomeStore outcomes = store;
        outcomes.putAllIfAbsent(List.of(idBefore, idAtCutoff, dayOfCutoff, olderFormRecordedBefore,
                olderFormRecordedAfter));
        outcomes.putIfAbsent(dayBefore);
        List<Long> told = new ArrayList<>();

        assertThat(outcomes.purgeBefore(cutoff, told::add)).isEqualTo(3);

        assertThat(told).containsExactly(3L);
        assertThat(outcomes.get(model, List.of(idBefore.key(), idAtCutoff.key(), dayOfCutoff.key(),
                olderFormRecordedBefore.key(), olderFormRecordedAfter.key())))
                .containsOnlyKeys(idAtCutoff.key(), dayOfCutoff.key(), olderFormRecordedAfter.key());
        assertThat(outcomes.get(other, List.of(dayBefore.key()))).isEmpty();
        assertThat(outcomes.purgeBefore(cutoff, told::add)).isZero();
        assertThat(told).containsExactly(3L);
    }
}
