package health.vigil.contract;

import static health.vigil.contract.ContractFixtures.T0;
import static health.vigil.contract.ContractFixtures.prediction;
import static health.vigil.contract.ContractFixtures.uniqueModel;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.VigilException;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.port.PredictionLog;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link PredictionLog} must do. {@link #newLog()} gives an empty log: purging is log-wide. */
public abstract class PredictionLogContract {

    /** A new, empty log for one test; the suite closes it afterwards. */
    protected abstract PredictionLog newLog();

    protected PredictionLog log;

    @BeforeEach
    void openLog() {
        log = newLog();
    }

    @AfterEach
    void closeLog() {
        log.close();
    }

    protected List<PredictionRecord> scanAll(ModelName model) {
        List<PredictionRecord> out = new ArrayList<>();
        log.scan(model, Instant.EPOCH, Instant.parse("2200-01-01T00:00:00Z"), out::add);
        return out;
    }

    @Test
    void returnsEveryFieldOfAnAppendedRecordExactly() {
        ModelName model = uniqueModel("readmission");
        PredictionRecord full = new PredictionRecord("p-1", model, 3, Slot.CANARY, "f".repeat(64), T0,
                new float[] {67f, 1f, Float.NaN, -0.125f, Float.MIN_VALUE, Float.MAX_VALUE}, 0.8125, true,
                "{\"baseScore\":0.12,\"expectedMargin\":-2.0,\"margin\":1.5,\"contributions\":{\"age\":[0.31,0.06],"
                        + "\"discharge_disposition\":[3.19,0.6]},\"missing\":[\"discharge_disposition\"]}");
        PredictionRecord sparse = new PredictionRecord("p-2", model, 3, Slot.SHADOW, null, T0.plusNanos(1),
                new float[0], 0.0, false, null);
        PredictionRecord batched = new PredictionRecord("p-3", model, 3, Slot.BATCH, "e".repeat(64), T0.plusNanos(2),
                new float[] {1f}, 0.25, false, null, "batch-7f3a");

        log.append(List.of(full, sparse, batched));

        assertThat(scanAll(model)).containsExactly(full, sparse, batched);
        assertThat(scanAll(model).get(2).batchId()).isEqualTo("batch-7f3a");
    }

    @Test
    void scansHalfOpenIntervalsInTimeOrderWhateverTheAppendOrder() {
        ModelName model = uniqueModel("readmission");
        List<PredictionRecord> records = IntStream.range(0, 20)
                .mapToObj(i -> prediction(model, "p-" + i, T0.plusSeconds(i), i)).toList();
        List<PredictionRecord> shuffled = new ArrayList<>(records);
        Collections.shuffle(shuffled, new Random(7));
        for (int i = 0; i < shuffled.size(); i += 3) {
            log.append(shuffled.subList(i, Math.min(i + 3, shuffled.size())));
        }

        List<PredictionRecord> window = new ArrayList<>();
        log.scan(model, T0.plusSeconds(5), T0.plusSeconds(12), window::add);

        assertThat(window).containsExactlyElementsOf(records.subList(5, 12));
        assertThat(scanAll(model)).containsExactlyElementsOf(records);
    }

    @Test
    void aWindowReadPartitionByPartitionHasEveryRecordOfTheWindowOnce() {
        ModelName model = uniqueModel("readmission");
        Instant hour = T0.truncatedTo(java.time.temporal.ChronoUnit.HOURS);
        // Every 7 minutes for four hours, and another model's records at the same times.
        List<PredictionRecord> records = IntStream.range(0, 35)
                .mapToObj(i -> prediction(model, "p-" + i, hour.plusSeconds(i * 420L), i)).toList();
        log.append(records);
        log.append(IntStream.range(0, 35).mapToObj(i -> prediction(uniqueModel("adherence"), "q-" + i,
                hour.plusSeconds(i * 420L), i)).toList());
        Instant from = hour.plusSeconds(1800);
        Instant to = hour.plusSeconds(3 * 3600 + 1200);

        List<PredictionLog.Partition> partitions = log.partitions(model, from, to);
        List<PredictionRecord> read = new ArrayList<>();
        for (PredictionLog.Partition p : partitions) {
            log.scan(model, p, from, to, r -> {
                assertThat(r.time().truncatedTo(java.time.temporal.ChronoUnit.HOURS)).isEqualTo(p.hour());
                read.add(r);
            });
        }

        List<PredictionRecord> window = new ArrayList<>();
        log.scan(model, from, to, window::add);
        assertThat(window).hasSize(24);
        assertThat(read).containsExactlyInAnyOrderElementsOf(window);
        assertThat(partitions).extracting(PredictionLog.Partition::hour).isSorted()
                .contains(hour, hour.plusSeconds(3600), hour.plusSeconds(7200), hour.plusSeconds(3 * 3600))
                .allSatisfy(h -> assertThat(h).isBetween(hour, to));
        assertThat(partitions).extracting(PredictionLog.Partition::name).doesNotHaveDuplicates()
                .allSatisfy(n -> assertThat(n).matches("[0-9]{10}-[0-9]+"));
    }

    @Test
    void anEmptyOrInvertedIntervalHasNoRecords() {
        ModelName model = uniqueModel("readmission");
        log.append(List.of(prediction(model, "p-1", T0, 1f)));
        List<PredictionRecord> seen = new ArrayList<>();

        log.scan(model, T0, T0, seen::add);
        log.scan(model, T0.plusSeconds(1), T0, seen::add);

        assertThat(seen).isEmpty();
    }

    @Test
    void scansOnlyTheRequestedModel() {
        ModelName readmission = uniqueModel("readmission");
        ModelName adherence = uniqueModel("adherence");
        PredictionRecord mine = prediction(readmission, "p-1", T0, 1f);
        log.append(List.of(mine, prediction(adherence, "p-2", T0, 2f)));

        assertThat(scanAll(readmission)).containsExactly(mine);
    }

    @Test
    void anEmptyAppendWritesNothing() {
        ModelName model = uniqueModel("readmission");

        log.append(List.of());

        assertThat(scanAll(model)).isEmpty();
    }

    @Test
    void purgesRecordsOlderThanTheCutoffAndSaysHowMany() {
        ModelName model = uniqueModel("readmission");
        List<PredictionRecord> records = IntStream.range(0, 10)
                .mapToObj(i -> prediction(model, "p-" + i, T0.plusSeconds(i * 3600L), i)).toList();
        log.append(records);

        long purged = log.purgeOlderThan(T0.plusSeconds(4 * 3600L));

        assertThat(purged).isEqualTo(4);
        assertThat(scanAll(model)).containsExactlyElementsOf(records.subList(4, 10));
        assertThat(log.purgeOlderThan(T0.plusSeconds(4 * 3600L))).isZero();
    }

    @Test
    void recordsOfManyConcurrentAppendersAreAllThere() throws Exception {
        ModelName model = uniqueModel("readmission");
        int threads = 8;
        int appendsPerThread = 40;

        List<List<String>> acknowledged = Parallel.run(threads, t -> {
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < appendsPerThread; i++) {
                List<PredictionRecord> batch = new ArrayList<>();
                for (int k = 0; k <= i % 3; k++) {
                    batch.add(prediction(model, t + "-" + i + "-" + k, T0.plusMillis(i * 10L + t), t, i, k));
                }
                log.append(batch);
                batch.forEach(r -> ids.add(r.predictionId()));
            }
            return ids;
        });

        assertThat(scanAll(model)).extracting(PredictionRecord::predictionId)
                .containsExactlyInAnyOrderElementsOf(acknowledged.stream().flatMap(List::stream).toList());
    }

    /** A batch job's records: the same job, slot and time for a chunk, as a batch partition logs them. */
    private static List<PredictionRecord> chunk(ModelName model, String batchId, String prefix, Instant time, int rows) {
        return IntStream.range(0, rows).mapToObj(i -> new PredictionRecord(prefix + i, model, 2, Slot.BATCH,
                ContractFixtures.sha256((prefix + i).getBytes(java.nio.charset.StandardCharsets.UTF_8)), time,
                new float[] {i, i / 7f, -i}, i / (double) rows, i % 3 == 0, null, batchId)).toList();
    }

    @Test
    void everyReaderSeesEachRecordOfABatchChunkOnceBesideOtherRecordsOfTheSameMoments() {
        ModelName model = uniqueModel("readmission");
        Instant hour = T0.truncatedTo(java.time.temporal.ChronoUnit.HOURS);
        Instant at = hour.plusSeconds(3599); // a chunk one second before the next hour
        List<PredictionRecord> first = chunk(model, "batch-a", "a-", at, 300);
        List<PredictionRecord> second = chunk(model, "batch-a", "b-", at.plusSeconds(2), 300);
        List<PredictionRecord> online = List.of(prediction(model, "o-before", at.minusNanos(1), 1f),
                prediction(model, "o-same", at, 2f), prediction(model, "o-between", at.plusSeconds(1), 3f),
                prediction(model, "o-after", at.plusSeconds(2).plusNanos(1), 4f));
        // One append mixing an answered prediction, another job's records and its records out of time order.
        List<PredictionRecord> mixed = new ArrayList<>(chunk(model, "batch-b", "c-", at.plusSeconds(1), 5));
        mixed.add(2, prediction(model, "o-mixed", at.plusMillis(500), 5f));
        mixed.add(0, chunk(model, "batch-b", "d-", at.plusSeconds(3), 1).get(0));
        ModelName other = uniqueModel("adherence");

        log.append(first);
        log.append(online);
        log.append(mixed);
        log.append(second);
        log.append(chunk(other, "batch-a", "x-", at, 50));

        List<PredictionRecord> all = new ArrayList<>();
        all.addAll(first);
        all.addAll(second);
        all.addAll(online);
        all.addAll(mixed);
        List<PredictionRecord> scanned = scanAll(model);
        assertThat(scanned).containsExactlyInAnyOrderElementsOf(all);
        assertThat(scanned).extracting(PredictionRecord::time).isSorted();

        List<PredictionRecord> moment = new ArrayList<>();
        log.scan(model, at, at.plusNanos(1), moment::add);
        assertThat(moment).containsExactlyInAnyOrderElementsOf(
                all.stream().filter(r -> r.time().equals(at)).toList()).hasSize(301);
        List<PredictionRecord> later = new ArrayList<>();
        log.scan(model, at.plusNanos(1), at.plusSeconds(2).plusNanos(1), later::add);
        assertThat(later).containsExactlyInAnyOrderElementsOf(all.stream()
                .filter(r -> r.time().isAfter(at) && r.time().isBefore(at.plusSeconds(2).plusNanos(1))).toList());

        List<PredictionRecord> byPartition = new ArrayList<>();
        Instant to = at.plusSeconds(60);
        for (PredictionLog.Partition p : log.partitions(model, hour, to)) {
            log.scan(model, p, hour, to, byPartition::add);
        }
        assertThat(byPartition).containsExactlyInAnyOrderElementsOf(all);

        assertThat(log.find(model, "a-157", at)).contains(first.get(157));
        assertThat(log.find(model, "c-4", at.plusSeconds(1))).contains(mixed.get(6));
        assertThat(log.find(model, "b-0", at.plusSeconds(2))).contains(second.get(0));
        assertThat(log.find(model, "a-157", at.plusSeconds(2))).as("another moment").isEmpty();
        assertThat(log.find(model, "a-300", at)).isEmpty();
        assertThat(log.find(other, "a-157", at)).isEmpty();
    }

    @Test
    void tellsWhichOfManyIdsAModelLoggedEachLookedForAtTheTimeItsIdCarries() {
        ModelName model = uniqueModel("readmission");
        ModelName other = uniqueModel("adherence");
        Instant at = T0.truncatedTo(java.time.temporal.ChronoUnit.HOURS).plusSeconds(3599);
        // Answered predictions in two hours, a batch chunk of one moment, and another model's chunk of that moment.
        List<PredictionRecord> answered = IntStream.range(0, 6).mapToObj(i -> at.plusSeconds(i * 900L))
                .map(time -> prediction(model, PredictionIds.next(time), time, 1f)).toList();
        List<PredictionRecord> batch = withVersion7Ids(chunk(model, "batch-v", "", at, 300));
        List<PredictionRecord> otherBatch = withVersion7Ids(chunk(other, "batch-w", "", at, 20));
        log.append(answered);
        log.append(batch);
        log.append(otherBatch);

        List<String> logged = new ArrayList<>();
        answered.forEach(r -> logged.add(r.predictionId()));
        batch.forEach(r -> logged.add(r.predictionId()));
        List<String> asked = new ArrayList<>(logged);
        asked.add(PredictionIds.next(at)); // the moment of the chunk, never logged
        asked.add(PredictionIds.next(at.plusSeconds(86_400))); // an hour without records
        asked.add(otherBatch.get(3).predictionId()); // logged, by the other model
        asked.add(java.util.UUID.randomUUID().toString()); // no time to look for it at
        asked.add("not-an-id");
        asked.add(logged.get(0)); // asked twice
        Collections.shuffle(asked, new Random(11));

        assertThat(log.logged(model, asked)).containsExactlyInAnyOrderElementsOf(logged);
        assertThat(log.logged(other, asked)).containsExactly(otherBatch.get(3).predictionId());
        assertThat(log.logged(model, List.of())).isEmpty();
    }

    private static List<PredictionRecord> withVersion7Ids(List<PredictionRecord> records) {
        return records.stream().map(r -> new PredictionRecord(PredictionIds.next(r.time()), r.modelName(),
                r.version(), r.slot(), r.patientPseudonym(), r.time(), r.features(), r.score(), r.decision(),
                r.explanation(), r.batchId())).toList();
    }

    @Test
    void aBatchChunkLoggedAgainWithTheSameIdsAndTimesAddsNothing() {
        ModelName model = uniqueModel("readmission");
        Instant at = T0.plusSeconds(30);
        List<PredictionRecord> chunk = chunk(model, "batch-r", "r-", at, 200);
        List<PredictionRecord> next = chunk(model, "batch-r", "s-", at.plusSeconds(1), 50);

        log.append(chunk);
        log.append(next);
        log.append(chunk); // a second run of the same stretch of the job, as a stalled run that lost its lease logs it
        log.append(chunk.subList(0, 1));

        List<PredictionRecord> all = new ArrayList<>(chunk);
        all.addAll(next);
        assertThat(scanAll(model)).containsExactlyInAnyOrderElementsOf(all).hasSize(250);
        assertThat(log.find(model, "r-0", at)).contains(chunk.get(0));
    }

    @Test
    void purgesABatchJobsRecordsOlderThanTheCutoffEvenWhenOneAppendHoldsBothSides() {
        ModelName model = uniqueModel("readmission");
        List<PredictionRecord> old = chunk(model, "batch-a", "old-", T0, 40);
        // One append of one job over a minute, cut in the middle by the cutoff.
        List<PredictionRecord> straddling = IntStream.range(0, 12).mapToObj(i -> new PredictionRecord("s-" + i, model,
                2, Slot.BATCH, null, T0.plusSeconds(10 + i * 5L), new float[] {i}, 0.5, true, null, "batch-b")).toList();
        List<PredictionRecord> recent = chunk(model, "batch-a", "new-", T0.plusSeconds(120), 40);
        log.append(old);
        log.append(straddling);
        log.append(recent);
        log.append(List.of(prediction(model, "o-old", T0.plusSeconds(1), 1f),
                prediction(model, "o-new", T0.plusSeconds(100), 2f)));
        Instant cutoff = T0.plusSeconds(40); // s-0 .. s-5 are older

        long purged = log.purgeOlderThan(cutoff);

        assertThat(purged).isEqualTo(40 + 6 + 1);
        List<PredictionRecord> left = new ArrayList<>(straddling.subList(6, 12));
        left.add(prediction(model, "o-new", T0.plusSeconds(100), 2f));
        left.addAll(recent);
        List<PredictionRecord> after = scanAll(model);
        assertThat(after).containsExactlyInAnyOrderElementsOf(left);
        assertThat(after).extracting(PredictionRecord::time).isSorted();
        assertThat(log.find(model, "old-3", T0)).isEmpty();
        assertThat(log.find(model, "s-2", T0.plusSeconds(20))).isEmpty();
        assertThat(log.find(model, "s-7", T0.plusSeconds(45))).contains(straddling.get(7));
        assertThat(log.purgeOlderThan(cutoff)).isZero();
    }

    @Test
    void appendingToAClosedLogFailsLoudly() {
        ModelName model = uniqueModel("readmission");
        log.close();

        assertThatThrownBy(() -> log.append(List.of(prediction(model, "p-1", T0, 1f))))
                .isInstanceOf(VigilException.class);
    }
}
