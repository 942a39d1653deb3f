package health.vigil.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import health.vigil.port.PredictionLog;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class PredictionRetentionTest {
    @Test
    void deletesWhatIsOlderThanTheRetentionPeriodCountedFromNow() {
        PredictionLog log = mock(PredictionLog.class);
        Instant now = Instant.parse("2026-03-31T02:30:00Z");
        when(log.purgeOlderThan(Instant.parse("2026-03-01T02:30:00Z"))).thenReturn(42L);

        long purged = new PredictionRetention(log, Duration.ofDays(30), Clock.fixed(now, ZoneOffset.UTC)).purgeExpired();

        assertThat(purged).isEqualTo(42);
        verify(log).purgeOlderThan(Instant.parse("2026-03-01T02:30:00Z"));
    }
}
