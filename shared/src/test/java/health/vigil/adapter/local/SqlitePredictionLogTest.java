package health.vigil.adapter.local;

import static health.vigil.contract.ContractFixtures.T0;
import static health.vigil.contract.ContractFixtures.prediction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.contract.Parallel;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.port.PredictionLog;
import health.vigil.testing.CapturedLog;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What the SQLite prediction log adds to the port's contract: group commit, clean shutdown, compact
 * features, and durability of every acknowledged record across a killed process.
 */
class SqlitePredictionLogTest {
    private static final ModelName MODEL = new ModelName("readmission");
    private static final long GUARD_SECONDS = 120;
    /** The record a test appends while the drain is about to free a replaced journal file. */
    private static final int DURING_RELEASE = 1_000_000;

    @TempDir
    Path home;

    /** A writer hook that holds the first batch until the test releases it. */
    private static final class HeldWriter implements Runnable {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean first = new AtomicBoolean(true);

        /** True once the writer has taken its first append and is waiting for {@link #release}. */
        boolean holding() {
            return entered.getCount() == 0;
        }

        @Override
        public void run() {
            if (first.getAndSet(false)) {
                entered.countDown();
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    @Test
    void appendsQueuedWhileTheWriterIsBusyAreJournaledInOneWrite() throws Exception {
        HeldWriter held = new HeldWriter();
        int callers = 20;
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home, held)) {
            List<CompletableFuture<Void>> appends = IntStream.range(0, callers)
                    .mapToObj(i -> CompletableFuture.runAsync(
                            () -> log.append(List.of(prediction(MODEL, "p-" + i, T0.plusSeconds(i), i))),
                            runnable -> new Thread(runnable).start()))
                    .toList();
            // The writer took the first append and waits in the hook; the other 19 queue behind it.
            awaitTrue(() -> held.holding() && log.pendingAppends() == callers - 1);
            assertThat(appends).noneMatch(CompletableFuture::isDone);

            held.release.countDown();
            for (CompletableFuture<Void> append : appends) {
                append.get(GUARD_SECONDS, TimeUnit.SECONDS);
            }

            assertThat(log.groupCommits()).isEqualTo(1);
            assertThat(log.journaledRecords()).isEqualTo(callers);
            assertThat(scanAll(log)).hasSize(callers);
        }
    }

    @Test
    void underConcurrentLoadFewerJournalWritesThanAppendsAreMade() throws Exception {
        HeldWriter held = new HeldWriter();
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home, held)) {
            // Holding the first batch guarantees a queue forms; from then on callers keep the writer busy.
            CompletableFuture<Void> releaser = CompletableFuture.runAsync(() -> {
                awaitTrue(() -> log.pendingAppends() >= 7);
                held.release.countDown();
            });
            Parallel.run(8, t -> {
                for (int i = 0; i < 50; i++) {
                    log.append(List.of(prediction(MODEL, t + "-" + i, T0.plusMillis(i), t, i)));
                }
                return null;
            });
            releaser.get(GUARD_SECONDS, TimeUnit.SECONDS);

            assertThat(log.journaledRecords()).isEqualTo(400);
            assertThat(log.groupCommits()).isLessThan(400);
            assertThat(scanAll(log)).hasSize(400);
        }
    }

    @Test
    void closeCommitsWhatIsQueuedAndRefusesWhatComesAfter() throws Exception {
        HeldWriter held = new HeldWriter();
        SqlitePredictionLog log = SqlitePredictionLog.open(home, held);
        int callers = 10;
        List<CompletableFuture<Void>> appends = IntStream.range(0, callers)
                .mapToObj(i -> CompletableFuture.runAsync(
                        () -> log.append(List.of(prediction(MODEL, "p-" + i, T0.plusSeconds(i), i))),
                        runnable -> new Thread(runnable).start()))
                .toList();
        awaitTrue(() -> held.holding() && log.pendingAppends() == callers - 1);

        CompletableFuture<Void> closing = CompletableFuture.runAsync(log::close, r -> new Thread(r).start());
        // close() has marked the log closed once its stop marker sits behind the queued appends.
        awaitTrue(() -> log.pendingAppends() == callers);
        assertThatThrownBy(() -> log.append(List.of(prediction(MODEL, "late", T0, 1f))))
                .isInstanceOf(StoreException.class).hasMessageContaining("closed");
        assertThat(closing).isNotDone();

        held.release.countDown();
        closing.get(GUARD_SECONDS, TimeUnit.SECONDS);
        for (CompletableFuture<Void> append : appends) {
            append.get(GUARD_SECONDS, TimeUnit.SECONDS);
        }

        try (SqlitePredictionLog reopened = SqlitePredictionLog.open(home)) {
            assertThat(scanAll(reopened)).extracting(PredictionRecord::predictionId)
                    .containsExactlyInAnyOrderElementsOf(IntStream.range(0, callers).mapToObj(i -> "p-" + i).toList());
        }
    }

    @Test
    void aRecordTheDatabaseRefusesIsSetAsideAndTheRecordsAroundItAreStored() throws Exception {
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqlitePredictionLog.FILE_NAME));
                    Statement s = c.createStatement()) {
                // Refused wherever it is stored: in a block with others, or on its own as a row.
                s.execute("CREATE TRIGGER refuse_poison_block BEFORE INSERT ON prediction_blocks"
                        + " WHEN instr(NEW.frames, CAST('poison' AS BLOB)) > 0 BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
                s.execute("CREATE TRIGGER refuse_poison BEFORE INSERT ON predictions WHEN NEW.prediction_id = 'poison'"
                        + " BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
            }
            log.append(List.of(prediction(MODEL, "healthy", T0, 1f), prediction(MODEL, "poison", T0, 2f)));
            log.append(List.of(prediction(MODEL, "after", T0, 3f)));

            assertThat(scanAll(log)).extracting(PredictionRecord::predictionId).containsExactly("healthy", "after");
        }
        Path refused = home.resolve(PredictionJournal.FOLDER).resolve(PredictionJournal.REFUSED_FILE_NAME);
        assertThat(refused).exists();
        assertThat(ownerOnly(refused)).isEqualTo("rw-------");
    }

    @Test
    void readersWaitUntilEveryAcknowledgedRecordIsInTheDatabase() throws Exception {
        HeldWriter drain = new HeldWriter();
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home, () -> {}, drain)) {
            log.append(List.of(prediction(MODEL, "p-1", T0, 1f)));
            awaitTrue(drain::holding);
            assertThat(log.undrained()).isEqualTo(1);

            CompletableFuture<List<PredictionRecord>> scan = CompletableFuture.supplyAsync(() -> scanAll(log),
                    r -> new Thread(r).start());
            Thread.sleep(200);
            assertThat(scan).as("a scan returned before the acknowledged record reached the database").isNotDone();

            drain.release.countDown();
            assertThat(scan.get(GUARD_SECONDS, TimeUnit.SECONDS)).extracting(PredictionRecord::predictionId)
                    .containsExactly("p-1");
        }
    }

    @Test
    void aLookUpOfIdsWaitsForAcknowledgedRecordsStillInTheJournal() throws Exception {
        HeldWriter drain = new HeldWriter();
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home, () -> {}, drain)) {
            String id = health.vigil.model.PredictionIds.next(T0);
            log.append(List.of(prediction(MODEL, id, T0, 1f)));
            awaitTrue(drain::holding);
            assertThat(log.undrained()).isEqualTo(1);

            CompletableFuture<java.util.Set<String>> lookUp = CompletableFuture.supplyAsync(
                    () -> log.logged(MODEL, List.of(id)), r -> new Thread(r).start());
            Thread.sleep(200);
            assertThat(lookUp).as("a look-up answered before the acknowledged record reached the database").isNotDone();

            drain.release.countDown();
            assertThat(lookUp.get(GUARD_SECONDS, TimeUnit.SECONDS)).containsExactly(id);
        }
    }

    @Test
    void journaledRecordsNotYetInTheDatabaseAreMovedThereOnTheNextStartOnce() throws Exception {
        HeldWriter drain = new HeldWriter();
        SqlitePredictionLog first = SqlitePredictionLog.open(home, () -> {}, drain);
        // Drained before the crash: in the database, and still in the journal, which must not add them twice.
        first.append(List.of(prediction(MODEL, "drained-1", T0, 1f), prediction(MODEL, "drained-2", T0, 2f)));
        awaitTrue(drain::holding);
        drain.release.countDown();
        assertThat(scanAll(first)).hasSize(2);
        HeldWriter stuck = new HeldWriter();
        first.abandon();

        SqlitePredictionLog second = SqlitePredictionLog.open(home, () -> {}, stuck);
        assertThat(scanAll(second)).hasSize(2);
        // Acknowledged, never drained: only the journal has them when the process dies.
        second.append(List.of(prediction(MODEL, "journaled-1", T0.plusSeconds(1), 3f)));
        second.append(List.of(prediction(MODEL, "journaled-2", T0.plusSeconds(2), 4f)));
        awaitTrue(stuck::holding);
        second.abandon();
        // A write the kill cut short: half a frame after the last acknowledged one.
        Path journal = home.resolve(PredictionJournal.FOLDER).resolve(PredictionJournal.FILE_NAME);
        Files.write(journal, new byte[] {40, 0, 0, 0, 1, 2, 3}, java.nio.file.StandardOpenOption.APPEND);

        try (SqlitePredictionLog third = SqlitePredictionLog.open(home)) {
            assertThat(scanAll(third)).extracting(PredictionRecord::predictionId)
                    .containsExactly("drained-1", "drained-2", "journaled-1", "journaled-2");
            assertThat(scanAll(third).get(3)).isEqualTo(prediction(MODEL, "journaled-2", T0.plusSeconds(2), 4f));
            third.append(List.of(prediction(MODEL, "after-restart", T0.plusSeconds(3), 5f)));
        }
        try (SqlitePredictionLog fourth = SqlitePredictionLog.open(home)) {
            assertThat(scanAll(fourth)).hasSize(5);
        }
    }

    @Test
    void aDamagedFrameInsideTheJournalIsKeptAsideAndTheRecordsAfterItAreStillMovedIn() throws Exception {
        PredictionRecord p1 = prediction(MODEL, "p-1", T0, 1f);
        PredictionRecord p2 = prediction(MODEL, "p-2", T0.plusSeconds(1), 2f);
        PredictionRecord p3 = prediction(MODEL, "p-3", T0.plusSeconds(2), 3f);
        Path journal = journalOf(p1, p2, p3);
        // A byte of p-2's record flipped on the disk: p-2 is lost, but p-3 was acknowledged and is intact.
        byte[] damaged = Files.readAllBytes(journal);
        damaged[PredictionJournal.HEADER_BYTES + PredictionJournal.frame(p1).length
                + PredictionJournal.FRAME_HEADER_BYTES + 40] ^= 0x20;
        Files.write(journal, damaged);

        try (CapturedLog logged = CapturedLog.of(PredictionJournal.class);
                SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            assertThat(scanAll(log)).containsExactly(p1, p3);
            assertThat(logged.records()).filteredOn(r -> r.getLevel() == Level.SEVERE).singleElement()
                    .satisfies(r -> assertThat(r.getMessage()).contains("damaged", "1 record(s)",
                            PredictionJournal.FILE_NAME + ".damaged-1").doesNotContain(p2.patientPseudonym(), "p-2"));
        }
        Path kept = journal.resolveSibling(PredictionJournal.FILE_NAME + ".damaged-1");
        assertThat(kept).hasBinaryContent(damaged);
        assertThat(ownerOnly(kept)).isEqualTo("rw-------");
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            assertThat(scanAll(log)).containsExactly(p1, p3);
        }
    }

    @Test
    void theRecordsOfABatchBlockAroundADamagedFrameAreStillMovedIn() throws Exception {
        List<PredictionRecord> chunk = batchChunk("batch-1", T0, 10);
        PredictionRecord after = prediction(MODEL, "after", T0.plusSeconds(1), 1f);
        HeldWriter drain = new HeldWriter();
        SqlitePredictionLog first = SqlitePredictionLog.open(home, () -> {}, drain);
        first.append(chunk);
        awaitTrue(drain::holding);
        first.append(List.of(after));
        first.abandon();
        Path journal = home.resolve(PredictionJournal.FOLDER).resolve(PredictionJournal.FILE_NAME);
        byte[] damaged = Files.readAllBytes(journal);
        int row4 = PredictionJournal.HEADER_BYTES + PredictionJournal.BLOCK_MARK_BYTES;
        for (PredictionRecord r : chunk.subList(0, 4)) {
            row4 += PredictionJournal.frame(r).length;
        }
        damaged[row4 + PredictionJournal.FRAME_HEADER_BYTES + 30] ^= 0x01;
        Files.write(journal, damaged);

        try (CapturedLog logged = CapturedLog.of(PredictionJournal.class);
                SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            List<PredictionRecord> expected = new ArrayList<>(chunk);
            expected.remove(4);
            expected.add(after);
            assertThat(scanAll(log)).containsExactlyElementsOf(expected);
            assertThat(logged.records()).filteredOn(r -> r.getLevel() == Level.SEVERE).hasSize(1);
        }
    }

    @Test
    void aWriteCutShortAtTheJournalsEndIsCutOffWithoutAnAlarmAndADamagedLastFrameWithOne() throws Exception {
        PredictionRecord p1 = prediction(MODEL, "p-1", T0, 1f);
        PredictionRecord p2 = prediction(MODEL, "p-2", T0.plusSeconds(1), 2f);
        Path journal = journalOf(p1);
        // Half of p-2's frame: its write was cut short, so it was never acknowledged.
        byte[] frame = PredictionJournal.frame(p2);
        Files.write(journal, java.util.Arrays.copyOf(frame, frame.length / 2), java.nio.file.StandardOpenOption.APPEND);
        try (CapturedLog logged = CapturedLog.of(PredictionJournal.class);
                SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            assertThat(scanAll(log)).containsExactly(p1);
            assertThat(logged.records()).noneMatch(r -> r.getLevel() == Level.SEVERE);
        }
        assertThat(journal.resolveSibling(PredictionJournal.FILE_NAME + ".damaged-1")).doesNotExist();

        // All of p-2's frame written, one byte of it wrong: damage, not a cut, even with nothing after it.
        HeldWriter drain = new HeldWriter();
        SqlitePredictionLog second = SqlitePredictionLog.open(home, () -> {}, drain);
        second.append(List.of(p2));
        awaitTrue(drain::holding);
        second.abandon();
        byte[] damaged = Files.readAllBytes(journal);
        damaged[damaged.length - 3] ^= 0x10;
        Files.write(journal, damaged);
        try (CapturedLog logged = CapturedLog.of(PredictionJournal.class);
                SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            assertThat(scanAll(log)).containsExactly(p1);
            assertThat(logged.records()).filteredOn(r -> r.getLevel() == Level.SEVERE).hasSize(1);
        }
        assertThat(journal.resolveSibling(PredictionJournal.FILE_NAME + ".damaged-2")).hasBinaryContent(damaged);
    }

    /**
     * The copy a start kept of a damaged journal holds patient data: retention removes it once it was written before
     * the cut-off, telling whoever audits it first, and nothing else of the journal's folder goes with it.
     */
    @Test
    void aKeptCopyOfADamagedJournalIsRemovedOnceWrittenBeforeTheCutoff() throws Exception {
        PredictionRecord p1 = prediction(MODEL, "p-1", T0, 1f);
        PredictionRecord p2 = prediction(MODEL, "p-2", T0.plusSeconds(1), 2f);
        Path journal = journalOf(p1, p2);
        byte[] damaged = Files.readAllBytes(journal);
        damaged[PredictionJournal.HEADER_BYTES + PredictionJournal.frame(p1).length
                + PredictionJournal.FRAME_HEADER_BYTES + 40] ^= 0x20;
        Files.write(journal, damaged);
        Instant written = Instant.parse("2026-03-01T08:00:00Z");
        Path kept = journal.resolveSibling(PredictionJournal.FILE_NAME + ".damaged-1");
        Path refused = journal.resolveSibling(PredictionJournal.REFUSED_FILE_NAME);

        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            assertThat(kept).exists();
            Files.write(refused, new byte[] {1});
            for (Path file : List.of(kept, journal, refused)) {
                Files.setLastModifiedTime(file, java.nio.file.attribute.FileTime.from(written.minusSeconds(86_400)));
            }
            Files.setLastModifiedTime(kept, java.nio.file.attribute.FileTime.from(written));
            List<PredictionLog.DamagedCopy> audited = new ArrayList<>();

            assertThat(log.purgeDamagedCopiesBefore(written, audited::add)).as("written at the cut-off").isZero();
            assertThatThrownBy(() -> log.purgeDamagedCopiesBefore(written.plusSeconds(1), copy -> {
                throw new StoreException("the audit log is away (test)", null);
            })).hasMessageContaining("the audit log is away");
            assertThat(kept).as("not removed unaudited").exists();
            try (CapturedLog logged = CapturedLog.of(PredictionJournal.class)) {
                assertThat(log.purgeDamagedCopiesBefore(written.plusSeconds(1), audited::add)).isEqualTo(1);
                assertThat(logged.records()).singleElement().satisfies(r -> assertThat(r.getMessage())
                        .contains("journal/" + kept.getFileName(), written.toString())
                        .doesNotContain("p-2", p2.patientPseudonym()));
            }

            assertThat(audited).containsExactly(new PredictionLog.DamagedCopy(kept.getFileName().toString(), written));
            assertThat(kept).doesNotExist();
            assertThat(journal).exists();
            assertThat(refused).exists();
            assertThat(log.purgeDamagedCopiesBefore(written.plusSeconds(1), audited::add)).isZero();
            assertThat(scanAll(log)).containsExactly(p1);
        }
    }

    /** A journal holding {@code records}, each appended on its own, none drained, as a killed process leaves it. */
    private Path journalOf(PredictionRecord... records) {
        HeldWriter drain = new HeldWriter();
        SqlitePredictionLog log = SqlitePredictionLog.open(home, () -> {}, drain);
        for (PredictionRecord r : records) {
            log.append(List.of(r));
            awaitTrue(drain::holding);
        }
        log.abandon();
        return home.resolve(PredictionJournal.FOLDER).resolve(PredictionJournal.FILE_NAME);
    }

    private static List<PredictionRecord> batchChunk(String batchId, Instant time, int rows) {
        return batchChunk(batchId, 0, time, rows);
    }

    private static List<PredictionRecord> batchChunk(String batchId, int firstRow, Instant time, int rows) {
        return IntStream.range(firstRow, firstRow + rows).mapToObj(i -> new PredictionRecord(batchId + "-row-" + i,
                MODEL, 1, health.vigil.model.Slot.BATCH, "f".repeat(64), time, new float[] {i, 1f}, i / 4096.0, false,
                null, batchId)).toList();
    }

    private long[] storedRows() throws SQLException {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqlitePredictionLog.FILE_NAME));
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM predictions),"
                        + " (SELECT count(*) FROM prediction_blocks),"
                        + " (SELECT coalesce(sum(records), 0) FROM prediction_blocks)")) {
            rs.next();
            return new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)};
        }
    }

    @Test
    void aBatchChunkIsAsFewDatabaseRowsAsTheBlockSizeAllowsAndTheAnsweredPredictionsOfOneDrainOneRowPerModel()
            throws SQLException {
        List<PredictionRecord> chunk = batchChunk("batch-1", T0, 2048);
        ModelName other = new ModelName("adherence");
        HeldWriter drain = new HeldWriter();
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home, () -> {}, drain)) {
            log.append(chunk);
            awaitTrue(drain::holding);
            // Answered while the drain is busy, out of time order and for two models: drained together next.
            log.append(List.of(prediction(MODEL, "answered-3", T0.plusMillis(3), 3f)));
            log.append(List.of(prediction(other, "other-1", T0.plusMillis(1), 1f)));
            log.append(List.of(prediction(MODEL, "answered-1", T0.plusMillis(1), 1f),
                    prediction(MODEL, "answered-2", T0.plusMillis(2), 2f)));
            drain.release.countDown();

            assertThat(scanAll(log)).hasSize(2051).extracting(PredictionRecord::predictionId).endsWith(
                    "answered-1", "answered-2", "answered-3");
            assertThat(log.find(MODEL, "answered-2", T0.plusMillis(2)))
                    .contains(prediction(MODEL, "answered-2", T0.plusMillis(2), 2f));
            assertThat(log.find(other, "other-1", T0.plusMillis(1)))
                    .contains(prediction(other, "other-1", T0.plusMillis(1), 1f));
            assertThat(log.find(MODEL, "other-1", T0.plusMillis(1))).isEmpty();
        }

        // The chunk in blocks of at most MAX_BYTES (never a humongous array), each cut only where the next frame would
        // pass the limit; then the three answered predictions of the readmission model and the one of the other model.
        List<Integer> chunkBlocks = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqlitePredictionLog.FILE_NAME));
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT length(frames) FROM prediction_blocks WHERE block_key IS NOT NULL"
                        + " ORDER BY seq")) {
            while (rs.next()) {
                chunkBlocks.add(rs.getInt(1));
            }
        }
        assertThat(chunkBlocks).hasSizeGreaterThan(1).allSatisfy(bytes ->
                assertThat(bytes).isLessThanOrEqualTo(PredictionBlocks.MAX_BYTES));
        for (int k = 0; k + 1 < chunkBlocks.size(); k++) {
            assertThat(chunkBlocks.get(k) + chunkBlocks.get(k + 1)).isGreaterThan(PredictionBlocks.MAX_BYTES);
        }
        assertThat(storedRows()).containsExactly(0, chunkBlocks.size() + 2, 2052);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqlitePredictionLog.FILE_NAME));
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("PRAGMA page_size")) {
            rs.next();
            assertThat(rs.getInt(1)).as("a new log's page size").isEqualTo(SqlitePredictionLog.PAGE_SIZE);
        }
    }

    @Test
    void theDrainReadsEveryWaitingFrameBackFromTheJournalWhereverAGroupWritePutIt() throws Exception {
        // Appends queued behind a held writer go into one journal write: appends that mix a batch chunk with answered
        // predictions (so answered frames lie on both sides of blocks' bytes), two models out of time order, and more
        // answered bytes than the drain keeps a buffer for (a backlog read into an array of its own).
        ModelName other = new ModelName("adherence");
        List<List<PredictionRecord>> appends = new ArrayList<>();
        for (int k = 0; k < 3; k++) {
            List<PredictionRecord> mixed = new ArrayList<>(batchChunk("batch-" + k, T0.plusSeconds(k), 300));
            mixed.add(prediction(MODEL, "mixed-" + k + "-late", T0.plusMillis(900 - k), k));
            mixed.add(prediction(other, "mixed-" + k + "-other", T0.plusMillis(k), k));
            mixed.add(prediction(MODEL, "mixed-" + k + "-early", T0.plusMillis(10 + k), k));
            appends.add(mixed);
        }
        String explanation = "{\"summary\":\"" + "x".repeat(2_000) + "\"}";
        List<PredictionRecord> backlog = IntStream.range(0, 2_500).mapToObj(i -> explained(i, explanation)).toList();
        for (int i = 0; i < backlog.size(); i += 500) {
            appends.add(backlog.subList(i, i + 500));
        }
        assertThat(backlog.size() * explanation.length()).as("more than the drain's kept buffer")
                .isGreaterThan(4 * 1024 * 1024);

        HeldWriter held = new HeldWriter();
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home, held)) {
            CompletableFuture<Void> first = CompletableFuture.runAsync(
                    () -> log.append(List.of(prediction(MODEL, "first", T0, 0f))), r -> new Thread(r).start());
            awaitTrue(held::holding);
            List<CompletableFuture<Void>> queued = new ArrayList<>();
            for (List<PredictionRecord> append : appends) {
                queued.add(CompletableFuture.runAsync(() -> log.append(append), r -> new Thread(r).start()));
            }
            awaitTrue(() -> log.pendingAppends() == appends.size());
            held.release.countDown();
            first.get(GUARD_SECONDS, TimeUnit.SECONDS);
            for (CompletableFuture<Void> append : queued) {
                append.get(GUARD_SECONDS, TimeUnit.SECONDS);
            }
            assertThat(log.groupCommits()).isEqualTo(1);

            List<PredictionRecord> stored = new ArrayList<>(scanAll(log));
            stored.addAll(scan(log, other));
            List<PredictionRecord> expected = new ArrayList<>(List.of(prediction(MODEL, "first", T0, 0f)));
            appends.forEach(expected::addAll);
            assertThat(stored).hasSize(expected.size()).containsExactlyInAnyOrderElementsOf(expected);
            assertThat(log.find(other, "mixed-2-other", T0.plusMillis(2)))
                    .contains(prediction(other, "mixed-2-other", T0.plusMillis(2), 2f));
        }
    }

    @Test
    void aBatchChunkJournaledButNotYetInTheDatabaseIsMovedThereOnTheNextStartOnce() throws Exception {
        HeldWriter drain = new HeldWriter();
        List<PredictionRecord> drained = batchChunk("batch-1", T0, 700);
        List<PredictionRecord> journaled = batchChunk("batch-2", T0.plusSeconds(1), 700);
        SqlitePredictionLog first = SqlitePredictionLog.open(home, () -> {}, drain);
        first.append(drained);
        awaitTrue(drain::holding);
        drain.release.countDown();
        assertThat(scanAll(first)).hasSize(700);
        first.abandon();
        HeldWriter stuck = new HeldWriter();
        SqlitePredictionLog second = SqlitePredictionLog.open(home, () -> {}, stuck);
        second.append(journaled);
        awaitTrue(stuck::holding);
        second.abandon();

        try (SqlitePredictionLog third = SqlitePredictionLog.open(home)) {
            List<PredictionRecord> all = new ArrayList<>(drained);
            all.addAll(journaled);
            assertThat(scanAll(third)).containsExactlyElementsOf(all);
            assertThat(third.find(MODEL, "batch-2-row-699", T0.plusSeconds(1))).contains(journaled.get(699));
        }
        assertThat(storedRows()).containsExactly(0, 2, 1400);
    }

    @Test
    void aBatchChunkLoggedAgainIsNeitherStoredTwiceNorSetAsideAsRefused() throws Exception {
        List<PredictionRecord> chunk = batchChunk("batch-1", T0, 300);
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            log.append(chunk);
            log.append(chunk);
            assertThat(scanAll(log)).containsExactlyElementsOf(chunk);
        }
        // Journaled twice, stored once, and on the next start the journal's replay adds nothing either.
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            log.append(chunk);
            assertThat(scanAll(log)).containsExactlyElementsOf(chunk);
        }
        assertThat(storedRows()).containsExactly(0, 1, 300);
        assertThat(home.resolve(PredictionJournal.FOLDER).resolve(PredictionJournal.REFUSED_FILE_NAME)).doesNotExist();
    }

    @Test
    void aChunkLoggedAgainAfterItsDrainAndTheNextChunkOfTheSameTimeAreBothMovedInOnceOnTheNextStart() throws Exception {
        List<PredictionRecord> chunk = batchChunk("batch-1", 0, T0, 10);
        List<PredictionRecord> next = batchChunk("batch-1", 10, T0, 10);
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            log.append(chunk);
            assertThat(scanAll(log)).containsExactlyElementsOf(chunk);
        }
        // A run that lost its partition's lease logs the chunk again, the new holder logs the next one at the same
        // checkpoint time, and the process dies before the drain moves either.
        HeldWriter drain = new HeldWriter();
        SqlitePredictionLog second = SqlitePredictionLog.open(home, () -> {}, drain);
        second.append(chunk);
        awaitTrue(drain::holding);
        second.append(next);
        second.abandon();

        try (SqlitePredictionLog third = SqlitePredictionLog.open(home)) {
            List<PredictionRecord> both = new ArrayList<>(chunk);
            both.addAll(next);
            assertThat(scanAll(third)).containsExactlyElementsOf(both);
        }
        assertThat(storedRows()).containsExactly(0, 2, 20);
        assertThat(home.resolve(PredictionJournal.FOLDER).resolve(PredictionJournal.REFUSED_FILE_NAME)).doesNotExist();
    }

    @Test
    void aChunkJournaledTwiceAndNeverDrainedIsStoredOnceOnTheNextStart() throws Exception {
        List<PredictionRecord> chunk = batchChunk("batch-1", T0, 10);
        HeldWriter drain = new HeldWriter();
        SqlitePredictionLog first = SqlitePredictionLog.open(home, () -> {}, drain);
        first.append(chunk);
        awaitTrue(drain::holding);
        first.append(chunk);
        first.abandon();

        try (SqlitePredictionLog second = SqlitePredictionLog.open(home)) {
            assertThat(scanAll(second)).containsExactlyElementsOf(chunk);
        }
        assertThat(storedRows()).containsExactly(0, 1, 10);
    }

    @Test
    void aJournalWrittenBeforeBlockMarksIsMovedInOnTheNextStartAndReplacedByOneWithThem() throws Exception {
        List<PredictionRecord> chunk = batchChunk("batch-1", T0, 10);
        PredictionRecord answered = prediction(MODEL, "answered", T0.plusSeconds(1), 1f);
        Path journal = home.resolve(PredictionJournal.FOLDER).resolve(PredictionJournal.FILE_NAME);
        Files.createDirectories(journal.getParent());
        // Format 1, generation 1: each record's frame on its own, as a chunk was journaled before block marks.
        java.io.ByteArrayOutputStream old = new java.io.ByteArrayOutputStream();
        old.write(java.nio.ByteBuffer.allocate(PredictionJournal.HEADER_BYTES).putInt(0x56504a31).putInt(1).putLong(1)
                .array());
        for (PredictionRecord r : chunk) {
            old.write(PredictionJournal.frame(r));
        }
        old.write(PredictionJournal.frame(answered));
        Files.write(journal, old.toByteArray());

        List<PredictionRecord> expected = new ArrayList<>(chunk);
        expected.add(answered);
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            assertThat(scanAll(log)).containsExactlyElementsOf(expected);
        }
        assertThat(java.nio.ByteBuffer.wrap(Files.readAllBytes(journal)).getInt(Integer.BYTES)).as("its format")
                .isEqualTo(2);
        assertThat(storedRows()).containsExactly(0, 2, 11);
    }

    @Test
    void aLongJournalStartsAgainOnceDrainedAndItsRecordsAreReadOnceAfterARestart() throws Exception {
        Path journal = home.resolve(PredictionJournal.FOLDER).resolve(PredictionJournal.FILE_NAME);
        String explanation = "{\"note\":\"" + "x".repeat(64 * 1024) + "\"}";
        List<String> ids = new ArrayList<>();
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            // Appended one after another, each drained before the next: past the reset size the journal starts again.
            for (int i = 0; log.drainTransactions() < 400 && i < 400; i++) {
                String id = "p-" + i;
                ids.add(id);
                log.append(List.of(new PredictionRecord(id, MODEL, 1, health.vigil.model.Slot.STABLE, "f".repeat(64),
                        T0.plusMillis(i), new float[] {i}, 0.5, false, explanation)));
                assertThat(scanAll(log)).hasSize(i + 1);
                if (ids.size() * 65L * 1024 > 2 * SqlitePredictionLog.RESET_BYTES) {
                    break;
                }
            }
            assertThat(Files.size(journal)).as("the journal started again").isLessThan(SqlitePredictionLog.RESET_BYTES);
            assertThat(journal.resolveSibling(PredictionJournal.FILE_NAME + ".next")).doesNotExist();
            assertThat(ownerOnly(journal)).isEqualTo("rw-------");
        }
        try (SqlitePredictionLog reopened = SqlitePredictionLog.open(home)) {
            assertThat(scanAll(reopened)).extracting(PredictionRecord::predictionId).containsExactlyElementsOf(ids);
        }
    }

    @Test
    void aJournalSwitchThatFindsACommitUnderWayKeepsTheNextFileItWroteForTheNextDrain() throws Exception {
        Path journal = home.resolve(PredictionJournal.FOLDER).resolve(PredictionJournal.FILE_NAME);
        String explanation = "{\"note\":\"" + "x".repeat(64 * 1024) + "\"}";
        // Once armed, the drain's hook starts an append that stops inside the commit lock (a request being
        // journaled) and lets the drain go on only then: the drain's switch finds the lock taken, as it finds
        // records arriving while it writes the next file under steady traffic.
        AtomicReference<SqlitePredictionLog> opened = new AtomicReference<>();
        AtomicBoolean armed = new AtomicBoolean();
        AtomicBoolean holdNextCommit = new AtomicBoolean();
        CountDownLatch committing = new CountDownLatch(1);
        CountDownLatch releaseCommit = new CountDownLatch(1);
        AtomicReference<CompletableFuture<Void>> arriving = new AtomicReference<>();
        AtomicInteger written = new AtomicInteger();
        Runnable beforeBatch = () -> {
            if (holdNextCommit.compareAndSet(true, false)) {
                committing.countDown();
                awaitLatch(releaseCommit);
            }
        };
        Runnable beforeDrain = () -> {
            if (armed.compareAndSet(true, false)) {
                holdNextCommit.set(true);
                arriving.set(CompletableFuture.runAsync(
                        () -> opened.get().append(List.of(explained(written.getAndIncrement(), explanation)))));
                awaitLatch(committing);
            }
        };
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home, beforeBatch, beforeDrain)) {
            opened.set(log);
            // Filled to just under the switch size, each record drained before the next: no switch yet.
            while (Files.size(journal) + 70 * 1024 <= SqlitePredictionLog.RESET_BYTES) {
                log.append(List.of(explained(written.getAndIncrement(), explanation)));
                assertThat(scanAll(log)).hasSize(written.get());
            }
            assertThat(log.journalsPrepared()).isZero();
            armed.set(true);
            log.append(List.of(explained(written.getAndIncrement(), explanation))); // past the switch size
            awaitTrue(() -> log.journalsPrepared() == 1);
            assertThat(Files.size(journal)).as("not switched while a commit holds the lock")
                    .isGreaterThan(SqlitePredictionLog.RESET_BYTES);

            releaseCommit.countDown();
            arriving.get().get(GUARD_SECONDS, TimeUnit.SECONDS);
            assertThat(scanAll(log)).hasSize(written.get());
            awaitTrue(() -> sizeOf(journal) < SqlitePredictionLog.RESET_BYTES);
            assertThat(log.journalsPrepared()).as("the next drain switched to the file kept from the first attempt")
                    .isEqualTo(1);
            assertThat(journal.resolveSibling(PredictionJournal.FILE_NAME + ".next")).doesNotExist();
            assertThat(ownerOnly(journal)).isEqualTo("rw-------");
        }
        try (SqlitePredictionLog reopened = SqlitePredictionLog.open(home)) {
            assertThat(scanAll(reopened)).extracting(PredictionRecord::predictionId)
                    .containsExactlyElementsOf(IntStream.range(0, written.get()).mapToObj(i -> "p-" + i).toList());
        }
    }

    @Test
    void theJournalFileASwitchReplacedIsFreedAfterTheCommitLockSoAppendsDoNotWaitForIt() throws Exception {
        Path journal = home.resolve(PredictionJournal.FOLDER).resolve(PredictionJournal.FILE_NAME);
        assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs Linux's /proc/self/fd to see open files");
        String explanation = "{\"note\":\"" + "x".repeat(64 * 1024) + "\"}";
        AtomicReference<SqlitePredictionLog> opened = new AtomicReference<>();
        AtomicInteger written = new AtomicInteger();
        AtomicInteger releases = new AtomicInteger();
        AtomicReference<String> appendDuringRelease = new AtomicReference<>("the hook never ran");
        AtomicInteger replacedOpenDuringRelease = new AtomicInteger(-1);
        CountDownLatch hookDone = new CountDownLatch(1);
        // Run by the drain just before it frees the replaced file: an append made now must complete (the commit lock
        // is free), and the replaced file must still be open (it is freed after this, not under the lock before).
        Runnable beforeRelease = () -> {
            if (releases.incrementAndGet() != 1) {
                return;
            }
            replacedOpenDuringRelease.set(openDeletedFiles(journal));
            CompletableFuture<Void> append = CompletableFuture.runAsync(
                    () -> opened.get().append(List.of(explained(DURING_RELEASE, explanation))));
            try {
                append.get(10, TimeUnit.SECONDS);
                appendDuringRelease.set("completed");
            } catch (java.util.concurrent.TimeoutException e) {
                appendDuringRelease.set("still waiting after 10 s");
            } catch (Exception e) {
                appendDuringRelease.set(e.toString());
            }
            hookDone.countDown();
        };
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home, () -> {}, () -> {}, beforeRelease)) {
            opened.set(log);
            // Each record drained before the next (a scan waits for the drain), so a drain finds the journal
            // drained once it is past the switch size.
            while (releases.get() == 0 && Files.size(journal) <= 2 * SqlitePredictionLog.RESET_BYTES) {
                log.append(List.of(explained(written.getAndIncrement(), explanation)));
                scanAll(log);
            }
            awaitLatch(hookDone);
            assertThat(replacedOpenDuringRelease.get()).as("replaced journal files still open when the hook ran")
                    .isEqualTo(1);
            assertThat(appendDuringRelease.get()).as("an append while the replaced journal is freed").isEqualTo("completed");
            awaitTrue(() -> openDeletedFiles(journal) == 0);
        }
        List<String> expected = new ArrayList<>(IntStream.range(0, written.get()).mapToObj(i -> "p-" + i).toList());
        expected.add("p-" + DURING_RELEASE);
        try (SqlitePredictionLog reopened = SqlitePredictionLog.open(home)) {
            assertThat(scanAll(reopened)).extracting(PredictionRecord::predictionId)
                    .containsExactlyInAnyOrderElementsOf(expected);
        }
    }

    /** How many of this process's open files are {@code journal} after it was renamed over (Linux). */
    private static int openDeletedFiles(Path journal) {
        String deleted = journal.toAbsolutePath() + " (deleted)";
        int count = 0;
        try (java.util.stream.Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : (Iterable<Path>) fds::iterator) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals(deleted)) {
                        count++;
                    }
                } catch (IOException e) {
                    // a descriptor closed while listing
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return count;
    }

    private static PredictionRecord explained(int i, String explanation) {
        return new PredictionRecord("p-" + i, MODEL, 1, health.vigil.model.Slot.STABLE, "f".repeat(64),
                T0.plusMillis(i), new float[] {i}, 0.5, false, explanation);
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void awaitLatch(CountDownLatch latch) {
        try {
            if (!latch.await(GUARD_SECONDS, TimeUnit.SECONDS)) {
                throw new AssertionError("a held commit or drain was never released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Test
    void aDamagedBlockFailsTheReadLoudlyInsteadOfReturningWrongRecords() throws SQLException {
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            log.append(batchChunk("batch-1", T0, 10));
            assertThat(scanAll(log)).hasSize(10);
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqlitePredictionLog.FILE_NAME));
                    Statement s = c.createStatement()) {
                // The block's last byte lost: its last frame is shorter than its header says.
                s.execute("UPDATE prediction_blocks SET frames = substr(frames, 1, length(frames) - 1)");
            }

            assertThatThrownBy(() -> scanAll(log)).isInstanceOf(StoreException.class).hasMessageContaining("damaged");
        }
    }

    @Test
    void theJournalIsReadableByItsOwnerOnlyFromTheStart() throws IOException {
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            log.append(List.of(prediction(MODEL, "p-1", T0, 1f)));
            Path folder = home.resolve(PredictionJournal.FOLDER);
            assertThat(ownerOnly(folder)).isEqualTo("rwx------");
            assertThat(ownerOnly(folder.resolve(PredictionJournal.FILE_NAME))).isEqualTo("rw-------");
        }
    }

    @Test
    void aSecondLogOnTheSameHomeIsRefusedWhileTheFirstIsOpen() {
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            assertThatThrownBy(() -> SqlitePredictionLog.open(home))
                    .isInstanceOf(StoreException.class).hasMessageContaining("in use");
            log.append(List.of(prediction(MODEL, "p-1", T0, 1f)));
        }
    }

    @Test
    void aSecondLogRefusedInThisProcessLeavesTheFirstOnesLockInPlaceForOtherProcesses() throws Exception {
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            assertThatThrownBy(() -> SqlitePredictionLog.open(home))
                    .isInstanceOf(StoreException.class).hasMessageContaining("in use");

            assertThat(openInAnotherProcess()).startsWith(PredictionLogOpenChild.REFUSED).contains("in use");
            log.append(List.of(prediction(MODEL, "p-1", T0, 1f)));
            assertThat(scanAll(log)).extracting(PredictionRecord::predictionId).containsExactly("p-1");
        }
    }

    /** What {@link PredictionLogOpenChild} says when it opens the log of {@link #home} in a process of its own. */
    private String openInAnotherProcess() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path stdout = home.resolve("open-child-stdout.txt");
        Path stderr = home.resolve("open-child-stderr.txt");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                PredictionLogOpenChild.class.getName(), home.toString())
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        try {
            assertThat(child.waitFor(GUARD_SECONDS, TimeUnit.SECONDS)).as("the child ended").isTrue();
        } finally {
            child.destroyForcibly();
        }
        assertThat(readQuietly(stdout)).as("the child's stderr says: %s", readQuietly(stderr)).isNotEmpty();
        return readQuietly(stdout).strip();
    }

    private static String ownerOnly(Path file) throws IOException {
        return java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file));
    }

    @Test
    void survivesAKilledProcessByDefaultAndFsyncsEveryCommitOnlyWhenAskedToSurvivePowerLoss() {
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            assertThat(log.synchronousLevel()).as("synchronous=NORMAL").isEqualTo(1);
        }
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home, PredictionLogDurability.POWER_LOSS)) {
            assertThat(log.synchronousLevel()).as("synchronous=FULL").isEqualTo(2);
            log.append(List.of(prediction(MODEL, "p-1", T0, 1f)));
            assertThat(scanAll(log)).extracting(PredictionRecord::predictionId).containsExactly("p-1");
        }
    }

    @Test
    void storesFeaturesAsFourBytesEach() throws SQLException {
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            log.append(List.of(prediction(MODEL, "p-1", T0, new float[37])));
            assertThat(scanAll(log)).hasSize(1);
            log.append(List.of(prediction(MODEL, "p-2", T0.plusSeconds(1), new float[38])));
        }

        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve(SqlitePredictionLog.FILE_NAME));
                Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT typeof(frames), length(frames) FROM prediction_blocks ORDER BY seq")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getString(1)).isEqualTo("blob");
            int one = rs.getInt(2);
            assertThat(rs.next()).isTrue();
            assertThat(rs.getInt(2) - one).as("one more feature").isEqualTo(4);
        }
    }

    @Test
    void keepsNanosecondTimesAcrossTheWholeStorableRange() {
        Instant early = Instant.parse("1678-01-01T00:00:00.000000001Z");
        Instant late = Instant.parse("2262-04-11T00:00:00.999999999Z");
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            PredictionRecord a = prediction(MODEL, "early", early, 1f);
            PredictionRecord b = prediction(MODEL, "late", late, 2f);
            log.append(List.of(b, a));

            List<PredictionRecord> all = new ArrayList<>();
            log.scan(MODEL, Instant.MIN, Instant.MAX, all::add);

            assertThat(all).containsExactly(a, b);
        }
    }

    @Test
    void refusesATimeItCannotStoreWithoutWritingAnythingOfTheBatch() {
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            List<PredictionRecord> batch = List.of(prediction(MODEL, "ok", T0, 1f),
                    prediction(MODEL, "ancient", Instant.parse("1600-01-01T00:00:00Z"), 2f));

            assertThatThrownBy(() -> log.append(batch)).isInstanceOf(ValidationException.class)
                    .hasMessageContaining("1678-2262");

            assertThat(scanAll(log)).isEmpty();
        }
    }

    @Test
    void purgesMoreRowsThanOneDeleteChunk() {
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            List<PredictionRecord> old = IntStream.range(0, 25_000)
                    .mapToObj(i -> prediction(MODEL, "old-" + i, T0.minusSeconds(86_400 + i), 1f)).toList();
            log.append(old);
            log.append(List.of(prediction(MODEL, "recent", T0, 1f)));

            assertThat(log.purgeOlderThan(T0.minusSeconds(1))).isEqualTo(25_000);

            assertThat(scanAll(log)).extracting(PredictionRecord::predictionId).containsExactly("recent");
        }
    }

    @Test
    void aPurgedRecordIsGoneFromTheJournalOfALogThatStaysOpen() throws IOException {
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            PredictionRecord old = prediction(MODEL, "old", T0.minusSeconds(86_400), 1f);
            log.append(List.of(old));
            log.append(List.of(prediction(MODEL, "recent", T0, 1f)));

            assertThat(log.purgeOlderThan(T0.minusSeconds(1))).isEqualTo(1);

            assertThat(filesHolding(old.patientPseudonym(), home.resolve("journal"))).isEmpty();
            assertThat(scanAll(log)).extracting(PredictionRecord::predictionId).containsExactly("recent");
        }
    }

    @Test
    void aPurgedRecordIsGoneFromTheDatabaseFileAndItsWriteAheadLog() throws IOException {
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            List<PredictionRecord> old = IntStream.range(0, 200)
                    .mapToObj(i -> prediction(MODEL, "old-" + i, T0.minusSeconds(86_400 + i), 1f)).toList();
            log.append(old);
            // Moves them out of the journal, so what the file and the log hold is all the database's doing.
            scanAll(log);
            log.append(List.of(prediction(MODEL, "recent", T0, 1f)));

            assertThat(log.purgeOlderThan(T0.minusSeconds(1))).isEqualTo(200);

            for (PredictionRecord r : List.of(old.get(0), old.get(199))) {
                assertThat(filesHolding(r.patientPseudonym(), home)).as(r.predictionId())
                        .noneMatch(f -> f.getFileName().toString().startsWith(SqlitePredictionLog.FILE_NAME));
            }
        }
    }

    /** The files under {@code folder} whose bytes contain {@code text} (UTF-8), as the journal and SQLite store it. */
    private static List<Path> filesHolding(String text, Path folder) throws IOException {
        byte[] wanted = text.getBytes(StandardCharsets.UTF_8);
        List<Path> holding = new ArrayList<>();
        try (var files = Files.walk(folder)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(file);
                for (int i = 0; i + wanted.length <= bytes.length; i++) {
                    if (java.util.Arrays.equals(bytes, i, i + wanted.length, wanted, 0, wanted.length)) {
                        holding.add(file);
                        break;
                    }
                }
            }
        }
        return holding;
    }

    @Test
    void everyAcknowledgedRecordSurvivesAKilledProcess() throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        // Files, not pipes: Process.destroyForcibly() closes the pipes, losing acknowledgements still in them.
        Path stdout = home.resolve("child-stdout.txt");
        Path stderr = home.resolve("child-stderr.txt");
        Process child = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                PredictionLogCrashChild.class.getName(), home.toString())
                .redirectOutput(stdout.toFile())
                .redirectError(stderr.toFile())
                .start();
        try {
            awaitTrue(() -> !child.isAlive() || acknowledged(stdout).size() >= 2_000);
            assertThat(child.isAlive())
                    .as("the child stopped on its own; its stderr says: %s", readQuietly(stderr))
                    .isTrue();
            child.destroyForcibly(); // SIGKILL: no shutdown hook, no close(), most likely mid-transaction
            assertThat(child.waitFor(GUARD_SECONDS, TimeUnit.SECONDS)).isTrue();
        } finally {
            child.destroyForcibly();
        }
        Set<String> acknowledged = acknowledged(stdout);

        Set<String> stored = new HashSet<>();
        try (SqlitePredictionLog log = SqlitePredictionLog.open(home)) {
            log.scan(PredictionLogCrashChild.MODEL, Instant.MIN, Instant.MAX, r -> stored.add(r.predictionId()));
        }
        Set<String> lost = new HashSet<>(acknowledged);
        lost.removeAll(stored);
        assertThat(acknowledged).hasSizeGreaterThanOrEqualTo(2_000);
        assertThat(lost).as("records acknowledged to the caller but missing after the kill").isEmpty();
    }

    /** The ids the child printed as acknowledged; a last line cut off by the kill is not counted. */
    private static Set<String> acknowledged(Path stdout) {
        String text = readQuietly(stdout);
        Set<String> ids = new HashSet<>();
        int end = text.lastIndexOf('\n');
        for (String line : text.substring(0, end + 1).split("\n")) {
            if (line.startsWith(PredictionLogCrashChild.ACK)) {
                ids.add(line.substring(PredictionLogCrashChild.ACK.length()));
            }
        }
        return ids;
    }

    private static String readQuietly(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<PredictionRecord> scanAll(SqlitePredictionLog log) {
        return scan(log, MODEL);
    }

    private static List<PredictionRecord> scan(SqlitePredictionLog log, ModelName model) {
        List<PredictionRecord> out = new ArrayList<>();
        log.scan(model, Instant.MIN, Instant.MAX, out::add);
        return out;
    }

    /** Polls a condition the test cannot wait on directly; the guard only turns a hang into a failure. */
    private static void awaitTrue(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(GUARD_SECONDS);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached: the writer or a caller is stuck");
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}
