package health.vigil.port;

import health.vigil.model.CanaryRecord;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.IntFunction;

/**
 * Persistence of the model registry: one document per version and one deployment document per model, and the
 * last state of each version's canary ramp, kept beyond the deployment document that held it.
 * Updates are conditional on the etag the caller read, so no concurrent change is lost.
 */
public interface RegistryStore {

    /**
     * Atomically assigns the next version number (1 for a new model) and stores the record that
     * {@code factory} builds for that number. Two concurrent calls never get the same number. If the model
     * already has a version with the built record's package sha256, that version is returned instead and
     * nothing is created, atomically with the numbering: one package is one version, however many events
     * announce it. The answer says which: of any number of calls for one package, concurrent or not, exactly one
     * is told it created the version.
     */
    NewVersion createVersionOnce(ModelName model, IntFunction<VersionRecord> factory);

    /** {@link #createVersionOnce}, for a caller that need not know whether it created the version. */
    default VersionRecord createNextVersion(ModelName model, IntFunction<VersionRecord> factory) {
        return createVersionOnce(model, factory).version();
    }

    /**
     * The version {@link #createVersionOnce} answered with (its etag set), and whether that call stored it rather than
     * finding it registered from the same package.
     */
    record NewVersion(VersionRecord version, boolean created) {
        public NewVersion {
            Objects.requireNonNull(version, "version");
        }
    }

    Optional<VersionRecord> findVersion(ModelName model, int version);

    /** The version registered from a package with this sha256, if any (registration is idempotent on it). */
    Optional<VersionRecord> findByPackageSha256(ModelName model, String packageSha256);

    /** All versions of a model, oldest first. */
    List<VersionRecord> listVersions(ModelName model);

    /** The models with at least one version, by name; a model whose first registration failed is not one. */
    List<ModelName> listModels();

    /**
     * Replaces a version document if its etag still equals {@code record.etag()}; otherwise throws a
     * {@link health.vigil.error.ConflictException} with code CONCURRENT_MODIFICATION. Returns it with the new etag.
     */
    VersionRecord updateVersion(VersionRecord record);

    Optional<Deployment> findDeployment(ModelName model);

    /**
     * Creates (etag null) or replaces (etag equal to the stored one) the deployment document; otherwise a
     * {@link health.vigil.error.ConflictException} with code CONCURRENT_MODIFICATION.
     */
    Deployment saveDeployment(Deployment deployment);

    /**
     * Keeps the canary ramp of {@code record} by its model and canary version, unless what is kept for that version
     * came from the same or a later deployment revision: a writer that records an older revision late never hides a
     * newer one, and recording one revision twice keeps one record. Returns what is kept afterwards.
     */
    CanaryRecord keepCanary(CanaryRecord record);

    /** The last ramp kept for a canary of this version, if one was ever started. */
    Optional<CanaryRecord> findCanary(ModelName model, int version);

    /** Every kept ramp of the model, one per canary version, the one of the latest deployment revision first. */
    List<CanaryRecord> listCanaries(ModelName model);

    /**
     * Marks an event as handled by a handler; false when it already was. Handlers call it after their
     * work succeeded, so a failed attempt is retried and a delivered-twice event is done once.
     */
    boolean markEventHandled(String handler, String eventId);

    boolean isEventHandled(String handler, String eventId);
}
