package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The drop folder's ledger of what it raised: what enters it, and when it cannot be written. */
class DropFolderWatcherTest {
    private static final Duration WAIT = Duration.ofSeconds(30);

    @TempDir
    Path home;

    /** Raises into {@code raised}, each event handled at once. */
    private static DropFolderWatcher.Raise settling(List<ObjectNode> raised) {
        return (event, settled) -> {
            raised.add(event);
            settled.run();
        };
    }

    private DropFolderWatcher watcher(DropFolderWatcher.Raise raise) {
        return new DropFolderWatcher(home.resolve("models"), "models", Duration.ofMillis(20), (name, file) -> { },
                raise, Clock.systemUTC(), home.resolve("state").resolve("drop-folder-raised.json"));
    }

    private static void awaitSize(List<?> list, int size) throws InterruptedException {
        Instant deadline = Instant.now().plus(WAIT);
        while (list.size() < size && Instant.now().isBefore(deadline)) {
            Thread.sleep(20);
        }
    }

    /** A clock that moves only when a test moves it. */
    private static final class SteppedClock extends Clock {
        private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-12-07T00:00:00Z"));

        void advance(Duration step) {
            now.updateAndGet(instant -> instant.plus(step));
        }

        @Override
        public Instant instant() {
            return now.get();
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }
    }

    /**
     * A watcher with an hour's interval, scanning on its own when it starts and then hourly: within a test only a
     * change notice starts a scan. What it raises goes into {@code names}, each as its blob name.
     */
    private static DropFolderWatcher noticesOnly(Path drop, Clock clock, BlockingQueue<String> names) {
        return new DropFolderWatcher(drop, "batch-input", Duration.ofHours(1), (name, file) -> { },
                (event, settled) -> {
                    names.add(event.get("subject").asText().replaceAll(".*/blobs/", ""));
                    settled.run();
                }, clock, null);
    }

    /**
     * The next blob name raised, or null if none came within {@link #WAIT}. Each 100 ms without one, the clock moves an
     * interval on and a hidden file is made in {@code folder}: ignored itself, it starts a scan if the folder is
     * watched, and two such scans raise a complete file. Only the clock's moving here lets a file count as complete,
     * so scans started otherwise (by the removal, say) raise nothing of their own.
     */
    private static String nextRaised(BlockingQueue<String> names, SteppedClock clock, Path folder) throws Exception {
        Instant deadline = Instant.now().plus(WAIT);
        String name;
        for (int i = 0; (name = names.poll(100, TimeUnit.MILLISECONDS)) == null && Instant.now().isBefore(deadline);
                i++) {
            clock.advance(Duration.ofHours(1));
            Files.createFile(folder.resolve(".nudge-" + i));
        }
        return name;
    }

    /** Puts a complete file in place at once, as a hidden file renamed. */
    private static void drop(Path file) throws Exception {
        Path part = Files.writeString(file.resolveSibling("." + file.getFileName() + ".part"), "id,age\n");
        Files.move(part, file, StandardCopyOption.ATOMIC_MOVE);
    }

    @Test
    void aFolderInsideTheDropFolderRemovedAndMadeAgainIsWatchedAgain() throws Exception {
        assertWatchedInItsPlaceOnceReplaced("readmission", folder -> deleteTree(folder));
    }

    @Test
    void theDropFolderRemovedAndMadeAgainIsWatchedAgain() throws Exception {
        assertWatchedInItsPlaceOnceReplaced("", folder -> deleteTree(folder));
    }

    /**
     * The drop folder (an empty path) or a folder in it moved away, not removed, and another made under its name: the
     * old folder's watch stays valid where it went, and the new one is watched for its own notices.
     */
    @ParameterizedTest
    @ValueSource(strings = {"", "readmission"})
    void aFolderMovedAwayAndReplacedByAnotherOfItsNameIsWatchedInTheReplacement(String inside) throws Exception {
        assertWatchedInItsPlaceOnceReplaced(inside,
                folder -> Files.move(folder, home.resolve("moved-away"), StandardCopyOption.ATOMIC_MOVE));
    }

    /** Takes a folder out of its place in the drop folder, as a person does by hand. */
    @FunctionalInterface
    private interface TakeAway {
        void takeAway(Path folder) throws Exception;
    }

    /**
     * A file in the drop folder (an empty {@code inside}) or a folder in it is raised on a change notice; then the
     * folder is taken away, another made in its place, and a file dropped into that is raised on a notice too.
     */
    private void assertWatchedInItsPlaceOnceReplaced(String inside, TakeAway takeAway) throws Exception {
        Path drop = Files.createDirectories(home.resolve("blobs").resolve("batch-input"));
        Path folder = Files.createDirectories(drop.resolve(inside));
        String prefix = inside.isEmpty() ? "" : inside + "/";
        drop(folder.resolve("first.csv"));
        BlockingQueue<String> names = new LinkedBlockingQueue<>();
        SteppedClock clock = new SteppedClock();
        try (DropFolderWatcher watcher = noticesOnly(drop, clock, names)) {
            watcher.start();
            assertThat(nextRaised(names, clock, folder)).as("raised on a notice from the folder")
                    .isEqualTo(prefix + "first.csv");

            takeAway.takeAway(folder);
            Files.createDirectory(folder);
            drop(folder.resolve("second.csv"));

            assertThat(nextRaised(names, clock, folder)).as("raised on a notice from the folder in its place")
                    .isEqualTo(prefix + "second.csv");
        }
    }

    private static void deleteTree(Path folder) throws Exception {
        try (Stream<Path> paths = Files.walk(folder)) {
            for (Path path : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(path);
            }
        }
    }

    @Test
    void aFileWhoseEventWasNotHandledIsRaisedAgainAfterARestart() throws Exception {
        List<ObjectNode> dropped = new CopyOnWriteArrayList<>();
        // Raised, then lost with the process before its function finished: nothing ever says it was settled.
        try (DropFolderWatcher first = watcher((event, settled) -> dropped.add(event))) {
            first.start();
            Files.writeString(home.resolve("models").resolve("package.zip"), "a package");
            awaitSize(dropped, 1);
            Thread.sleep(200); // a few more scans, none of which raises it again while it is on its way
        }
        assertThat(dropped).hasSize(1);

        List<ObjectNode> again = new CopyOnWriteArrayList<>();
        try (DropFolderWatcher second = watcher(settling(again))) {
            second.start();
            awaitSize(again, 1);
            Thread.sleep(200);
        }
        assertThat(again).singleElement().satisfies(event -> assertThat(event.get("subject").asText())
                .endsWith("/containers/models/blobs/package.zip"));

        // Handled this time: the next start leaves it alone.
        List<ObjectNode> third = new CopyOnWriteArrayList<>();
        try (DropFolderWatcher watcher = watcher(settling(third))) {
            watcher.start();
            Thread.sleep(500);
        }
        assertThat(third).isEmpty();
    }

    @Test
    void aLinkInTheFolderIsNeitherPublishedNorRaised() throws Exception {
        Path drop = Files.createDirectories(home.resolve("models"));
        Path secret = Files.writeString(Files.createDirectories(home.resolve("elsewhere")).resolve("id_rsa"), "a key");
        Files.writeString(home.resolve("elsewhere").resolve("notes.txt"), "notes");
        Files.createSymbolicLink(drop.resolve("stolen.zip"), secret);
        Files.createSymbolicLink(drop.resolve("linked-folder"), home.resolve("elsewhere"));
        List<String> published = new CopyOnWriteArrayList<>();
        List<ObjectNode> raised = new CopyOnWriteArrayList<>();
        try (DropFolderWatcher watcher = new DropFolderWatcher(drop, "models", Duration.ofMillis(20),
                (name, file) -> published.add(name), settling(raised), Clock.systemUTC(), null)) {
            watcher.start();
            Files.writeString(drop.resolve("package.zip"), "a package");
            awaitSize(raised, 1);
            Thread.sleep(200); // a few more scans
        }

        assertThat(published).containsExactly("package.zip");
        assertThat(raised).singleElement().satisfies(event -> assertThat(event.get("subject").asText())
                .endsWith("/blobs/package.zip"));
    }

    /**
     * A folder the scan cannot open, whoever runs the test: nested so deep that its path is longer than Linux opens
     * (4096 bytes), made by moving a deep tree under another, as no path given to the system may be that long.
     */
    @Test
    void aFolderThatCannotBeOpenedIsSkippedAndTheRestIsStillRaised() throws Exception {
        assumeTrue(System.getProperty("os.name").startsWith("Linux"), "a path longer than Linux's PATH_MAX");
        Path drop = Files.createDirectories(home.resolve("models"));
        String name = "d".repeat(250);
        Path outer = drop;
        Path staged = Files.createDirectories(home.resolve("staged"));
        Path inner = staged;
        for (int i = 0; i < 9; i++) {
            outer = Files.createDirectory(outer.resolve(name + i));
            inner = Files.createDirectory(inner.resolve(name + i));
        }
        Files.writeString(inner.resolve("deep.zip"), "too deep to open");
        Path moved = Files.move(staged, outer.resolve("staged"));
        List<ObjectNode> raised = new CopyOnWriteArrayList<>();
        try {
            try (DropFolderWatcher watcher = watcher(settling(raised))) {
                watcher.start();
                Files.writeString(drop.resolve("package.zip"), "a package");
                awaitSize(raised, 1);
                Thread.sleep(200); // a few more scans
            }
        } finally {
            Files.move(moved, staged); // short enough again for the temporary folder to be removed
        }

        assertThat(raised).singleElement().satisfies(event -> assertThat(event.get("subject").asText())
                .endsWith("/blobs/package.zip"));
    }

    /** The same with a folder whose permissions forbid reading it, where they do (not for root). */
    @Test
    void aFolderItMayNotReadIsSkippedAndWhatItHoldsIsNotRaisedAgainOnceItMay() throws Exception {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("posix"));
        Path probe = Files.createDirectories(home.resolve("probe"));
        Files.setPosixFilePermissions(probe, Set.of());
        boolean enforced = !Files.isReadable(probe);
        Files.setPosixFilePermissions(probe, PosixFilePermissions.fromString("rwx------"));
        assumeTrue(enforced, "permissions do not keep this user from reading a folder");

        Path drop = Files.createDirectories(home.resolve("models"));
        Path reports = Files.createDirectories(drop.resolve("reports"));
        Files.writeString(reports.resolve("a.zip"), "raised before its folder was locked");
        List<ObjectNode> raised = new CopyOnWriteArrayList<>();
        try (DropFolderWatcher watcher = watcher(settling(raised))) {
            watcher.start();
            awaitSize(raised, 1);
            Files.setPosixFilePermissions(reports, Set.of());
            try {
                Files.writeString(drop.resolve("package.zip"), "a package");
                awaitSize(raised, 2);
                Thread.sleep(200);
            } finally {
                Files.setPosixFilePermissions(reports, PosixFilePermissions.fromString("rwx------"));
            }
            Thread.sleep(200); // scans that read the folder again: what it holds was raised, and stays so
        }

        assertThat(raised).extracting(event -> event.get("subject").asText().replaceAll(".*/blobs/", ""))
                .containsExactly("reports/a.zip", "package.zip");
    }

    @Test
    void anEventSettledAfterTheWatcherClosedStillEntersTheLedger() throws Exception {
        List<Runnable> settle = new CopyOnWriteArrayList<>();
        try (DropFolderWatcher first = watcher((event, settled) -> settle.add(settled))) {
            first.start();
            Files.writeString(home.resolve("models").resolve("outcomes.csv"), "id,outcome");
            awaitSize(settle, 1);
        }
        // The host closes its drop folders before its event bus, which lets running deliveries finish.
        settle.get(0).run();

        List<ObjectNode> raised = new CopyOnWriteArrayList<>();
        try (DropFolderWatcher second = watcher(settling(raised))) {
            second.start();
            Thread.sleep(500);
        }
        assertThat(raised).isEmpty();
    }

    @Test
    void aLedgerThatCannotBeWrittenLeavesNoTemporaryFileBehindAndTheFileIsStillRaised() throws Exception {
        Path drop = home.resolve("models");
        Path state = Files.createDirectories(home.resolve("state"));
        Path ledger = state.resolve("drop-folder-raised.json");
        // A folder that is not empty where the ledger goes: moving the written ledger into place fails.
        Files.writeString(Files.createDirectories(ledger).resolve("in-the-way"), "x");
        List<ObjectNode> raised = new CopyOnWriteArrayList<>();
        try (DropFolderWatcher watcher = new DropFolderWatcher(drop, "models", Duration.ofMillis(20),
                (name, file) -> { }, settling(raised), Clock.systemUTC(), ledger)) {
            watcher.start();
            Files.writeString(drop.resolve("package.zip"), "a package");
            Instant deadline = Instant.now().plus(Duration.ofSeconds(30));
            while (raised.isEmpty() && Instant.now().isBefore(deadline)) {
                Thread.sleep(20);
            }
            Thread.sleep(200); // a few more scans, none of which raises it again
        }

        assertThat(raised).hasSize(1);
        try (Stream<Path> files = Files.list(state)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("drop-folder-raised.json");
        }
    }
}
