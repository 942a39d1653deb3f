package health.vigil.scoring;

import health.vigil.audit.AuditLog;
import health.vigil.error.Failures;
import health.vigil.model.AuditRecord;
import health.vigil.port.ExpiredOutcomes;
import health.vigil.port.PredictionLog;
import health.vigil.security.Principal;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Keeps the prediction log, the request statistics kept beside it, the copies of damaged log files and the refused
 * records it kept aside, the batch files of finished jobs and the realised outcomes of the predictions within the
 * retention period: deletes what is older than it, and audits each day's purge once. The audit log itself is kept
 * whatever the retention.
 */
public final class PredictionRetention {
    public static final String ACTION = "prediction.retention";
    public static final String ACTOR = Principal.PLATFORM_PREFIX + "retention";
    /** A copy of a damaged log file that was removed, audited once per copy (its name and times, never its bytes). */
    public static final String DAMAGED_COPY_PURGED = "prediction.damaged-copy.purged";
    /** Records the log set aside as refused that were removed, audited once per run (counts, never the records). */
    public static final String REFUSED_PURGED = "prediction.refused.purged";
    private static final String CUTOFF = "cutoff";

    private final PredictionLog log;
    private final Duration retention;
    private final Clock clock;
    private final RequestStatsRecorder requestStats;
    private final AuditLog audit;
    private final ExpiredBatchFiles batchFiles;
    private final ExpiredOutcomes outcomes;

    public PredictionRetention(PredictionLog log, Duration retention, Clock clock, RequestStatsRecorder requestStats,
            AuditLog audit) {
        this(log, retention, clock, requestStats, audit, null, null);
    }

    /** With {@code batchFiles} (null for none): the batch jobs that finished before the day's cut-off go too. */
    public PredictionRetention(PredictionLog log, Duration retention, Clock clock, RequestStatsRecorder requestStats,
            AuditLog audit, ExpiredBatchFiles batchFiles) {
        this(log, retention, clock, requestStats, audit, batchFiles, null);
    }

    /**
     * With {@code batchFiles} and {@code outcomes} (null for none): the batch jobs that finished before the day's
     * cut-off go too, and the outcomes of predictions made before it and the outcome files written before it.
     */
    public PredictionRetention(PredictionLog log, Duration retention, Clock clock, RequestStatsRecorder requestStats,
            AuditLog audit, ExpiredBatchFiles batchFiles, ExpiredOutcomes outcomes) {
        this.log = Objects.requireNonNull(log, "log");
        this.retention = Objects.requireNonNull(retention, "retention");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.requestStats = requestStats;
        this.audit = Objects.requireNonNull(audit, "audit");
        this.batchFiles = batchFiles;
        this.outcomes = outcomes;
    }

    /**
     * Why a prediction logged at {@code logged} (the time its id carries) is not in the log when it is not: the time
     * is before the retention period, so a purge removed it (or is about to); empty for a time within the period.
     */
    public Optional<String> removedByRetention(Instant logged) {
        if (!logged.isBefore(clock.instant().minus(retention))) {
            return Optional.empty();
        }
        return Optional.of("its id dates it " + logged + ", more than the retention period of " + retention.toDays()
                + " days (VIGIL_PREDICTION_RETENTION_DAYS) ago: it was removed by retention");
    }

    /**
     * What one purge removed: prediction records, batch jobs whose files went, batch request files that went without
     * a job (none named them), copies of damaged log files, records the log had set aside as refused, realised
     * outcomes and outcome files; {@code outcomesExpireByTtl}: the outcome store expires outcomes by their own time
     * to live, so {@code outcomes} is 0 and says nothing of them. {@code batchRequestFilesKept}: request files found
     * expired but written again before they could be removed, and so kept. {@code batchStoredRequests}: the stored
     * requests ({@code request.json}) of batch submissions refused before a job was planned, which no job needs.
     */
    public record Purge(long predictions, int batchJobs, int batchRequestFiles, int damagedCopies,
            long refusedRecords, long outcomes, int outcomeFiles, boolean outcomesExpireByTtl,
            int batchRequestFilesKept, int batchStoredRequests) {}

    /**
     * Deletes prediction records older than the retention period; returns how many this call removed, how many
     * finished batch jobs' files went with them and how many batch request files no job named. The cut-off
     * is recorded before anything is deleted, once per UTC day: a second run that day (the timer fired again, two
     * instances at once, a retry after a crash) purges to the recorded cut-off and adds no record, so the record
     * says exactly what was removed. The files of batch jobs that finished before the same cut-off are removed
     * after the records, each job audited in its own trail, and so are the copies the log kept of damaged files
     * (patient data) written before it, each audited once before it goes, and the records it set aside as refused
     * that are older than it, their removal audited once (counts only) before they go; last the outcomes of
     * predictions made before it and the outcome files written before it, each kind audited once before it goes.
     */
    public Purge purgeExpired() {
        Instant now = clock.instant();
        String day = LocalDate.ofInstant(now, ZoneOffset.UTC).toString();
        AuditRecord decided = audit.recordOnce(ACTION + ":" + day, ACTOR, ACTION, "predictions", "purged",
                Map.of(CUTOFF, now.minus(retention).toString(), "retentionDays", Long.toString(retention.toDays())));
        Instant cutoff = Instant.parse(decided.details().get(CUTOFF));
        // Purges of different stores, each on its own: one that fails keeps the others' records no longer.
        Failures failures = new Failures();
        if (requestStats != null) {
            failures.attempt(() -> requestStats.purgeOlderThan(cutoff));
        }
        long[] purged = {0};
        failures.attempt(() -> purged[0] = log.purgeOlderThan(cutoff));
        ExpiredBatchFiles.Removed[] batch = {new ExpiredBatchFiles.Removed(0, 0)};
        if (batchFiles != null) {
            failures.attempt(() -> batch[0] = batchFiles.purgeFinishedBefore(cutoff, retention));
        }
        int[] copies = {0};
        failures.attempt(() -> copies[0] = log.purgeDamagedCopiesBefore(cutoff, copy -> auditRemoval(copy, cutoff)));
        long[] refused = {0};
        failures.attempt(() -> refused[0] = log.purgeRefusedBefore(cutoff, removal -> auditRemoval(removal, cutoff)));
        ExpiredOutcomes.Removed[] labels = {new ExpiredOutcomes.Removed(0, 0)};
        if (outcomes != null) {
            failures.attempt(() -> labels[0] = outcomes.purgeBefore(cutoff, retention));
        }
        failures.throwIfAny();
        return new Purge(purged[0], batch[0].jobs(), batch[0].requestFiles(), copies[0], refused[0],
                labels[0].outcomes(), labels[0].files(), labels[0].outcomesExpireByTtl(), batch[0].requestFilesKept(),
                batch[0].storedRequests());
    }

    /** Audits a damaged copy's removal once, before it is removed: a run that stops after it adds no second record. */
    private void auditRemoval(PredictionLog.DamagedCopy copy, Instant cutoff) {
        audit.recordOnce("prediction.damaged-copy:" + copy.name() + ":" + copy.writtenAt() + ":purged", ACTOR,
                DAMAGED_COPY_PURGED, "predictions", "purged", Map.of("file", copy.name(), "writtenAt",
                        copy.writtenAt().toString(), CUTOFF, cutoff.toString(), "retentionDays",
                        Long.toString(retention.toDays())));
    }

    /**
     * Audits the removal of refused records once, before they go, by the counts it removes at the day's cut-off: a
     * retry of a run that stopped after it adds no second record.
     */
    private void auditRemoval(PredictionLog.RefusedPurge removal, Instant cutoff) {
        audit.recordOnce("prediction.refused:" + removal.file() + ":" + cutoff + ":" + removal.removed() + ":purged",
                ACTOR, REFUSED_PURGED, "predictions", "purged", Map.of("file", removal.file(), "removed",
                        Long.toString(removal.removed()), "kept", Long.toString(removal.kept()), CUTOFF,
                        cutoff.toString(), "retentionDays", Long.toString(retention.toDays())));
    }

}
