package health.vigil.outcomes;

import health.vigil.audit.AuditLog;
import health.vigil.error.Failures;
import health.vigil.hash.Sha256;
import health.vigil.port.ArtifactStore;
import health.vigil.port.ExpiredOutcomes;
import health.vigil.port.OutcomeStore;
import health.vigil.scoring.PredictionRetention;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Removes realised outcomes at the prediction log's retention cut-off: an outcome (a pseudonym or prediction id, a
 * day and a label) whose predictions are gone labels nothing any more, and the files of outcomes uploaded into the
 * {@code outcomes} container hold the same patients' data. Each kind of removal is audited once, with counts or file
 * names and never what they hold, before anything goes: a retry of a run that stopped finds the same ones under the
 * same record, and a second run that day, finding nothing older than the recorded cut-off, adds none.
 */
public final class OutcomeRetention implements ExpiredOutcomes {
    static final String AUDIT_PURGED = "outcomes.purged";
    static final String AUDIT_FILES_PURGED = "outcomes.files.purged";
    /** The outcome of the {@code outcomes.purged} record of a store whose outcomes expire by their time to live. */
    static final String EXPIRED_BY_TTL = "expired-by-ttl";
    /** How many file names one record lists; the count says how many more there were. */
    static final int FILES_NAMED = 50;

    private final OutcomeStore store;
    private final ArtifactStore artifacts;
    private final AuditLog audit;

    public OutcomeRetention(OutcomeStore store, ArtifactStore artifacts, AuditLog audit) {
        this.store = Objects.requireNonNull(store, "store");
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.audit = Objects.requireNonNull(audit, "audit");
    }

    /**
     * Removes the stored outcomes, then the files, each part attempted whatever the other met; the run fails at the
     * end with the first failure. Where the store expires outcomes by their time to live, the record of the cut-off
     * says so ({@code removedBy: ttl}, no count) rather than giving a count of 0 that nobody could have counted.
     */
    @Override
    public Removed purgeBefore(Instant cutoff, Duration retention) {
        Failures failures = new Failures();
        long[] outcomes = {0};
        int[] files = {0};
        boolean byTtl = store.expiresByTimeToLive();
        if (byTtl) {
            failures.attempt(() -> audit.recordOnce("outcomes:" + cutoff + ":ttl", PredictionRetention.ACTOR,
                    AUDIT_PURGED, "/outcomes", EXPIRED_BY_TTL, details(cutoff, retention, "removedBy", "ttl")));
        } else {
            failures.attempt(() -> outcomes[0] = store.purgeBefore(cutoff, count -> audit.recordOnce(
                    "outcomes:" + cutoff + ":" + count + ":purged", PredictionRetention.ACTOR, AUDIT_PURGED,
                    "/outcomes", "purged", details(cutoff, retention, "removed", Long.toString(count)))));
        }
        failures.attempt(() -> files[0] = removeFiles(cutoff, retention));
        failures.throwIfAny();
        return new Removed(outcomes[0], files[0], byTtl);
    }

    /**
     * Removes each file of the {@code outcomes} container that the store last wrote before {@code cutoff}; a file
     * whose age the store does not give is kept, and so is one written again since it was listed (a new upload). The
     * record is keyed on the names and versions it lists, so a retry that finds the same files adds none. One file
     * that cannot be removed keeps no other. Returns how many files this call removed.
     */
    private int removeFiles(Instant cutoff, Duration retention) {
        List<ArtifactStore.StoredArtifact> old = artifacts.list(ArtifactStore.OUTCOMES, "").stream()
                .filter(b -> b.lastModified() != null && b.lastModified().isBefore(cutoff)).toList();
        if (old.isEmpty()) {
            return 0;
        }
        StringBuilder versions = new StringBuilder();
        List<String> names = new ArrayList<>();
        for (ArtifactStore.StoredArtifact file : old) {
            versions.append(file.name()).append('|').append(file.etag()).append('\n');
            if (names.size() < FILES_NAMED) {
                names.add(file.name());
            }
        }
        Map<String, String> details = details(cutoff, retention, "files", Integer.toString(old.size()));
        details.put("names", String.join(", ", names) + (old.size() > names.size()
                ? "; and " + (old.size() - names.size()) + " more" : ""));
        audit.recordOnce("outcome-files:" + Sha256.hex(versions.toString()) + ":purged", PredictionRetention.ACTOR,
                AUDIT_FILES_PURGED, "/" + ArtifactStore.OUTCOMES, "purged", details);
        int[] removed = {0};
        Failures.forEach(old, listed -> {
            Optional<ArtifactStore.StoredArtifact> now = artifacts.describe(ArtifactStore.OUTCOMES, listed.name());
            if (now.isPresent() && Objects.equals(now.get().etag(), listed.etag())) {
                artifacts.delete(ArtifactStore.OUTCOMES, listed.name());
                removed[0]++;
            }
        });
        return removed[0];
    }

    private static Map<String, String> details(Instant cutoff, Duration retention, String name, String value) {
        Map<String, String> details = new TreeMap<>();
        details.put(name, value);
        details.put("cutoff", cutoff.toString());
        details.put("retentionDays", Long.toString(retention.toDays()));
        return details;
    }
}
