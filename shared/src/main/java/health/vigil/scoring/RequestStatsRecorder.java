package health.vigil.scoring;

import health.vigil.model.LatencyHistogram;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.SlotMinuteStats;
import health.vigil.port.RequestStatsStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Counts this instance's scoring requests per model version, slot, canary step and UTC minute (rows answered, refused
 * with a 4xx, failed with a server error; the latency of answered requests) in memory, and writes the counts to the
 * shared {@link RequestStatsStore} every few seconds, each minute's record replacing this instance's earlier one. The
 * request path only adds to counters; a minute's counters are dropped once the minute is over and written.
 */
public final class RequestStatsRecorder implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RequestStatsRecorder.class.getName());

    /** What became of a request's rows in one slot. */
    public enum Outcome { ANSWERED, REFUSED, FAILED }

    private record Key(ModelName model, int version, Slot slot, Instant step, Instant minute) {}

    private static final class Counts {
        long answered;
        long refused;
        long failed;
        final long[] latency = new long[LatencyHistogram.BUCKETS];
        boolean dirty;
    }

    private final RequestStatsStore store;
    private final Clock clock;
    private final String instance;
    private final Map<Key, Counts> minutes = new ConcurrentHashMap<>();
    private final Object flushing = new Object();
    private ScheduledExecutorService flusher;

    public RequestStatsRecorder(RequestStatsStore store, Clock clock) {
        this(store, clock, UUID.randomUUID().toString());
    }

    RequestStatsRecorder(RequestStatsStore store, Clock clock, String instance) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.instance = Objects.requireNonNull(instance, "instance");
    }

    /** Writes the counts every {@code period} from a background thread, until closed. */
    public synchronized RequestStatsRecorder startFlushing(Duration period) {
        if (flusher == null) {
            flusher = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "vigil-request-stats");
                t.setDaemon(true);
                return t;
            });
            flusher.scheduleWithFixedDelay(() -> {
                try {
                    flush();
                } catch (RuntimeException e) {
                    // Counts stay in memory and go with the next flush; the store's message names no patient.
                    LOG.log(Level.WARNING, "writing request statistics failed; retrying: " + e.getMessage());
                }
            }, period.toMillis(), period.toMillis(), TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /**
     * Counts {@code rows} rows of one request in one slot, routed under the canary step {@code step} (see
     * {@link SlotMinuteStats#step()}), and for an answered request its latency.
     */
    public void record(ModelName model, int version, Slot slot, Instant step, Outcome outcome, int rows,
            long latencyNanos) {
        Objects.requireNonNull(step, "step");
        count(new Key(model, version, slot, step, clock.instant().truncatedTo(ChronoUnit.MINUTES)), outcome, rows,
                latencyNanos);
    }

    /**
     * Counts rows whose routing is not known, as an instance did before it recorded steps: a step's analysis reads them
     * by minute.
     */
    public void record(ModelName model, int version, Slot slot, Outcome outcome, int rows, long latencyNanos) {
        count(new Key(model, version, slot, null, clock.instant().truncatedTo(ChronoUnit.MINUTES)), outcome, rows,
                latencyNanos);
    }

    private void count(Key key, Outcome outcome, int rows, long latencyNanos) {
        Counts counts = minutes.computeIfAbsent(key, k -> new Counts());
        synchronized (counts) {
            switch (outcome) {
                case ANSWERED -> {
                    counts.answered += rows;
                    counts.latency[LatencyHistogram.bucketOf(latencyNanos)]++;
                }
                case REFUSED -> counts.refused += rows;
                case FAILED -> counts.failed += rows;
            }
            counts.dirty = true;
        }
    }

    /** Writes every minute counted since the last flush, and forgets the minutes that are over and written. */
    public void flush() {
        synchronized (flushing) {
            Instant current = clock.instant().truncatedTo(ChronoUnit.MINUTES);
            List<SlotMinuteStats> changed = new ArrayList<>();
            List<Key> over = new ArrayList<>();
            for (Map.Entry<Key, Counts> e : minutes.entrySet()) {
                Key k = e.getKey();
                Counts c = e.getValue();
                synchronized (c) {
                    if (c.dirty) {
                        changed.add(new SlotMinuteStats(k.model(), k.version(), k.slot(), k.step(), k.minute(), instance,
                                c.answered, c.refused, c.failed, new LatencyHistogram(c.latency)));
                        c.dirty = false;
                    }
                }
                // A request is counted in the minute it ends, so a minute more than one minute old gets no more.
                if (k.minute().isBefore(current.minus(1, ChronoUnit.MINUTES))) {
                    over.add(k);
                }
            }
            try {
                store.upsert(changed);
            } catch (RuntimeException e) {
                for (SlotMinuteStats s : changed) {
                    Counts c = minutes.get(new Key(s.model(), s.version(), s.slot(), s.step(), s.minute()));
                    if (c != null) {
                        synchronized (c) {
                            c.dirty = true;
                        }
                    }
                }
                throw e;
            }
            over.forEach(k -> {
                Counts c = minutes.get(k);
                if (c != null) {
                    synchronized (c) {
                        if (!c.dirty) {
                            minutes.remove(k);
                        }
                    }
                }
            });
        }
    }

    /** Every instance's records of a model in {@code [from, to)}, this instance's counts written first. */
    public List<SlotMinuteStats> window(ModelName model, Instant from, Instant to) {
        flush();
        return store.read(model, from, to);
    }

    /** Deletes the records of minutes before {@code cutoff}. */
    public long purgeOlderThan(Instant cutoff) {
        return store.purgeOlderThan(cutoff);
    }

    @Override
    public synchronized void close() {
        if (flusher != null) {
            flusher.shutdownNow();
            flusher = null;
        }
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "writing the last request statistics failed: " + e.getMessage());
        }
    }
}
