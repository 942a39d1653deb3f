package health.vigil.functions.common;

import com.microsoft.azure.functions.ExecutionContext;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.port.Telemetry;
import java.util.Objects;

/**
 * What the event-, queue- and timer-triggered functions share: a failure is counted once in {@code vigil.errors}
 * under the function's name and its error code (never its message), then thrown on, so the host retries the
 * delivery, moves the message to its poison queue or dead-letters the event as it would without it. HTTP functions
 * are counted by {@link HttpApi}.
 */
public final class Triggers {
    private final Telemetry telemetry;

    public Triggers(Telemetry telemetry) {
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    /** Runs the function's work; a failure is counted and rethrown. */
    public void run(ExecutionContext context, Runnable work) {
        try {
            work.run();
        } catch (VigilException e) {
            telemetry.failed(context.getFunctionName(), e.code());
            throw e;
        } catch (RuntimeException e) {
            telemetry.failed(context.getFunctionName(), ErrorCode.INTERNAL);
            throw e;
        }
    }
}
