package health.vigil.events;

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

    private EventTypes() {}
}
