package health.vigil.functions.control;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.TimerTrigger;
import health.vigil.functions.common.Triggers;
import health.vigil.platform.VigilPlatform;
import health.vigil.scoring.PredictionRetention;

/**
 * Deletes prediction-log records older than the retention period once a day, the batch files of jobs that
 * finished before it, the copies of damaged log files written before it, the refused records the log set aside
 * that are older than it, the outcomes of predictions made before it and the outcome files written before it, under
 * one audit record of the day's cut-off (in Cosmos DB the containers' TTL deletes the records and outcomes too; this
 * keeps the local store to the same policy, and Blob Storage has no TTL of its own here).
 */
public final class RetentionFunctions {
    private final VigilPlatform platform;
    private final Triggers triggers;

    public RetentionFunctions(VigilPlatform platform) {
        this.triggers = Triggers.of(platform);
        this.platform = platform;
    }

    @FunctionName("PredictionRetention")
    public void run(@TimerTrigger(name = "timer", schedule = "0 30 2 * * *") String timer, ExecutionContext context) {
        triggers.run(context, () -> {
            PredictionRetention.Purge purged = platform.predictionRetention().purgeExpired();
            context.getLogger().info("PredictionRetention removed " + purged.predictions() + " prediction records,"
                    + " the files of " + purged.batchJobs() + " finished batch jobs, " + purged.batchRequestFiles()
                    + " batch request files no job named (" + purged.batchRequestFilesKept() + " more kept: written"
                    + " again before their removal), " + purged.batchStoredRequests() + " stored requests of batch"
                    + " submissions refused before a job was planned, " + purged.damagedCopies()
                    + " kept copies of damaged prediction log files, " + purged.refusedRecords()
                    + " prediction records set aside as refused, " + (purged.outcomesExpireByTtl()
                            ? "no outcomes (the store expires them by their ttl)" : purged.outcomes() + " outcomes")
                    + " and " + purged.outcomeFiles() + " outcome files past retention");
        });
    }
}
