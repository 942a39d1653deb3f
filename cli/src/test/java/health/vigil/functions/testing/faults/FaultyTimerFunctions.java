package health.vigil.functions.testing.faults;

import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.TimerTrigger;
import health.vigil.functions.testing.TestRecorder;

/**
 * Timer functions that fail or take their time, for the scheduler's tests; each test schedules only the one it
 * needs.
 */
public class FaultyTimerFunctions {
    private final TestRecorder recorder;

    public FaultyTimerFunctions(TestRecorder recorder) {
        this.recorder = recorder;
    }

    /** Fails with an Error on its first run, as a function that recursed too deep does; runs normally after. */
    @FunctionName("OverflowsOnce")
    public void overflowsOnce(@TimerTrigger(name = "timer", schedule = "* * * * * *") String timerInfo) {
        if (recorder.attempt("OverflowsOnce") == 1) {
            throw new StackOverflowError();
        }
        recorder.record("OverflowsOnce", timerInfo);
    }

    /** Says when it starts, then works for a while, and says whether it finished or was interrupted. */
    @FunctionName("Lingers")
    public void lingers(@TimerTrigger(name = "timer", schedule = "* * * * * *") String timerInfo) {
        recorder.record("Lingers", "started");
        try {
            Thread.sleep(500);
            recorder.record("Lingers", "finished");
        } catch (InterruptedException e) {
            recorder.record("Lingers", "interrupted");
            Thread.currentThread().interrupt();
        }
    }
}
