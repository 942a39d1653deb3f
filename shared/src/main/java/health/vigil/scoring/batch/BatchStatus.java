package health.vigil.scoring.batch;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;

/**
 * A batch job as its submitter sees it: the job, whether it is running, completed or failed, how many rows are
 * done of how many (scored and refused), and, once complete, where the results are and the summary's warnings about
 * the job as a whole ({@link BatchSummary#warnings}, such as {@link BatchSummary#EMPTY_INPUT}; none while it runs or
 * once it failed).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BatchStatus(String id, String model, int version, State state, long rows, long rowsDone, long scored,
        long refused, int partitions, int partitionsDone, Instant submittedAt, Instant completedAt, String results,
        String summary, String failure, List<String> warnings) {

    public BatchStatus {
        warnings = warnings == null ? null : List.copyOf(warnings);
    }

    public enum State { RUNNING, COMPLETED, FAILED }
}
