package health.vigil.scoring;

import health.vigil.config.VigilConfig;
import health.vigil.error.ErrorCode;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.features.FeaturePipeline;
import health.vigil.explain.Explainers;
import health.vigil.json.Json;
import health.vigil.model.Deployment;
import health.vigil.modelpackage.RegisteredModelLoader;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Slot;
import health.vigil.model.TrafficSlot;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.ModelRuntime;
import health.vigil.registry.ModelRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The model versions this process has loaded, each loaded once however many requests ask for it at the
 * same time. Loading reads the version's package from the {@code models} container, checks the package's
 * sha256 against the registry, takes {@code model.onnx} out of it and hands it to the runtime, which checks
 * the model's own sha256 before it loads it. A failed load is not remembered: the next request tries again.
 */
public final class LoadedModels implements AutoCloseable {
    private final ModelRegistry registry;
    private final RegisteredModelLoader loader;
    private final ConcurrentHashMap<ModelVersion, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();

    public LoadedModels(ModelRegistry registry, ArtifactStore artifacts, ModelRuntime runtime,
            Function<Manifest, FeaturePipeline> pipelines, VigilConfig.Limits limits) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.loader = new RegisteredModelLoader(artifacts, runtime, pipelines,
                Objects.requireNonNull(limits, "limits").maxUncompressedBytes());
    }

    /** The loaded version, loading it first if needed; its record comes from the registry. */
    public ScorableModel get(ModelVersion id) {
        return entries.computeIfAbsent(id, Entry::new).get(() -> registry.getVersion(id.name(), id.number()));
    }

    /** The loaded version, loading it from {@code record} first if needed. */
    public ScorableModel get(VersionRecord record) {
        return entries.computeIfAbsent(record.id(), Entry::new).get(() -> record);
    }

    public boolean isLoaded(ModelVersion id) {
        Entry entry = entries.get(id);
        return entry != null && entry.loaded != null;
    }

    /** True when the model is deployed and every version taking live traffic is loaded or loads now. */
    public boolean isReady(ModelName model) {
        try {
            Optional<Deployment> deployment = registry.deployment(model);
            if (deployment.isEmpty()) {
                return false;
            }
            liveVersions(deployment.get()).forEach(this::get);
            return true;
        } catch (VigilException e) {
            return false;
        }
    }

    /** True when this version loads. */
    public boolean isReady(ModelVersion version) {
        try {
            get(version);
            return true;
        } catch (VigilException e) {
            return false;
        }
    }

    /**
     * Loads the versions taking the model's live traffic, so the first request does not pay for it. A model
     * that is registered but not deployed has nothing to warm; one that is not registered is MODEL_NOT_FOUND.
     */
    public void warm(ModelName model) {
        Optional<Deployment> deployment = registry.deployment(model);
        if (deployment.isEmpty()) {
            registry.listVersions(model);
            return;
        }
        liveVersions(deployment.get()).forEach(this::get);
    }

    /**
     * Warms every version a deployment names (its live slots and its shadow), of every model, that this process has
     * not loaded yet: what an instance does before it takes traffic, so that no patient's request after a start or a
     * scale-out pays for loading a version. A version that cannot be warmed is skipped and returned; its first
     * request tries again and, if it still cannot load, answers why.
     */
    public List<ModelVersion> warmDeployed() {
        List<ModelVersion> failed = new ArrayList<>();
        for (ModelName model : registry.listModels()) {
            Optional<Deployment> deployment = registry.deployment(model);
            if (deployment.isEmpty()) {
                continue;
            }
            List<ModelVersion> versions = new ArrayList<>(liveVersions(deployment.get()));
            deployment.get().slot(Slot.SHADOW).map(s -> new ModelVersion(model, s.version()))
                    .filter(v -> !versions.contains(v)).ifPresent(versions::add);
            for (ModelVersion version : versions) {
                if (isLoaded(version)) {
                    continue;
                }
                try {
                    warm(registry.getVersion(model, version.number()));
                } catch (RuntimeException e) {
                    // A missing package, a hash that does not match, a runtime that refuses the model: the
                    // version's requests will say which; the other versions are still warmed.
                    failed.add(version);
                }
            }
        }
        return List.copyOf(failed);
    }

    /**
     * Loads the version if needed and runs it once on a row of zeros, so the runtime's first-call work (memory
     * planning, caches) is done before a patient's request; throws if the version cannot load or run.
     */
    public void warm(VersionRecord record) {
        ScorableModel model = get(record);
        model.model().predict(new float[model.pipeline().width()], 1);
    }

    /** Changes whenever loaded models are closed: what a caller kept from {@link #get} before then is stale. */
    long generation() {
        return generation.get();
    }

    /** Closes every loaded model; later requests load them again. */
    @Override
    public void close() {
        generation.incrementAndGet();
        for (ModelVersion id : List.copyOf(entries.keySet())) {
            Entry entry = entries.remove(id);
            if (entry != null && entry.loaded != null) {
                entry.loaded.model().close();
            }
        }
    }

    /** The versions serving live traffic, stable first, each once; a loop, since every request asks. */
    static List<ModelVersion> liveVersions(Deployment deployment) {
        List<TrafficSlot> slots = deployment.slots();
        List<ModelVersion> live = new ArrayList<>(slots.size());
        for (TrafficSlot slot : slots) {
            if (slot.slot() != Slot.SHADOW && !contains(live, slot.version())) {
                live.add(new ModelVersion(deployment.modelName(), slot.version()));
            }
        }
        return live;
    }

    private static boolean contains(List<ModelVersion> versions, int number) {
        for (ModelVersion v : versions) {
            if (v.number() == number) {
                return true;
            }
        }
        return false;
    }

    /** One version's slot in the cache; its lock serialises loading without blocking other versions. */
    private final class Entry {
        private final ModelVersion id;
        private volatile ScorableModel loaded;

        Entry(ModelVersion id) {
            this.id = id;
        }

        ScorableModel get(Supplier<VersionRecord> record) {
            ScorableModel ready = loaded;
            if (ready != null) {
                return ready;
            }
            synchronized (this) {
                if (loaded == null) {
                    loaded = load(record.get());
                }
                return loaded;
            }
        }

        @Override
        public String toString() {
            return id.toString();
        }
    }

    private ScorableModel load(VersionRecord record) {
        RegisteredModelLoader.Loaded loaded = loader.load(record);
        return new ScorableModel(record, loaded.model(), loaded.pipeline(),
                new RecordValidator(loaded.pipeline().rawSchema()), loaded.explainer(), loaded.reference());
    }
}
