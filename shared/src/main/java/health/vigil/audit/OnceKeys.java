package health.vigil.audit;

/**
 * Once-keys ({@link AuditLog#recordOnce}) that one service writes and another looks up. Kept here, beside the log,
 * so that the services agree on them through the audit package rather than by calling each other.
 */
public final class OnceKeys {
    private OnceKeys() {}

    /** The key of the {@code monitoring.check} record of the check that made the report with this id. */
    public static String monitoringCheck(String reportId) {
        return "monitoring.check:" + reportId;
    }
}
