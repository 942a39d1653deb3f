package health.vigil.adapter.local;

import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * The process {@link SqlitePredictionLogTest} kills: several threads append to the prediction log without
 * end and print {@code ACK <id>} for every record whose {@code append} has returned.
 */
public final class PredictionLogCrashChild {
    static final ModelName MODEL = new ModelName("crash-test");
    static final String ACK = "ACK ";
    private static final int THREADS = 4;

    private PredictionLogCrashChild() {}

    public static void main(String[] args) {
        SqlitePredictionLog log = SqlitePredictionLog.open(Path.of(args[0]));
        Instant start = Instant.parse("2026-03-01T00:00:00Z");
        for (int t = 0; t < THREADS; t++) {
            int thread = t;
            Thread appender = new Thread(() -> {
                for (long i = 0; ; i++) {
                    String id = thread + "-" + i;
                    log.append(List.of(new PredictionRecord(id, MODEL, 1, Slot.STABLE, null, start.plusMillis(i),
                            new float[] {thread, i}, 0.5, false, null)));
                    synchronized (System.out) {
                        System.out.println(ACK + id);
                        System.out.flush();
                    }
                }
            }, "appender-" + t);
            appender.start();
        }
    }
}
