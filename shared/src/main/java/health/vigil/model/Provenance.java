package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.error.ValidationException;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;

/**
 * Where a model came from, enough to reproduce it: the training data (sha256, rows, date range), the code
 * (commit, and whether the tree had uncommitted changes), the trainer's settings and seed, and the
 * library, Java and OS versions it was trained with.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Provenance(
        String datasetSha256,
        long datasetRows,
        String datasetDateRange,
        String codeCommit,
        Boolean codeDirty,
        String trainer,
        Long seed,
        Map<String, String> parameters,
        Map<String, String> libraries,
        String javaVersion,
        String os,
        Instant trainedAt) {

    /** The parameter in which a package the platform retrained names the version it was retrained from. */
    public static final String PARENT_VERSION = "lineage.parentVersion";
    /** The parameter in which a package the platform retrained names the package sha256 of that version. */
    public static final String PARENT_PACKAGE_SHA256 = "lineage.parentPackageSha256";

    public Provenance {
        if (datasetSha256 == null || !datasetSha256.matches("[0-9a-f]{64}")) {
            throw new ValidationException("provenance.datasetSha256 must be the 64 lower-case hex digits of the"
                    + " training data's sha256");
        }
        if (datasetRows < 1) {
            throw new ValidationException("provenance.datasetRows is " + datasetRows + "; it must be at least 1");
        }
        if (codeCommit == null || codeCommit.isBlank()) {
            throw new ValidationException("provenance.codeCommit is missing: record the commit the model was trained from");
        }
        parameters = parameters == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(parameters));
        libraries = libraries == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(libraries));
    }
}
