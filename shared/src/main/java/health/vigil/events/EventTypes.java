package health.vigil.events;

import java.util.Set;

/** The event types Vigil publishes and consumes. */
public final class EventTypes {
    public static final String BLOB_CREATED = "Microsoft.Storage.BlobCreated";
    public static final String MODEL_REGISTERED = "Vigil.Model.Registered";
    public static final String MODEL_REGISTRATION_REJECTED = "Vigil.Model.RegistrationRejected";
    public static final String GATES_PASSED = "Vigil.Gates.Passed";
    public static final String GATES_FAILED = "Vigil.Gates.Failed";
    public static final String MODEL_APPROVED = "Vigil.Model.Approved";
    public static final String MODEL_REJECTED = "Vigil.Model.Rejected";
    public static final String MODEL_DEPLOYED = "Vigil.Model.Deployed";
    public static final String CANARY_STARTED = "Vigil.Canary.Started";
    public static final String CANARY_STEPPED = "Vigil.Canary.Stepped";
    public static final String CANARY_PROMOTED = "Vigil.Canary.Promoted";
    public static final String CANARY_ROLLED_BACK = "Vigil.Canary.RolledBack";
    public static final String SHADOW_CONFIGURED = "Vigil.Shadow.Configured";
    public static final String SHADOW_STOPPED = "Vigil.Shadow.Stopped";
    public static final String EXPERIMENT_STARTED = "Vigil.Experiment.Started";
    public static final String EXPERIMENT_STOPPED = "Vigil.Experiment.Stopped";
    public static final String DRIFT_DETECTED = "Vigil.Drift.Detected";
    public static final String RETRAIN_REQUESTED = "Vigil.Retrain.Requested";
    public static final String PERFORMANCE_DEGRADED = "Vigil.Performance.Degraded";
    public static final String RETRAIN_COMPLETED = "Vigil.Retrain.Completed";
    /** A batch file was accepted and planned; its partitions are queued. */
    public static final String BATCH_SUBMITTED = "Vigil.Batch.Submitted";
    /** Every row of a batch file is scored or refused, and the results and summary are written. */
    public static final String BATCH_COMPLETED = "Vigil.Batch.Completed";
    /** A batch file could not be scored at all (unreadable, no servable version); the reason is in its status. */
    public static final String BATCH_FAILED = "Vigil.Batch.Failed";

    private static final Set<String> VIGIL = Set.of(MODEL_REGISTERED, MODEL_REGISTRATION_REJECTED, GATES_PASSED,
            GATES_FAILED, MODEL_APPROVED, MODEL_REJECTED, MODEL_DEPLOYED, CANARY_STARTED, CANARY_STEPPED,
            CANARY_PROMOTED, CANARY_ROLLED_BACK, SHADOW_CONFIGURED, SHADOW_STOPPED, EXPERIMENT_STARTED,
            EXPERIMENT_STOPPED, DRIFT_DETECTED, RETRAIN_REQUESTED, PERFORMANCE_DEGRADED, RETRAIN_COMPLETED,
            BATCH_SUBMITTED, BATCH_COMPLETED, BATCH_FAILED);

    private EventTypes() {}

    /** Every event type Vigil publishes (the storage events it consumes are not among them). */
    public static Set<String> vigil() {
        return VIGIL;
    }
}
