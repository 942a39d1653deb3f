package health.vigil.contract;

import static health.vigil.contract.ContractFixtures.uniqueModel;
import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.model.LatencyHistogram;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.SlotMinuteStats;
import health.vigil.port.RequestStatsStore;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link RequestStatsStore} must do. {@link #newStore()} gives an empty store: purging is store-wide. */
public abstract class RequestStatsStoreContract {
    private static final Instant MINUTE = Instant.parse("2026-03-01T08:59:00Z");
    /** The canary step the requests were routed under, started in the minute before. */
    private static final Instant STEP = Instant.parse("2026-03-01T08:58:41.207318Z");

    protected abstract RequestStatsStore newStore();

    protected RequestStatsStore store;

    @BeforeEach
    void openStore() {
        store = newStore();
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private static SlotMinuteStats stats(ModelName model, Slot slot, Instant minute, String instance, long answered,
            long refused, long failed, long slowRequests) {
        return stats(model, slot, STEP, minute, instance, answered, refused, failed, slowRequests);
    }

    private static SlotMinuteStats stats(ModelName model, Slot slot, Instant step, Instant minute, String instance,
            long answered, long refused, long failed, long slowRequests) {
        long[] latency = new long[LatencyHistogram.BUCKETS];
        latency[LatencyHistogram.bucketOf(2_000_000)] = answered - slowRequests;
        latency[LatencyHistogram.bucketOf(400_000_000)] = slowRequests;
        return new SlotMinuteStats(model, slot == Slot.CANARY ? 2 : 1, slot, step, minute, instance, answered, refused,
                failed, new LatencyHistogram(latency));
    }

    @Test
    void aLaterCountOfTheSameMinuteAndInstanceReplacesTheEarlierOne() {
        ModelName model = uniqueModel("stats");
        store.upsert(List.of(stats(model, Slot.CANARY, MINUTE, "a", 10, 1, 0, 0)));
        SlotMinuteStats later = stats(model, Slot.CANARY, MINUTE, "a", 25, 2, 1, 3);
        store.upsert(List.of(later));

        assertThat(store.read(model, MINUTE, MINUTE.plusSeconds(60))).containsExactly(later);
    }

    @Test
    void everyInstanceSlotAndMinuteIsKeptApartAndAWindowReadsTheMinutesItOverlaps() {
        ModelName model = uniqueModel("stats");
        ModelName other = uniqueModel("stats");
        SlotMinuteStats a = stats(model, Slot.CANARY, MINUTE, "a", 10, 0, 0, 0);
        SlotMinuteStats b = stats(model, Slot.CANARY, MINUTE, "b", 12, 0, 2, 0);
        SlotMinuteStats stable = stats(model, Slot.STABLE, MINUTE, "a", 900, 3, 0, 9);
        // The next minute is in the next hour (and, in Cosmos DB, the next partition).
        SlotMinuteStats next = stats(model, Slot.CANARY, MINUTE.plusSeconds(60), "a", 7, 0, 0, 0);
        SlotMinuteStats later = stats(model, Slot.CANARY, MINUTE.plusSeconds(180), "a", 5, 0, 0, 0);
        store.upsert(List.of(a, b, stable, next, later, stats(other, Slot.CANARY, MINUTE, "a", 1, 0, 0, 0)));

        // A window starting within a minute includes that minute; a minute starting at the window's end is out.
        assertThat(store.read(model, MINUTE.plusSeconds(30), MINUTE.plusSeconds(180)))
                .containsExactlyInAnyOrder(a, b, stable, next);
        assertThat(store.read(model, MINUTE.plusSeconds(61), MINUTE.plusSeconds(181))).containsExactlyInAnyOrder(next,
                later);
        assertThat(store.read(uniqueModel("stats"), MINUTE, MINUTE.plusSeconds(600))).isEmpty();
    }

    @Test
    void theRequestsOfTwoStepsInOneMinuteAreKeptApartAndReadBackWithTheirStep() {
        ModelName model = uniqueModel("stats");
        Instant nextStep = MINUTE.plusMillis(20_412);
        SlotMinuteStats first = stats(model, Slot.CANARY, STEP, MINUTE, "a", 40, 1, 0, 0);
        SlotMinuteStats second = stats(model, Slot.CANARY, nextStep, MINUTE, "a", 9, 0, 2, 1);
        SlotMinuteStats noCanary = stats(model, Slot.CANARY, SlotMinuteStats.NO_STEP, MINUTE, "a", 3, 0, 0, 0);
        SlotMinuteStats unknown = stats(model, Slot.CANARY, null, MINUTE, "a", 5, 0, 0, 0);
        store.upsert(List.of(first, second, noCanary, unknown));
        SlotMinuteStats secondLater = stats(model, Slot.CANARY, nextStep, MINUTE, "a", 30, 0, 2, 1);
        store.upsert(List.of(secondLater));

        // The later count of the second step replaces only its own record.
        assertThat(store.read(model, MINUTE, MINUTE.plusSeconds(60)))
                .containsExactlyInAnyOrder(first, secondLater, noCanary, unknown);
    }

    @Test
    void purgingDeletesTheMinutesBeforeTheCutoff() {
        ModelName model = uniqueModel("stats");
        SlotMinuteStats old = stats(model, Slot.STABLE, MINUTE, "a", 10, 0, 0, 0);
        SlotMinuteStats kept = stats(model, Slot.STABLE, MINUTE.plusSeconds(60), "a", 10, 0, 0, 0);
        store.upsert(List.of(old, kept));

        assertThat(store.purgeOlderThan(MINUTE.plusSeconds(60))).isEqualTo(1);
        assertThat(store.read(model, MINUTE, MINUTE.plusSeconds(3600))).containsExactly(kept);
    }
}
