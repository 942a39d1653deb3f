package health.vigil.functions.control;

import health.vigil.error.ErrorCode;
import health.vigil.port.Telemetry;
import java.util.List;

/** Telemetry that keeps each failure it is told of, as the operation's name and the error code. */
final class FailuresRecorded {
    private FailuresRecorded() {
    }

    /** Telemetry that adds {@code "<operation> <code>"} to {@code failures} for each failure. */
    static Telemetry into(List<String> failures) {
        return new Telemetry() {
            @Override
            public void failed(String operation, ErrorCode code) {
                failures.add(operation + " " + code);
            }
        };
    }
}
