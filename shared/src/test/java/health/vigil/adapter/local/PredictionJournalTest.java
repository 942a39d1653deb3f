package health.vigil.adapter.local;

import static health.vigil.contract.ContractFixtures.T0;
import static health.vigil.contract.ContractFixtures.prediction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.StoreException;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.port.PredictionLog.RefusedPurge;
import health.vigil.testing.CapturedLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The journal on its own: what a write that fails leaves for the next start, and what retention leaves of the
 * records it set aside as refused.
 */
class PredictionJournalTest {
    private static final ModelName MODEL = new ModelName("readmission");
    private static final Instant CUTOFF = Instant.parse("2030-05-11T02:30:00Z");

    @TempDir
    Path home;

    @Test
    void aGroupWriteThatFailsLeavesNothingForTheNextStartToReplay() throws IOException {
        try (PredictionJournal journal = PredictionJournal.open(home, false)) {
            // The bytes reach the file, then forcing them fails: the callers are told nothing was logged.
            journal.afterWrite(() -> {
                throw new IOException("the disk failed (test)");
            });
            assertThatThrownBy(() -> journal.write(frames(prediction(MODEL, "failed-1", T0, 1f))))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("nothing of these records was acknowledged");
            assertThat(journal.end()).isEqualTo(PredictionJournal.HEADER_BYTES);
        }
        assertThat(replayed()).isEmpty();
        assertThat(Files.size(home.resolve(PredictionJournal.FOLDER).resolve(PredictionJournal.FILE_NAME)))
                .isEqualTo(PredictionJournal.HEADER_BYTES);
    }

    @Test
    void aWriteAfterAFailedOneLeavesNoneOfTheFailedFramesBehindIt() {
        PredictionRecord before = prediction(MODEL, "before", T0, 1f);
        PredictionRecord after = prediction(MODEL, "after-", T0.plusSeconds(2), 3f);
        try (PredictionJournal journal = PredictionJournal.open(home, false)) {
            journal.write(frames(before));
            journal.afterWrite(() -> {
                throw new IOException("the disk failed (test)");
            });
            // Two frames that fail; the next write, one frame as long as the first of them, starts where they did.
            assertThatThrownBy(() -> journal.write(frames(prediction(MODEL, "failed-1", T0.plusSeconds(1), 2f),
                    prediction(MODEL, "failed-2", T0.plusSeconds(1), 2f)))).isInstanceOf(StoreException.class);
            journal.afterWrite(() -> {});
            journal.write(frames(after));
        }
        assertThat(replayed()).containsExactly(before, after);
    }

    /**
     * A thread whose interrupt flag is set (a shadow mirror told to stop, an event worker being shut down) writes to
     * the journal like any other: the interrupt does not close the channel for the whole process, and the thread
     * keeps its interrupt.
     */
    @Test
    void aWriterWithAPendingInterruptWritesAndKeepsItsInterrupt() throws Exception {
        PredictionRecord first = prediction(MODEL, "first-", T0, 1f);
        PredictionRecord second = prediction(MODEL, "second", T0.plusSeconds(1), 2f);
        try (PredictionJournal journal = PredictionJournal.open(home, true)) {
            boolean[] keptInterrupt = new boolean[1];
            Thread writer = new Thread(() -> {
                Thread.currentThread().interrupt();
                journal.write(frames(first));
                keptInterrupt[0] = Thread.currentThread().isInterrupted();
            });
            writer.start();
            writer.join();
            assertThat(keptInterrupt[0]).isTrue();
            journal.write(frames(second));
        }
        assertThat(replayed()).containsExactly(first, second);
    }

    /**
     * An interrupt that arrives while a group is written closes the channel mid-write: the group is not acknowledged
     * and leaves nothing to replay, and the journal is opened again, so the next write succeeds.
     */
    @Test
    void anInterruptInTheMiddleOfAWriteFailsThatWriteOnlyAndTheJournalWritesOn() {
        PredictionRecord after = prediction(MODEL, "after-", T0.plusSeconds(2), 3f);
        try (PredictionJournal journal = PredictionJournal.open(home, true)) {
            journal.afterWrite(() -> Thread.currentThread().interrupt()); // forcing the bytes is then interrupted
            assertThatThrownBy(() -> journal.write(frames(prediction(MODEL, "failed-1", T0.plusSeconds(1), 2f))))
                    .isInstanceOf(StoreException.class)
                    .hasMessageContaining("nothing of these records was acknowledged");
            assertThat(Thread.interrupted()).as("the interrupt is the thread's again").isTrue();
            journal.afterWrite(() -> {});
            journal.write(frames(after));
        }
        assertThat(replayed()).containsExactly(after);
    }

    /**
     * A thread with a pending interrupt that switches the journal to its next generation (the drain, a retention
     * purge) switches it and keeps its interrupt; the journal writes on in the new generation.
     */
    @Test
    void aSwitchToTheNextGenerationByAThreadWithAPendingInterruptSucceedsAndKeepsTheInterrupt() throws Exception {
        PredictionRecord after = prediction(MODEL, "after-", T0.plusSeconds(2), 3f);
        try (PredictionJournal journal = PredictionJournal.open(home, true)) {
            journal.write(frames(prediction(MODEL, "before", T0, 1f)));
            long generation = journal.generation();
            Thread.currentThread().interrupt();
            try {
                journal.reset();
            } finally {
                assertThat(Thread.interrupted()).as("the interrupt is the thread's again").isTrue();
            }
            assertThat(journal.generation()).isEqualTo(generation + 1);
            journal.write(frames(after));
        }
        assertThat(replayed()).containsExactly(after);
    }

    /**
     * The records the database refused hold patient data: those whose time is before the cut-off go, the others stay
     * in a new owner-only file, frame for frame, and whoever audits the removal hears the counts first.
     */
    @Test
    void refusedRecordsBeforeTheCutoffAreRemovedAndTheOthersKeptAsTheyWere() throws IOException {
        PredictionRecord expired = prediction(MODEL, "expired-1", CUTOFF.minusNanos(1), 1f);
        PredictionRecord atCutoff = prediction(MODEL, "at-cutoff", CUTOFF, 2f);
        PredictionRecord expiredToo = prediction(MODEL, "expired-2", CUTOFF.minusSeconds(86_400), 3f);
        PredictionRecord recent = prediction(MODEL, "recent-1", CUTOFF.plusSeconds(60), 4f);
        List<RefusedPurge> audited = new ArrayList<>();
        try (PredictionJournal journal = PredictionJournal.open(home, false)) {
            journal.setAside(List.of(expired, atCutoff));
            journal.setAside(List.of(expiredToo, recent));
            Object before = fileKey(refusedFile());

            assertThatThrownBy(() -> journal.removeRefusedBefore(CUTOFF, removal -> {
                throw new StoreException("the audit log is away (test)", null);
            })).hasMessageContaining("the audit log is away");
            assertThat(refusedFile()).as("nothing removed unaudited")
                    .hasBinaryContent(concat(expired, atCutoff, expiredToo, recent));

            assertThat(journal.removeRefusedBefore(CUTOFF, audited::add)).isEqualTo(2);
            assertThat(fileKey(refusedFile())).as("a new file, renamed over the old").isNotEqualTo(before);
        }
        assertThat(audited).containsExactly(new RefusedPurge(PredictionJournal.REFUSED_FILE_NAME, 2, 2));
        assertThat(refusedFile()).hasBinaryContent(concat(atCutoff, recent));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(refusedFile()))).isEqualTo("rw-------");
        assertThat(refusedFile().resolveSibling(PredictionJournal.REFUSED_FILE_NAME + ".next")).doesNotExist();
    }

    /** A run that finds every refused record within the period leaves the file as it is, byte for byte. */
    @Test
    void aRunThatFindsNothingToRemoveLeavesTheRefusedFileAsItIs() throws IOException {
        List<RefusedPurge> audited = new ArrayList<>();
        try (PredictionJournal journal = PredictionJournal.open(home, false)) {
            assertThat(journal.removeRefusedBefore(CUTOFF, audited::add)).as("no file yet").isZero();
            journal.setAside(List.of(prediction(MODEL, "at-cutoff", CUTOFF, 1f),
                    prediction(MODEL, "recent-1", CUTOFF.plusSeconds(1), 2f)));
            byte[] bytes = Files.readAllBytes(refusedFile());
            Object key = fileKey(refusedFile());

            assertThat(journal.removeRefusedBefore(CUTOFF, audited::add)).isZero();

            assertThat(refusedFile()).hasBinaryContent(bytes);
            assertThat(fileKey(refusedFile())).isEqualTo(key);
        }
        assertThat(audited).isEmpty();
    }

    /**
     * A refused file whose frames do not all read (a torn write, a damaged disk) says nothing reliable of its records'
     * times: it is kept whole, and the report gives offsets, never a record.
     */
    @Test
    void aRefusedFileWhoseFramesCannotBeReadIsKeptWholeAndReportedWithoutItsContents() throws IOException {
        PredictionRecord expired = prediction(MODEL, "expired-1", CUTOFF.minusSeconds(1), 1f);
        List<RefusedPurge> audited = new ArrayList<>();
        try (PredictionJournal journal = PredictionJournal.open(home, false)) {
            journal.setAside(List.of(expired));
            byte[] torn = java.util.Arrays.copyOf(PredictionJournal.frame(expired), 20);
            Files.write(refusedFile(), torn, StandardOpenOption.APPEND);
            byte[] bytes = Files.readAllBytes(refusedFile());

            try (CapturedLog logged = CapturedLog.of(PredictionJournal.class)) {
                assertThat(journal.removeRefusedBefore(CUTOFF, audited::add)).isZero();
                assertThat(logged.records()).singleElement().satisfies(r -> {
                    assertThat(r.getLevel()).isEqualTo(Level.SEVERE);
                    assertThat(r.getMessage()).contains("predictions.refused", "offset "
                            + PredictionJournal.frame(expired).length).doesNotContain("expired-1",
                                    expired.patientPseudonym());
                });
            }
            assertThat(refusedFile()).hasBinaryContent(bytes);
        }
        assertThat(audited).isEmpty();
    }

    /**
     * A set-aside cut short by a stop leaves part of a frame at the end of the file; the next start cuts it off (the
     * replay sets those records aside again), so records set aside after it, and retention, can read the file.
     */
    @Test
    void partOfARecordASetAsideLeftAtTheEndOfTheRefusedFileIsCutOffAtTheNextStart() throws IOException {
        PredictionRecord expired = prediction(MODEL, "expired-1", CUTOFF.minusSeconds(1), 1f);
        PredictionRecord cutShort = prediction(MODEL, "cut-short", CUTOFF.plusSeconds(1), 2f);
        PredictionRecord again = prediction(MODEL, "cut-short", CUTOFF.plusSeconds(1), 2f);
        try (PredictionJournal journal = PredictionJournal.open(home, false)) {
            journal.setAside(List.of(expired));
        }
        Files.write(refusedFile(), java.util.Arrays.copyOf(PredictionJournal.frame(cutShort), 30),
                StandardOpenOption.APPEND);

        List<RefusedPurge> audited = new ArrayList<>();
        try (CapturedLog logged = CapturedLog.of(PredictionJournal.class);
                PredictionJournal journal = PredictionJournal.open(home, false)) {
            assertThat(refusedFile()).hasBinaryContent(PredictionJournal.frame(expired));
            assertThat(logged.records()).singleElement().satisfies(r -> {
                assertThat(r.getLevel()).isEqualTo(Level.WARNING);
                assertThat(r.getMessage()).contains("30 bytes after offset " + PredictionJournal.frame(expired).length)
                        .doesNotContain("cut-short", cutShort.patientPseudonym());
            });
            journal.setAside(List.of(again));
            assertThat(journal.removeRefusedBefore(CUTOFF, audited::add)).isEqualTo(1);
        }
        assertThat(audited).containsExactly(new RefusedPurge(PredictionJournal.REFUSED_FILE_NAME, 1, 1));
        assertThat(refusedFile()).hasBinaryContent(PredictionJournal.frame(again));
    }

    /** A whole frame that does not read is damage, not a stop: the start leaves it for retention to report. */
    @Test
    void aDamagedWholeFrameAtTheEndOfTheRefusedFileIsLeftAsItIs() throws IOException {
        PredictionRecord kept = prediction(MODEL, "kept-001", CUTOFF.minusSeconds(1), 1f);
        try (PredictionJournal journal = PredictionJournal.open(home, false)) {
            journal.setAside(List.of(kept));
        }
        byte[] damaged = PredictionJournal.frame(kept);
        damaged[damaged.length - 1] ^= 1;
        Files.write(refusedFile(), damaged, StandardOpenOption.APPEND);
        byte[] bytes = Files.readAllBytes(refusedFile());
        try (PredictionJournal journal = PredictionJournal.open(home, false)) {
            assertThat(refusedFile()).hasBinaryContent(bytes);
        }
    }

    /**
     * A record the drain sets aside while retention rewrites the file waits for the new file and is appended to it,
     * not to the file being replaced.
     */
    @Test
    void aRecordSetAsideWhileTheRefusedFileIsRewrittenIsKept() throws Exception {
        PredictionRecord expired = prediction(MODEL, "expired-1", CUTOFF.minusSeconds(1), 1f);
        PredictionRecord recent = prediction(MODEL, "recent-1", CUTOFF.plusSeconds(1), 2f);
        PredictionRecord arriving = prediction(MODEL, "arriving", CUTOFF.plusSeconds(2), 3f);
        AtomicReference<Thread> drain = new AtomicReference<>();
        try (PredictionJournal journal = PredictionJournal.open(home, false)) {
            journal.setAside(List.of(expired, recent));
            journal.beforeRefusedReplaced(() -> {
                Thread setAside = new Thread(() -> journal.setAside(List.of(arriving)), "test-set-aside");
                drain.set(setAside);
                setAside.start();
                // Waiting for the rewrite to end, or (were it not made to wait) done with the file being replaced.
                awaitTrue(() -> setAside.getState() == Thread.State.WAITING
                        || setAside.getState() == Thread.State.TERMINATED);
            });

            assertThat(journal.removeRefusedBefore(CUTOFF, removal -> {})).isEqualTo(1);
            drain.get().join(TimeUnit.SECONDS.toMillis(60));
            assertThat(drain.get().isAlive()).isFalse();
        }
        assertThat(refusedFile()).hasBinaryContent(concat(recent, arriving));
    }

    private Path refusedFile() {
        return home.resolve(PredictionJournal.FOLDER).resolve(PredictionJournal.REFUSED_FILE_NAME);
    }

    private static Object fileKey(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    }

    private static byte[] concat(PredictionRecord... records) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (PredictionRecord r : records) {
            out.writeBytes(PredictionJournal.frame(r));
        }
        return out.toByteArray();
    }

    /** Polls a condition no latch can signal (a thread parked on a lock); the guard turns a hang into a failure. */
    private static void awaitTrue(BooleanSupplier condition) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not reached");
            }
            Thread.onSpinWait();
        }
    }

    private static List<byte[]> frames(PredictionRecord... records) {
        List<byte[]> frames = new ArrayList<>();
        for (PredictionRecord r : records) {
            frames.add(PredictionJournal.frame(r));
        }
        return frames;
    }

    /** What the next start moves into the database. */
    private List<PredictionRecord> replayed() {
        List<PredictionRecord> replayed = new ArrayList<>();
        try (PredictionJournal journal = PredictionJournal.open(home, false)) {
            journal.replay(0, 0, 100, (records, blocks, end) -> replayed.addAll(records));
        }
        return replayed;
    }
}
