package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.functions.testing.TestRecorder;
import health.vigil.json.Json;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Timer triggers run on their NCRONTAB schedule and, when asked, once at start. */
class LocalHostTimersIT {
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path home;

    private LocalHost start(TestRecorder recorder, Set<String> runOnStartup) {
        return LocalHost.builder()
                .home(home)
                .port(0)
                .packages("health.vigil.functions.testing.timers")
                .instanceInjector(new TestInjector(recorder))
                .subscriptions(List.of())
                .appSettings(Map.of("NEW_YEAR_SCHEDULE", "0 0 0 1 1 *")::get)
                .runOnStartup(runOnStartup)
                .build()
                .start();
    }

    @Test
    void anEverySecondTimerFiresOnWholeSecondsWithTimerInfo() throws Exception {
        TestRecorder recorder = new TestRecorder();
        try (LocalHost host = start(recorder, Set.of())) {
            List<String> calls = recorder.await("EverySecond", 3, WAIT);

            assertThat(calls).hasSizeGreaterThanOrEqualTo(3);
            Instant previousLast = null;
            for (String call : calls.subList(0, 3)) {
                JsonNode info = Json.mapper().readTree(call);
                assertThat(info.has("IsPastDue")).isTrue();
                Instant next = Instant.parse(info.at("/ScheduleStatus/Next").asText());
                assertThat(next.getNano()).isZero();
                if (!info.at("/ScheduleStatus/Last").isNull()) {
                    Instant last = Instant.parse(info.at("/ScheduleStatus/Last").asText());
                    assertThat(last.getNano()).isZero();
                    if (previousLast != null) {
                        assertThat(last).isAfter(previousLast);
                    }
                    previousLast = last;
                }
            }
            // The yearly timer did not run: it was not asked to run on startup.
            assertThat(recorder.calls("NewYear")).isEmpty();
        }
    }

    @Test
    void runOnStartupRunsATimerOnceAtStartEvenFarFromItsSchedule() throws Exception {
        TestRecorder recorder = new TestRecorder();
        try (LocalHost host = start(recorder, Set.of("NewYear"))) {
            List<String> calls = recorder.await("NewYear", 1, WAIT);

            assertThat(calls).hasSize(1);
            JsonNode info = Json.mapper().readTree(calls.get(0));
            assertThat(info.at("/ScheduleStatus/Last").isNull()).isTrue();
            Instant next = Instant.parse(info.at("/ScheduleStatus/Next").asText());
            assertThat(next.atZone(java.time.ZoneOffset.UTC).getDayOfYear()).isEqualTo(1);
            assertThat(host.functions()).anyMatch(f -> f.name().equals("NewYear") && "0 0 0 1 1 *".equals(f.schedule()));
        }
    }
}
