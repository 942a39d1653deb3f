package health.vigil.scoring.batch;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;

/**
 * A batch job as its submitter sees it: the job, whether it is running, completed or failed, how many rows are
 * done of how many (scored and refused), and, once complete, where the results are.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record BatchStatus(String id, String model, int version, State state, long rows, long rowsDone, long scored,
        long refused, int partitions, int partitionsDone, Instant submittedAt, Instant completedAt, String results,
        String summary, String failure) {

    public enum State { RUNNING, COMPLETED, FAILED }
}
