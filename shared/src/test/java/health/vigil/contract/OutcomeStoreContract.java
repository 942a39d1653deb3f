package health.vigil.contract;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import health.vigil.port.OutcomeStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link OutcomeStore} promises: written once, the first outcome under a key stays, reads by key. */
public abstract class OutcomeStoreContract {
    private static final ModelName MODEL = new ModelName("readmission");
    private static final Instant T0 = Instant.parse("2026-11-20T10:00:00Z");
    private OutcomeStore store;

    protected abstract OutcomeStore newStore();

    @BeforeEach
    void open() {
        store = newStore();
    }

    @Test
    void aNewOutcomeIsStoredAndReadBackByKey() {
        Outcome o = new Outcome(MODEL, Outcome.predictionKey("p-1"), true, T0, "api");

        assertThat(store.putIfAbsent(o)).isEmpty();

        assertThat(store.get(MODEL, List.of(o.key(), Outcome.predictionKey("p-missing")))).containsOnlyKeys(o.key())
                .containsEntry(o.key(), o);
    }

    @Test
    void aSecondOutcomeUnderTheSameKeyNeverReplacesTheFirst() {
        Outcome first = new Outcome(MODEL, Outcome.patientDayKey("abc", T0), false, T0, "api");
        Outcome other = new Outcome(MODEL, first.key(), true, T0.plusSeconds(60), "blob:late.csv");
        store.putIfAbsent(first);

        Optional<Outcome> earlier = store.putIfAbsent(other);

        assertThat(earlier).contains(first);
        assertThat(store.get(MODEL, List.of(first.key())).get(first.key())).isEqualTo(first);
    }

    @Test
    void aListIsStoredInOrderAndEachAnswerSaysWhatItBecame() {
        Outcome earlier = new Outcome(MODEL, Outcome.predictionKey("p-40"), true, T0, "api");
        store.putIfAbsent(earlier);
        Outcome fresh = new Outcome(MODEL, Outcome.predictionKey("p-41"), false, T0, "api");
        Outcome again = new Outcome(MODEL, earlier.key(), true, T0.plusSeconds(5), "blob:b.csv");
        Outcome contrary = new Outcome(MODEL, earlier.key(), false, T0.plusSeconds(5), "blob:b.csv");
        Outcome twiceInTheList = new Outcome(MODEL, fresh.key(), true, T0.plusSeconds(5), "blob:b.csv");

        List<Optional<Outcome>> answers = store.putAllIfAbsent(List.of(fresh, again, contrary, twiceInTheList));

        assertThat(answers).containsExactly(Optional.empty(), Optional.of(earlier), Optional.of(earlier),
                Optional.of(fresh));
        assertThat(store.get(MODEL, List.of(earlier.key(), fresh.key()))).containsOnly(
                Map.entry(earlier.key(), earlier), Map.entry(fresh.key(), fresh));
        assertThat(store.putAllIfAbsent(List.of())).isEmpty();
    }

    @Test
    void keysBelongToTheirModel() {
        Outcome o = new Outcome(MODEL, Outcome.predictionKey("p-2"), true, T0, "api");
        store.putIfAbsent(o);

        assertThat(store.get(new ModelName("adherence"), List.of(o.key()))).isEmpty();
        assertThat(store.putIfAbsent(new Outcome(new ModelName("adherence"), o.key(), false, T0, "api"))).isEmpty();
    }

    @Test
    void readsManyKeysAtOnce() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 1_200; i++) {
            Outcome o = new Outcome(MODEL, Outcome.predictionKey("p-" + i), i % 3 == 0, T0, "api");
            keys.add(o.key());
            if (i % 2 == 0) {
                store.putIfAbsent(o);
            }
        }

        Map<String, Outcome> found = store.get(MODEL, keys);

        assertThat(found).hasSize(600);
        assertThat(found.get(Outcome.predictionKey("p-3"))).isNull();
        assertThat(found.get(Outcome.predictionKey("p-6")).positive()).isTrue();
        assertThat(found.get(Outcome.predictionKey("p-4")).positive()).isFalse();
    }

    @Test
    void concurrentWritersOfOneKeyStoreExactlyOne() throws Exception {
        String key = Outcome.predictionKey("p-race");
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Optional<Outcome>>> results = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                boolean positive = i % 2 == 0;
                String source = "writer-" + i;
                results.add(pool.submit(() -> store.putIfAbsent(new Outcome(MODEL, key, positive, T0, source))));
            }
            int stored = 0;
            for (Future<Optional<Outcome>> r : results) {
                stored += r.get().isEmpty() ? 1 : 0;
            }
            assertThat(stored).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
        Outcome kept = store.get(MODEL, List.of(key)).get(key);
        for (int i = 0; i < 3; i++) {
            assertThat(store.putIfAbsent(new Outcome(MODEL, key, !kept.positive(), T0, "again"))).contains(kept);
        }
    }
}
