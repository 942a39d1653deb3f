package health.vigil.port;

import health.vigil.error.ErrorCode;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Slot;
import java.util.Optional;

/**
 * Metrics and spans, in terms that cannot carry patient data: only model ids, slots, counts, durations,
 * error codes, event types and outcomes. The names they are recorded under are in {@link TelemetryNames}.
 */
public interface Telemetry {
    Telemetry NONE = new Telemetry() {};

    /**
     * A request's rows routed to {@code version} in {@code slot} (stable or canary) were scored for the caller, and
     * the prediction log holds them. A shadow's mirrored rows are no caller's answer: they go to {@link #shadowScored}.
     */
    default void scored(ModelVersion version, Slot slot, int rows, long nanos) {}

    /** Mirrored rows were scored by the shadow {@code version}, off the request path: the runtime's time only. */
    default void shadowScored(ModelVersion version, int rows, long nanos) {}

    /**
     * {@code operation} (a function's name, such as {@code Score}, or a background step, such as {@code shadow})
     * failed with {@code code}.
     */
    default void failed(String operation, ErrorCode code) {}

    default void registration(String outcome) {}

    /**
     * An event of {@code eventType} about {@code model} (empty for events that are not about one model) was handed
     * to the event transport ({@code published}) or could not be ({@code failed}). Counted where events are
     * published, so no capability counts its own events.
     */
    default void event(String eventType, Optional<ModelName> model, String outcome) {}

    /** The audit chain of a period was verified and found intact or broken. */
    default void auditVerified(boolean intact) {}

    /** A monitoring check of {@code version} ended: {@code drifted}, {@code stable} or {@code insufficient_data}. */
    default void driftChecked(ModelVersion version, String outcome) {}

    /** With a check: one drift statistic ({@code psi}, {@code ks}, {@code chi_square}) of a feature or the score. */
    default void driftStatistic(ModelVersion version, String feature, String test, double value) {}

    /** With a check: a performance metric ({@code auroc}, {@code brier}, ...) from {@code labels} or {@code label_free}. */
    default void performance(ModelVersion version, String metric, String source, double value) {}

    /** One gate check of a version's evaluation ended: {@code passed}, {@code failed} or {@code flagged}. */
    default void gateChecked(ModelVersion version, String gate, String outcome) {}

    /** A canary ramp put {@code version} on {@code slot} with this share of live traffic (basis points). */
    default void trafficWeight(ModelVersion version, Slot slot, int basisPoints) {}

    /** A canary analysis of a ramp step of {@code version} ended: {@code pass}, {@code fail} or {@code extend}. */
    default void canaryAnalysis(ModelVersion version, String outcome) {}

    /** Rows mirrored to a shadow version ended: scored, dropped (queue full) or failed. */
    default void shadowMirrored(ModelVersion version, String outcome, int rows) {}

    /**
     * Rows of a batch job scored by {@code version} ({@code scored}) or refused with a reason ({@code refused}), once a
     * checkpoint made them durable: a partition resumed after a crash counts the rows after its last checkpoint once.
     */
    default void batchRows(ModelVersion version, String outcome, long rows) {}

    /**
     * A governance decision on {@code version}: {@code approved} or {@code rejected} (the signature that decided it was
     * stored), or {@code refused} (separation of duties).
     */
    default void approval(ModelVersion version, String outcome) {}

    /** An audit export of a period ended: {@code exported} or {@code failed}. */
    default void auditExport(String outcome) {}
}
