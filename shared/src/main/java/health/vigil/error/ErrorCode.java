package health.vigil.error;

/**
 * Every failure Vigil reports has one code. The code decides the HTTP status (the one table that maps
 * codes to statuses is this enum) and is what clients, runbooks and telemetry key on.
 */
public enum ErrorCode {
    MALFORMED_JSON(400),
    INVALID_REQUEST(400),
    INVALID_FEATURE(400),
    BATCH_TOO_LARGE(400),
    INVALID_PACKAGE(400),
    UNAUTHENTICATED(401),
    FORBIDDEN(403),
    SEPARATION_OF_DUTIES(403),
    NOT_FOUND(404),
    MODEL_NOT_FOUND(404),
    VERSION_NOT_FOUND(404),
    PREDICTION_NOT_FOUND(404),
    EXPLANATION_NOT_RECORDED(404),
    METHOD_NOT_ALLOWED(405),
    NOT_ACCEPTABLE(406),
    PURGED_BY_RETENTION(410),
    MODEL_NOT_DEPLOYED(409),
    VERSION_NOT_DEPLOYED(409),
    CONFLICT(409),
    INVALID_STATE(409),
    GATES_OUT_OF_DATE(409),
    VERSION_NOT_SERVABLE(409),
    CANARY_REQUIRED(409),
    CANARY_NOT_JUDGED(409),
    AUDIT_CHAIN_BROKEN(409),
    REQUEST_TIMEOUT(408),
    CONCURRENT_MODIFICATION(412),
    PAYLOAD_TOO_LARGE(413),
    URI_TOO_LONG(414),
    UNSUPPORTED_MEDIA_TYPE(415),
    UNSUPPORTED_FEATURE_PIPELINE(422),
    HEADERS_TOO_LARGE(431),
    INTEGRITY_FAILURE(500),
    GATE_POLICY_UNREADABLE(500),
    RUNTIME_FAILURE(500),
    INTERNAL(500),
    MODEL_OUTPUT_INVALID(502),
    STORE_UNAVAILABLE(503),
    SERVER_BUSY(503);

    private final int httpStatus;

    ErrorCode(int httpStatus) {
        this.httpStatus = httpStatus;
    }

    public int httpStatus() {
        return httpStatus;
    }

    /** True when the caller can fix the problem (a 4xx). */
    public boolean isClientError() {
        return httpStatus >= 400 && httpStatus < 500;
    }

    /**
     * True for the refusals no retry can turn into a success: 400, 401, 403 and 413, the statuses after which Event
     * Grid does not deliver an event to a webhook again. A 404 or 409 may be a store or a race not yet settled.
     */
    public boolean isFinalRefusal() {
        return httpStatus == 400 || httpStatus == 401 || httpStatus == 403 || httpStatus == 413;
    }
}
