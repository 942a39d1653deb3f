package health.vigil.shadow;

import health.vigil.features.SegmentValues;
import health.vigil.model.MirroredRows;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import health.vigil.model.ShadowScore;
import health.vigil.model.Slot;
import health.vigil.port.PredictionLog;
import health.vigil.port.ShadowTraffic;
import health.vigil.port.Telemetry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Function;

/**
 * Scores mirrored rows with the shadow version off the request path. {@link #offer} puts a batch in a bounded queue
 * and returns at once; when the queue is full the batch is dropped and counted (here and in telemetry), never
 * waited for. One background thread takes batches, has them scored (the scoring service's
 * {@code shadowScores}), and appends the shadow predictions to the prediction log with slot {@code shadow}, each
 * naming its live partner and its segments ({@link ShadowPairing}). A batch whose scoring fails is counted as
 * failed; nothing goes back to the caller.
 */
public final class ShadowMirror implements ShadowTraffic, AutoCloseable {
    /** Batches waiting for the shadow, at most; beyond this, batches are dropped. */
    public static final int DEFAULT_CAPACITY = 256;
    static final Duration SEGMENT_VALUES_FOR = Duration.ofMinutes(5);

    /** Rows of one model this instance handed to the shadow, since it started. */
    public record Counts(long offered, long dropped, long scored, long failed) {}

    private final BlockingQueue<MirroredRows> queue;
    private final Function<MirroredRows, List<ShadowScore>> scorer;
    private final PredictionLog log;
    private final Function<ModelVersion, SegmentValues> segmentValues;
    private final Telemetry telemetry;
    private final Clock clock;
    private final Map<ModelName, LongAdder[]> counts = new ConcurrentHashMap<>();
    private final Map<ModelVersion, CachedValues> definitions = new ConcurrentHashMap<>();
    private final Thread worker;
    private volatile boolean closed;

    /** A shadow version's segment definition, null when it has none (no evaluation dataset, or it failed to read). */
    private record CachedValues(SegmentValues values, Instant until) {}

    /**
     * @param scorer scores a batch with its shadow version (rows its schema refuses are left out)
     * @param segmentValues how a shadow version's rows are segmented: the columns the model's gates judge segments
     *     by, defined over that version's schema as the gates and monitoring define them (null: no segments)
     */
    public ShadowMirror(int capacity, Function<MirroredRows, List<ShadowScore>> scorer, PredictionLog log,
            Function<ModelVersion, SegmentValues> segmentValues, Telemetry telemetry, Clock clock) {
        if (capacity < 1) {
            throw new IllegalArgumentException("the shadow queue holds at least one batch");
        }
        this.queue = new ArrayBlockingQueue<>(capacity);
        this.scorer = Objects.requireNonNull(scorer, "scorer");
        this.log = Objects.requireNonNull(log, "log");
        this.segmentValues = Objects.requireNonNull(segmentValues, "segmentValues");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.worker = new Thread(this::work, "vigil-shadow-mirror");
        worker.setDaemon(true);
        worker.start();
    }

    @Override
    public void offer(MirroredRows rows) {
        int n = rows.rows().size();
        LongAdder[] c = adders(rows.model());
        c[0].add(n);
        if (closed || !queue.offer(rows)) {
            c[1].add(n);
            telemetry.shadowMirrored(new ModelVersion(rows.model(), rows.shadowVersion()), "dropped", n);
        }
    }

    /** What this instance did with a model's mirrored rows since it started. */
    public Counts counts(ModelName model) {
        LongAdder[] c = counts.get(model);
        return c == null ? new Counts(0, 0, 0, 0) : new Counts(c[0].sum(), c[1].sum(), c[2].sum(), c[3].sum());
    }

    /** Batches waiting. */
    int waiting() {
        return queue.size();
    }

    private LongAdder[] adders(ModelName model) {
        return counts.computeIfAbsent(model, m -> new LongAdder[] {new LongAdder(), new LongAdder(), new LongAdder(),
                new LongAdder()});
    }

    private void work() {
        while (!closed) {
            MirroredRows batch;
            try {
                batch = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (batch != null) {
                process(batch);
            }
        }
    }

    /** Scores one batch and logs its shadow predictions; failures are counted, never thrown. */
    void process(MirroredRows batch) {
        ModelVersion version = new ModelVersion(batch.model(), batch.shadowVersion());
        LongAdder[] c = adders(batch.model());
        int n = batch.rows().size();
        try {
            List<ShadowScore> scores = scorer.apply(batch);
            SegmentValues segments = segmentValues(version);
            List<PredictionRecord> records = new ArrayList<>(scores.size());
            for (ShadowScore s : scores) {
                MirroredRows.Row row = batch.rows().get(s.row());
                records.add(new PredictionRecord(PredictionIds.next(batch.time()), batch.model(), batch.shadowVersion(),
                        Slot.SHADOW, row.pseudonym(), batch.time(), s.inputs(), s.score(), s.decision(),
                        // The live version's reading of the row: the shadow accepts no field the live one refused.
                        ShadowPairing.write(row.livePredictionId(),
                                segments == null ? Map.of() : segments.segmentsOf(row.values()))));
            }
            if (!records.isEmpty()) {
                log.append(records);
            }
            c[2].add(records.size());
            telemetry.shadowMirrored(version, "scored", records.size());
            if (records.size() < n) {
                c[3].add(n - records.size());
                telemetry.shadowMirrored(version, "failed", n - records.size());
            }
        } catch (RuntimeException e) {
            c[3].add(n);
            // Counted, not logged: the shadow's failures are the shadow report's business, never the caller's.
            telemetry.shadowMirrored(version, "failed", n);
        }
    }

    private SegmentValues segmentValues(ModelVersion version) {
        Instant now = clock.instant();
        CachedValues cached = definitions.get(version);
        if (cached == null || now.isAfter(cached.until())) {
            SegmentValues found;
            try {
                found = segmentValues.apply(version);
            } catch (RuntimeException e) {
                // The report then has no segments for these rows; the comparison itself does not depend on them.
                found = null;
            }
            cached = new CachedValues(found, now.plus(SEGMENT_VALUES_FOR));
            definitions.put(version, cached);
        }
        return cached.values();
    }

    @Override
    public void close() {
        closed = true;
        worker.interrupt();
        try {
            worker.join(5_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
