package health.vigil.registry;

import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.model.CanaryRecord;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import health.vigil.port.RegistryStore;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.IntFunction;

/** A registry store in memory with the port's etag semantics, for tests that follow state over several steps. */
public final class InMemoryRegistryStore implements RegistryStore {
    private final Map<ModelName, TreeMap<Integer, VersionRecord>> versions = new TreeMap<>();
    private final Map<ModelName, Deployment> deployments = new HashMap<>();
    private final Set<String> handled = new HashSet<>();
    private final Map<ModelName, TreeMap<Integer, CanaryRecord>> canaries = new HashMap<>();
    private long etags;

    private String nextEtag() {
        return "etag-" + (++etags);
    }

    /** Stores a record as it is given (its version number included), for setting up a test. */
    public synchronized VersionRecord put(VersionRecord record) {
        VersionRecord stored = record.withEtag(nextEtag());
        versions.computeIfAbsent(record.modelName(), m -> new TreeMap<>()).put(record.version(), stored);
        return stored;
    }

    @Override
    public synchronized NewVersion createVersionOnce(ModelName model, IntFunction<VersionRecord> factory) {
        TreeMap<Integer, VersionRecord> byNumber = versions.computeIfAbsent(model, m -> new TreeMap<>());
        int next = byNumber.isEmpty() ? 1 : byNumber.lastKey() + 1;
        return new NewVersion(put(factory.apply(next)), true);
    }

    @Override
    public synchronized Optional<VersionRecord> findVersion(ModelName model, int version) {
        return Optional.ofNullable(versions.getOrDefault(model, new TreeMap<>()).get(version));
    }

    @Override
    public synchronized Optional<VersionRecord> findByPackageSha256(ModelName model, String packageSha256) {
        return versions.getOrDefault(model, new TreeMap<>()).values().stream()
                .filter(v -> packageSha256.equals(v.packageSha256())).findFirst();
    }

    @Override
    public synchronized List<VersionRecord> listVersions(ModelName model) {
        return new ArrayList<>(versions.getOrDefault(model, new TreeMap<>()).values());
    }

    @Override
    public synchronized List<ModelName> listModels() {
        return List.copyOf(versions.keySet());
    }

    @Override
    public synchronized VersionRecord updateVersion(VersionRecord record) {
        VersionRecord stored = findVersion(record.modelName(), record.version()).orElseThrow();
        if (!Objects.equals(stored.etag(), record.etag())) {
            throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, record.id() + " changed since it was read");
        }
        return put(record);
    }

    @Override
    public synchronized Optional<Deployment> findDeployment(ModelName model) {
        return Optional.ofNullable(deployments.get(model));
    }

    @Override
    public synchronized Deployment saveDeployment(Deployment d) {
        Deployment stored = deployments.get(d.modelName());
        if (stored == null ? d.etag() != null : !Objects.equals(stored.etag(), d.etag())) {
            throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "deployment of " + d.modelName()
                    + " changed since it was read");
        }
        Deployment saved = d.withEtag(nextEtag());
        deployments.put(d.modelName(), saved);
        return saved;
    }

    @Override
    public synchronized CanaryRecord keepCanary(CanaryRecord record) {
        return canaries.computeIfAbsent(record.modelName(), m -> new TreeMap<>()).merge(record.version(), record,
                (kept, offered) -> offered.revision() > kept.revision() ? offered : kept);
    }

    @Override
    public synchronized Optional<CanaryRecord> findCanary(ModelName model, int version) {
        return Optional.ofNullable(canaries.getOrDefault(model, new TreeMap<>()).get(version));
    }

    @Override
    public synchronized List<CanaryRecord> listCanaries(ModelName model) {
        return canaries.getOrDefault(model, new TreeMap<>()).values().stream()
                .sorted(java.util.Comparator.comparingLong(CanaryRecord::revision).reversed()).toList();
    }

    @Override
    public synchronized boolean markEventHandled(String handler, String eventId) {
        return handled.add(handler + "/" + eventId);
    }

    @Override
    public synchronized boolean isEventHandled(String handler, String eventId) {
        return handled.contains(handler + "/" + eventId);
    }
}
