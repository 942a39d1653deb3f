package health.vigil.gates;

import health.vigil.error.ValidationException;
import health.vigil.model.CardFacts;
import health.vigil.model.TrafficSlot;
import java.time.Instant;
import java.util.List;

/**
 * The thresholds one model's gates are judged by, owned by the platform and versioned: version 0 is
 * {@link #defaults()}; every change through {@link GatePolicies#update} is the next version, audited, made by
 * someone who never uploaded a version of the model. What each threshold means is in docs/governance.md.
 *
 * @param aurocFloor the candidate's AUROC must be at least this (absolute floor)
 * @param nonInferiorityMargin the candidate may be worse than production by less than this AUROC (one-sided
 *     DeLong test at {@code alpha})
 * @param alpha the one-sided significance level of the non-inferiority test
 * @param maxCalibrationError the largest expected calibration error (10 equal-width bins)
 * @param maxBrier the largest Brier score
 * @param maxInterceptDeviation calibration-in-the-large must lie within {@code ±} this
 * @param minSlope the calibration slope must lie in {@code [minSlope, maxSlope]}
 * @param minSegmentSize segments with fewer rows are reported but not judged
 * @param minSegmentPerClass the fewest rows with the outcome, and the fewest without it, a segment of
 *     {@code minSegmentSize} rows or more is judged with: one with fewer is flagged for the approver, not judged (an
 *     AUROC or calibration error built on a handful of outcomes is noise). Optional in a policy sent or stored before
 *     it existed: {@link #DEFAULT_MIN_SEGMENT_PER_CLASS} then
 * @param maxSegmentAurocGap the worst segment's AUROC may fall below the overall AUROC by at most this
 * @param maxSegmentCalibrationGap the worst segment's calibration error may exceed the overall one by at most this
 * @param maxP99LatencyMillis the 99th percentile of one row's scoring time on the platform's runtime
 * @param shapTolerance largest allowed |sum of SHAP values + expected margin - model margin| on any row
 * @param shapRows how many rows (an evenly spaced, deterministic selection) the SHAP check explains; 0 means
 *     every row. Exact TreeSHAP costs about 0.5 ms a row for 200 trees of depth 6, so every row of a 100,000-row
 *     dataset would take a minute
 * @param leakageAuroc an AUROC at or above this is flagged as implausible for the task
 * @param maxRefusedRowShare the largest share of the evaluation dataset's rows the candidate's schema may refuse (a
 *     value out of range, an unknown category, a required value missing): those rows are left out of every other
 *     data gate, and such patients would be refused at scoring. Optional in a policy sent or stored before it existed:
 *     {@link #DEFAULT_MAX_REFUSED_ROW_SHARE} then
 * @param allowSchemaChanges whether a feature removed or retyped against production passes
 * @param requireCleanTree whether a version trained from uncommitted changes (or an unknown tree) fails the
 *     provenance gate; when false it is flagged for the approver
 * @param requiredCardFields the manifest's {@code card} fields ({@link CardFacts#FIELDS}) a version must provide; each
 *     one missing fails the {@code card} gate (none by default: older packages have no card section)
 * @param requireCanary whether a version that has never been the model's stable version reaches its patients only
 *     through a canary: a direct deploy of one over a stable version is refused, while a first deploy, a deploy of the
 *     stable version and a rollback are not. Not a gate: the deploy reads it from the policy in force. Optional in a
 *     policy sent or stored before it existed: false then
 * @param maxFirstCanaryStep the largest first step, in basis points of live traffic (the ramp's unit), of a canary of a
 *     version that has never been stable, while {@code requireCanary} is on: a ramp that starts higher puts most
 *     patients on the version before the analysis has judged it. 1 to {@value #MAX_FIRST_CANARY_STEP}; optional in a
 *     policy sent or stored before it existed: {@link #DEFAULT_MAX_FIRST_CANARY_STEP} then. Read only with
 *     {@code requireCanary} on
 */
public record GatePolicy(
        int version,
        double aurocFloor,
        double nonInferiorityMargin,
        double alpha,
        double maxCalibrationError,
        double maxBrier,
        double maxInterceptDeviation,
        double minSlope,
        double maxSlope,
        int minSegmentSize,
        Integer minSegmentPerClass,
        double maxSegmentAurocGap,
        double maxSegmentCalibrationGap,
        double maxP99LatencyMillis,
        double shapTolerance,
        int shapRows,
        double leakageAuroc,
        Double maxRefusedRowShare,
        boolean allowSchemaChanges,
        boolean requireCleanTree,
        List<String> requiredCardFields,
        Boolean requireCanary,
        Integer maxFirstCanaryStep,
        String changedBy,
        Instant changedAt,
        String reason) {
    /**
     * The fewest rows a segment is judged on, and named by its value in a report: a rarer value (an identifier given
     * as a segment column, a rare category) could point at a patient.
     */
    public static final int SMALLEST_SEGMENT = 10;

    /** The largest minimum segment size: a segment of about a third of the largest evaluation dataset. */
    public static final int MAX_SEGMENT_SIZE = 5_000;
    /** Ten of each outcome, as monitoring asks before it judges a window's or a segment's AUROC. */
    public static final int DEFAULT_MIN_SEGMENT_PER_CLASS = 10;
    /** At most one evaluation row in twenty may be one the candidate cannot score. */
    public static final double DEFAULT_MAX_REFUSED_ROW_SHARE = 0.05;
    /**
     * A canary that must come through the analysis starts on at most a quarter of live traffic: the largest first step
     * of the ramps the documentation, the demo and the platform's tests start under the rule (ADR 0045).
     */
    public static final int DEFAULT_MAX_FIRST_CANARY_STEP = 2_500;
    /** The largest cap on a canary's first step: above half, the version would serve most patients unjudged. */
    public static final int MAX_FIRST_CANARY_STEP = TrafficSlot.ALL / 2;

    public GatePolicy {
        if (version < 0) {
            throw new ValidationException("a gate policy version is 0 (the defaults) or more, not " + version);
        }
        unit("aurocFloor", aurocFloor);
        unit("leakageAuroc", leakageAuroc);
        if (leakageAuroc <= aurocFloor) {
            throw new ValidationException("leakageAuroc (" + leakageAuroc + ") must be above aurocFloor ("
                    + aurocFloor + "): no AUROC could then pass without being flagged");
        }
        between("nonInferiorityMargin", nonInferiorityMargin, 0, 0.5);
        between("alpha", alpha, 1e-6, 0.5);
        between("maxCalibrationError", maxCalibrationError, 0, 1);
        between("maxBrier", maxBrier, 0, 1);
        between("maxInterceptDeviation", maxInterceptDeviation, 0, 10);
        between("minSlope", minSlope, 0, 10);
        between("maxSlope", maxSlope, minSlope, 10);
        if (minSegmentSize < SMALLEST_SEGMENT) {
            throw new ValidationException("minSegmentSize is " + minSegmentSize + "; segments under " + SMALLEST_SEGMENT
                    + " rows say nothing about a model: use " + SMALLEST_SEGMENT + " or more");
        }
        // An evaluation dataset holds at most about 15,000 rows (the request body's limit): above what any segment of
        // one can have, no segment would be judged and the fairness gates would pass without looking.
        if (minSegmentSize > MAX_SEGMENT_SIZE) {
            throw new ValidationException("minSegmentSize is " + minSegmentSize + "; above " + MAX_SEGMENT_SIZE
                    + " no segment of an evaluation dataset could be judged: use 10 to " + MAX_SEGMENT_SIZE);
        }
        if (minSegmentPerClass == null) {
            minSegmentPerClass = DEFAULT_MIN_SEGMENT_PER_CLASS;
        }
        // A segment needs twice as many rows as this: above half the largest minimum segment size, no segment of an
        // evaluation dataset could be judged and every segment column would fail its fairness gate.
        if (minSegmentPerClass < 1 || minSegmentPerClass > MAX_SEGMENT_SIZE / 2) {
            throw new ValidationException("minSegmentPerClass is " + minSegmentPerClass + "; a segment is judged with"
                    + " at least that many rows with the outcome and as many without it: use 1 to "
                    + MAX_SEGMENT_SIZE / 2 + " (" + DEFAULT_MIN_SEGMENT_PER_CLASS + " by default)");
        }
        between("maxSegmentAurocGap", maxSegmentAurocGap, 0, 1);
        between("maxSegmentCalibrationGap", maxSegmentCalibrationGap, 0, 1);
        between("maxP99LatencyMillis", maxP99LatencyMillis, 0.001, 60_000);
        between("shapTolerance", shapTolerance, 0, 1);
        if (maxRefusedRowShare == null) {
            maxRefusedRowShare = DEFAULT_MAX_REFUSED_ROW_SHARE;
        }
        between("maxRefusedRowShare", maxRefusedRowShare, 0, 1);
        requiredCardFields = CardFacts.checkFieldNames("requiredCardFields", requiredCardFields);
        if (requireCanary == null) {
            requireCanary = false;
        }
        if (maxFirstCanaryStep == null) {
            maxFirstCanaryStep = DEFAULT_MAX_FIRST_CANARY_STEP;
        }
        if (maxFirstCanaryStep < 1 || maxFirstCanaryStep > MAX_FIRST_CANARY_STEP) {
            throw new ValidationException("maxFirstCanaryStep is " + maxFirstCanaryStep + "; it is the largest first"
                    + " step of a new version's canary in basis points of live traffic (100 = 1 %): use 1 to "
                    + MAX_FIRST_CANARY_STEP + " (" + DEFAULT_MAX_FIRST_CANARY_STEP + " by default); above half the"
                    + " version would serve most patients before the analysis judged it");
        }
        if (shapRows < 0) {
            throw new ValidationException("shapRows is " + shapRows + "; use 0 for every row or a positive count");
        }
    }

    /** A policy that lets an approved version be deployed directly, as one stored before {@code requireCanary}. */
    public GatePolicy(int version, double aurocFloor, double nonInferiorityMargin, double alpha,
            double maxCalibrationError, double maxBrier, double maxInterceptDeviation, double minSlope, double maxSlope,
            int minSegmentSize, Integer minSegmentPerClass, double maxSegmentAurocGap, double maxSegmentCalibrationGap,
            double maxP99LatencyMillis, double shapTolerance, int shapRows, double leakageAuroc,
            Double maxRefusedRowShare, boolean allowSchemaChanges, boolean requireCleanTree,
            List<String> requiredCardFields, String changedBy, Instant changedAt, String reason) {
        this(version, aurocFloor, nonInferiorityMargin, alpha, maxCalibrationError, maxBrier, maxInterceptDeviation,
                minSlope, maxSlope, minSegmentSize, minSegmentPerClass, maxSegmentAurocGap, maxSegmentCalibrationGap,
                maxP99LatencyMillis, shapTolerance, shapRows, leakageAuroc, maxRefusedRowShare, allowSchemaChanges,
                requireCleanTree, requiredCardFields, false, null, changedBy, changedAt, reason);
    }

    /** The platform's defaults (version 0), in force until someone changes the model's policy. */
    public static GatePolicy defaults() {
        return new GatePolicy(0, 0.65, 0.02, 0.05, 0.05, 0.25, 0.25, 0.8, 1.25, 100, DEFAULT_MIN_SEGMENT_PER_CLASS,
                0.10, 0.10, 5.0, 1e-4, 2000, 0.97, DEFAULT_MAX_REFUSED_ROW_SHARE, false, false, List.of(), false,
                DEFAULT_MAX_FIRST_CANARY_STEP, "platform", null, "platform defaults");
    }

    /**
     * Whether {@code other} holds the same thresholds and canary requirements, whoever set either, when and why: a
     * threshold of -0.0 is the threshold 0 (a record's equality tells them apart), and the card fields a version must
     * provide are a set.
     */
    public boolean sameThresholds(GatePolicy other) {
        return canonical().equals(other.canonical());
    }

    /** These thresholds with every -0.0 made 0 and the card fields in one order, as version 0 of nobody. */
    private GatePolicy canonical() {
        return new GatePolicy(0, aurocFloor + 0.0, nonInferiorityMargin + 0.0, alpha + 0.0, maxCalibrationError + 0.0,
                maxBrier + 0.0, maxInterceptDeviation + 0.0, minSlope + 0.0, maxSlope + 0.0, minSegmentSize,
                minSegmentPerClass, maxSegmentAurocGap + 0.0, maxSegmentCalibrationGap + 0.0, maxP99LatencyMillis + 0.0,
                shapTolerance + 0.0, shapRows, leakageAuroc + 0.0, maxRefusedRowShare + 0.0, allowSchemaChanges,
                requireCleanTree, requiredCardFields.stream().sorted().toList(), requireCanary, maxFirstCanaryStep,
                null, null, null);
    }

    /** The same thresholds as the next version, changed by {@code by} at {@code at} for {@code why}. */
    GatePolicy asVersion(int next, String by, Instant at, String why) {
        return new GatePolicy(next, aurocFloor, nonInferiorityMargin, alpha, maxCalibrationError, maxBrier,
                maxInterceptDeviation, minSlope, maxSlope, minSegmentSize, minSegmentPerClass, maxSegmentAurocGap,
                maxSegmentCalibrationGap, maxP99LatencyMillis, shapTolerance, shapRows, leakageAuroc,
                maxRefusedRowShare, allowSchemaChanges, requireCleanTree, requiredCardFields, requireCanary,
                maxFirstCanaryStep, by, at, why);
    }

    private static void unit(String name, double value) {
        between(name, value, 0.5, 1);
    }

    private static void between(String name, double value, double low, double high) {
        if (!(value >= low && value <= high)) {
            throw new ValidationException(name + " is " + value + "; it must lie between " + low + " and " + high);
        }
    }
}
