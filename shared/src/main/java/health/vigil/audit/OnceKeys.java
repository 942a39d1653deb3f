package health.vigil.audit;

/**
 * Once-keys ({@link AuditLog#recordOnce}) that one service writes and another looks up. Kept here, beside the log,
 * so that the services agree on them through the audit package rather than by calling each other.
 */
public final class OnceKeys {
    private OnceKeys() {}

    /** The action of the record a monitoring check makes of each new report. */
    public static final String MONITORING_CHECK = "monitoring.check";

    /** The key of the {@value #MONITORING_CHECK} record of the check that made the report with this id. */
    public static String monitoringCheck(String reportId) {
        return MONITORING_CHECK + ":" + reportId;
    }

    /**
     * The key of the {@value #MONITORING_CHECK} record of a check that made a provisional report (its window had not
     * settled); the final report that replaces it is recorded under {@link #monitoringCheck}.
     */
    public static String provisionalMonitoringCheck(String reportId) {
        return monitoringCheck(reportId) + ":provisional";
    }

    /** The action of the record of a retraining request a monitoring check makes. */
    public static final String RETRAIN_REQUEST = "retrain.request";

    /**
     * The key of the {@value #RETRAIN_REQUEST} record of a model in one interval of the retraining policy: one request
     * per model and interval, made for the first report of the interval that asked (its details name that report).
     */
    public static String retrainRequest(String model, long interval) {
        return RETRAIN_REQUEST + ":" + model + ":" + interval;
    }
}
