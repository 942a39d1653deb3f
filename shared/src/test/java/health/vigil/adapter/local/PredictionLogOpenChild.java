package health.vigil.adapter.local;

import health.vigil.error.StoreException;
import java.nio.file.Path;

/**
 * A process {@link SqlitePredictionLogTest} starts to open a prediction log from outside the test's own process: it
 * prints {@code OPENED}, or {@code REFUSED} and the reason, and exits.
 */
public final class PredictionLogOpenChild {
    static final String OPENED = "OPENED";
    static final String REFUSED = "REFUSED ";

    private PredictionLogOpenChild() {}

    public static void main(String[] args) {
        try {
            SqlitePredictionLog.open(Path.of(args[0]));
            // Left open: a clean close would replace the journal of the log that should have kept this one out.
            System.out.println(OPENED);
        } catch (StoreException e) {
            System.out.println(REFUSED + e.getMessage());
        }
        System.out.flush();
        Runtime.getRuntime().halt(0);
    }
}
