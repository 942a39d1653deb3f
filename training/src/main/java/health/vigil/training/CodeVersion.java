package health.vigil.training;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/**
 * The commit the training code was built from and whether the work tree it was built from had uncommitted changes,
 * as the training module's build recorded them in the jar ({@value #RESOURCE} beside this class, written by git when
 * the module is built). They belong to the code, not to where it runs: git asked in the working folder of a training
 * would answer for whatever repository that folder is in (another project's, with its own commit and a clean tree).
 * A build without git or outside a git work tree (from a source archive) records no commit: it is "unknown" and the
 * dirty flag absent rather than guessed, and the provenance gate does not count such a tree as clean.
 */
public record CodeVersion(String commit, Boolean dirty) {
    public static final String UNKNOWN = "unknown";
    static final String RESOURCE = "code-version.properties";

    /** What the build of this training code recorded; unknown when it recorded nothing readable. */
    public static CodeVersion ofThisBuild() {
        Properties recorded = new Properties();
        try (InputStream in = CodeVersion.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                return new CodeVersion(UNKNOWN, null);
            }
            recorded.load(in);
        } catch (IOException | IllegalArgumentException unreadable) {
            return new CodeVersion(UNKNOWN, null);
        }
        return recorded(recorded.getProperty("commit"), recorded.getProperty("dirty"));
    }

    /**
     * A recorded commit (40 or 64 lower-case hex digits, else unknown) and dirty flag ({@code true},
     * {@code false}).
     */
    static CodeVersion recorded(String commit, String dirty) {
        String id = commit == null ? "" : commit.strip();
        if (!id.matches("[0-9a-f]{40}|[0-9a-f]{64}")) {
            return new CodeVersion(UNKNOWN, null);
        }
        String flag = dirty == null ? "" : dirty.strip();
        return new CodeVersion(id, flag.equals("true") ? Boolean.TRUE : flag.equals("false") ? Boolean.FALSE : null);
    }
}
