package health.vigil.model;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Where a version is in its life. Which stage may follow which is decided in one place, {@link Lifecycle};
 * each stage says in words what it means, so a refused transition can tell the caller what must happen first.
 */
public enum Stage {
    REGISTERED("registered: the package was validated and numbered; its gates have not run yet"),
    GATES_RUNNING("being judged by its gates (gates_running): the quality gates are evaluating it on the platform's"
            + " data"),
    GATES_PASSED("through its gates (gates_passed): it waits for a human approver"),
    GATES_FAILED("failed by its gates (gates_failed): it cannot be approved until its gates pass on a new evaluation"),
    APPROVED("approved: an approver signed it off; it may be deployed or started as a canary"),
    REJECTED("rejected: an approver turned it down; it can never be deployed"),
    CANARY("a canary: it takes a share of live traffic under canary analysis"),
    PRODUCTION("in production: it is the stable version taking live traffic"),
    ROLLED_BACK("rolled back: it was taken off live traffic because it behaved worse than stable"),
    RETIRED("retired: it was replaced by a newer version and stays loadable for a rollback");

    /**
     * The stages of a version still on its way to production: registered and not yet rejected, failed, deployed or
     * retired. While a newer version is in one of them, its model's stable version is not retrained.
     */
    public static final Set<Stage> ON_ITS_WAY = java.util.Collections.unmodifiableSet(EnumSet.of(REGISTERED,
            GATES_RUNNING, GATES_PASSED, APPROVED, CANARY));

    private final String meaning;

    Stage(String meaning) {
        this.meaning = meaning;
    }

    /**
     * What the stage means, in a phrase that follows "is" in a sentence about a version ("readmission:2 is through its
     * gates (gates_passed): it waits for a human approver"), naming the stage as APIs write it where the words differ.
     */
    public String meaning() {
        return meaning;
    }

    /** The stage's name as APIs and messages write it ({@code gates_passed}). */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }
}
