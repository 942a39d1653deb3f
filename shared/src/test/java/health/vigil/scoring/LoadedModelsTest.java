package health.vigil.scoring;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.manifest;
import static health.vigil.registry.ServiceFixtures.schema;
import static health.vigil.scoring.ScoringFixtures.onnxBytes;
import static health.vigil.scoring.ScoringFixtures.packageOf;
import static health.vigil.scoring.ScoringFixtures.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import health.vigil.features.FeaturePipelines;
import health.vigil.config.VigilConfig;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.VigilException;
import health.vigil.model.Deployment;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.ModelRuntime;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.ModelRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

class LoadedModelsTest {
    private static final ModelVersion V1 = new ModelVersion(READMISSION, 1);
    private static final ModelVersion V2 = new ModelVersion(READMISSION, 2);

    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final ArtifactStore artifacts = mock(ArtifactStore.class);
    private final ModelRuntime runtime = mock(ModelRuntime.class);
    private final List<ScoringFixtures.FormulaModel> created = new ArrayList<>();
    private LoadedModels models = new LoadedModels(new ModelRegistry(store), artifacts, runtime,
            FeaturePipelines.identityOnly(), VigilConfig.Limits.DEFAULTS);

    /** Registers version {@code v} with a package blob whose bytes are {@code blobBytes}. */
    private VersionRecord givenVersion(int v, Manifest manifest, byte[] registeredPackage, byte[] blobBytes) {
        VersionRecord record = store.put(record(READMISSION, v, Stage.APPROVED, manifest, registeredPackage, onnxBytes(v)));
        when(artifacts.open("models", record.packageBlob())).thenAnswer(call -> new ByteArrayInputStream(blobBytes));
        return record;
    }

    private VersionRecord givenVersion(int v) {
        byte[] pkg = packageOf(onnxBytes(v));
        return givenVersion(v, manifest(READMISSION), pkg, pkg);
    }

    private void givenTheRuntimeLoadsModelsOfWidth(int width) {
        when(runtime.load(any(), anyString(), anyString(), anyInt())).thenAnswer(call -> {
            ScoringFixtures.FormulaModel model = new ScoringFixtures.FormulaModel(width, row -> 0.5);
            synchronized (created) {
                created.add(model);
            }
            return model;
        });
    }

    @Test
    void theModelIsTakenFromThePackageAndLoadedWithTheRegisteredHashAndOutput() {
        VersionRecord v1 = givenVersion(1);
        givenTheRuntimeLoadsModelsOfWidth(4);

        ScorableModel loaded = models.get(V1);

        ArgumentCaptor<byte[]> bytes = ArgumentCaptor.forClass(byte[].class);
        verify(runtime).load(bytes.capture(), eq(v1.modelSha256()), eq("probabilities"), eq(1));
        assertThat(bytes.getValue()).isEqualTo(onnxBytes(1));
        assertThat(loaded.model()).isSameAs(created.get(0));
        assertThat(loaded.pipeline().columns()).containsExactly("age", "sex", "bmi", "diabetic");
        assertThat(loaded.validator().schema()).isEqualTo(schema());
        assertThat(models.isLoaded(V1)).isTrue();
    }

    @Test
    void manyRequestsAtOnceLoadAVersionOnlyOnce() throws Exception {
        givenVersion(1);
        when(runtime.load(any(), anyString(), anyString(), anyInt())).thenAnswer(call -> {
            Thread.sleep(50); // widen the window in which other threads ask for the same version
            return new ScoringFixtures.FormulaModel(4, row -> 0.5);
        });
        int threads = 16;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<ScorableModel>> results = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            results.add(pool.submit(() -> {
                start.await();
                return models.get(V1);
            }));
        }
        List<ScorableModel> loaded = new ArrayList<>();
        for (Future<ScorableModel> f : results) {
            loaded.add(f.get(30, TimeUnit.SECONDS));
        }
        pool.shutdown();

        verify(runtime, times(1)).load(any(), anyString(), anyString(), anyInt());
        verify(artifacts, times(1)).open(anyString(), anyString());
        assertThat(loaded).allSatisfy(m -> assertThat(m).isSameAs(loaded.get(0)));
    }

    @Test
    void aPackageReplacedAfterRegistrationIsNotLoaded() {
        byte[] registered = packageOf(onnxBytes(1));
        byte[] replaced = packageOf("something else".getBytes(StandardCharsets.UTF_8));
        givenVersion(1, manifest(READMISSION), registered, replaced);

        assertThatThrownBy(() -> models.get(V1))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE))
                .hasMessageContaining("replaced after registration");
        verify(runtime, never()).load(any(), any(), any(), anyInt());
    }

    @Test
    void aPackageWithoutAModelIsAnIntegrityFailure() {
        byte[] pkg = ScoringFixtures.zip(Map.of("manifest.json", "{}".getBytes(StandardCharsets.UTF_8)));
        givenVersion(1, manifest(READMISSION), pkg, pkg);

        assertThatThrownBy(() -> models.get(V1))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE))
                .hasMessageContaining("has no model.onnx");
    }

    @Test
    void aBlobThatIsNotAZipIsAnIntegrityFailure() {
        byte[] noise = new byte[4096];
        new Random(7).nextBytes(noise);
        givenVersion(1, manifest(READMISSION), noise, noise);

        assertThatThrownBy(() -> models.get(V1))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
        verify(runtime, never()).load(any(), any(), any(), anyInt());
    }

    @Test
    void aModelLargerThanTheLimitIsNotRead() {
        givenVersion(1);
        models = new LoadedModels(new ModelRegistry(store), artifacts, runtime, FeaturePipelines.identityOnly(),
                new VigilConfig.Limits(1000, 10, 16, 1000, 1000));

        assertThatThrownBy(() -> models.get(V1))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE))
                .hasMessageContaining("larger than 10 bytes");
    }

    @Test
    void aModelWhoseExplainerCannotBeBuiltIsClosedAtEveryAttemptToLoadIt() {
        givenVersion(1);
        givenTheRuntimeLoadsModelsOfWidth(4);
        // Trees exported without their training covers: loaded by the runtime, but TreeSHAP cannot explain them.
        health.vigil.model.TreeEnsemble.Tree noCover = new health.vigil.model.TreeEnsemble.Tree(
                new health.vigil.model.TreeEnsemble.NodeMode[] {health.vigil.model.TreeEnsemble.NodeMode.BRANCH_LT,
                    health.vigil.model.TreeEnsemble.NodeMode.LEAF, health.vigil.model.TreeEnsemble.NodeMode.LEAF},
                new int[] {0, 0, 0}, new double[] {50, 0, 0}, new int[] {1, 0, 0}, new int[] {2, 0, 0},
                new boolean[3], new double[] {0, -1, 1}, new double[3]);
        when(runtime.structure(any())).thenReturn(java.util.Optional.of(
                new health.vigil.model.TreeEnsemble(4, 0, List.of(noCover))));

        for (int attempt = 0; attempt < 3; attempt++) {
            assertThatThrownBy(() -> models.get(V1)).isInstanceOfSatisfying(VigilException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_PACKAGE))
                    .hasMessageContaining("no training cover");
        }

        assertThat(models.isLoaded(V1)).isFalse();
        assertThat(created).hasSize(3).allSatisfy(model -> assertThat(model.closed).as("closed").isTrue());
    }

    @Test
    void aFailedLoadIsNotRememberedAndTheNextRequestLoads() {
        VersionRecord v1 = givenVersion(1);
        byte[] pkg = packageOf(onnxBytes(1));
        when(artifacts.open("models", v1.packageBlob()))
                .thenThrow(new StoreException("blob storage unavailable", new RuntimeException()))
                .thenAnswer(call -> new ByteArrayInputStream(pkg));
        givenTheRuntimeLoadsModelsOfWidth(4);

        assertThatThrownBy(() -> models.get(V1)).isInstanceOf(StoreException.class);
        assertThat(models.isLoaded(V1)).isFalse();

        assertThat(models.get(V1).model()).isSameAs(created.get(0));
    }

    @Test
    void aModelWhoseInputWidthDiffersFromItsPipelineIsClosedAndRefused() {
        givenVersion(1);
        givenTheRuntimeLoadsModelsOfWidth(3);

        assertThatThrownBy(() -> models.get(V1))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RUNTIME_FAILURE))
                .hasMessageContaining("takes 3 inputs").hasMessageContaining("produces 4");
        assertThat(created.get(0).closed).isTrue();
    }

    @Test
    void aPipelineThisAppDoesNotHaveIsUnsupported() {
        Manifest m = manifest(READMISSION);
        Manifest custom = new Manifest(m.formatVersion(), m.name(), m.task(), m.description(), m.features(),
                "readmission@3f2a9c1b", m.output(), m.intendedUse(), m.limitations(), m.owner(), m.provenance());
        byte[] pkg = packageOf(onnxBytes(1));
        givenVersion(1, custom, pkg, pkg);

        assertThatThrownBy(() -> models.get(V1))
                .isInstanceOfSatisfying(VigilException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.UNSUPPORTED_FEATURE_PIPELINE);
                    assertThat(e.httpStatus()).isEqualTo(422);
                })
                .hasMessageContaining("readmission@3f2a9c1b");
        verify(runtime, never()).load(any(), any(), any(), anyInt());
    }

    @Test
    void warmingLoadsEveryLiveVersionAndThenTheModelIsReady() {
        givenVersion(1);
        givenVersion(2);
        givenTheRuntimeLoadsModelsOfWidth(4);
        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, 9_500),
                new TrafficSlot(Slot.CANARY, 2, 500)), 1, "ops", Instant.parse("2026-11-05T00:00:00Z"), null));

        models.warm(READMISSION);

        assertThat(models.isLoaded(V1)).isTrue();
        assertThat(models.isLoaded(V2)).isTrue();
        assertThat(models.isReady(READMISSION)).isTrue();
    }

    @Test
    void warmingTheDeployedVersionsLoadsAndRunsEachOnceAndNamesTheOnesThatCannotLoad() {
        givenVersion(1);
        givenVersion(2);
        VersionRecord v3 = givenVersion(3);
        givenVersion(4);
        when(artifacts.open("models", v3.packageBlob())).thenThrow(new NotFoundException(ErrorCode.NOT_FOUND, "no blob"));
        givenTheRuntimeLoadsModelsOfWidth(4);
        store.saveDeployment(new Deployment(READMISSION, List.of(new TrafficSlot(Slot.STABLE, 1, 9_500),
                new TrafficSlot(Slot.CANARY, 2, 500), new TrafficSlot(Slot.SHADOW, 3, 1_000)), 1, "ops",
                Instant.parse("2026-11-05T00:00:00Z"), null));

        List<ModelVersion> failed = models.warmDeployed();

        // The shadow's package is gone: it is named, and the live versions are warmed all the same.
        assertThat(failed).containsExactly(new ModelVersion(READMISSION, 3));
        assertThat(models.isLoaded(V1)).isTrue();
        assertThat(models.isLoaded(V2)).isTrue();
        assertThat(models.isLoaded(new ModelVersion(READMISSION, 4))).isFalse();
        assertThat(created).hasSize(2).allSatisfy(m -> assertThat(m.predictCalls).hasValue(1));
        // Warming again loads and runs nothing twice.
        assertThat(models.warmDeployed()).containsExactly(new ModelVersion(READMISSION, 3));
        assertThat(created).hasSize(2).allSatisfy(m -> assertThat(m.predictCalls).hasValue(1));
    }

    @Test
    void aModelWithoutADeploymentIsNotReadyAndHasNothingToWarm() {
        givenVersion(1);

        models.warm(READMISSION);

        assertThat(models.isReady(READMISSION)).isFalse();
        verify(runtime, never()).load(any(), any(), any(), anyInt());
        assertThatThrownBy(() -> models.warm(ModelName.of("adherence")))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND));
    }

    @Test
    void aDeployedModelWhosePackageIsMissingIsNotReady() {
        VersionRecord v1 = givenVersion(1);
        when(artifacts.open("models", v1.packageBlob())).thenThrow(new NotFoundException(ErrorCode.NOT_FOUND, "no blob"));
        store.saveDeployment(Deployment.stableOnly(READMISSION, 1, 1, "ops", Instant.parse("2026-11-05T00:00:00Z"), null));

        assertThat(models.isReady(READMISSION)).isFalse();
        assertThat(models.isReady(V1)).isFalse();
    }

    @Test
    void closingClosesEveryLoadedModel() {
        givenVersion(1);
        givenVersion(2);
        givenTheRuntimeLoadsModelsOfWidth(4);
        models.get(V1);
        models.get(V2);

        models.close();

        assertThat(created).hasSize(2).allSatisfy(m -> assertThat(m.closed).isTrue());
        assertThat(models.isLoaded(V1)).isFalse();
    }
}
