package health.vigil.scoring.batch;

import health.vigil.error.ConflictException;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.port.ArtifactStore;
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
 * The right to score one partition of a batch job, held by one run at a time: {@code partitions/{k}/lease.json} in
 * {@code batch-output} names the run holding it and until when. Queues deliver at least once, and in Azure a
 * replayed upload event queues a partition's message again, so two deliveries of one partition can run at once;
 * without the lease both would score and log the same rows. A run takes the lease before it scores (creating the
 * blob, or replacing an expired lease by compare-and-swap on its ETag), renews it by compare-and-swap while it
 * works, and gives it up when it fails. A second delivery waits while the lease is held, for at most one lease
 * time: it then finds the partition done (and returns), or the lease expired because its holder died (and takes it
 * over, resuming from the last checkpoint), or still held and renewed (and fails, so the queue delivers it again
 * later).
 *
 * <p>What it cannot stop: a holder that stalls for longer than a lease time between a renewal and its next append
 * (a frozen VM) may log one chunk after another run has taken over; the prediction log takes no fencing token.
 * Renewals come at least every quarter of the lease, before each chunk is logged, and a chunk takes well under a
 * second, so the margin is two orders of magnitude.
 */
final class PartitionLease {
    /** The stored lease. {@code until} in the past means free. */
    record Lease(String holder, Instant until) {}

    private static final System.Logger LOG = System.getLogger(PartitionLease.class.getName());

    private final ArtifactStore artifacts;
    private final String name;
    private final String holder;
    private final Clock clock;
    private final Duration length;
    private String etag;
    private Instant renewed;

    private PartitionLease(ArtifactStore artifacts, String name, String holder, Clock clock, Duration length,
            String etag, Instant renewed) {
        this.artifacts = artifacts;
        this.name = name;
        this.holder = holder;
        this.clock = clock;
        this.length = length;
        this.etag = etag;
        this.renewed = renewed;
    }

    /**
     * Takes the lease stored as {@code name}, waiting while another run holds it for at most one lease time (plus
     * one poll). Empty when {@code done} says the partition was finished meanwhile.
     *
     * @throws StoreException when another run held the lease and kept renewing it for the whole wait: the message is
     *     delivered again later, by which time that run has finished or died
     */
    static Optional<PartitionLease> take(ArtifactStore artifacts, String name, String what, BooleanSupplier done,
            Clock clock, Duration length) {
        Objects.requireNonNull(done, "done");
        String holder = UUID.randomUUID().toString();
        long poll = Math.max(10, Math.min(1_000, length.toMillis() / 10));
        long waitUntil = System.nanoTime() + length.toNanos() + poll * 1_000_000L;
        boolean waited = false;
        while (true) {
            if (done.getAsBoolean()) {
                return Optional.empty();
            }
            Instant now = clock.instant();
            byte[] mine = Json.writeBytes(new Lease(holder, now.plus(length)));
            Optional<ArtifactStore.StoredArtifact> stored = artifacts.describe(ArtifactStore.BATCH_OUTPUT, name);
            try {
                if (stored.isEmpty()) {
                    ArtifactStore.StoredArtifact created = artifacts.put(ArtifactStore.BATCH_OUTPUT, name,
                            new ByteArrayInputStream(mine), false);
                    return Optional.of(new PartitionLease(artifacts, name, holder, clock, length, created.etag(), now));
                }
                Optional<Lease> current = read(artifacts, name);
                if (current.isEmpty() || !current.get().until().isAfter(now)) {
                    // Free, expired, or not a lease at all: replaced only if nobody else replaced it since it was read.
                    ArtifactStore.StoredArtifact taken = artifacts.replace(ArtifactStore.BATCH_OUTPUT, name,
                            new ByteArrayInputStream(mine), stored.get().etag());
                    if (waited) {
                        LOG.log(System.Logger.Level.INFO, what + ": taken over from a run whose lease expired");
                    }
                    return Optional.of(new PartitionLease(artifacts, name, holder, clock, length, taken.etag(), now));
                }
                if (System.nanoTime() - waitUntil > 0) {
                    throw new StoreException(what + " is being scored by another run, whose lease runs until "
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
     * run's work, so nothing is written by a run that lost the lease.
     *
     * @throws StoreException when another run took the lease over (this run was stalled past its lease): this run
     *     must stop without writing anything more
     */
    void keep(String what) {
        Instant now = clock.instant();
        if (now.isBefore(renewed.plus(length.dividedBy(4)))) {
            return;
        }
        try {
            etag = artifacts.replace(ArtifactStore.BATCH_OUTPUT, name,
                    new ByteArrayInputStream(Json.writeBytes(new Lease(holder, now.plus(length)))), etag).etag();
            renewed = now;
        } catch (ConflictException e) {
            throw new StoreException(what + ": another run took over this run's lease (this run was stalled for"
                    + " longer than " + length.toSeconds() + " s); this run stops and leaves the partition to it", e);
        }
    }

    /** Gives the lease up so another delivery need not wait for it to expire; failing to is only logged. */
    void release(String what) {
        try {
            etag = artifacts.replace(ArtifactStore.BATCH_OUTPUT, name,
                    new ByteArrayInputStream(Json.writeBytes(new Lease(holder, Instant.EPOCH))), etag).etag();
        } catch (RuntimeException e) {
            LOG.log(System.Logger.Level.WARNING, what + ": could not give up the lease; another delivery waits for it"
                    + " to expire (" + e.getClass().getSimpleName() + ")");
        }
    }

    String holder() {
        return holder;
    }

    private static Optional<Lease> read(ArtifactStore artifacts, String name) {
        try (InputStream in = artifacts.open(ArtifactStore.BATCH_OUTPUT, name)) {
            Lease lease = Json.read("a batch partition lease", in.readAllBytes(), Lease.class);
            return lease.until() == null || lease.holder() == null ? Optional.empty() : Optional.of(lease);
        } catch (ValidationException | NotFoundException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new StoreException("cannot read the batch partition lease " + name, e);
        }
    }
}
