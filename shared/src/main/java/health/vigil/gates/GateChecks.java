package health.vigil.gates;

import health.vigil.features.SegmentValues;
import health.vigil.model.GateCheck;
import health.vigil.model.CardFacts;
import health.vigil.model.Feature;
import health.vigil.model.GateCurves;
import health.vigil.model.Manifest;
import health.vigil.model.ModelOutputs;
import health.vigil.model.Provenance;
import health.vigil.security.Principal;
import health.vigil.statistics.Auroc;
import health.vigil.statistics.BrierScore;
import health.vigil.statistics.DeLongTest;
import health.vigil.statistics.LogisticRecalibration;
import health.vigil.statistics.ReliabilityCurve;
import health.vigil.statistics.RocCurve;
import health.vigil.text.Words;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.commons.statistics.distribution.NormalDistribution;

/**
 * The gates themselves, as functions of scores, labels, manifests and a {@link GatePolicy}: each returns its
 * checks with the measured value, the threshold and the outcome. Every statistic comes from
 * {@code health.vigil.statistics}; nothing here reads a store or runs a model.
 */
public final class GateChecks {
    public static final String DISCRIMINATION = "discrimination";
    public static final String CALIBRATION = "calibration";
    public static final String SEGMENTS = "segments";
    public static final String COMPATIBILITY = "compatibility";
    public static final String LATENCY = "latency";
    public static final String EXPLANATION = "explanation";
    public static final String PROVENANCE = "provenance";
    public static final String LEAKAGE = "leakage";
    public static final String CARD = "card";
    public static final String COVERAGE = "coverage";
    /**
     * The coverage gate's check of the share of each outcome's rows the candidate's schema refuses: a check's name, not
     * a gate's, so not public like the gates' names above, which telemetry counts checks under.
     */
    static final String ROWS_REFUSED_BY_OUTCOME = "rows_refused_by_outcome";
    /** The coverage gate's check of the rows on which the candidate's output is not a probability. */
    public static final String OUTPUTS_NOT_PROBABILITY = "outputs_not_probability";
    /** The coverage gate's check of the candidate's features no row of the evaluation dataset gives a value for. */
    static final String FEATURES_WITHOUT_VALUES = "features_without_values";
    /** The coverage gate's check of the candidate's output for a row with every optional feature missing. */
    static final String OPTIONAL_FEATURES_MISSING = "optional_features_missing";
    /**
     * The segments gate's check of a segment with too few rows with the outcome, or without it, to be judged (checked
     * as {@code {column}={value}:outcomes_per_class}).
     */
    static final String SEGMENT_OUTCOMES = "outcomes_per_class";
    /** The segments gate's check of an evaluation dataset that declares no segment column. */
    static final String SEGMENT_COLUMNS = "segment_columns";
    /**
     * The fewest outcomes of a class a segment's note counts exactly, as the monitoring report's default cell-size rule
     * has it (no count from 1 to 10): a rarer count of a named group could point at its patients. The platform's
     * floor: a model whose monitoring policy withholds more ({@code minCellSize}) has its gates withhold as much.
     */
    static final int SMALLEST_COUNT_SHOWN = 11;
    /** How many optional features that check's note names; the rest are counted. */
    static final int NAMED_OPTIONAL_FEATURES = 10;
    /** The gates that need an evaluation dataset; without one they fail. */
    public static final List<String> DATA_GATES = List.of(COVERAGE, DISCRIMINATION, CALIBRATION, SEGMENTS, LATENCY,
            EXPLANATION, LEAKAGE);
    static final int CALIBRATION_BINS = 10;
    /** How many points of the ROC curve a report keeps for drawing. */
    static final int ROC_POINTS = 101;
    /** What training records as the commit when it ran outside a git work tree. */
    static final String UNKNOWN_COMMIT = "unknown";
    private static final NormalDistribution STANDARD_NORMAL = NormalDistribution.of(0, 1);

    private GateChecks() {}

    /**
     * The absolute floor on the candidate's AUROC (with its DeLong 95% interval) over every row the candidate reads
     * ({@code candidate}, {@code labels}); and, with a production version, non-inferiority over the rows both versions
     * read ({@code pairedCandidate}, {@code production}, {@code pairedLabels}; all null without one): the one-sided
     * lower bound of AUROC(candidate) - AUROC(production) at level {@code alpha} must lie above {@code -margin}. A
     * candidate that reads patients production refuses is so judged on them too, and compared where both can be.
     */
    public static List<GateCheck> discrimination(double[] candidate, boolean[] labels, double[] pairedCandidate,
            double[] production, boolean[] pairedLabels, GatePolicy policy) {
        List<GateCheck> checks = new ArrayList<>();
        // Against a constant score every placement of the second model is 1/2 and has no variance, so DeLong's
        // variance of the difference is the candidate's own AUROC variance.
        double[] constant = new double[candidate.length];
        Arrays.fill(constant, 0.5);
        DeLongTest.Result alone = DeLongTest.compare(candidate, constant, labels);
        double z95 = STANDARD_NORMAL.inverseSurvivalProbability(0.025);
        double upper = Math.min(1, alone.aurocFirst() + z95 * alone.standardError());
        // Below one half beyond chance, the scores rank the negative class higher: most often the manifest names the
        // other class's column, which registration cannot see from one probe row.
        String note = upper < 0.5 ? "absolute floor; 95% DeLong interval; the whole interval is below 0.5, so these"
                + " scores rank the negative class higher: check that the manifest's output.positiveClassIndex names"
                + " the positive class's column and that the dataset's labels mean what output.positiveLabel says"
                : "absolute floor; 95% DeLong interval";
        checks.add(GateCheck.of(DISCRIMINATION, "auroc", alone.aurocFirst(), ">= " + policy.aurocFloor(),
                alone.aurocFirst() >= policy.aurocFloor(), note)
                .withInterval(Math.max(0, alone.aurocFirst() - z95 * alone.standardError()), upper));
        if (production == null) {
            checks.add(new GateCheck(DISCRIMINATION, "non_inferiority", null, null, null, null,
                    GateCheck.Outcome.PASSED, "no production version: judged against the absolute floor alone"));
            return checks;
        }
        long positives = IntStream.range(0, pairedLabels.length).filter(i -> pairedLabels[i]).count();
        long negatives = pairedLabels.length - positives;
        if (positives < 2 || negatives < 2) {
            // DeLong's variance needs two of each; without them nothing shows the candidate is not worse.
            checks.add(GateCheck.failed(DISCRIMINATION, "non_inferiority", "of the " + Words.count(pairedLabels.length, "row") + " both"
                    + " versions read, " + positives + " have the outcome and " + negatives + " do not: comparing"
                    + " with production needs at least 2 of each"));
            return checks;
        }
        DeLongTest.Result paired = DeLongTest.compare(pairedCandidate, production, pairedLabels);
        double zAlpha = STANDARD_NORMAL.inverseSurvivalProbability(policy.alpha());
        double lower = paired.difference() - zAlpha * paired.standardError();
        double pValue = paired.standardError() == 0
                ? (paired.difference() > -policy.nonInferiorityMargin() ? 0 : 1)
                : STANDARD_NORMAL.survivalProbability(
                        (paired.difference() + policy.nonInferiorityMargin()) / paired.standardError());
        checks.add(GateCheck.of(DISCRIMINATION, "non_inferiority", paired.difference(),
                "lower bound > -" + policy.nonInferiorityMargin(), lower > -policy.nonInferiorityMargin(),
                String.format(Locale.ROOT, "AUROC candidate %.4f vs production %.4f on the same rows%s; paired DeLong,"
                        + " one-sided, alpha %s, p = %.4g", paired.aurocFirst(), paired.aurocSecond(),
                        pairedLabels.length == labels.length ? "" : " (the " + pairedLabels.length + " both read)",
                        policy.alpha(), pValue))
                .withInterval(lower, null));
        return checks;
    }

    /** Expected calibration error, Brier score, calibration intercept (in the large) and slope. */
    public static List<GateCheck> calibration(double[] candidate, boolean[] labels, GatePolicy policy) {
        double ece = ReliabilityCurve.of(candidate, labels, CALIBRATION_BINS).expectedCalibrationError();
        double brier = BrierScore.of(candidate, labels);
        LogisticRecalibration fit = LogisticRecalibration.of(candidate, labels);
        return List.of(
                GateCheck.of(CALIBRATION, "expected_calibration_error", ece, "<= " + policy.maxCalibrationError(),
                        ece <= policy.maxCalibrationError(), CALIBRATION_BINS + " equal-width bins"),
                GateCheck.of(CALIBRATION, "brier", brier, "<= " + policy.maxBrier(), brier <= policy.maxBrier(), null),
                GateCheck.of(CALIBRATION, "intercept", fit.intercept(), "within ±" + policy.maxInterceptDeviation(),
                        Math.abs(fit.intercept()) <= policy.maxInterceptDeviation(),
                        "calibration in the large: logistic recalibration with the slope fixed at 1"),
                GateCheck.of(CALIBRATION, "slope", fit.slope(), "within [" + policy.minSlope() + ", "
                        + policy.maxSlope() + "]", fit.slopeFound() && fit.slope() >= policy.minSlope()
                        && fit.slope() <= policy.maxSlope(), fit.slopeFound()
                        ? "logistic recalibration; below 1: predictions too extreme"
                        : "no slope can be fitted: every score is the same, or the scores separate the outcomes"
                        + " completely (every positive above every negative), which a clinical outcome does not allow;"
                        + " look for the outcome leaking into the features"));
    }

    /**
     * Per segment column (age band, sex and every declared segment): each value's AUROC and calibration error,
     * judged only where the segment has {@code minSegmentSize} rows and {@code minSegmentPerClass} with the outcome
     * and as many without it. A segment large enough but short of an outcome is flagged for the approver, not judged:
     * its AUROC would be noise. The fairness check is the worst judged segment's gap to the overall value, for AUROC
     * (below) and calibration error (above); a column with no segment judged fails. A column that puts every row in
     * one segment (each value missing, say) fails: its only segment is the whole, whose gaps are 0. So does one whose
     * judged segments record no value; one with a single judged segment is flagged: no group was compared. A dataset
     * that declares no segment column is flagged, rather than the gate passing with no check. A flagged segment's
     * counts are withheld below {@link #SMALLEST_COUNT_SHOWN}.
     */
    public static List<GateCheck> segments(double[] candidate, boolean[] labels, Map<String, String[]> columns,
            GatePolicy policy) {
        return segments(candidate, labels, columns, policy, SMALLEST_COUNT_SHOWN);
    }

    /**
     * As {@link #segments(double[], boolean[], Map, GatePolicy)}, a flagged segment's counts withheld below the
     * model's own small-cell threshold ({@code minCellSize}, its monitoring policy's), so its gate report and its
     * monitoring reports withhold alike; never below {@link #SMALLEST_COUNT_SHOWN}.
     */
    public static List<GateCheck> segments(double[] candidate, boolean[] labels, Map<String, String[]> columns,
            GatePolicy policy, int minCellSize) {
        int cellSize = Math.max(minCellSize, SMALLEST_COUNT_SHOWN);
        if (columns.isEmpty()) {
            return List.of(new GateCheck(SEGMENTS, SEGMENT_COLUMNS, 0.0, ">= 1", null, null,
                    GateCheck.Outcome.FLAGGED, "the evaluation dataset declares no segment column (no ageColumn,"
                            + " sexColumn or segments), so no group of patients was compared with the whole and the"
                            + " fairness gate judged nothing: register a dataset that declares them, or confirm the"
                            + " model's fairness was judged otherwise"));
        }
        double overallAuroc = Auroc.of(candidate, labels);
        double overallEce = ReliabilityCurve.of(candidate, labels, CALIBRATION_BINS).expectedCalibrationError();
        List<GateCheck> checks = new ArrayList<>();
        for (Map.Entry<String, String[]> column : columns.entrySet()) {
            Map<String, List<Integer>> groups = new LinkedHashMap<>();
            String[] values = column.getValue();
            for (int i = 0; i < values.length; i++) {
                groups.computeIfAbsent(values[i] == null ? SegmentValues.MISSING : values[i], v -> new ArrayList<>()).add(i);
            }
            if (groups.size() == 1) {
                // One segment is the whole: its gaps to the overall values are 0 by construction and judge no group.
                // Without a value in any row the dataset lacks the column, which fails; one value throughout (a
                // every patient under 50, one sex) may be the model's population, which the approver
                // is asked to confirm.
                String value = groups.keySet().iterator().next();
                boolean unrecorded = unrecorded(value);
                String only = values.length < GatePolicy.SMALLEST_SEGMENT ? "one value" : "'" + value + "'";
                String note = "every one of the " + Words.count(values.length, "row") + " judged is in one segment of '"
                        + column.getKey() + "' (" + only + "), so no group can be compared with the whole";
                checks.add(unrecorded ? GateCheck.failed(SEGMENTS, column.getKey() + ":worst_auroc_gap", note
                        + ": the dataset records no value of it; register a dataset in which the column tells patients"
                        + " apart") : new GateCheck(SEGMENTS, column.getKey() + ":worst_auroc_gap", null, null, null,
                        null, GateCheck.Outcome.FLAGGED, note + ": confirm the model is meant for that group alone"));
                continue;
            }
            double worstAurocGap = Double.NEGATIVE_INFINITY;
            double worstEceGap = Double.NEGATIVE_INFINITY;
            String worstAuroc = null;
            String worstEce = null;
            List<String> skipped = new ArrayList<>();
            int unnamed = 0;
            int flagged = 0;
            int judged = 0;
            int recorded = 0;
            for (Map.Entry<String, List<Integer>> group : groups.entrySet()) {
                List<Integer> rows = group.getValue();
                double[] s = new double[rows.size()];
                boolean[] y = new boolean[rows.size()];
                int positives = 0;
                for (int j = 0; j < s.length; j++) {
                    s[j] = candidate[rows.get(j)];
                    y[j] = labels[rows.get(j)];
                    positives += y[j] ? 1 : 0;
                }
                if (rows.size() < policy.minSegmentSize()) {
                    if (rows.size() < GatePolicy.SMALLEST_SEGMENT) {
                        unnamed++;
                    } else {
                        skipped.add(group.getKey() + " (" + Words.count(rows.size(), "row") + ")");
                    }
                    continue;
                }
                String name = column.getKey() + "=" + group.getKey();
                int negatives = rows.size() - positives;
                int least = policy.minSegmentPerClass();
                if (positives < least || negatives < least) {
                    checks.add(new GateCheck(SEGMENTS, name + ":" + SEGMENT_OUTCOMES, null, ">= " + least
                            + " with and without the outcome", null, null, GateCheck.Outcome.FLAGGED,
                            "not judged: " + Words.count(rows.size(), "row") + ", " + tooFew(positives, negatives,
                                    least, cellSize) + "; at least " + least + " of each are needed for its AUROC and"
                                    + " calibration error to say more than noise"));
                    flagged++;
                    continue;
                }
                judged++;
                recorded += unrecorded(group.getKey()) ? 0 : 1;
                double auroc = Auroc.of(s, y);
                double ece = ReliabilityCurve.of(s, y, CALIBRATION_BINS).expectedCalibrationError();
                checks.add(GateCheck.of(SEGMENTS, name + ":auroc", auroc, "gap <= " + policy.maxSegmentAurocGap(),
                        overallAuroc - auroc <= policy.maxSegmentAurocGap(), Words.count(rows.size(), "row")));
                checks.add(GateCheck.of(SEGMENTS, name + ":calibration_error", ece, "gap <= "
                        + policy.maxSegmentCalibrationGap(), ece - overallEce <= policy.maxSegmentCalibrationGap(),
                        Words.count(rows.size(), "row")));
                if (overallAuroc - auroc > worstAurocGap) {
                    worstAurocGap = overallAuroc - auroc;
                    worstAuroc = name;
                }
                if (ece - overallEce > worstEceGap) {
                    worstEceGap = ece - overallEce;
                    worstEce = name;
                }
            }
            if (unnamed > 0) {
                // Counted, not named: a value this rare can point at a patient (an identifier given as a segment).
                skipped.add(Words.count(unnamed, "value") + " under " + Words.count(GatePolicy.SMALLEST_SEGMENT, "row")
                        + " each, not named");
            }
            String skippedNote = skipped.isEmpty() ? "" : "; not judged (under " + Words.count(policy.minSegmentSize(), "row")
                    + "): " + String.join(", ", skipped);
            if (worstAuroc == null) {
                checks.add(GateCheck.failed(SEGMENTS, column.getKey() + ":worst_auroc_gap",
                        "no segment of '" + column.getKey() + "' is large enough to judge" + skippedNote
                                + (flagged == 0 ? "" : "; " + Words.count(flagged, "segment") + " with too few rows"
                                        + " with or without the outcome")));
                continue;
            }
            if (recorded == 0 || judged == 1) {
                // One segment judged is compared with a whole of which it is the judged part, and a segment of no
                // recorded value (each value missing, sex unknown) is no group of patients: no group was compared
                // with another, as when the column puts every row in one segment.
                String note = (judged == 1 ? "only " + worstAuroc + " was judged" : "only segments of no recorded"
                        + " value were judged") + ", so no group of '" + column.getKey() + "' was compared with another"
                        + skippedNote + (flagged == 0 ? "" : "; " + Words.count(flagged, "segment") + " with too few"
                        + " rows with or without the outcome");
                checks.add(recorded == 0 ? GateCheck.failed(SEGMENTS, column.getKey() + ":worst_auroc_gap", note
                        + ": the dataset records too few values of it; register a dataset in which the column tells"
                        + " patients apart") : new GateCheck(SEGMENTS, column.getKey() + ":worst_auroc_gap",
                        worstAurocGap, "<= " + policy.maxSegmentAurocGap(), null, null, GateCheck.Outcome.FLAGGED,
                        note + ": confirm the model is meant for that group alone, or register a dataset with enough"
                                + " patients of the others"));
                continue;
            }
            checks.add(GateCheck.of(SEGMENTS, column.getKey() + ":worst_auroc_gap", worstAurocGap,
                    "<= " + policy.maxSegmentAurocGap(), worstAurocGap <= policy.maxSegmentAurocGap(),
                    "fairness: worst segment " + worstAuroc + skippedNote));
            checks.add(GateCheck.of(SEGMENTS, column.getKey() + ":worst_calibration_gap", worstEceGap,
                    "<= " + policy.maxSegmentCalibrationGap(), worstEceGap <= policy.maxSegmentCalibrationGap(),
                    "fairness: worst segment " + worstEce));
        }
        return checks;
    }

    /** Whether a segment's value records nothing about the patients in it: a missing value, or no sex recorded. */
    private static boolean unrecorded(String value) {
        return value.equals(SegmentValues.MISSING) || value.equals(SegmentValues.UNKNOWN_SEX);
    }

    /**
     * What a segment short of an outcome is short of, by the small-cell rule: a count from 1 to {@code cellSize} - 1
     * is withheld, and so is one whose other class is (the segment's rows are named, so one count gives the other);
     * zero stays zero.
     */
    static String tooFew(int positives, int negatives, int least, int cellSize) {
        if (negatives >= least) {
            return count(positives, negatives, least, cellSize) + " with the outcome";
        }
        if (positives >= least) {
            return count(negatives, positives, least, cellSize) + " without the outcome";
        }
        return count(positives, negatives, least, cellSize) + " with the outcome and "
                + count(negatives, positives, least, cellSize) + " without it";
    }

    private static String count(int count, int other, int least, int cellSize) {
        if (count == 0) {
            return "none";
        }
        if (count < cellSize) {
            return "fewer than " + Math.min(least, cellSize);
        }
        return other > 0 && other < cellSize ? "fewer than " + least : Integer.toString(count);
    }

    /**
     * The candidate's raw feature schema against production's: a feature production reads that the candidate
     * removed or retyped fails unless the policy allows schema changes; the feature pipeline family (the
     * pipeline's name without its definition hash) must be the same.
     */
    public static List<GateCheck> compatibility(Manifest candidate, Manifest production, GatePolicy policy) {
        if (production == null) {
            return List.of(new GateCheck(COMPATIBILITY, "schema", null, null, null, null, GateCheck.Outcome.PASSED,
                    "no production version to be compatible with"));
        }
        List<String> removed = new ArrayList<>();
        List<String> retyped = new ArrayList<>();
        for (Feature old : production.features().features()) {
            var now = candidate.features().features().stream().filter(f -> f.name().equals(old.name())).findFirst();
            if (now.isEmpty()) {
                removed.add(old.name());
            } else if (now.get().type() != old.type()) {
                retyped.add(old.name() + " (" + old.type() + " -> " + now.get().type() + ")");
            }
        }
        int changes = removed.size() + retyped.size();
        String family = family(candidate.featurePipeline());
        String productionFamily = family(production.featurePipeline());
        return List.of(
                GateCheck.of(COMPATIBILITY, "schema", changes, policy.allowSchemaChanges() ? "changes allowed"
                        : "== 0 removed or retyped", changes == 0 || policy.allowSchemaChanges(),
                        changes == 0 ? "every production feature is read with the same type"
                                : "removed " + removed + ", retyped " + retyped),
                GateCheck.of(COMPATIBILITY, "pipeline_family", family.equals(productionFamily) ? 1 : 0,
                        "== " + productionFamily, family.equals(productionFamily), "candidate: " + family));
    }

    static String family(String pipelineId) {
        if (pipelineId == null) {
            return "identity";
        }
        int at = pipelineId.indexOf('@');
        return at < 0 ? pipelineId : pipelineId.substring(0, at);
    }

    /** The 99th percentile (nearest rank) of one row's scoring time, in milliseconds, within the budget. */
    public static GateCheck latency(long[] rowNanos, GatePolicy policy) {
        long[] sorted = rowNanos.clone();
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(0.99 * sorted.length);
        double p99 = sorted[Math.max(0, rank - 1)] / 1e6;
        return GateCheck.of(LATENCY, "p99_row_millis", p99, "<= " + policy.maxP99LatencyMillis(),
                p99 <= policy.maxP99LatencyMillis(), Words.count(sorted.length, "row") + " scored one at a time on the platform's runtime");
    }

    /**
     * SHAP values must add up to the model's margin: {@code deviations[i]} is row i's
     * |expected margin + sum of SHAP values - logit(runtime's probability)|; every row within tolerance passes.
     */
    public static GateCheck explanation(double[] deviations, GatePolicy policy) {
        return explanation(deviations, null, policy);
    }

    /** As {@link #explanation(double[], GatePolicy)}, saying why there is no explainer when the loader said. */
    public static GateCheck explanation(double[] deviations, String whyNoExplainer, GatePolicy policy) {
        if (deviations == null) {
            return GateCheck.failed(EXPLANATION, "shap_additivity", "the model has no explainer ("
                    + (whyNoExplainer != null ? whyNoExplainer : "neither a tree ensemble nor a logistic regression with"
                            + " a training profile") + "), so its predictions cannot be explained");
        }
        double worst = 0;
        int over = 0;
        for (double d : deviations) {
            worst = Math.max(worst, Double.isNaN(d) ? Double.POSITIVE_INFINITY : d);
            over += d <= policy.shapTolerance() ? 0 : 1;
        }
        return GateCheck.of(EXPLANATION, "shap_additivity", worst, "<= " + policy.shapTolerance(), over == 0,
                over + " of " + Words.count(deviations.length, "row") + " out of tolerance");
    }

    /**
     * What the package says about where it came from: dataset sha256, code commit, seed and library versions
     * must be present; a tree with uncommitted changes (or an unknown one) fails when the policy requires a clean
     * tree, and is flagged for the approver otherwise.
     */
    public static List<GateCheck> provenance(Provenance provenance, GatePolicy policy) {
        if (provenance == null) {
            return List.of(GateCheck.failed(PROVENANCE, "present", "the manifest has no provenance"));
        }
        List<GateCheck> checks = new ArrayList<>();
        checks.add(present("dataset_sha256", provenance.datasetSha256()));
        boolean commitKnown = !UNKNOWN_COMMIT.equals(provenance.codeCommit());
        checks.add(commitKnown ? present("code_commit", provenance.codeCommit())
                : new GateCheck(PROVENANCE, "code_commit", 0.0, "present", null, null, GateCheck.Outcome.FLAGGED,
                        "trained outside a git work tree: the commit is unknown"));
        boolean clean = Boolean.FALSE.equals(provenance.codeDirty()) && commitKnown;
        String cleanNote = clean ? "clean" : provenance.codeDirty() == null || !commitKnown
                ? "the manifest does not say whether the tree was clean"
                : "trained from uncommitted changes: not reproducible";
        checks.add(new GateCheck(PROVENANCE, "clean_tree", clean ? 1.0 : 0.0, "== 1", null, null,
                clean ? GateCheck.Outcome.PASSED : policy.requireCleanTree() ? GateCheck.Outcome.FAILED
                        : GateCheck.Outcome.FLAGGED, cleanNote));
        checks.add(present("seed", provenance.seed() == null ? null : provenance.seed().toString()));
        checks.add(GateCheck.of(PROVENANCE, "library_versions", provenance.libraries().size(), ">= 1",
                !provenance.libraries().isEmpty(), String.join(", ", provenance.libraries().keySet())));
        return checks;
    }

    /**
     * Fails when {@code author}, who set the policy or registered the dataset the version is judged by, is
     * {@code uploader} (the person answering for the version, described as {@code whose}: its uploader, or for a
     * version the platform retrained the uploader of the version it was retrained from) under any spelling:
     * separation of duties applies to the bar and the data as to the signature.
     */
    public static GateCheck independent(String check, String uploader, String whose, String author, String what) {
        boolean same = Principal.sameIdentity(uploader, author);
        return GateCheck.of(PROVENANCE, check, same ? 0 : 1, "not the uploader", !same, same ? whose + " "
                + what + " it is judged by; someone who did not upload it must register the data or set"
                + " the policy, and the gates run again on a new upload" : null);
    }

    private static GateCheck present(String check, String value) {
        boolean ok = value != null && !value.isBlank();
        return GateCheck.of(PROVENANCE, check, ok ? 1 : 0, "present", ok, ok ? null : check + " is missing");
    }

    /**
     * The share of the evaluation dataset's rows the candidate's schema refuses: every other data gate is measured
     * without them, and patients like them would be refused at scoring, so a candidate that cannot score a material
     * part of the platform's evaluation population fails rather than being judged on the rest alone.
     *
     * @param firstProblem why the first refused row was refused (its row number and rule) and, when rows are refused
     *     by more than one rule, how many by each ({@link EvaluationRows.Acceptance#described}); null when none was
     */
    public static GateCheck coverage(int refused, int rows, String firstProblem, GatePolicy policy) {
        double share = rows == 0 ? 0 : (double) refused / rows;
        String note = refused + " of " + Words.count(rows, "row") + " refused by the candidate's schema"
                + (firstProblem == null ? "" : " (first: " + firstProblem + ")")
                + (refused == 0 ? "" : "; the other data gates are measured without them");
        return GateCheck.of(COVERAGE, "rows_refused", share, "<= " + policy.maxRefusedRowShare(),
                share <= policy.maxRefusedRowShare(), note);
    }

    /**
     * The share of the evaluation rows with the outcome that the candidate's schema refuses, and of those without it,
     * the larger judged against the same threshold as {@link #coverage}: the outcome is rarer than its absence, so a
     * schema refusing few rows overall can refuse a large part of the patients with the outcome, whom every other
     * data gate is then measured without, and whom it would leave unscored.
     */
    public static GateCheck coverageByOutcome(int refusedWith, int rowsWith, int refusedWithout, int rowsWithout,
            GatePolicy policy) {
        double with = rowsWith == 0 ? 0 : (double) refusedWith / rowsWith;
        double without = rowsWithout == 0 ? 0 : (double) refusedWithout / rowsWithout;
        double share = Math.max(with, without);
        return GateCheck.of(COVERAGE, ROWS_REFUSED_BY_OUTCOME, share, "<= " + policy.maxRefusedRowShare(),
                share <= policy.maxRefusedRowShare(), refusedWith + " of the " + Words.count(rowsWith, "row")
                        + " with the outcome and " + refusedWithout + " of the " + Words.count(rowsWithout, "row")
                        + " without it refused by the candidate's schema");
    }

    /**
     * The rows the candidate's schema reads on which its output is not a probability (NaN, above 1, below 0): a patient
     * like them would get no score (502 {@code MODEL_OUTPUT_INVALID}) and nothing a clinician could read as a risk, so
     * one such row fails the candidate. Every other data gate is measured without them.
     *
     * @param first the first such row and its output ({@code row 4, output 1.38, above 1}), null when there is none
     */
    public static GateCheck outputs(int notProbability, int read, String first) {
        String note = notProbability == 0 ? "every one of the " + Words.count(read, "row") + " the candidate reads got a probability"
                : notProbability + " of the " + Words.count(read, "row") + " the candidate reads got an output that is not a probability"
                        + " (first: " + first + "); the other data gates are measured without them";
        return GateCheck.of(COVERAGE, OUTPUTS_NOT_PROBABILITY, notProbability, "== 0", notProbability == 0, note);
    }

    /**
     * The candidate's raw features that none of the {@code rows} the other data gates measure gives a value for (the
     * evaluation dataset has no such column, or its cells are all empty): each row was scored as a patient without
     * them, so the gates judged a model other than the one patients sent with those values get, and one such feature
     * fails the candidate. A feature the dataset gives on some rows only is measured as it is.
     *
     * @param features the names of those features, in the schema's order; none: every feature has a value somewhere
     */
    public static GateCheck featuresWithoutValues(List<String> features, int rows) {
        if (features.isEmpty()) {
            return GateCheck.of(COVERAGE, FEATURES_WITHOUT_VALUES, 0, "== 0", true, "every feature of the candidate"
                    + " has a value on some of the " + Words.count(rows, "row") + " it is judged on");
        }
        String names = String.join(", ", features.subList(0, Math.min(NAMED_OPTIONAL_FEATURES, features.size())))
                + (features.size() > NAMED_OPTIONAL_FEATURES ? " and " + (features.size() - NAMED_OPTIONAL_FEATURES)
                        + " more" : "");
        // Flagged, as a missing optional feature's output is: a feature only some patients have (a twelfth fill of
        // a prescription) may be in no row of a sound dataset, and whether patients with it reach the model is the
        // approver's to judge, who is never the uploader.
        return new GateCheck(COVERAGE, FEATURES_WITHOUT_VALUES, (double) features.size(), "== 0", null, null,
                GateCheck.Outcome.FLAGGED, "none of the " + Words.count(rows, "row") + " the candidate is judged on"
                        + " gives a value for " + names + " (the evaluation dataset has no such column, or it is"
                        + " empty): every data gate scored it as if no patient had them, so what it answers a patient"
                        + " who has them was not judged; register a dataset whose rows give them, or leave them out of"
                        + " the model, unless no such patient will reach it");
    }

    /**
     * The candidate's output for one row built from the manifest's schema with every optional feature missing and each
     * required one given a valid value, as a patient without those values is sent. A model exported without its
     * imputer answers it NaN, and would answer every such patient 502 {@code MODEL_OUTPUT_INVALID} once deployed
     * although its evaluation rows all had the values. Flagged for the approver rather than failed: whether patients
     * without those values reach the model is for the people who deploy it to judge.
     *
     * @param optional the names of the manifest's optional features, in its order; none: no row is scored
     * @param output the candidate's output for that row (ignored without optional features)
     */
    public static GateCheck optionalFeaturesMissing(List<String> optional, double output) {
        return optionalFeaturesMissing(optional, output, null);
    }

    /**
     * As {@link #optionalFeaturesMissing(List, double)}, for a model that failed on that row instead of answering:
     * flagged with the failure's reason, as every patient sent without those values would get it.
     */
    public static GateCheck optionalFeaturesMissing(List<String> optional, String failure) {
        return optionalFeaturesMissing(optional, Double.NaN, failure);
    }

    private static GateCheck optionalFeaturesMissing(List<String> optional, double output, String failure) {
        if (optional.isEmpty()) {
            return new GateCheck(COVERAGE, OPTIONAL_FEATURES_MISSING, null, null, null, null, GateCheck.Outcome.PASSED,
                    "every feature of the manifest is required: no patient is scored without a value");
        }
        String names = String.join(", ", optional.subList(0, Math.min(NAMED_OPTIONAL_FEATURES, optional.size())))
                + (optional.size() > NAMED_OPTIONAL_FEATURES ? " and " + (optional.size() - NAMED_OPTIONAL_FEATURES)
                        + " more" : "");
        String row = "a row with every optional feature missing (" + names + ") and each required one given a valid"
                + " value";
        if (failure == null && ModelOutputs.isProbability(output)) {
            return GateCheck.of(COVERAGE, OPTIONAL_FEATURES_MISSING, 0, "== 0", true, row + " got a probability");
        }
        String what = failure == null
                ? " got an output that is not a probability (" + ModelOutputs.describe(output) + "): every patient sent"
                        + " without those values would get no risk (502 MODEL_OUTPUT_INVALID)"
                : " could not be scored (" + failure + "): every patient sent without those values would get that"
                        + " error instead of a risk";
        return new GateCheck(COVERAGE, OPTIONAL_FEATURES_MISSING, 1.0, "== 0", null, null, GateCheck.Outcome.FLAGGED,
                row + what + ". Export the model with the imputer it was trained with (or one that fills a missing"
                        + " value), or mark those features required in the manifest");
    }

    /** An AUROC at or above the policy's ceiling is flagged: a label may have leaked into the features. */
    public static GateCheck leakage(double auroc, GatePolicy policy) {
        boolean flagged = auroc >= policy.leakageAuroc();
        return new GateCheck(LEAKAGE, "implausible_auroc", auroc, "< " + policy.leakageAuroc(), null, null,
                flagged ? GateCheck.Outcome.FLAGGED : GateCheck.Outcome.PASSED, flagged
                        ? "implausibly high for the task: check the features for the outcome leaking in" : null);
    }

    /**
     * Every card field the policy requires must be in the manifest's {@code card} section; a missing one fails,
     * named, so the data scientist knows what to add before uploading again.
     */
    public static List<GateCheck> card(Manifest manifest, GatePolicy policy) {
        if (policy.requiredCardFields().isEmpty()) {
            return List.of(new GateCheck(CARD, "required_fields", 0.0, "none required", null, null,
                    GateCheck.Outcome.PASSED, "the gate policy requires no model card field"));
        }
        CardFacts facts = manifest.cardFacts();
        List<GateCheck> checks = new ArrayList<>();
        for (String field : policy.requiredCardFields()) {
            boolean provided = facts.provides(field);
            checks.add(GateCheck.of(CARD, field, provided ? 1 : 0, "provided", provided, provided ? null
                    : "card." + field + " is not provided; the gate policy requires it: add it to the manifest's card section"));
        }
        return checks;
    }

    /** The candidate's reliability curve (the calibration gate's bins) and its ROC curve, thinned for drawing. */
    public static GateCurves curves(double[] candidate, boolean[] labels) {
        List<GateCurves.CalibrationBin> bins = ReliabilityCurve.of(candidate, labels, CALIBRATION_BINS).bins().stream()
                .map(b -> new GateCurves.CalibrationBin(b.lower(), b.upper(), b.count(), b.meanScore(), b.observedRate()))
                .toList();
        List<GateCurves.RocPoint> roc = RocCurve.of(candidate, labels).thinned(ROC_POINTS).points().stream()
                .map(p -> new GateCurves.RocPoint(Double.isInfinite(p.threshold()) ? null : p.threshold(),
                        p.falsePositiveRate(), p.truePositiveRate()))
                .toList();
        return new GateCurves(bins, roc);
    }
}
