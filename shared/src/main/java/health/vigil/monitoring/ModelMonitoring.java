package health.vigil.monitoring;

import health.vigil.error.ValidationException;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import health.vigil.port.PredictionLog;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * What the prediction log says about one model version over a period of UTC days, computed on demand with the
 * drift check: per day the rows, mean score, flagged share and each monitored feature's PSI against the
 * training reference; over the period the score's distribution against the reference's and the full drift
 * report with its label-free performance estimate. One pass over the log; statistics only, never a row.
 */
public final class ModelMonitoring {
    /** The longest period one view reads, in days. */
    public static final int MAX_DAYS = 92;

    private final PredictionLog log;
    private final Function<VersionRecord, Optional<DriftCheck>> checks;

    /** @param checks the drift check of a version (empty when its package has no reference profile) */
    public ModelMonitoring(PredictionLog log, Function<VersionRecord, Optional<DriftCheck>> checks) {
        this.log = Objects.requireNonNull(log, "log");
        this.checks = Objects.requireNonNull(checks, "checks");
    }

    /** A version's monitoring over {@code [from, to]} (UTC days, inclusive). */
    public MonitoringOverview overview(VersionRecord record, LocalDate from, LocalDate to) {
        if (to.isBefore(from)) {
            throw new ValidationException("'to' (" + to + ") is before 'from' (" + from + "); swap them");
        }
        if (ChronoUnit.DAYS.between(from, to) >= MAX_DAYS) {
            throw new ValidationException("the period is longer than " + MAX_DAYS + " days; ask for a shorter one");
        }
        ModelName model = record.modelName();
        int version = record.version();
        double threshold = record.manifest().output().threshold();
        Optional<DriftCheck> check = checks.apply(record);
        TreeMap<LocalDate, DayTotals> days = new TreeMap<>();
        for (LocalDate d = from; !d.isAfter(to); d = d.plusDays(1)) {
            days.put(d, new DayTotals(check.map(DriftCheck::newAccumulator).orElse(null)));
        }
        Instant start = from.atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant end = to.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        log.scan(model, start, end, r -> {
            if (r.version() != version) {
                return;
            }
            DayTotals day = days.get(LocalDate.ofInstant(r.time(), ZoneOffset.UTC));
            day.rows++;
            day.scoreSum += r.score();
            if (r.score() >= threshold) {
                day.flagged++;
            }
            if (day.drift != null) {
                day.drift.add(r);
            }
        });

        List<MonitoringOverview.Day> result = new ArrayList<>();
        DriftSummary merged = null;
        long rows = 0;
        for (Map.Entry<LocalDate, DayTotals> e : days.entrySet()) {
            DayTotals t = e.getValue();
            rows += t.rows;
            Map<String, Double> psi = new LinkedHashMap<>();
            Double scorePsi = null;
            DriftReport.Status status = null;
            if (t.drift != null) {
                DriftSummary summary = t.drift.summary();
                merged = merged == null ? summary : merged.merge(summary);
                if (t.rows > 0) {
                    DriftReport report = check.get().report(summary);
                    report.features().forEach(f -> psi.put(f.name(), f.psi()));
                    scorePsi = report.score() == null ? null : report.score().psi();
                    status = report.drifted() ? DriftReport.Status.DRIFTED
                            : t.rows < report.thresholds().minRows() ? DriftReport.Status.INSUFFICIENT_DATA
                            : DriftReport.Status.STABLE;
                }
            }
            result.add(new MonitoringOverview.Day(e.getKey(), t.rows, t.rows == 0 ? null : t.scoreSum / t.rows,
                    t.rows == 0 ? null : (double) t.flagged / t.rows, scorePsi, psi, status));
        }
        DriftReport period = null;
        MonitoringOverview.ScoreDistribution distribution = null;
        if (merged != null && rows > 0) {
            period = check.get().report(merged);
            DriftBaseline.Entry reference = check.get().baseline().score();
            if (reference != null && merged.score() != null) {
                long[] counts = merged.score().counts();
                long present = 0;
                for (long c : counts) {
                    present += c;
                }
                List<Double> production = new ArrayList<>();
                for (long c : counts) {
                    production.add(present == 0 ? 0 : (double) c / present);
                }
                distribution = new MonitoringOverview.ScoreDistribution(boxed(reference.edges()),
                        boxed(reference.shares()), production);
            }
        }
        return new MonitoringOverview(model, version, from, to, threshold, rows, result, period, distribution,
                check.isPresent() ? null : "the package of " + record.id() + " has no reference profile to compare with");
    }

    private static List<Double> boxed(double[] values) {
        return java.util.Arrays.stream(values).boxed().toList();
    }

    private static final class DayTotals {
        final DriftAccumulator drift;
        long rows;
        long flagged;
        double scoreSum;

        DayTotals(DriftAccumulator drift) {
            this.drift = drift;
        }
    }
}
