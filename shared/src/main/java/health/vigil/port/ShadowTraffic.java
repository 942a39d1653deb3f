package health.vigil.port;

import health.vigil.model.MirroredRows;

/**
 * Where the scoring path hands rows for a model's shadow version. {@link #offer} returns at once whatever happens
 * behind it (a full queue drops the rows and counts them): the caller's latency and answer never depend on the
 * shadow.
 */
@FunctionalInterface
public interface ShadowTraffic {
    /** Mirrors nothing. */
    ShadowTraffic NONE = rows -> {};

    void offer(MirroredRows rows);
}
