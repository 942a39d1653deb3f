package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import java.time.Instant;
import java.util.Objects;

/**
 * A canary ramp as the registry keeps it by its version, beyond the deployment document: the ramp as the deployment
 * revision that last changed it left it, with who wrote that revision and when. A deploy or rollback replaces the
 * deployment document and a new canary replaces its ramp; this record keeps the earlier ramp's state and analyses
 * readable after either.
 */
public record CanaryRecord(ModelName modelName, long revision, String updatedBy, Instant updatedAt, CanaryRamp ramp) {

    public CanaryRecord {
        Objects.requireNonNull(modelName, "modelName");
        Objects.requireNonNull(ramp, "ramp");
    }

    /** The ramp of {@code deployment}, which must have one, as its revision left it. */
    public static CanaryRecord of(Deployment deployment) {
        return new CanaryRecord(deployment.modelName(), deployment.revision(), deployment.updatedBy(),
                deployment.updatedAt(), Objects.requireNonNull(deployment.canary(), "the deployment's canary"));
    }

    /** The canary version. */
    @JsonIgnore
    public int version() {
        return ramp.version();
    }
}
