package health.vigil.scoring.batch;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * What a completed batch job wrote: rows scored and refused, the refusals counted by kind (the rule broken, never
 * a value), the results blob and its sha256, when the job was submitted and completed, and warnings about the job as
 * a whole (each a code, a colon and what to check), such as {@link #EMPTY_INPUT}; none in a summary written before
 * they were kept.
 */
public record BatchSummary(String id, String model, int version, String input, String inputSha256, long rows,
        long scored, long refused, Map<String, Long> refusalsByKind, String results, String resultsSha256,
        Instant submittedAt, Instant completedAt, List<String> warnings) {

    /** The file held no rows: the job completed with nothing scored, which a broken export also looks like. */
    public static final String EMPTY_INPUT = "EMPTY_INPUT";

    public BatchSummary {
        refusalsByKind = Map.copyOf(refusalsByKind);
        warnings = warnings == null ? List.of() : List.copyOf(warnings);
    }

    /** The warnings' codes (what comes before each one's colon), for audit records and events. */
    public List<String> warningCodes() {
        return warnings.stream().map(w -> w.contains(":") ? w.substring(0, w.indexOf(':')) : w).toList();
    }
}
