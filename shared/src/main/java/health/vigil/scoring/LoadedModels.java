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
import health.vigil.modelpackage.VerifiedPackageExtractor;
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
    /** Java arrays stop a little short of Integer.MAX_VALUE. */
    private static final long LARGEST_ARRAY = Integer.MAX_VALUE - 16;

    private final ModelRegistry registry;
    private final ArtifactStore artifacts;
    private final ModelRuntime runtime;
    private final Function<Manifest, FeaturePipeline> pipelines;
    private final VerifiedPackageExtractor extractor;
    private final ConcurrentHashMap<ModelVersion, Entry> entries = new ConcurrentHashMap<>();
    private final AtomicLong generation = new AtomicLong();

    public LoadedModels(ModelRegistry registry, ArtifactStore artifacts, ModelRuntime runtime,
            Function<Manifest, FeaturePipeline> pipelines, VigilConfig.Limits limits) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.runtime = Objects.requireNonNull(runtime, "runtime");
        this.pipelines = Objects.requireNonNull(pipelines, "pipelines");
        this.extractor = new VerifiedPackageExtractor(
                Math.min(Objects.requireNonNull(limits, "limits").maxUncompressedBytes(), LARGEST_ARRAY));
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
        Manifest manifest = record.manifest();
        FeaturePipeline pipeline = pipelines.apply(manifest);
        PackageParts parts = extractModel(record);
        byte[] onnx = parts.onnx();
        ModelRuntime.LoadedModel model = runtime.load(onnx, record.modelSha256(), manifest.output().onnxOutput(),
                manifest.output().positiveClassIndex());
        if (model.inputWidth() != pipeline.width()) {
            model.close();
            throw new VigilException(ErrorCode.RUNTIME_FAILURE, record.id() + " takes " + model.inputWidth()
                    + " inputs but its feature pipeline '" + pipeline.id() + "' produces " + pipeline.width()
                    + "; the package does not match its manifest and cannot score");
        }
        return new ScorableModel(record, model, pipeline, new RecordValidator(pipeline.rawSchema()),
                Explainers.forModel(runtime.structure(onnx), pipeline, parts.reference()), parts.reference());
    }

    /**
     * The training profile, when the package has one that reads: it only gives explanations of linear models
     * their baseline, so a profile this version of Vigil cannot read leaves them out rather than stop scoring.
     */
    private static Optional<ReferenceProfile> referenceProfile(byte[] json) {
        try {
            return Optional.of(Json.read("reference.json", json, ReferenceProfile.class));
        } catch (ValidationException unreadable) {
            return Optional.empty();
        }
    }

    /** What scoring reads from a package: the model, and the training profile (for explanations' baselines). */
    private record PackageParts(byte[] onnx, Optional<ReferenceProfile> reference) {}

    /**
     * {@code model.onnx} and {@code reference.json} from the version's package, after checking the package is
     * the one registered.
     */
    private PackageParts extractModel(VersionRecord record) {
        String blob = record.packageBlob();
        if (blob == null || record.packageSha256() == null) {
            throw new VigilException(ErrorCode.INTEGRITY_FAILURE, record.id() + " has no package blob or package"
                    + " sha256 in the registry; register it again");
        }
        try (InputStream raw = artifacts.open(ArtifactStore.MODELS, blob)) {
            VerifiedPackageExtractor.Contents contents = extractor.extract(raw, record.packageSha256(),
                    "the package of " + record.id() + " (blob '" + blob + "')");
            return new PackageParts(contents.onnx(), contents.referenceJson().flatMap(LoadedModels::referenceProfile));
        } catch (IOException e) {
            throw new StoreException("could not read the package of " + record.id() + " (blob '" + blob + "')", e);
        }
    }
}
