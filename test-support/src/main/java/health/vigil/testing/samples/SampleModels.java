package health.vigil.testing.samples;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import health.vigil.adapter.onnx.OnnxModelWriter;
import health.vigil.features.IdentityPipeline;
import health.vigil.hash.Sha256;
import health.vigil.model.CardFacts;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.FeatureType;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.OutputSpec;
import health.vigil.model.Provenance;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.TreeEnsemble;
import health.vigil.model.TreeEnsemble.NodeMode;
import health.vigil.monitoring.ReferenceBinning;
import health.vigil.monitoring.ReferenceBinning.InputColumn;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

/**
 * Deterministic sample models for the demo, tests and benchmarks, built from synthetic patients (a
 * simulation; no real person behind any row):
 * <ul>
 *   <li>{@code readmission-demo}: 30-day readmission risk from six features, as a logistic regression
 *       ({@link #readmissionLogistic()}) and as a tree ensemble ({@link #readmissionTrees()}), with the
 *       {@link #readmissionCohort cohort} they come from;</li>
 *   <li>{@code benchmark-trees}: 200 trees of depth 6 on 30 features ({@link #benchmarkPackage()}), the size
 *       of a production gradient-boosted model, for scoring benchmarks.</li>
 * </ul>
 * The same seed always gives the same cohort, model and package bytes on any machine: every random draw
 * comes from {@link SplittableRandom} and every transcendental function from {@link StrictMath}.
 */
public final class SampleModels {
    public static final String READMISSION_NAME = "readmission-demo";
    public static final String BENCHMARK_NAME = "benchmark-trees";
    /** The seed every default sample is built from. */
    public static final long SEED = 20261124L;
    /** Rows of the cohort the readmission samples are trained on and profiled with. */
    public static final int TRAINING_ROWS = 5_000;

    public static final int BENCHMARK_TREES = 200;
    public static final int BENCHMARK_DEPTH = 6;
    public static final int BENCHMARK_FEATURES = 30;

    /** Samples are generated, not trained from a commit; this stands in for the commit in their provenance. */
    static final String CODE_VERSION = "vigil-samples-v1";
    /** A fixed training time, so that the manifests (and package bytes) never change. */
    static final Instant TRAINED_AT = Instant.parse("2026-01-01T00:00:00Z");

    private static final String[] ADMISSION_TYPES = {"emergency", "urgent", "elective"};

    /*
     * The simulation's true log-odds of readmission, in model-input order (age, prior_inpatient_stays, hba1c,
     * on_insulin, admission_type index, length_of_stay_days): the logistic regression sample uses exactly these
     * coefficients, so it is well specified and calibrated on the cohort. A missing length of stay counts as
     * 4 days, which is also what the sample model imputes.
     */
    private static final double[] TRUE_COEFFICIENTS = {0.025, 0.30, 0.18, 0.35, -0.35, 0.06};
    private static final double TRUE_INTERCEPT = -2.7 - 0.025 * 60 - 0.18 * 7;
    private static final double MISSING_STAY_DAYS = 4.0;
    private static final double[] IMPUTED = {62, 1, 6.8, 0, 0, MISSING_STAY_DAYS};

    private SampleModels() {}

    // ---------------------------------------------------------------- readmission-demo

    /**
     * The readmission demo's features: age (years, integer 18-110), prior_inpatient_stays (integer 0-50),
     * hba1c (%, 3-20), on_insulin (boolean), admission_type (emergency, urgent, elective) and
     * length_of_stay_days (0-365, optional: a missing value reaches the model as NaN).
     */
    public static FeatureSchema readmissionSchema() {
        return new FeatureSchema(List.of(
                new Feature("age", FeatureType.INTEGER, "years", 18.0, 110.0, null, true, "age at admission"),
                new Feature("prior_inpatient_stays", FeatureType.INTEGER, "stays", 0.0, 50.0, null, true,
                        "inpatient stays in the 12 months before admission"),
                new Feature("hba1c", FeatureType.NUMERIC, "%", 3.0, 20.0, null, true, "most recent HbA1c"),
                new Feature("on_insulin", FeatureType.BOOLEAN, null, null, null, null, true, "insulin at admission"),
                new Feature("admission_type", FeatureType.CATEGORICAL, null, null, null, List.of(ADMISSION_TYPES), true,
                        "how the patient was admitted"),
                new Feature("length_of_stay_days", FeatureType.NUMERIC, "days", 0.0, 365.0, null, false,
                        "length of the index stay; missing while the patient is still in hospital")));
    }

    /** The training cohort of the readmission samples: {@link #readmissionCohort(int, long)} with the defaults. */
    public static SyntheticCohort readmissionCohort() {
        return readmissionCohort(TRAINING_ROWS, SEED);
    }

    /**
     * {@code rows} synthetic patients for the readmission demo. About 8% have no length of stay. Different
     * seeds give independent cohorts from the same population, e.g. a production sample for drift tests.
     */
    public static SyntheticCohort readmissionCohort(int rows, long seed) {
        if (rows < 1) {
            throw new health.vigil.error.ValidationException("a cohort needs at least one row");
        }
        FeatureSchema schema = readmissionSchema();
        SplittableRandom random = new SplittableRandom(seed);
        List<Map<String, Object>> records = new ArrayList<>(rows);
        float[] inputs = new float[rows * schema.size()];
        boolean[] outcomes = new boolean[rows];
        double[] risks = new double[rows];
        IdentityPipeline pipeline = new IdentityPipeline(schema);
        for (int r = 0; r < rows; r++) {
            long age = Math.round(clamp(62 + 16 * gaussian(random), 18, 110));
            long prior = Math.min(50, geometric(random, 1.2));
            double hba1c = round1(clamp(6.8 + 1.4 * gaussian(random), 3, 20));
            boolean insulin = random.nextDouble() < logistic(-2.2 + 0.8 * (hba1c - 7));
            double u = random.nextDouble();
            int admission = u < 0.55 ? 0 : u < 0.80 ? 1 : 2;
            Double stay = random.nextDouble() < 0.08 ? null
                    : round1(clamp(StrictMath.exp(1.3 + 0.6 * gaussian(random)) + 0.3 * prior, 0, 365));
            Map<String, Object> record = new LinkedHashMap<>();
            record.put("age", age);
            record.put("prior_inpatient_stays", prior);
            record.put("hba1c", hba1c);
            record.put("on_insulin", insulin);
            record.put("admission_type", ADMISSION_TYPES[admission]);
            if (stay != null) {
                record.put("length_of_stay_days", stay);
            }
            pipeline.transform(record, inputs, r * schema.size());
            double[] x = {age, prior, hba1c, insulin ? 1 : 0, admission, stay == null ? MISSING_STAY_DAYS : stay};
            risks[r] = logistic(TRUE_INTERCEPT + dot(TRUE_COEFFICIENTS, x));
            outcomes[r] = random.nextDouble() < risks[r];
            records.add(Collections.unmodifiableMap(record));
        }
        return new SyntheticCohort(schema, records, inputs, outcomes, risks);
    }

    /** Coefficients of the logistic-regression sample, in {@link #readmissionSchema()} order. */
    public static double[] readmissionCoefficients() {
        return TRUE_COEFFICIENTS.clone();
    }

    public static double readmissionIntercept() {
        return TRUE_INTERCEPT;
    }

    /** The value the logistic-regression sample uses for a missing input, per feature. */
    public static double[] readmissionImputedValues() {
        return IMPUTED.clone();
    }

    /** The logistic-regression probability of readmission for one row of model inputs (NaN = missing). */
    public static double readmissionLogisticProbability(float[] row) {
        double margin = TRUE_INTERCEPT;
        for (int i = 0; i < TRUE_COEFFICIENTS.length; i++) {
            margin += TRUE_COEFFICIENTS[i] * (Float.isNaN(row[i]) ? IMPUTED[i] : row[i]);
        }
        return logistic(margin);
    }

    /**
     * The readmission demo as a logistic regression (ONNX LinearClassifier after an Imputer), with its manifest
     * and the reference profile of its training cohort.
     */
    public static SamplePackage readmissionLogistic() {
        SyntheticCohort cohort = readmissionCohort();
        byte[] onnx = OnnxModelWriter.logisticRegression(TRUE_COEFFICIENTS, TRUE_INTERCEPT, IMPUTED);
        double[] scores = new double[cohort.rows()];
        for (int r = 0; r < scores.length; r++) {
            scores[r] = readmissionLogisticProbability(cohort.row(r));
        }
        Map<String, String> parameters = new TreeMap<>();
        parameters.put("coefficients", Arrays.toString(TRUE_COEFFICIENTS));
        parameters.put("intercept", Double.toString(TRUE_INTERCEPT));
        parameters.put("imputed", Arrays.toString(IMPUTED));
        Manifest manifest = readmissionManifest(
                "30-day readmission risk, logistic regression (synthetic demonstration model)",
                provenance(cohort, "SampleModels.readmissionLogistic", SEED, parameters));
        return new SamplePackage(manifest, onnx, reference(cohort.schema(), cohort.inputs(), scores));
    }

    /**
     * The readmission demo's tree ensemble: 30 trees of depth 3 boosted on the training cohort with random
     * splits (a random feature, a threshold drawn from the rows at the node, a random side for missing
     * values), leaf values from one Newton step on the logistic loss, and covers that are the hessian sums of
     * the rows reaching each node, as XGBoost reports them.
     */
    public static TreeEnsemble readmissionTreeEnsemble() {
        return RandomSplitBooster.train(readmissionCohort(), 30, 3, 0.3, SEED);
    }

    /** The readmission demo as a tree ensemble (ONNX TreeEnsembleClassifier), with manifest and reference profile. */
    public static SamplePackage readmissionTrees() {
        SyntheticCohort cohort = readmissionCohort();
        TreeEnsemble ensemble = readmissionTreeEnsemble();
        double[] scores = new double[cohort.rows()];
        for (int r = 0; r < scores.length; r++) {
            scores[r] = ensemble.probability(toDoubles(cohort.row(r)));
        }
        Map<String, String> parameters = new TreeMap<>();
        parameters.put("trees", "30");
        parameters.put("maxDepth", "3");
        parameters.put("learningRate", "0.3");
        parameters.put("splits", "random feature, threshold from a random row at the node");
        Manifest manifest = readmissionManifest(
                "30-day readmission risk, gradient-boosted trees with random splits (synthetic demonstration model)",
                provenance(cohort, "SampleModels.readmissionTrees", SEED, parameters));
        return new SamplePackage(manifest, OnnxModelWriter.treeEnsemble(ensemble),
                reference(cohort.schema(), cohort.inputs(), scores));
    }

    // ---------------------------------------------------------------- outputs that are not always probabilities

    /**
     * The readmission logistic regression exported without its imputer: a patient whose length of stay is missing
     * reaches the model as NaN and gets a NaN risk, every other patient the risk {@link #readmissionLogistic()}
     * gives. Registration's probe row has every value, so the package registers; the fault shows on some patients
     * only. Its reference profile is the logistic sample's.
     */
    public static SamplePackage readmissionWithoutImputation() {
        SamplePackage logistic = readmissionLogistic();
        return new SamplePackage(logistic.manifest(), OnnxModelWriter.logisticRegression(TRUE_COEFFICIENTS,
                TRUE_INTERCEPT), logistic.reference());
    }

    /** The straight line of {@link #readmissionLinearRisk()}: per year of age and per prior inpatient stay. */
    private static final double[] LINEAR_RISK_SLOPES = {0.003, 0.03, 0, 0, 0, 0};

    /**
     * A straight line in a classifier's place, {@code 0.003 * age + 0.03 * prior_inpatient_stays} with no logistic
     * link (a {@code LinearClassifier} with {@code post_transform} NONE behind the logistic sample's imputer, as a
     * regression on the outcome exported by mistake gives): between 0.05 and 0.93 for any patient with at most 20 prior stays (about one synthetic patient
     * in 300,000 has more), and above 1 for any patient with 32 or more (the schema allows 50).
     */
    public static SamplePackage readmissionLinearRisk() {
        SyntheticCohort cohort = readmissionCohort();
        double[] scores = new double[cohort.rows()];
        for (int r = 0; r < scores.length; r++) {
            scores[r] = dot(LINEAR_RISK_SLOPES, toDoubles(cohort.row(r)));
        }
        Map<String, String> parameters = new TreeMap<>();
        parameters.put("slopes", Arrays.toString(LINEAR_RISK_SLOPES));
        parameters.put("link", "none");
        Manifest manifest = readmissionManifest(
                "30-day readmission risk as a straight line without a logistic link (synthetic; not a probability for"
                        + " every patient)",
                provenance(cohort, "SampleModels.readmissionLinearRisk", SEED, parameters));
        return new SamplePackage(manifest, withoutLink(OnnxModelWriter.logisticRegression(LINEAR_RISK_SLOPES, 0, IMPUTED)),
                reference(cohort.schema(), cohort.inputs(), scores));
    }

    /** The model with every {@code post_transform} set to NONE: the classifier's raw score is its output. */
    private static byte[] withoutLink(byte[] onnx) {
        try {
            ModelProto.Builder model = ModelProto.parseFrom(onnx).toBuilder();
            for (NodeProto.Builder node : model.getGraphBuilder().getNodeBuilderList()) {
                for (AttributeProto.Builder attribute : node.getAttributeBuilderList()) {
                    if (attribute.getName().equals("post_transform")) {
                        attribute.setS(ByteString.copyFromUtf8("NONE"));
                    }
                }
            }
            return model.build().toByteArray();
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("OnnxModelWriter wrote a model that does not parse", e);
        }
    }

    private static Manifest readmissionManifest(String description, Provenance provenance) {
        return new Manifest(Manifest.FORMAT_VERSION, ModelName.of(READMISSION_NAME), Manifest.BINARY_CLASSIFICATION,
                description, readmissionSchema(), Manifest.IDENTITY_PIPELINE,
                new OutputSpec(OnnxModelWriter.PROBABILITIES, OnnxModelWriter.POSITIVE_CLASS_INDEX,
                        "readmitted within 30 days", 0.2),
                "Demonstrates Vigil: flags adult inpatients at discharge for a care-coordination follow-up call."
                        + " Not for clinical use.",
                List.of("Trained on synthetic patients only; it has never seen a real patient.",
                        "Admission type enters as its category index, a simplification of the identity pipeline."),
                "vigil-demo", provenance, readmissionCard());
    }

    /**
     * The sample readmission model's card section: some facts given, the rest left out, so a card shows both what
     * the developer said and "not provided".
     */
    private static CardFacts readmissionCard() {
        Map<String, List<String>> variables = new java.util.LinkedHashMap<>();
        CardFacts.INPUT_VARIABLES.forEach(v -> variables.put(v, List.of()));
        variables.put("dateOfBirth", List.of("age (years)"));
        return new CardFacts(null, null, "Synthetic adult inpatients at discharge", "Care coordinators", "informs",
                List.of("Any real patient", "Children"), "Synthetic inpatients aged 18 to 95", null, variables, null, null,
                null, null, null, null, null, null, null, null, List.of(), "Never: a demonstration model");
    }

    // ---------------------------------------------------------------- benchmark-trees

    /** Features {@code x00}..{@code x29}: numbers in [0, 1], all optional. */
    public static FeatureSchema benchmarkSchema() {
        List<Feature> features = new ArrayList<>();
        for (int i = 0; i < BENCHMARK_FEATURES; i++) {
            features.add(Feature.numeric(String.format("x%02d", i), null, 0, 1).optional());
        }
        return new FeatureSchema(features);
    }

    /**
     * {@value #BENCHMARK_TREES} full binary trees of depth {@value #BENCHMARK_DEPTH} (63 splits and 64 leaves each)
     * on {@value #BENCHMARK_FEATURES} features: {@code BRANCH_LT} splits on random features at random thresholds in
     * (0, 1), random missing-value sides, leaf values ~ N(0, 0.05), covers that split the parent's at random.
     */
    public static TreeEnsemble benchmarkEnsemble(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        int nodes = (1 << (BENCHMARK_DEPTH + 1)) - 1;
        List<TreeEnsemble.Tree> trees = new ArrayList<>();
        for (int t = 0; t < BENCHMARK_TREES; t++) {
            TreeArrays tree = new TreeArrays(nodes);
            grow(tree, random, 0, 0, 10_000.0);
            trees.add(tree.toTree());
        }
        return new TreeEnsemble(BENCHMARK_FEATURES, -1.0, trees);
    }

    /** Grows a full subtree at {@code node}, children numbered depth-first; returns the next free node index. */
    private static int grow(TreeArrays tree, SplittableRandom random, int node, int depth, double cover) {
        tree.cover[node] = cover;
        if (depth == BENCHMARK_DEPTH) {
            tree.leaf(node, 0.05 * gaussian(random));
            return node + 1;
        }
        double share = 0.2 + 0.6 * random.nextDouble();
        int trueChild = node + 1;
        int falseChild = grow(tree, random, trueChild, depth + 1, cover * share);
        int next = grow(tree, random, falseChild, depth + 1, cover * (1 - share));
        float threshold = (float) (0.05 + 0.9 * random.nextDouble());
        tree.split(node, NodeMode.BRANCH_LT, random.nextInt(BENCHMARK_FEATURES), threshold, trueChild, falseChild,
                random.nextBoolean());
        return next;
    }

    /** Row-major benchmark inputs: uniform in [0, 1) with 2% missing (NaN). */
    public static float[] benchmarkRows(int rows, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] out = new float[rows * BENCHMARK_FEATURES];
        for (int i = 0; i < out.length; i++) {
            out[i] = random.nextDouble() < 0.02 ? Float.NaN : (float) random.nextDouble();
        }
        return out;
    }

    /** The benchmark ensemble (seed {@link #SEED}) as a complete package, profiled on 2,000 benchmark rows. */
    public static SamplePackage benchmarkPackage() {
        TreeEnsemble ensemble = benchmarkEnsemble(SEED);
        int rows = 2_000;
        float[] inputs = benchmarkRows(rows, SEED + 1);
        double[] scores = new double[rows];
        double[] row = new double[BENCHMARK_FEATURES];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < BENCHMARK_FEATURES; c++) {
                row[c] = inputs[r * BENCHMARK_FEATURES + c];
            }
            scores[r] = ensemble.probability(row);
        }
        Map<String, String> parameters = new TreeMap<>();
        parameters.put("trees", Integer.toString(BENCHMARK_TREES));
        parameters.put("depth", Integer.toString(BENCHMARK_DEPTH));
        parameters.put("features", Integer.toString(BENCHMARK_FEATURES));
        Provenance provenance = new Provenance(sha256(inputs, null), rows, null, CODE_VERSION, null,
                "SampleModels.benchmarkEnsemble", SEED, parameters, Map.of("vigil-samples", "1"), null, null, TRAINED_AT);
        Manifest manifest = new Manifest(Manifest.FORMAT_VERSION, ModelName.of(BENCHMARK_NAME),
                Manifest.BINARY_CLASSIFICATION, "Random tree ensemble the size of a production model, for benchmarks",
                benchmarkSchema(), Manifest.IDENTITY_PIPELINE,
                new OutputSpec(OnnxModelWriter.PROBABILITIES, OnnxModelWriter.POSITIVE_CLASS_INDEX, "positive", 0.5),
                "Benchmarks of the scoring path only. Its predictions mean nothing.",
                List.of("Random trees on random inputs."), "vigil-bench", provenance);
        return new SamplePackage(manifest, OnnxModelWriter.treeEnsemble(ensemble),
                reference(benchmarkSchema(), inputs, scores));
    }

    // ---------------------------------------------------------------- shared helpers

    /** The profile of identity-pipeline inputs (one per schema feature, row-major) and their scores. */
    private static ReferenceProfile reference(FeatureSchema schema, float[] inputs, double[] scores) {
        return ReferenceBinning.profile(schema.features().stream().map(InputColumn::of).toList(), inputs,
                scores.length, scores);
    }

    private static Provenance provenance(SyntheticCohort cohort, String trainer, long seed, Map<String, String> parameters) {
        return new Provenance(sha256(cohort.inputs(), cohort.outcomes()), cohort.rows(), null, CODE_VERSION, null,
                trainer, seed, parameters, Map.of("vigil-samples", "1"), null, null, TRAINED_AT);
    }

    /** The sha256 of the training data: each input as its IEEE-754 bits, then each outcome as one byte. */
    private static String sha256(float[] inputs, boolean[] outcomes) {
        MessageDigest digest = Sha256.newDigest();
        ByteBuffer bytes = ByteBuffer.allocate(inputs.length * Float.BYTES);
        for (float v : inputs) {
            bytes.putInt(Float.floatToIntBits(v));
        }
        digest.update(bytes.array());
        if (outcomes != null) {
            for (boolean o : outcomes) {
                digest.update((byte) (o ? 1 : 0));
            }
        }
        return Sha256.hex(digest);
    }

    static double[] toDoubles(float[] row) {
        double[] out = new double[row.length];
        for (int i = 0; i < row.length; i++) {
            out[i] = row[i];
        }
        return out;
    }

    /** A standard normal draw (Box-Muller), reproducible on every JVM. */
    static double gaussian(SplittableRandom random) {
        double u = 1.0 - random.nextDouble();
        double v = random.nextDouble();
        return StrictMath.sqrt(-2.0 * StrictMath.log(u)) * StrictMath.cos(2.0 * Math.PI * v);
    }

    /** A geometric count (0, 1, 2, ...) with the given mean. */
    private static long geometric(SplittableRandom random, double mean) {
        double q = mean / (1.0 + mean);
        return (long) StrictMath.floor(StrictMath.log(1.0 - random.nextDouble()) / StrictMath.log(q));
    }

    static double logistic(double margin) {
        return 1.0 / (1.0 + StrictMath.exp(-margin));
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static double clamp(double v, double min, double max) {
        return Math.max(min, Math.min(max, v));
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /** Parallel node arrays of a tree under construction; leaves carry feature -1 and children -1. */
    static final class TreeArrays {
        final NodeMode[] mode;
        final int[] feature;
        final double[] threshold;
        final int[] trueChild;
        final int[] falseChild;
        final boolean[] missingTrue;
        final double[] value;
        final double[] cover;

        TreeArrays(int nodes) {
            mode = new NodeMode[nodes];
            feature = new int[nodes];
            threshold = new double[nodes];
            trueChild = new int[nodes];
            falseChild = new int[nodes];
            missingTrue = new boolean[nodes];
            value = new double[nodes];
            cover = new double[nodes];
        }

        void leaf(int node, double leafValue) {
            mode[node] = NodeMode.LEAF;
            feature[node] = -1;
            trueChild[node] = -1;
            falseChild[node] = -1;
            value[node] = leafValue;
        }

        void split(int node, NodeMode splitMode, int splitFeature, double at, int whenTrue, int whenFalse, boolean nanTrue) {
            mode[node] = splitMode;
            feature[node] = splitFeature;
            threshold[node] = at;
            trueChild[node] = whenTrue;
            falseChild[node] = whenFalse;
            missingTrue[node] = nanTrue;
        }

        TreeEnsemble.Tree toTree() {
            return new TreeEnsemble.Tree(mode, feature, threshold, trueChild, falseChild, missingTrue, value, cover);
        }

        TreeEnsemble.Tree toTree(int size) {
            return new TreeEnsemble.Tree(Arrays.copyOf(mode, size), Arrays.copyOf(feature, size),
                    Arrays.copyOf(threshold, size), Arrays.copyOf(trueChild, size), Arrays.copyOf(falseChild, size),
                    Arrays.copyOf(missingTrue, size), Arrays.copyOf(value, size), Arrays.copyOf(cover, size));
        }
    }
}
