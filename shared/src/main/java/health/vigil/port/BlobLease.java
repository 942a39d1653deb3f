package health.vigil.port;

import health.vigil.error.ConflictException;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;

/**
 * The right to do one piece of work, held by one run at a time: a small JSON blob naming the run holding it and until
 * when. Queues and Event Grid deliver at least once, so two deliveries of one piece of work can run at once; where the
 * work is idempotent but dear (scoring a batch partition, training a model), the lease keeps the second from doing it
 * too. A run takes the lease before it works (creating the blob, or replacing an expired lease by compare-and-swap on
 * its ETag), renews it by compare-and-swap while it works, and gives it up when it stops. A second delivery waits
 * while the lease is held, for at most one lease time: it then finds the work done (and returns), or the lease
 * expired because its holder died (and takes it over), or still held and renewed (and fails, so that it is delivered
 * again later).
 *
 * <p>What it cannot stop: a holder that stalls for longer than a lease time between a renewal and its next write (a
 * frozen VM) may write once more after another run has taken over; the stores take no fencing token, so the work's
 * own writes must stay idempotent (they do: a batch chunk's predictions are keyed by their ids, a retrained package is
 * stored once under one name). Batch partitions renew at least every quarter of the lease, before each chunk is
 * logged, and a chunk takes well under a second, so the margin there is two orders of magnitude.
 */
public final class BlobLease {
    /** The stored lease. {@code until} in the past means free. */
    public record Lease(String holder, Instant until) {}

    private static final System.Logger LOG = System.getLogger(BlobLease.class.getName());

    private final ArtifactStore artifacts;
    private final String container;
    private final String name;
    private final String holder;
    private final Clock clock;
    private final Duration length;
    private String etag;
    private Instant renewed;

    private BlobLease(ArtifactStore artifacts, String container, String name, String holder, Clock clock,
            Duration length, String etag, Instant renewed) {
        this.artifacts = artifacts;
        this.container = container;
        this.name = name;
        this.holder = holder;
        this.clock = clock;
        this.length = length;
        this.etag = etag;
        this.renewed = renewed;
    }

    /**
     * Takes the lease stored as {@code container/name}, waiting while another run holds it for at most one lease time
     * (plus one poll). Empty when {@code done} says the work was finished meanwhile.
     *
     * @param what the work, as log lines and errors name it (never anything about a patient)
     * @throws StoreException when another run held the lease and kept renewing it for the whole wait: the message is
     *     delivered again later, by which time that run has finished or died
     */
    public static Optional<BlobLease> take(ArtifactStore artifacts, String container, String name, String what,
            BooleanSupplier done, Clock clock, Duration length) {
        return take(artifacts, container, name, what, done, clock, length, length);
    }

    /**
     * As {@link #take(ArtifactStore, String, String, String, BooleanSupplier, Clock, Duration)}, waiting at most
     * {@code wait} (plus one poll) for another run's lease: for work that may hold its lease far longer than a delivery
     * should wait.
     */
    public static Optional<BlobLease> take(ArtifactStore artifacts, String container, String name, String what,
            BooleanSupplier done, Clock clock, Duration length, Duration wait) {
        Objects.requireNonNull(done, "done");
        String holder = UUID.randomUUID().toString();
        long poll = Math.max(10, Math.min(1_000, Math.min(length.toMillis(), wait.toMillis()) / 10));
        long waitUntil = System.nanoTime() + wait.toNanos() + poll * 1_000_000L;
        boolean waited = false;
        while (true) {
            if (done.getAsBoolean()) {
                return Optional.empty();
            }
            Instant now = clock.instant();
            byte[] mine = Json.writeBytes(new Lease(holder, now.plus(length)));
            Optional<ArtifactStore.StoredArtifact> stored = artifacts.describe(container, name);
            try {
                if (stored.isEmpty()) {
                    ArtifactStore.StoredArtifact created = artifacts.put(container, name,
                            new ByteArrayInputStream(mine), false);
                    return Optional.of(new BlobLease(artifacts, container, name, holder, clock, length, created.etag(),
                            now));
                }
                Optional<Lease> current = read(artifacts, container, name);
                if (current.isEmpty() || !current.get().until().isAfter(now)) {
                    // Free, expired, or not a lease at all: replaced only if nobody else replaced it since it was read.
                    ArtifactStore.StoredArtifact taken = artifacts.replace(container, name,
                            new ByteArrayInputStream(mine), stored.get().etag());
                    if (waited) {
                        LOG.log(System.Logger.Level.INFO, what + ": taken over from a run whose lease expired");
                    }
                    return Optional.of(new BlobLease(artifacts, container, name, holder, clock, length, taken.etag(),
                            now));
                }
                if (System.nanoTime() - waitUntil > 0) {
                    throw new StoreException(what + " is being worked on by another run, whose lease runs until "
                            + current.get().until() + "; this delivery is tried again later", null);
                }
            } catch (ConflictException anotherRunWroteFirst) {
                continue;
            }
            waited = true;
            try {
                Thread.sleep(poll);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new StoreException(what + ": interrupted while waiting for another run's lease", e);
            }
        }
    }

    /**
     * Renews the lease when a quarter of it has passed since the last renewal; called before each write of the
     * run's work (and at least every quarter of the lease), so nothing is written by a run that lost the lease.
     *
     * @throws StoreException when another run took the lease over (this run was stalled past its lease): this run
     *     must stop without writing anything more
     */
    public synchronized void keep(String what) {
        Instant now = clock.instant();
        if (now.isBefore(renewed.plus(length.dividedBy(4)))) {
            return;
        }
        try {
            etag = artifacts.replace(container, name,
                    new ByteArrayInputStream(Json.writeBytes(new Lease(holder, now.plus(length)))), etag).etag();
            renewed = now;
        } catch (ConflictException e) {
            throw new StoreException(what + ": another run took over this run's lease (this run was stalled for"
                    + " longer than " + length.toSeconds() + " s); this run stops and leaves the work to it", e);
        }
    }

    /** Gives the lease up so another delivery need not wait for it to expire; failing to is only logged. */
    public synchronized void release(String what) {
        try {
            etag = artifacts.replace(container, name,
                    new ByteArrayInputStream(Json.writeBytes(new Lease(holder, Instant.EPOCH))), etag).etag();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, what + ": could not give up the lease; another delivery waits for it"
                    + " to expire (" + e.getClass().getSimpleName() + ")");
        }
    }

    public String holder() {
        return holder;
    }

    /** Whether someone holds the lease {@code name} at {@code now}: written, and not given up or expired. */
    public static boolean held(ArtifactStore artifacts, String container, String name, Instant now) {
        return read(artifacts, container, name).map(lease -> lease.until().isAfter(now)).orElse(false);
    }

    private static Optional<Lease> read(ArtifactStore artifacts, String container, String name) {
        try (InputStream in = artifacts.open(container, name)) {
            Lease lease = Json.read("a lease", in.readAllBytes(), Lease.class);
            return lease.until() == null || lease.holder() == null ? Optional.empty() : Optional.of(lease);
        } catch (ValidationException | NotFoundException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException("cannot read the lease " + container + "/" + name, e);
        }
    }
}
