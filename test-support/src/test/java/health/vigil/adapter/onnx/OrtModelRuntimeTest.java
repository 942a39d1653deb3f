package health.vigil.adapter.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OrtException;
import health.vigil.error.ErrorCode;
import health.vigil.error.PackageRejectedException;
import health.vigil.error.PackageRejectedException.Reason;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.hash.Sha256;
import health.vigil.model.TreeEnsemble;
import health.vigil.port.ModelRuntime;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import health.vigil.testing.samples.SyntheticCohort;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class OrtModelRuntimeTest {
    private static final String PROBABILITIES = OnnxModelWriter.PROBABILITIES;
    private static OrtModelRuntime runtime;
    private static SamplePackage trees;
    private static SyntheticCohort cohort;

    @BeforeAll
    static void start() {
        runtime = new OrtModelRuntime();
        trees = SampleModels.readmissionTrees();
        cohort = SampleModels.readmissionCohort(2_000, 99);
    }

    @AfterAll
    static void stop() {
        runtime.close();
    }

    @Test
    void scoresThePositiveClassProbabilityOfEachRow() {
        SamplePackage logistic = SampleModels.readmissionLogistic();
        TreeEnsemble ensemble = SampleModels.readmissionTreeEnsemble();
        try (ModelRuntime.LoadedModel lr = runtime.load(logistic.onnx(), logistic.modelSha256(), PROBABILITIES, 1);
                ModelRuntime.LoadedModel gbt = runtime.load(trees.onnx(), trees.modelSha256(), PROBABILITIES, 1)) {
            double[] lrScores = lr.predict(cohort.inputs(), cohort.rows());
            double[] treeScores = gbt.predict(cohort.inputs(), cohort.rows());

            assertThat(lr.inputWidth()).isEqualTo(6);
            for (int r = 0; r < cohort.rows(); r++) {
                float[] row = cohort.row(r);
                assertThat(lrScores[r]).isCloseTo(SampleModels.readmissionLogisticProbability(row), within(1e-5));
                double[] wide = new double[row.length];
                for (int c = 0; c < row.length; c++) {
                    wide[c] = row[c];
                }
                assertThat(treeScores[r]).isCloseTo(ensemble.probability(wide), within(1e-5));
            }
        }
    }

    @Test
    void theNegativeClassColumnCanBeChosenToo() {
        try (ModelRuntime.LoadedModel model = runtime.load(trees.onnx(), trees.modelSha256(), PROBABILITIES, 0);
                ModelRuntime.LoadedModel positive = runtime.load(trees.onnx(), trees.modelSha256(), PROBABILITIES, 1)) {
            double[] negative = model.predict(cohort.inputs(), cohort.rows());
            double[] pos = positive.predict(cohort.inputs(), cohort.rows());
            for (int r = 0; r < cohort.rows(); r++) {
                assertThat(negative[r] + pos[r]).isCloseTo(1.0, within(1e-6));
            }
        }
    }

    @Test
    void tamperedModelBytesAreNeverLoaded() {
        byte[] onnx = trees.onnx();
        String registered = Sha256.hex(onnx);
        byte[] tampered = onnx.clone();
        tampered[tampered.length / 2] ^= 0x01;

        assertThatThrownBy(() -> runtime.load(tampered, registered, PROBABILITIES, 1))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE))
                .hasMessageContaining(registered).hasMessageContaining(Sha256.hex(tampered));
    }

    @Test
    void theHashIsCheckedBeforeTheBytesAreParsed() {
        byte[] garbage = {1, 2, 3, 4};
        assertThatThrownBy(() -> runtime.load(garbage, trees.modelSha256(), PROBABILITIES, 1))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE));
        try (ModelRuntime.LoadedModel model = runtime.load(trees.onnx(), trees.modelSha256().toUpperCase(), PROBABILITIES, 1)) {
            assertThat(model.predict(cohort.row(0), 1)).hasSize(1);
        }
    }

    @Test
    void manyThreadsScoringAtOnceGetTheSameAnswersAsOneThreadAlone() throws Exception {
        float[] inputs = cohort.inputs();
        int width = cohort.width();
        int[] sizes = {1, 3, 17, 64, 1, 250};
        List<int[]> slices = new ArrayList<>(); // {first row, rows}
        for (int start = 0, k = 0; start < cohort.rows(); k++) {
            int rows = Math.min(sizes[k % sizes.length], cohort.rows() - start);
            slices.add(new int[] {start, rows});
            start += rows;
        }
        try (ModelRuntime.LoadedModel model = runtime.load(trees.onnx(), trees.modelSha256(), PROBABILITIES, 1)) {
            double[][] sequential = new double[slices.size()][];
            for (int s = 0; s < slices.size(); s++) {
                sequential[s] = model.predict(slice(inputs, slices.get(s), width), slices.get(s)[1]);
            }
            double[] oneBatch = model.predict(inputs, cohort.rows());
            for (int s = 0; s < slices.size(); s++) {
                for (int r = 0; r < slices.get(s)[1]; r++) {
                    assertThat(sequential[s][r]).isEqualTo(oneBatch[slices.get(s)[0] + r]);
                }
            }

            int threads = 16;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Integer>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                long seed = t;
                done.add(pool.submit(() -> {
                    List<Integer> order = new ArrayList<>();
                    for (int s = 0; s < slices.size(); s++) {
                        order.add(s);
                    }
                    Collections.shuffle(order, new Random(seed));
                    start.await();
                    int checked = 0;
                    for (int round = 0; round < 3; round++) {
                        for (int s : order) {
                            double[] got = model.predict(slice(inputs, slices.get(s), width), slices.get(s)[1]);
                            if (!Arrays.equals(got, sequential[s])) {
                                throw new AssertionError("slice " + s + " differs when scored concurrently");
                            }
                            checked++;
                        }
                    }
                    return checked;
                }));
            }
            start.countDown();
            int checked = 0;
            for (Future<Integer> f : done) {
                checked += f.get(2, TimeUnit.MINUTES);
            }
            pool.shutdown();
            assertThat(checked).isEqualTo(threads * 3 * slices.size());
        }
    }

    @Test
    void closingAModelWhileOthersScoreWithItNeitherCrashesNorReturnsGarbage() throws Exception {
        ModelRuntime.LoadedModel model = runtime.load(trees.onnx(), trees.modelSha256(), PROBABILITIES, 1);
        float[] rows = Arrays.copyOf(cohort.inputs(), 50 * cohort.width());
        double[] expected = model.predict(rows, 50);
        ExecutorService pool = Executors.newFixedThreadPool(4);
        AtomicBoolean closedSeen = new AtomicBoolean();
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            work.add(pool.submit(() -> {
                while (true) {
                    try {
                        assertThat(model.predict(rows, 50)).containsExactly(expected);
                    } catch (VigilException e) {
                        assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE);
                        closedSeen.set(true);
                        return null;
                    }
                }
            }));
        }
        Thread.sleep(50);
        model.close();
        for (Future<?> f : work) {
            f.get(1, TimeUnit.MINUTES);
        }
        pool.shutdown();
        assertThat(closedSeen).isTrue();
        model.close(); // twice is harmless
    }

    @Test
    void closingTheRuntimeUnloadsItsModels() {
        OrtModelRuntime own = new OrtModelRuntime();
        ModelRuntime.LoadedModel model = own.load(trees.onnx(), trees.modelSha256(), PROBABILITIES, 1);
        own.close();

        assertThatThrownBy(() -> model.predict(cohort.row(0), 1)).isInstanceOfSatisfying(VigilException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE));
        assertThatThrownBy(() -> own.inspect(trees.onnx())).isInstanceOfSatisfying(VigilException.class,
                e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_STATE));
    }

    @Test
    void readsProbabilitiesFromAZipMapOutput() {
        byte[] onnx = TestModels.zipMap(3);
        float[] rows = {1f, 2f, 3f, -1f, 0f, 0.5f};
        float[][] direct = OrtTestSupport.run(onnx, rows, 3, PROBABILITIES);
        try (ModelRuntime.LoadedModel model = runtime.load(onnx, Sha256.hex(onnx), "output_probability", 1)) {
            double[] p = model.predict(rows, 2);
            assertThat(p[0]).isCloseTo(direct[0][1], within(1e-7));
            assertThat(p[1]).isCloseTo(direct[1][1], within(1e-7));
        }
        assertThat(runtime.inspect(onnx).outputs()).anySatisfy(t -> {
            assertThat(t.name()).isEqualTo("output_probability");
            assertThat(t.isMap()).isTrue();
            assertThat(t.elementType()).isEqualTo("float");
        });
    }

    @Test
    void readsProbabilitiesWhoseColumnCountIsOnlyKnownWhenScoring() {
        byte[] onnx = TestModels.runtimeShapedProbabilities(3);
        float[] rows = {1f, 2f, 3f, -1f, 0f, 0.5f};
        float[][] direct = OrtTestSupport.run(onnx, rows, 3, "reshaped");
        assertThat(runtime.inspect(onnx).outputs()).filteredOn(t -> t.name().equals("reshaped"))
                .singleElement().satisfies(t -> assertThat(t.shape()).containsExactly(-1, -1));
        try (ModelRuntime.LoadedModel model = runtime.load(onnx, Sha256.hex(onnx), "reshaped", 1)) {
            assertThat(model.predict(rows, 2)).containsExactly(direct[0][1], direct[1][1]);
        }
        try (ModelRuntime.LoadedModel model = runtime.load(onnx, Sha256.hex(onnx), "reshaped", 2)) {
            assertThatThrownBy(() -> model.predict(rows, 2)).isInstanceOfSatisfying(VigilException.class,
                    e -> assertThat(e.code()).isEqualTo(ErrorCode.RUNTIME_FAILURE)).hasMessageContaining("2 classes");
        }
    }

    @Test
    void aBudgetedRunThatOutlastsItsBudgetIsStoppedAndSaysSo() {
        byte[] fast = TestModels.slowLoop(6, 1);
        try (ModelRuntime.LoadedModel model = runtime.load(fast, Sha256.hex(fast), PROBABILITIES, 1)) {
            double[] passedOn = model.predict(new float[12], 2, java.time.Duration.ofSeconds(10));
            assertThat(passedOn).hasSize(2);
            for (double p : passedOn) {
                assertThat(p).isBetween(0.0, 1.0);
            }
        }
        // About a microsecond an iteration: without the budget this run would take hours.
        byte[] slow = TestModels.slowLoop(6, 4_000_000_000L);
        try (ModelRuntime.LoadedModel model = runtime.load(slow, Sha256.hex(slow), PROBABILITIES, 1)) {
            long started = System.nanoTime();
            assertThatThrownBy(() -> model.predict(new float[6], 1, java.time.Duration.ofMillis(200)))
                    .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RUNTIME_FAILURE))
                    .hasMessageContaining("took longer than 200 ms to score 1 row");
            assertThat(java.time.Duration.ofNanos(System.nanoTime() - started)).isLessThan(java.time.Duration.ofMinutes(1));
            // A thread's next run is stopped by its own budget, not by the first's order.
            assertThatThrownBy(() -> model.predict(new float[6], 1, java.time.Duration.ofMillis(50)))
                    .hasMessageContaining("took longer than 50 ms");
        }
        // And a run on this thread after two stopped ones runs to its end.
        try (ModelRuntime.LoadedModel model = runtime.load(fast, Sha256.hex(fast), PROBABILITIES, 1)) {
            assertThat(model.predict(new float[12], 2, java.time.Duration.ofSeconds(10))).hasSize(2);
        }
    }

    @Test
    void aStoppedRunStopsNoOtherThreadsRuns() throws Exception {
        byte[] fast = TestModels.slowLoop(6, 1);
        byte[] slow = TestModels.slowLoop(6, 4_000_000_000L);
        try (ModelRuntime.LoadedModel quick = runtime.load(fast, Sha256.hex(fast), PROBABILITIES, 1);
                ModelRuntime.LoadedModel held = runtime.load(slow, Sha256.hex(slow), PROBABILITIES, 1)) {
            java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newFixedThreadPool(3);
            try {
                java.util.List<java.util.concurrent.Future<Integer>> runs = new java.util.ArrayList<>();
                for (int t = 0; t < 3; t++) {
                    runs.add(threads.submit(() -> {
                        int done = 0;
                        for (int i = 0; i < 300; i++) {
                            // Budgets under the watchdog's idle second wake it; a run takes microseconds, and none
                            // of these is reached unless a thread stalls for half a second.
                            assertThat(quick.predict(new float[6], 1, java.time.Duration.ofMillis(500 + i))).hasSize(1);
                            done++;
                        }
                        return done;
                    }));
                }
                assertThatThrownBy(() -> held.predict(new float[6], 1, java.time.Duration.ofMillis(100)))
                        .hasMessageContaining("took longer than 100 ms");
                for (java.util.concurrent.Future<Integer> run : runs) {
                    assertThat(run.get(1, java.util.concurrent.TimeUnit.MINUTES)).isEqualTo(300);
                }
            } finally {
                threads.shutdownNow();
            }
        }
    }

    @Test
    void onnxRuntimeFailuresAreRuntimeFailuresThatKeepTheCause() {
        // The trees split on all six columns; given three, ONNX Runtime itself refuses the batch.
        byte[] onnx = TestModels.dynamicWidth(trees.onnx());
        try (ModelRuntime.LoadedModel model = runtime.load(onnx, Sha256.hex(onnx), PROBABILITIES, 1)) {
            assertThat(model.inputWidth()).isEqualTo(-1);
            assertThat(model.predict(Arrays.copyOf(cohort.inputs(), 12), 2)).hasSize(2);
            assertThatThrownBy(() -> model.predict(new float[] {1, 2, 3, 4, 5, 6}, 2))
                    .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.RUNTIME_FAILURE))
                    .hasCauseInstanceOf(OrtException.class);
        }
    }

    @Test
    void badCallsAreClientErrorsNamingTheProblem() {
        try (ModelRuntime.LoadedModel model = runtime.load(trees.onnx(), trees.modelSha256(), PROBABILITIES, 1)) {
            assertThatThrownBy(() -> model.predict(new float[7], 1)).isInstanceOf(ValidationException.class)
                    .hasMessageContaining("7 values").hasMessageContaining("6 model inputs");
            assertThatThrownBy(() -> model.predict(null, 1)).isInstanceOf(ValidationException.class);
            assertThatThrownBy(() -> model.predict(new float[6], -1)).isInstanceOf(ValidationException.class);
            assertThat(model.predict(new float[0], 0)).isEmpty();
        }
        assertThatThrownBy(() -> runtime.load(trees.onnx(), trees.modelSha256(), "scores", 1))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.ONNX_SCHEMA_MISMATCH))
                .hasMessageContaining("no output 'scores'");
        assertThatThrownBy(() -> runtime.load(trees.onnx(), trees.modelSha256(), PROBABILITIES, 2))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.ONNX_SCHEMA_MISMATCH))
                .hasMessageContaining("2 columns");
        assertThatThrownBy(() -> runtime.load(trees.onnx(), "not-a-hash", PROBABILITIES, 1))
                .isInstanceOf(ValidationException.class);
    }

    @Test
    void inspectDescribesInputsAndOutputs() {
        ModelRuntime.Signature signature = runtime.inspect(trees.onnx());

        assertThat(signature.inputs()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("input");
            assertThat(t.elementType()).isEqualTo("float");
            assertThat(t.shape()).containsExactly(-1, 6);
            assertThat(t.isMap()).isFalse();
        });
        assertThat(signature.outputs()).extracting(ModelRuntime.Tensor::name).containsExactly("label", "probabilities");
        assertThat(signature.outputs().get(1).shape()).containsExactly(-1, 2);
    }

    @Test
    void inspectRefusesExternalDataWhereverItHides() {
        for (byte[] onnx : List.of(TestModels.externalInitializer(3), TestModels.externalConstant(3),
                TestModels.externalInSubgraph(3))) {
            assertThatThrownBy(() -> runtime.inspect(onnx)).isInstanceOfSatisfying(PackageRejectedException.class,
                    e -> assertThat(e.reason()).isEqualTo(Reason.ONNX_EXTERNAL_DATA))
                    .hasMessageContaining("external file").hasMessageContaining("self-contained");
        }
    }

    @Test
    void inspectRefusesOperatorsOutsideTheStandardDomains() {
        assertThatThrownBy(() -> runtime.inspect(TestModels.customDomainNode(3)))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.ONNX_UNSUPPORTED_OPERATOR_DOMAIN))
                .hasMessageContaining("com.microsoft");
        assertThatThrownBy(() -> runtime.inspect(TestModels.customOpsetImport(3)))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.ONNX_UNSUPPORTED_OPERATOR_DOMAIN))
                .hasMessageContaining("com.example.ops");
        assertThatThrownBy(() -> runtime.inspect(TestModels.customDomainInSubgraph(3)))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.ONNX_UNSUPPORTED_OPERATOR_DOMAIN))
                .hasMessageContaining("node 'custom' (Secret)");
    }

    @Test
    void inspectRefusesWhatOnnxRuntimeCannotLoadAndKeepsTheCause() {
        assertThatThrownBy(() -> runtime.inspect(new byte[] {9, 9, 9, 9, 9}))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.ONNX_UNLOADABLE))
                .hasMessageContaining("not an ONNX model");
        assertThatThrownBy(() -> runtime.inspect(TestModels.unknownOperator(3)))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.ONNX_UNLOADABLE))
                .hasMessageContaining("NoSuchOperator")
                .hasCauseInstanceOf(OrtException.class);
        assertThatThrownBy(() -> runtime.inspect(new byte[0]))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.ONNX_UNLOADABLE));
    }

    @Test
    void junkThatProtobufWouldKeepAsUnknownFieldsIsRefusedBeforeItIsParsed() throws Exception {
        byte[] spaces = new byte[1 << 20];
        Arrays.fill(spaces, (byte) ' ');
        // Plain protobuf accepts it: half a million unknown fields, each an object on the heap.
        assertThat(ai.onnx.proto.OnnxMl.ModelProto.parseFrom(spaces).hasGraph()).isFalse();

        assertThatThrownBy(() -> runtime.inspect(spaces))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.ONNX_UNLOADABLE))
                .hasMessageContaining("not an ONNX model");
        // Every real model still reads, subgraphs and packed fields included.
        assertThat(runtime.inspect(trees.onnx()).inputs()).isNotEmpty();
        assertThat(runtime.inspect(SampleModels.readmissionLogistic().onnx()).inputs()).isNotEmpty();
    }

    private static float[] slice(float[] inputs, int[] slice, int width) {
        return Arrays.copyOfRange(inputs, slice[0] * width, (slice[0] + slice[1]) * width);
    }
}
