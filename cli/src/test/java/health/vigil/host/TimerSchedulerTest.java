package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.functions.testing.TestRecorder;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The timers keep firing whatever a run throws, and stop without cutting a run short. */
class TimerSchedulerTest {
    private static final Duration WAIT = Duration.ofSeconds(20);

    private final TestRecorder recorder = new TestRecorder();

    /** A scheduler of the one timer function named. */
    private TimerScheduler timers(String function) {
        FunctionCatalog catalog = FunctionCatalog.discover(getClass().getClassLoader(),
                List.of("health.vigil.functions.testing.faults"), name -> null);
        FunctionInstances instances = FunctionInstances.load(getClass().getClassLoader(), new TestInjector(recorder));
        instances.prepare(catalog.all());
        return new TimerScheduler(List.of(catalog.byName(function).orElseThrow()), new FunctionInvoker(instances),
                Set.of(), Clock.systemUTC());
    }

    @Test
    void aTimerWhoseRunThrewAnErrorStillRunsAtItsNextOccurrence() throws Exception {
        try (TimerScheduler timers = timers("OverflowsOnce")) {
            timers.start();

            // The first run (each second) ends in a StackOverflowError; the next one still comes.
            assertThat(recorder.await("OverflowsOnce", 1, WAIT)).hasSize(1);
        }
    }

    @Test
    void closingWaitsForARunUnderWayWithoutInterruptingIt() throws Exception {
        TimerScheduler timers = timers("Lingers");
        timers.start();
        assertThat(recorder.await("Lingers", 1, WAIT)).contains("started");

        timers.close();

        // Interrupted, a function loses the file channels it writes through.
        assertThat(recorder.calls("Lingers")).doesNotContain("interrupted").endsWith("finished");
    }
}
