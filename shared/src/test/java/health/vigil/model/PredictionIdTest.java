package health.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class PredictionIdTest {

    @Test
    void anIdIsAVersion7UuidCarryingItsMillisecond() {
        Instant at = Instant.parse("2026-12-02T23:59:59.987654321Z");
        String id = PredictionId.next(at);
        UUID uuid = UUID.fromString(id);
        assertThat(uuid.version()).isEqualTo(7);
        assertThat(uuid.variant()).isEqualTo(2);
        // RFC 9562: the first 48 bits are the Unix time in milliseconds, big-endian; in hex, the first 12 digits.
        assertThat(id.replace("-", "").substring(0, 12)).isEqualTo(String.format("%012x", at.toEpochMilli()));
        assertThat(PredictionId.timeOf(id)).contains(Instant.parse("2026-12-02T23:59:59.987Z"));
    }

    @Test
    void idsAreDistinctAndSortByTime() {
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            ids.add(PredictionId.next(Instant.ofEpochMilli(1_780_000_000_000L + i * 7L)));
        }
        assertThat(new HashSet<>(ids)).hasSize(ids.size());
        assertThat(ids).isSorted();
    }

    @Test
    void anythingButACanonicalVersion7IdHasNoTime() {
        assertThat(PredictionId.timeOf(UUID.randomUUID().toString())).isEmpty();
        assertThat(PredictionId.timeOf(PredictionId.next(Instant.now()).toUpperCase(java.util.Locale.ROOT))).isEmpty();
        assertThat(PredictionId.timeOf("0190f0e0-0000-7000-8000-00000000000")).isEmpty();
        assertThat(PredictionId.timeOf("not an id")).isEmpty();
        assertThat(PredictionId.timeOf(null)).isEmpty();
    }
}
