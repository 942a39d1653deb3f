package health.vigil.registry;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import java.util.Objects;
import java.util.Optional;

/**
 * One model at a glance: how many versions it has, the latest one, and its deployment if it has one. Written for any
 * caller who may read the model, the deployment leaves out the keyed requests it remembers: they are how a caller's
 * retry is recognised (other callers' keys and what they asked), not part of what serves the model; so is what it keeps
 * of its deploy for completing the deploy's record.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelSummary(ModelName name, int versionCount, VersionRecord latest,
        @JsonIgnoreProperties({Deployment.REMEMBERED_REQUESTS, Deployment.KEPT_PREVIOUS, Deployment.KEPT_DISPLACED})
        Deployment deployment) {
    public ModelSummary {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(latest, "latest");
        if (versionCount < 1) {
            throw new IllegalArgumentException("a registered model has at least one version");
        }
    }

    public Optional<Deployment> currentDeployment() {
        return Optional.ofNullable(deployment);
    }
}
