package health.vigil.model;

/** Where a version is in its life. */
public enum Stage {
    REGISTERED,
    GATES_PASSED,
    GATES_FAILED,
    APPROVED,
    REJECTED,
    CANARY,
    PRODUCTION,
    ROLLED_BACK,
    RETIRED
}
