package health.vigil.monitoring;

import health.vigil.statistics.Checks;
import health.vigil.statistics.ChiSquareTest;
import health.vigil.statistics.JensenShannon;
import health.vigil.statistics.KolmogorovSmirnov;
import health.vigil.statistics.PopulationStabilityIndex;
import health.vigil.statistics.TwoProportionTest;
import health.vigil.statistics.Wasserstein;
import health.vigil.error.ValidationException;
import health.vigil.monitoring.DriftReport.FeatureDrift;
import health.vigil.model.FeatureSchema;
import health.vigil.model.ModelName;
import health.vigil.model.ReferenceProfile;
import health.vigil.port.PredictionLog;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.stream.IntStream;

/**
 * Compares production predictions with a model version's training reference: PSI, Jensen-Shannon, binned KS
 * and Wasserstein-1 for numeric features and the score, PSI, Jensen-Shannon and chi-square for categorical
 * features, the missing rate for all, and a label-free performance estimate. Summaries are built in one pass,
 * per shard in parallel, and merged; the report is computed from the merged counts alone.
 */
public final class DriftCheck {
    private final DriftBaseline baseline;
    private final DriftThresholds thresholds;

    public DriftCheck(DriftBaseline baseline, DriftThresholds thresholds) {
        if (baseline == null || thresholds == null) {
            throw new ValidationException("a drift check needs a baseline and thresholds");
        }
        this.baseline = baseline;
        this.thresholds = thresholds;
    }

    /** A drift check for a model on the identity pipeline from its schema, reference profile and decision threshold. */
    public static DriftCheck of(FeatureSchema schema, ReferenceProfile reference, double threshold,
            DriftThresholds thresholds) {
        return new DriftCheck(DriftBaseline.compile(schema, reference, threshold), thresholds);
    }

    /**
     * A drift check for a model whose inputs are {@code inputColumns} (its feature pipeline's columns), see
     * {@link DriftBaseline#compile(FeatureSchema, List, ReferenceProfile, double)}.
     */
    public static DriftCheck of(FeatureSchema schema, List<String> inputColumns, ReferenceProfile reference,
            double threshold, DriftThresholds thresholds) {
        return new DriftCheck(DriftBaseline.compile(schema, inputColumns, reference, threshold), thresholds);
    }

    public DriftBaseline baseline() {
        return baseline;
    }

    /** An accumulator that bins the {@link DriftAccumulator.Binning#best() best way} this JVM offers. */
    public DriftAccumulator newAccumulator() {
        return new DriftAccumulator(baseline);
    }

    /**
     * An accumulator that bins this way (for comparing the two); {@link DriftAccumulator.Binning#VECTOR} needs the
     * JVM option {@code --add-modules=jdk.incubator.vector}.
     */
    public DriftAccumulator newAccumulator(DriftAccumulator.Binning binning) {
        return new DriftAccumulator(baseline, binning);
    }

    /**
     * Summarises rows held in memory (row-major, see {@link DriftAccumulator#addRows}) in {@code shards}
     * contiguous shards processed in parallel, then merges the shard summaries.
     */
    public DriftSummary summarise(float[] data, double[] scores, int rowCount, int shards) {
        if (shards < 1) {
            throw new ValidationException("the number of shards must be at least 1");
        }
        if (rowCount < 0) {
            throw new ValidationException("the row count is negative");
        }
        return IntStream.range(0, shards).parallel().mapToObj(s -> {
            DriftAccumulator acc = newAccumulator();
            acc.addRows(data, scores, (int) ((long) rowCount * s / shards), (int) ((long) rowCount * (s + 1) / shards));
            return acc.summary();
        }).reduce(DriftSummary::merge).orElseThrow();
    }

    /**
     * Checks one model version's logged predictions in {@code [from, to)}; records of other versions (the
     * other slot of a canary) are skipped, as they have their own reference.
     */
    public DriftReport check(PredictionLog log, ModelName model, int version, Instant from, Instant to) {
        DriftAccumulator acc = newAccumulator();
        log.scan(model, from, to, record -> {
            if (record.version() == version) {
                acc.add(record);
            }
        });
        return report(acc.summary());
    }

    public DriftReport report(DriftSummary summary) {
        if (!summary.fingerprint().equals(baseline.fingerprint())) {
            throw new ValidationException("this drift summary was built against a different reference profile;"
                    + " build it with this check's accumulator");
        }
        List<FeatureDrift> features = new ArrayList<>();
        boolean drifted = false;
        List<DriftBaseline.Entry> entries = baseline.entries();
        for (int f = 0; f < entries.size(); f++) {
            FeatureDrift d = feature(entries.get(f), summary.features().get(f), summary.rows());
            features.add(d);
            drifted |= d.status() == DriftReport.Status.DRIFTED;
        }
        FeatureDrift score = null;
        if (baseline.score() != null) {
            score = feature(baseline.score(), summary.score(), summary.rows());
            drifted |= score.status() == DriftReport.Status.DRIFTED;
        }
        PerformanceEstimate estimate = summary.sketch().total() == 0 ? null
                : LabelFreeEstimator.estimate(summary.sketch());
        return new DriftReport(summary.rows(), drifted, features, score, estimate, baseline.unmonitored(), thresholds);
    }

    private FeatureDrift feature(DriftBaseline.Entry e, DriftSummary.FeatureCounts c, long rows) {
        long[] counts = c.counts();
        long present = c.present();
        boolean numeric = e.kind() == DriftBaseline.Kind.NUMERIC;
        String kind = e.column() < 0 ? "score" : numeric ? "numeric" : "categorical";
        double missingRate = rows == 0 ? 0 : (double) c.missing() / rows;
        List<String> reasons = new ArrayList<>();
        boolean drifted = false;
        // The missing rate is judged on every row of the window; the distribution only on the present ones.
        boolean missingDrifted = false;

        if (rows >= thresholds.minRows()) {
            // The reference keeps its missing rate, not the count; rounding it back loses less than one row.
            long referenceMissing = Math.round(e.referenceMissingRate() * e.referenceTotalRows());
            TwoProportionTest.Result t = TwoProportionTest.compare(c.missing(), rows, referenceMissing,
                    e.referenceTotalRows());
            if (Math.abs(t.difference()) >= thresholds.missingRateChange() && t.pValue() < thresholds.alpha()) {
                missingDrifted = true;
                reasons.add(String.format(Locale.ROOT, "missing rate %.3f vs %.3f in training (p=%.2g)",
                        missingRate, e.referenceMissingRate(), t.pValue()));
            }
        }
        if (present == 0) {
            DriftReport.Status status = missingDrifted ? DriftReport.Status.DRIFTED
                    : DriftReport.Status.INSUFFICIENT_DATA;
            return new FeatureDrift(e.name(), kind, 0, missingRate, e.referenceMissingRate(), null, null, null,
                    null, null, null, null, null, null, null, status, reasons);
        }
        double[] shares = e.shares();
        if (!numeric && counts[counts.length - 1] == 0) {
            // The extra bin for codes that are not categories is empty on both sides: leave it out, or the
            // empty-bin convention would charge PSI for a bin that exists on neither side.
            shares = Arrays.copyOf(shares, shares.length - 1);
            counts = Arrays.copyOf(counts, counts.length - 1);
        }
        double psi = PopulationStabilityIndex.of(shares, e.referenceRows(), counts);
        double js = JensenShannon.distance(shares, counts);
        if (psi >= thresholds.psi()) {
            drifted = true;
            reasons.add(String.format(Locale.ROOT, "PSI %.3f >= %.3f", psi, thresholds.psi()));
        }
        Double ks = null;
        Double ksP = null;
        Double w1 = null;
        Double chi = null;
        Integer df = null;
        Double chiP = null;
        Boolean chiValid = null;
        Integer pooled = null;
        if (numeric) {
            KolmogorovSmirnov.Result r = KolmogorovSmirnov.binned(shares, e.referenceRows(), counts);
            ks = r.statistic();
            ksP = r.pValue();
            w1 = Wasserstein.binned(e.edges(), shares, counts);
            if (r.pValue() < thresholds.alpha() && r.statistic() >= thresholds.ksStatistic()) {
                drifted = true;
                reasons.add(String.format(Locale.ROOT, "KS %.3f >= %.3f (p=%.2g)", r.statistic(),
                        thresholds.ksStatistic(), r.pValue()));
            }
        } else {
            ChiSquareTest.Result r = ChiSquareTest.referenceVersusProduction(shares, e.referenceRows(), counts);
            chiValid = r.valid();
            pooled = r.pooledCategories();
            if (r.valid()) {
                chi = r.statistic();
                df = r.degreesOfFreedom();
                chiP = r.pValue();
                if (r.pValue() < thresholds.alpha() && js >= thresholds.jsDistance()) {
                    drifted = true;
                    reasons.add(String.format(Locale.ROOT, "chi-square %.1f on %d df (p=%.2g) with JS distance"
                            + " %.3f >= %.3f", r.statistic(), r.degreesOfFreedom(), r.pValue(), js,
                            thresholds.jsDistance()));
                }
            }
        }
        DriftReport.Status status;
        if (present < thresholds.minRows()) {
            // Too few values to judge their distribution; a missing rate judged on enough rows still counts.
            status = missingDrifted ? DriftReport.Status.DRIFTED : DriftReport.Status.INSUFFICIENT_DATA;
            reasons.subList(missingDrifted ? 1 : 0, reasons.size()).clear();
        } else {
            status = drifted || missingDrifted ? DriftReport.Status.DRIFTED : DriftReport.Status.STABLE;
        }
        return new FeatureDrift(e.name(), kind, present, missingRate, e.referenceMissingRate(), psi, js, ks, ksP,
                w1, chi, df, chiP, chiValid, pooled, status, reasons);
    }
}
