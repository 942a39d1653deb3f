package health.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Prediction ids carry their time (RFC 9562 version 7) and are never repeated. */
class PredictionIdsTest {

    @Test
    void anIdIsAVersion7UuidWhoseFirst48BitsAreItsTimeInMilliseconds() {
        Instant time = Instant.parse("2026-12-01T10:15:30.123456Z");
        String id = PredictionIds.next(time);

        UUID uuid = UUID.fromString(id);
        assertThat(uuid.version()).isEqualTo(7);
        assertThat(uuid.variant()).isEqualTo(2);
        // RFC 9562 section 5.7: unix_ts_ms is the first 48 bits, i.e. the first 12 hex digits.
        assertThat(Long.parseLong(id.replace("-", "").substring(0, 12), 16)).isEqualTo(time.toEpochMilli());
        assertThat(PredictionIds.timeOf(id)).contains(Instant.parse("2026-12-01T10:15:30.123Z"));
    }

    @Test
    void idsAreUniqueAndOrderedByTime() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertThat(seen.add(PredictionIds.next(Instant.EPOCH))).isTrue();
        }
        assertThat(PredictionIds.next(Instant.parse("2026-01-01T00:00:00Z")))
                .isLessThan(PredictionIds.next(Instant.parse("2026-01-01T00:00:00.001Z")));
    }

    @Test
    void anythingElseHasNoTime() {
        assertThat(PredictionIds.timeOf(UUID.randomUUID().toString())).isEmpty();
        assertThat(PredictionIds.timeOf("not-an-id")).isEmpty();
        assertThat(PredictionIds.timeOf(PredictionIds.next(Instant.EPOCH).toUpperCase())).isEmpty();
    }
}
