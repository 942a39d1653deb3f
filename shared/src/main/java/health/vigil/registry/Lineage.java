package health.vigil.registry;

import health.vigil.model.ModelName;
import health.vigil.model.Provenance;
import health.vigil.model.VersionRecord;
import health.vigil.security.Principal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.BiFunction;

/**
 * Where a version comes from: the versions the platform retrained on the way back from it, and the first version up
 * that line the platform did not upload (its origin: a person's upload, whose recipe and code every retraining since
 * re-ran). Only the retraining identity's uploads are followed, through the parent each retrained package's provenance
 * names ({@link Provenance#PARENT_VERSION}, checked against {@link Provenance#PARENT_PACKAGE_SHA256}); what a
 * person's own manifest says about its origin is theirs and is not followed. Separation of duties (the origin's
 * uploader does not approve a retraining of their upload, nor set the bar it is judged by) and retraining (a retrained
 * version is retrained on its origin's dataset plus the rows each retraining added) read the same line.
 *
 * @param retrained the versions the platform retrained, from the version itself (when it is one) back towards the
 *     origin, nearest first; empty for a version the platform did not retrain
 * @param origin the first version up the line the platform did not upload (the version itself when it was not
 *     retrained); null when the line cannot be followed
 * @param broken why the line cannot be followed (a parent not registered under that number and package); null when
 *     it can
 */
public record Lineage(List<VersionRecord> retrained, VersionRecord origin, String broken) {
    public Lineage {
        retrained = List.copyOf(retrained);
    }

    /** The line back from {@code version}, reading versions with {@code find}. */
    public static Lineage of(VersionRecord version, BiFunction<ModelName, Integer, Optional<VersionRecord>> find) {
        Objects.requireNonNull(version, "version");
        List<VersionRecord> retrained = new ArrayList<>();
        VersionRecord current = version;
        while (Principal.sameIdentity(current.registeredBy(), Principal.RETRAINING)) {
            retrained.add(current);
            Map<String, String> lineage = current.manifest().provenance().parameters();
            String named = lineage.get(Provenance.PARENT_VERSION);
            int parent;
            try {
                parent = named == null ? 0 : Integer.parseInt(named.strip());
            } catch (NumberFormatException e) {
                parent = 0;
            }
            // A parent is always older; anything else is not a lineage the platform wrote.
            Optional<VersionRecord> found = parent < 1 || parent >= current.version() ? Optional.empty()
                    : find.apply(current.modelName(), parent);
            String sha256 = lineage.get(Provenance.PARENT_PACKAGE_SHA256);
            if (found.isEmpty() || (sha256 != null && !sha256.equals(found.get().packageSha256()))) {
                return new Lineage(retrained, null, current.id() + " names no registered version it was retrained"
                        + " from");
            }
            current = found.get();
        }
        return new Lineage(retrained, current, null);
    }

    /** Whether the platform retrained the version. */
    public boolean isRetrained() {
        return !retrained.isEmpty();
    }

    /** The parent of {@code retrained().get(i)}: the next retrained version back, or the origin. */
    public VersionRecord parentOf(int i) {
        return i + 1 < retrained.size() ? retrained.get(i + 1) : origin;
    }
}
