package health.vigil.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import java.util.Objects;
import java.util.Optional;

/** One model at a glance: how many versions it has, the latest one, and its deployment if it has one. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ModelSummary(ModelName name, int versionCount, VersionRecord latest, Deployment deployment) {
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
