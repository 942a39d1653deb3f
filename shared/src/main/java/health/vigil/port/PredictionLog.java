package health.vigil.port;

import health.vigil.model.ModelName;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The log of scoring decisions. {@link #append} returns once the records are durable, so an answered
 * request is never lost; implementations commit many callers' records together (group commit).
 */
public interface PredictionLog extends AutoCloseable {

    void append(List<PredictionRecord> records);

    /** Streams a model's records with {@code from <= time < to}, in time order. */
    void scan(ModelName model, Instant from, Instant to, Consumer<PredictionRecord> sink);

    /**
     * A piece of a model's log that one reader can read on its own: the records of one UTC hour, in one shard of
     * that hour where the store shards its hours (Cosmos DB: the logical partition {@code <model>:<hour>:<shard>}).
     * A monitoring window is checked partition by partition, and a large one fanned out one partition per invocation.
     *
     * @param hour the start of the UTC hour
     * @param shard the shard within the hour, 0 where the store does not shard
     */
    record Partition(Instant hour, int shard) {
        private static final DateTimeFormatter NAME = DateTimeFormatter.ofPattern("yyyyMMddHH").withZone(ZoneOffset.UTC);

        public Partition {
            java.util.Objects.requireNonNull(hour, "hour");
            if (!hour.truncatedTo(ChronoUnit.HOURS).equals(hour) || shard < 0) {
                throw new IllegalArgumentException("a log partition is a whole UTC hour and a shard of 0 or more");
            }
        }

        /** {@code 2026120310-0}: the hour and the shard, usable as a file or blob name. */
        public String name() {
            return NAME.format(hour) + "-" + shard;
        }
    }

    /**
     * The partitions that may hold {@code model}'s records with {@code from <= time < to}, in hour then shard order.
     * By default one per UTC hour the window touches; a store that shards its hours lists every shard of the hours
     * it has records in.
     */
    default List<Partition> partitions(ModelName model, Instant from, Instant to) {
        List<Partition> out = new ArrayList<>();
        for (Instant hour = from.truncatedTo(ChronoUnit.HOURS); hour.isBefore(to); hour = hour.plus(1, ChronoUnit.HOURS)) {
            out.add(new Partition(hour, 0));
        }
        return out;
    }

    /**
     * Streams the records of one partition of {@code model} with {@code from <= time < to}. By default the part of
     * the window inside the partition's hour, read with {@link #scan}; a sharded store reads the one shard.
     */
    default void scan(ModelName model, Partition partition, Instant from, Instant to, Consumer<PredictionRecord> sink) {
        Instant start = partition.hour().isAfter(from) ? partition.hour() : from;
        Instant hourEnd = partition.hour().plus(1, ChronoUnit.HOURS);
        scan(model, start, hourEnd.isBefore(to) ? hourEnd : to, sink);
    }

    /**
     * The record of {@code predictionId} of {@code model}, logged at {@code time} (to the millisecond, as the
     * prediction id carries it); a point read within that hour, never a scan of the log.
     */
    Optional<PredictionRecord> find(ModelName model, String predictionId, Instant time);

    /**
     * The record of {@code predictionId} in whichever of {@code models} logged it, the time read from the id
     * (one point read per model); empty when the id is not a prediction id or no model has it.
     */
    default Optional<PredictionRecord> find(String predictionId, Collection<ModelName> models) {
        Optional<Instant> time = PredictionIds.timeOf(predictionId);
        if (time.isEmpty()) {
            return Optional.empty();
        }
        for (ModelName model : models) {
            Optional<PredictionRecord> found = find(model, predictionId, time.get());
            if (found.isPresent()) {
                return found;
            }
        }
        return Optional.empty();
    }

    /**
     * Which of {@code predictionIds} (in their canonical lower-case form) {@code model} has logged, each looked for at
     * the time its version 7 id carries, so never by a scan; an id of any other form is never found. For checking many
     * ids a sender names at once: by default one {@link #find} per id, and the stores read them in batches. Like every
     * read of the log, it sees every record whose append has returned.
     */
    default Set<String> logged(ModelName model, Collection<String> predictionIds) {
        Set<String> found = new HashSet<>();
        for (String id : predictionIds) {
            Optional<Instant> time = PredictionIds.timeOf(id);
            if (time.isPresent() && find(model, id, time.get()).isPresent()) {
                found.add(id);
            }
        }
        return found;
    }

    /** Deletes records older than {@code cutoff}; returns how many went. */
    long purgeOlderThan(Instant cutoff);

    /**
     * A copy of the store's file that the log kept aside for an operator when it found the file damaged (it holds
     * patient data): the copy's file name, and when it was written (the file's modification time).
     */
    record DamagedCopy(String name, Instant writtenAt) {
        public DamagedCopy {
            java.util.Objects.requireNonNull(name, "name");
            java.util.Objects.requireNonNull(writtenAt, "writtenAt");
        }
    }

    /**
     * Removes the damaged copies the log kept that were written before {@code cutoff}, each handed to
     * {@code beforeRemoval} first (a copy for which it throws is kept); returns how many this call removed. By default
     * the store keeps no such copies.
     */
    default int purgeDamagedCopiesBefore(Instant cutoff, Consumer<DamagedCopy> beforeRemoval) {
        return 0;
    }

    /**
     * What a purge takes out of the file of records the log set aside because its store refused them (patient data):
     * the file's name, how many records go and how many stay; counts only.
     */
    record RefusedPurge(String file, long removed, long kept) {
        public RefusedPurge {
            java.util.Objects.requireNonNull(file, "file");
        }
    }

    /**
     * Removes the records the log set aside as refused whose time is before {@code cutoff}, keeping the others, after
     * handing the counts to {@code beforeRemoval} (when it throws, none goes); returns how many this call removed. A
     * call that finds none to remove changes nothing. By default the store sets no record aside.
     */
    default long purgeRefusedBefore(Instant cutoff, Consumer<RefusedPurge> beforeRemoval) {
        return 0;
    }

    @Override
    void close();
}
