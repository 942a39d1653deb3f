package health.vigil.registry;

import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import health.vigil.port.RegistryStore;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * Read access to the model registry, turning "not there" into errors that say what exists instead.
 */
public final class ModelRegistry {
    /** How many model names a not-found message lists before it stops. */
    private static final int NAMES_IN_MESSAGE = 20;

    private final RegistryStore store;

    public ModelRegistry(RegistryStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /** Whether the registry answers, so the platform can serve; a readiness probe asks this. */
    public boolean isReady() {
        try {
            store.listModels();
            return true;
        } catch (RuntimeException e) {
            return false;
        }
    }

    public List<ModelName> listModels() {
        return store.listModels().stream().sorted().toList();
    }

    /** {@code model} when it is registered; MODEL_NOT_FOUND, naming the registered ones, when it is not. */
    public ModelName requireRegistered(ModelName model) {
        if (!listModels().contains(model)) {
            throw modelNotFound(model);
        }
        return model;
    }

    /** A model's versions, oldest first; MODEL_NOT_FOUND when the model has none. */
    public List<VersionRecord> listVersions(ModelName model) {
        Objects.requireNonNull(model, "model");
        List<VersionRecord> versions = store.listVersions(model);
        if (versions.isEmpty()) {
            throw modelNotFound(model);
        }
        return versions;
    }

    /** One version, if the model has it. */
    public Optional<VersionRecord> findVersion(ModelName model, int version) {
        return store.findVersion(Objects.requireNonNull(model, "model"), version);
    }

    /** Where {@code version} comes from, back to the first version up its line the platform did not retrain. */
    public Lineage lineage(VersionRecord version) {
        return Lineage.of(version, this::findVersion);
    }

    /** One version; MODEL_NOT_FOUND or VERSION_NOT_FOUND with what does exist. */
    public VersionRecord getVersion(ModelName model, int version) {
        Objects.requireNonNull(model, "model");
        if (version >= 1) {
            Optional<VersionRecord> found = store.findVersion(model, version);
            if (found.isPresent()) {
                return found.get();
            }
        }
        List<VersionRecord> versions = listVersions(model);
        int latest = versions.get(versions.size() - 1).version();
        throw new NotFoundException(ErrorCode.VERSION_NOT_FOUND, "model `" + model + "` has no version " + version
                + "; its versions are " + versions.get(0).version() + (latest == versions.get(0).version() ? "" : " to " + latest)
                + " (see GET /models/" + model + ")");
    }

    /** The newest version of a model. */
    public VersionRecord latestVersion(ModelName model) {
        List<VersionRecord> versions = listVersions(model);
        return versions.get(versions.size() - 1);
    }

    /** The model's deployment, if a version was ever deployed; does not check that the model exists. */
    public Optional<Deployment> deployment(ModelName model) {
        return store.findDeployment(Objects.requireNonNull(model, "model"));
    }

    public ModelSummary summary(ModelName model) {
        List<VersionRecord> versions = listVersions(model);
        return new ModelSummary(model, versions.size(), versions.get(versions.size() - 1),
                store.findDeployment(model).orElse(null));
    }

    /** The error for a model the registry does not know, listing the models it does know. */
    public NotFoundException modelNotFound(ModelName model) {
        List<ModelName> known = listModels();
        String listing = known.isEmpty() ? "no model is registered yet"
                : "registered models: " + known.stream().limit(NAMES_IN_MESSAGE).map(ModelName::value)
                        .collect(Collectors.joining(", ")) + (known.size() > NAMES_IN_MESSAGE ? ", ..." : "");
        return new NotFoundException(ErrorCode.MODEL_NOT_FOUND, "model `" + model + "` is not registered ("
                + listing + "); a model is registered by uploading a package whose manifest names it to the"
                + " models container");
    }
}
