package health.vigil.functions.testing.timers;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.TimerTrigger;
import health.vigil.functions.testing.TestRecorder;

/** Timer functions for the scheduler tests. */
public class TimerTestFunctions {
    private final TestRecorder recorder;

    public TimerTestFunctions(TestRecorder recorder) {
        this.recorder = recorder;
    }

    @FunctionName("EverySecond")
    public void everySecond(@TimerTrigger(name = "timer", schedule = "* * * * * *") String timerInfo, ExecutionContext context) {
        recorder.record("EverySecond", timerInfo);
    }

    /** Once a year, so within a test it only runs because of runOnStartup. */
    @FunctionName("NewYear")
    public void newYear(@TimerTrigger(name = "timer", schedule = "%NEW_YEAR_SCHEDULE%") String timerInfo) {
        recorder.record("NewYear", timerInfo);
    }
}
