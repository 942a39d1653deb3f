package health.vigil.port;

import health.vigil.error.ErrorCode;
import health.vigil.model.ModelVersion;
import health.vigil.model.Slot;

/**
 * Metrics and spans, in terms that cannot carry patient data: only model ids, slots, counts, durations,
 * error codes and outcomes.
 */
public interface Telemetry {
    Telemetry NONE = new Telemetry() {};

    default void scored(ModelVersion version, Slot slot, int rows, long nanos) {}

    default void failed(String operation, ErrorCode code) {}

    default void registration(String outcome) {}

    default void event(String eventType) {}
}
