package health.vigil.adapter.local;

import static health.vigil.contract.ContractFixtures.T0;
import static health.vigil.contract.ContractFixtures.prediction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.StoreException;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The journal on its own: what a write that fails leaves for the next start. */
class PredictionJournalTest {
    private static final ModelName MODEL = new ModelName("readmission");

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
