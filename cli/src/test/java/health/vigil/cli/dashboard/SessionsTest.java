package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.audit.MutableClock;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class SessionsTest {
    private final MutableClock now = new MutableClock(Instant.parse("2026-12-03T08:00:00Z"));
    private final Sessions sessions = new Sessions(now);

    @Test
    void aSessionLastsWhileItIsUsedAndEndsAfterItsIdleTime() {
        String token = sessions.open("key-1");
        now.advance(Sessions.IDLE.minusSeconds(1));
        assertThat(sessions.key(token)).contains("key-1");
        // Used just now: another idle period from here.
        now.advance(Sessions.IDLE.minusSeconds(1));
        assertThat(sessions.key(token)).contains("key-1");
        now.advance(Sessions.IDLE.plus(Duration.ofSeconds(1)));
        assertThat(sessions.key(token)).isEmpty();
    }

    @Test
    void tokensAreUnguessableAndSigningOutEndsTheSession() {
        String first = sessions.open("key-1");
        String second = sessions.open("key-1");
        assertThat(first).isNotEqualTo(second).hasSize(43);
        sessions.close(first);
        assertThat(sessions.key(first)).isEmpty();
        assertThat(sessions.key(second)).contains("key-1");
        assertThat(sessions.key(null)).isEmpty();
        assertThat(sessions.key("made-up")).isEmpty();
    }

    @Test
    void routesMatchWholeSegments() {
        assertThat(Dashboard.match("models/{name}", java.util.List.of("models", "readmission")))
                .contains(java.util.Map.of("name", "readmission"));
        assertThat(Dashboard.match("models/{name}", java.util.List.of("models"))).isEmpty();
        assertThat(Dashboard.match("models/{name}", java.util.List.of("models", ""))).isEmpty();
        assertThat(Dashboard.match("", java.util.List.of())).contains(java.util.Map.of());
        assertThat(Dashboard.match("audit", java.util.List.of("audits"))).isEmpty();
    }
}
