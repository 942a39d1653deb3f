package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.config.VigilConfig;
import health.vigil.error.NotFoundException;
import health.vigil.functions.common.VigilInstanceInjector;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.port.StoredJson;
import health.vigil.scoring.batch.BatchOrigin;
import health.vigil.scoring.batch.BatchRetention;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The queue-triggered batch functions as the host runs them, against the platform's local stores. */
class BatchFunctionsTest {
    private static final String JOB = "3f1c2a4e-9b7d-4c21-8e5f-0a6b7c8d9e10";

    @TempDir
    Path home;

    private final List<String> failures = new ArrayList<>();
    private VigilPlatform platform;

    @BeforeEach
    void aLocalPlatform() {
        platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { })
                .telemetry(FailuresRecorded.into(failures)).build();
    }

    @AfterEach
    void close() {
        platform.close();
    }

    /**
     * A partition's message delivered again after retention purged its job: done, not a failure that the queue would
     * retry into the poison queue and the background-failure alert would report, and logged once by the job's id.
     */
    @Test
    void aLateMessageOfAPurgedJobIsDoneAndLoggedOnceByTheJobsId() throws Exception {
        purgedByRetention();
        BatchFunctions functions = new VigilInstanceInjector(() -> platform).getInstance(BatchFunctions.class);
        RecordingContext context = new RecordingContext("ScoreBatchPartition");

        assertThatCode(() -> functions.scorePartition("{\"batchId\": \"" + JOB + "\", \"partition\": 0}", context))
                .doesNotThrowAnyException();

        saidOnceAtInfoThatThePurgedJobHasNothingToDo(context);
    }

    /**
     * The same message in the poison queue (retried there before the job was purged): an INFO line naming the job and
     * why there is nothing to do, not the WARNING of an abandoned partition; nothing is written or counted as failed.
     */
    @Test
    void aPoisonedMessageOfAPurgedJobIsLoggedAtInfoByTheJobsId() throws Exception {
        purgedByRetention();
        BatchFunctions functions = new VigilInstanceInjector(() -> platform).getInstance(BatchFunctions.class);
        RecordingContext context = new RecordingContext("FailAbandonedBatchPartition");

        functions.partitionAbandoned("{\"batchId\": \"" + JOB + "\", \"partition\": 0}", context);

        saidOnceAtInfoThatThePurgedJobHasNothingToDo(context);
    }

    /** Nothing counted as failed, one INFO line naming the purged job, and nothing written beside its tombstone. */
    private void saidOnceAtInfoThatThePurgedJobHasNothingToDo(RecordingContext context) {
        assertThat(failures).isEmpty();
        assertThat(context.logged()).singleElement().satisfies(line -> {
            assertThat(line.getLevel()).isEqualTo(Level.INFO);
            assertThat(line.getMessage()).contains("batch " + JOB + " was purged by retention");
        });
        assertThat(platform.artifacts().list(ArtifactStore.BATCH_OUTPUT, ""))
                .extracting(ArtifactStore.StoredArtifact::name).containsExactly(JOB + "/purged.json");
    }

    /** The tombstone retention leaves of the job {@link #JOB}, purged with its input. */
    private void purgedByRetention() {
        new StoredJson(platform.artifacts(), ArtifactStore.BATCH_OUTPUT).createOnce(JOB + "/purged.json",
                new BatchRetention.Purged(JOB, "readmission", 1, Instant.parse("2026-01-02T03:00:00Z"),
                        Instant.parse("2026-02-03T02:30:00Z"), 30, true, "population-health", BatchOrigin.REQUEST));
    }

    /** A message naming a job that never existed is as before: its delivery fails, and its poisoned copy warns. */
    @Test
    void aMessageOfAJobThatNeverExistedStillFailsAndWarns() throws Exception {
        BatchFunctions functions = new VigilInstanceInjector(() -> platform).getInstance(BatchFunctions.class);
        String message = "{\"batchId\": \"" + JOB + "\", \"partition\": 0}";

        assertThatThrownBy(() -> functions.scorePartition(message, new RecordingContext("ScoreBatchPartition")))
                .isInstanceOf(NotFoundException.class).hasMessageContaining("never submitted");
        RecordingContext poison = new RecordingContext("FailAbandonedBatchPartition");
        functions.partitionAbandoned(message, poison);

        assertThat(failures).containsExactly("ScoreBatchPartition NOT_FOUND");
        assertThat(poison.logged()).singleElement().satisfies(line -> {
            assertThat(line.getLevel()).isEqualTo(Level.WARNING);
            assertThat(line.getMessage()).contains("it names no planned job");
        });
        assertThat(platform.artifacts().list(ArtifactStore.BATCH_OUTPUT, "")).isEmpty();
    }

    /**
     * The WARNING of an abandoned partition names the job and the partition (ids only, never a row's values), so that
     * an operator reading the log can find the job with {@code vigil batch status}.
     */
    @Test
    void anAbandonedPartitionsWarningNamesItsJobAndPartition() throws Exception {
        BatchFunctions functions = new VigilInstanceInjector(() -> platform).getInstance(BatchFunctions.class);
        RecordingContext poison = new RecordingContext("FailAbandonedBatchPartition");

        functions.partitionAbandoned("{\"batchId\": \"" + JOB + "\", \"partition\": 2}", poison);

        assertThat(poison.logged()).singleElement().satisfies(line -> {
            assertThat(line.getLevel()).isEqualTo(Level.WARNING);
            assertThat(line.getMessage()).contains("partition 2 of batch " + JOB + " failed every retry")
                    .contains("it names no planned job");
        });
    }
}
