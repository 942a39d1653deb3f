package health.vigil.scoring.batch;

import java.time.Instant;
import java.util.Map;

/**
 * What a completed batch job wrote: rows scored and refused, the refusals counted by kind (the rule broken, never
 * a value), the results blob and its sha256, and when the job was submitted and completed.
 */
public record BatchSummary(String id, String model, int version, String input, String inputSha256, long rows,
        long scored, long refused, Map<String, Long> refusalsByKind, String results, String resultsSha256,
        Instant submittedAt, Instant completedAt) {

    public BatchSummary {
        refusalsByKind = Map.copyOf(refusalsByKind);
    }
}
