package health.vigil.bench.explain;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import health.vigil.explain.BruteForceShapley;
import health.vigil.explain.ClinicalExplainer;
import health.vigil.explain.ExtendUnwindTreeShap;
import health.vigil.explain.FeatureMapping;
import health.vigil.explain.TreeShap;
import health.vigil.model.TreeEnsemble;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The explanation benchmarks' ratios under the same conditions on a shared machine: the workloads alternate
 * round after round on one thread, and each is timed by the thread's CPU time, which leaves out time spent
 * waiting for a core. Prints the median and best time per row and the ratios. Same models and rows as
 * {@link TreeShapVsOnnxRuntimeBenchmark} and {@link TreeShapVsBruteForceBenchmark}.
 */
public final class ExplanationRatio {

    private static final int WARMUP_ROUNDS = 5;
    private static final int ROUNDS = 15;
    private static final int BRUTE_FORCE_ROWS = 2;
    private static final int CLINICAL_WARM_UP_PASSES = 40;

    private ExplanationRatio() {}

    public static void main(String[] args) throws OrtException {
        TreeEnsemble wide = BenchmarkModels.ensemble(30, 20261124L);
        double[][] wideRows = BenchmarkModels.rows(30, 20261125L);
        TreeEnsemble narrow = BenchmarkModels.ensemble(12, 20261126L);
        double[][] narrowRows = BenchmarkModels.rows(12, 20261127L);
        TreeShap wideShap = new TreeShap(wide);
        // The scalar passes beside the JVM's best (the vector ones when started with the Vector API module).
        TreeShap wideScalar = new TreeShap(wide, TreeShap.Arithmetic.SCALAR);
        List<String> columns = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            columns.add("x" + i);
        }
        ClinicalExplainer clinical = new ClinicalExplainer(wideShap, FeatureMapping.of(columns), 5);
        ClinicalExplainer clinicalScalar = new ClinicalExplainer(wideScalar, FeatureMapping.of(columns), 5);
        ExtendUnwindTreeShap algorithm2 = new ExtendUnwindTreeShap(wide);
        TreeShap narrowShap = new TreeShap(narrow);

        OrtEnvironment env = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setIntraOpNumThreads(1);
        options.setInterOpNumThreads(1);
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        try (OrtSession session = env.createSession(TreeEnsembleOnnx.write(wide), options)) {
            FloatBuffer input = ByteBuffer.allocateDirect(4 * 30).order(ByteOrder.nativeOrder()).asFloatBuffer();
            for (double[] row : wideRows) {
                if (Math.abs(predict(env, session, input, row) - wide.probability(row)) > 1e-5) {
                    throw new IllegalStateException("ONNX Runtime and the ensemble disagree; not the same model");
                }
            }
            double[] phi = new double[30];
            double[] narrowPhi = new double[12];
            Workload[] workloads = {
                new Workload("ONNX Runtime predict, 30 features", wideRows.length, () -> {
                    double sink = 0;
                    for (double[] row : wideRows) {
                        sink += predict(env, session, input, row);
                    }
                    return sink;
                }),
                new Workload("TreeSHAP (" + wideShap.arithmetic() + "), 30 features", wideRows.length, () -> {
                    double sink = 0;
                    for (double[] row : wideRows) {
                        sink += wideShap.explain(row, phi);
                    }
                    return sink;
                }),
                new Workload("Algorithm 2 (extend/unwind), 30 features", wideRows.length, () -> {
                    double sink = 0;
                    for (double[] row : wideRows) {
                        sink += algorithm2.explain(row, phi);
                    }
                    return sink;
                }),
                new Workload("TreeSHAP (SCALAR), 30 features", wideRows.length, () -> {
                    double sink = 0;
                    for (double[] row : wideRows) {
                        sink += wideScalar.explain(row, phi);
                    }
                    return sink;
                }),
                new Workload("clinical explanation (" + wideShap.arithmetic() + "), 30 features", wideRows.length,
                        () -> {
                            double sink = 0;
                            for (double[] row : wideRows) {
                                sink += clinical.explain(row).score();
                            }
                            return sink;
                        }),
                new Workload("clinical explanation (SCALAR), 30 features", wideRows.length, () -> {
                    double sink = 0;
                    for (double[] row : wideRows) {
                        sink += clinicalScalar.explain(row).score();
                    }
                    return sink;
                }),
                new Workload("TreeSHAP, 12 features", narrowRows.length, () -> {
                    double sink = 0;
                    for (double[] row : narrowRows) {
                        sink += narrowShap.explain(row, narrowPhi);
                    }
                    return sink;
                }),
                new Workload("brute-force Shapley, 12 features", BRUTE_FORCE_ROWS, () -> {
                    double sink = 0;
                    for (int r = 0; r < BRUTE_FORCE_ROWS; r++) {
                        sink += BruteForceShapley.explain(narrow, narrowRows[r])[0];
                    }
                    return sink;
                }),
            };
            ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            double sink = 0;
            // The rounds' warm-up calls the clinical explanation about 1,300 times, too few for C2 to compile its
            // grouping and summary (it would be timed in C1's profiling code); 10,000 calls more each first.
            for (int pass = 0; pass < CLINICAL_WARM_UP_PASSES; pass++) {
                for (double[] row : wideRows) {
                    sink += clinical.explain(row).score() + clinicalScalar.explain(row).score();
                }
            }
            for (int round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
                for (Workload workload : workloads) {
                    long before = threads.getCurrentThreadCpuTime();
                    sink += workload.body.run();
                    long cpu = threads.getCurrentThreadCpuTime() - before;
                    if (round >= WARMUP_ROUNDS) {
                        workload.microsPerRow[round - WARMUP_ROUNDS] = cpu / 1e3 / workload.rows;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "%-45s %14s %14s%n", "workload (CPU time per row)", "median us", "best us");
            for (Workload workload : workloads) {
                System.out.printf(Locale.ROOT, "%-45s %14.1f %14.1f%n", workload.name, workload.median(),
                        workload.best());
            }
            System.out.printf(Locale.ROOT, "TreeSHAP / ONNX Runtime (30 features): %.1fx median, %.1fx best/best%n",
                    workloads[1].median() / workloads[0].median(), workloads[1].best() / workloads[0].best());
            System.out.printf(Locale.ROOT, "Algorithm 2 / ONNX Runtime (30 features): %.1fx median%n",
                    workloads[2].median() / workloads[0].median());
            System.out.printf(Locale.ROOT, "scalar TreeSHAP / TreeSHAP (30 features): %.2fx median, %.2fx best/best%n",
                    workloads[3].median() / workloads[1].median(), workloads[3].best() / workloads[1].best());
            System.out.printf(Locale.ROOT, "brute force / TreeSHAP (12 features): %.0fx median, %.0fx best/best%n",
                    workloads[7].median() / workloads[6].median(), workloads[7].best() / workloads[6].best());
            System.out.printf(Locale.ROOT, "scalar clinical explanation / clinical explanation: %.2fx median%n",
                    workloads[5].median() / workloads[4].median());
            System.out.printf(Locale.ROOT, "clinical explanation beyond TreeSHAP: %.1f us (%s), %.1f us (SCALAR)%n",
                    workloads[4].median() - workloads[1].median(), wideShap.arithmetic(),
                    workloads[5].median() - workloads[3].median());
            System.out.println("(checksum " + sink + ")");
        }
    }

    private static double predict(OrtEnvironment env, OrtSession session, FloatBuffer input, double[] row)
            throws OrtException {
        input.clear();
        for (double v : row) {
            input.put((float) v);
        }
        input.flip();
        try (OnnxTensor tensor = OnnxTensor.createTensor(env, input, new long[] {1, row.length});
                OrtSession.Result result = session.run(Map.of(TreeEnsembleOnnx.INPUT, tensor),
                        Set.of(TreeEnsembleOnnx.PROBABILITIES))) {
            return ((OnnxTensor) result.get(0)).getFloatBuffer().get(1);
        }
    }

    @FunctionalInterface
    private interface Body {
        double run() throws OrtException;
    }

    private static final class Workload {
        final String name;
        final int rows;
        final Body body;
        final double[] microsPerRow = new double[ROUNDS];

        Workload(String name, int rows, Body body) {
            this.name = name;
            this.rows = rows;
            this.body = body;
        }

        double median() {
            double[] sorted = microsPerRow.clone();
            Arrays.sort(sorted);
            return sorted[ROUNDS / 2];
        }

        double best() {
            return Arrays.stream(microsPerRow).min().orElseThrow();
        }
    }
}
