package health.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RandomIdsTest {
    @Test
    void requestIdsAreCanonicalVersion4UuidsWithEveryRandomBitUsed() {
        Set<String> seen = new HashSet<>();
        long ones = 0;
        long zeros = 0;
        for (int i = 0; i < 20_000; i++) {
            String id = RandomIds.uuid();
            UUID uuid = UUID.fromString(id);
            assertThat(uuid.toString()).isEqualTo(id);
            assertThat(uuid.version()).isEqualTo(4);
            assertThat(uuid.variant()).isEqualTo(2);
            assertThat(seen.add(id)).as("a repeated id").isTrue();
            // The 122 random bits: each is set about half of the time (no byte left out of the mixing).
            ones += Long.bitCount(uuid.getMostSignificantBits() & ~0xF000L)
                    + Long.bitCount(uuid.getLeastSignificantBits() & 0x3FFFFFFFFFFFFFFFL);
            zeros += 122 - (Long.bitCount(uuid.getMostSignificantBits() & ~0xF000L)
                    + Long.bitCount(uuid.getLeastSignificantBits() & 0x3FFFFFFFFFFFFFFFL));
        }
        assertThat((double) ones / (ones + zeros)).isBetween(0.49, 0.51);
    }

    @Test
    void threadsDrawFromGeneratorsOfTheirOwnAndNeverMakeTheSameId() throws Exception {
        Set<String> ids = ConcurrentHashMap.newKeySet();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        for (int t = 0; t < 4; t++) {
            pool.execute(() -> {
                for (int i = 0; i < 5_000; i++) {
                    ids.add(RandomIds.uuid());
                    ids.add(PredictionIds.next(Instant.ofEpochMilli(1_700_000_000_000L)));
                }
            });
        }
        pool.shutdown();
        assertThat(pool.awaitTermination(1, TimeUnit.MINUTES)).isTrue();
        assertThat(ids).hasSize(40_000);
        String predictionId = PredictionIds.next(Instant.ofEpochMilli(1_700_000_000_123L));
        assertThat(UUID.fromString(predictionId).version()).isEqualTo(7);
        assertThat(PredictionIds.timeOf(predictionId)).contains(Instant.ofEpochMilli(1_700_000_000_123L));
    }
}
