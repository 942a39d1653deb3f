package health.vigil.host;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BiConsumer;
import java.util.function.Predicate;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Watches the local blob container folder (the {@code models} drop folder) and raises BlobCreated for every
 * file once it is complete: its size and modification time unchanged across two checks at least one
 * interval apart. A WatchService makes new files show up quickly and a periodic scan catches anything the
 * WatchService misses (overflow, file systems without notifications). A folder removed and made again (the drop
 * folder itself or one inside it) is watched again once it reappears: the folder above the drop folder is watched for
 * it being made again. A folder moved away and replaced by another of its name is watched anew too: each scan compares
 * a folder's identity (its file key, the inode on Unix) with the one it was registered with. Names with a segment
 * starting with '.' are ignored, so writers can upload to a hidden temporary name and rename. Symbolic links are
 * ignored too, and a folder that cannot be read is skipped with what it holds (logged once, never by name) while the
 * rest is raised.
 *
 * <p>What was handled (each file's size and modification time) is kept in a ledger file outside the folder, so
 * a restart raises only files that are new or changed since: work already decided (a registration, a rejection
 * and its audit record, the unpacking of a hostile package) is not done again, while an upload that arrived
 * while the platform was down is still raised. A file enters the ledger once its event is settled (handled, refused
 * or dead-lettered after its last attempt), not when it is raised: one whose event was still on its way when the
 * host stopped or died is raised again at the next start, and its handler, idempotent, finishes what was begun.
 */
final class DropFolderWatcher implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(DropFolderWatcher.class.getName());

    private final BiConsumer<String, Path> publish;
    private final Path root;
    private final String container;
    private final Duration interval;
    private final Raise raise;
    private final Clock clock;
    private final ScheduledThreadPoolExecutor executor;
    private final Map<Path, Seen> candidates = new HashMap<>();
    /** Guards {@link #raised}, {@link #inFlight} and the ledger: events are settled on the bus's threads. */
    private final Object state = new Object();
    /** The files whose events were settled, as the ledger holds them. */
    private final Map<Path, Version> raised = new HashMap<>();
    /** The files raised and not settled yet: not raised again while their events are on their way. */
    private final Map<Path, Version> inFlight = new HashMap<>();
    /** The folders registered with the WatchService whose keys are still valid; touched by the scanner thread only. */
    private final Map<Path, Registration> watched = new HashMap<>();
    /** The key watching the folder above the root for the root being made again; null where there is none. */
    private volatile WatchKey parentKey;
    /** What the last scan could not read, so that each is logged once. */
    private Set<Path> unreadableBefore = Set.of();
    private final AtomicLong sequence = new AtomicLong();
    private final Path ledger;
    private WatchService watchService;
    private Thread watchThread;

    private record Version(long size, long modifiedNanos) {}

    private record Seen(Version version, Instant since) {}

    /**
     * A folder's watch and the identity of the folder it was made for: a watch follows its folder where it is moved
     * and stays valid there, so it is not the watch of another folder made under the old name.
     */
    private record Registration(WatchKey key, Object folderKey) {}

    /** Raises a BlobCreated event, and runs {@code settled} once it was handled for good (never if it was not). */
    @FunctionalInterface
    interface Raise {
        void raise(ObjectNode event, Runnable settled);
    }

    DropFolderWatcher(Path root, String container, Duration interval, Raise raise, Clock clock) {
        this(root, container, interval, (name, file) -> { }, raise, clock, null);
    }

    /**
     * @param publish called with the blob name and the complete file before BlobCreated is raised, to put it
     *     where the platform reads blobs from when that is not this folder (the storage emulator); if it fails
     *     the event is not raised and the next scan tries again
     * @param raise raises the event and says when it was settled (as the local event bus does); the file enters the
     *     ledger then
     */
    DropFolderWatcher(Path root, String container, Duration interval, BiConsumer<String, Path> publish,
            Raise raise, Clock clock, Path ledger) {
        this.ledger = ledger;
        this.publish = publish;
        this.root = root;
        this.container = container;
        this.interval = interval;
        this.raise = raise;
        this.clock = clock;
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "vigil-drop-folder");
            t.setDaemon(true);
            return t;
        });
    }

    void start() throws IOException {
        health.vigil.adapter.local.OwnerOnlyFiles.createFolders(root);
        loadLedger();
        try {
            watchService = FileSystems.getDefault().newWatchService();
            watchThread = new Thread(this::watch, "vigil-drop-folder-watch");
            watchThread.setDaemon(true);
            watchThread.start();
        } catch (IOException | UnsupportedOperationException e) {
            LOG.info(() -> "the drop folder is scanned every " + interval.toMillis() + " ms (no file notifications here)");
            watchService = null;
        }
        executor.scheduleWithFixedDelay(this::scanSafely, 0, interval.toNanos(), TimeUnit.NANOSECONDS);
    }

    private void watch() {
        try {
            while (!Thread.currentThread().isInterrupted()) {
                WatchKey key = watchService.take();
                List<WatchEvent<?>> events = key.pollEvents();
                boolean valid = key.reset();
                Runnable task = this::scanSafely;
                if (key == parentKey) {
                    if (valid && events.stream().noneMatch(this::concernsRoot)) {
                        continue; // another folder next to the drop folder
                    }
                } else if (!valid) {
                    // The folder was removed: forgotten, so that the scan that sees it made again registers it anew.
                    Path folder = (Path) key.watchable();
                    task = () -> {
                        // Unless the folder was registered anew since (a folder in its place): that watch is kept.
                        watched.computeIfPresent(folder, (path, registered) -> registered.key() == key ? null
                                : registered);
                        scanSafely();
                    };
                }
                try {
                    executor.execute(task);
                } catch (java.util.concurrent.RejectedExecutionException e) {
                    return;
                }
            }
        } catch (InterruptedException | ClosedWatchServiceException e) {
            // closing
        }
    }

    private boolean concernsRoot(WatchEvent<?> event) {
        return event.kind() == StandardWatchEventKinds.OVERFLOW
                || root.toAbsolutePath().getFileName().equals(event.context());
    }

    private void scanSafely() {
        try {
            scan();
        } catch (IOException | RuntimeException e) {
            LOG.log(Level.WARNING, "scanning the drop folder failed (" + e.getClass().getSimpleName() + "); retrying next interval");
        }
    }

    /** One check of the folder; runs on the single scanner thread only. */
    private void scan() throws IOException {
        Instant now = clock.instant();
        Set<Path> present = new HashSet<>();
        Map<Path, String> unreadable = new HashMap<>();
        List<Path> files = list(unreadable);
        for (Path path : files) {
            BasicFileAttributes attributes;
            try {
                // A link's own attributes: a link is neither a folder nor a file here, so it is not followed (a link
                // to a key elsewhere on the machine is never published or raised), as the file store never follows one.
                attributes = Files.readAttributes(path, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            } catch (NoSuchFileException gone) {
                continue;
            } catch (IOException e) {
                unreadable.put(path, e.getClass().getSimpleName());
                continue;
            }
            if (!attributes.isRegularFile()) {
                continue;
            }
            present.add(path);
            Version version = new Version(attributes.size(), attributes.lastModifiedTime().to(TimeUnit.NANOSECONDS));
            if (raisedOrOnItsWay(path, version)) {
                continue;
            }
            Seen seen = candidates.get(path);
            if (seen == null || !seen.version().equals(version)) {
                candidates.put(path, new Seen(version, now));
            } else if (!now.isBefore(seen.since().plus(interval))) {
                candidates.remove(path);
                synchronized (state) {
                    inFlight.put(path, version);
                }
                try {
                    raiseFor(path, attributes, now, () -> settled(path, version));
                } catch (RuntimeException e) {
                    synchronized (state) {
                        inFlight.remove(path, version);
                    }
                    LOG.warning(() -> "blob " + container + "/" + root.relativize(path) + " could not be published ("
                            + e.getClass().getSimpleName() + "); trying again at the next scan");
                }
            }
        }
        report(unreadable);
        candidates.keySet().retainAll(present);
        // A file not seen because its folder could not be read is not gone: it stays in the ledger, so it is not
        // raised again once the folder can be read.
        Predicate<Path> gone = path -> !present.contains(path)
                && unreadable.keySet().stream().noneMatch(path::startsWith);
        synchronized (state) {
            inFlight.keySet().removeIf(gone);
            if (raised.keySet().removeIf(gone)) {
                saveLedger();
            }
        }
    }

    /**
     * The files under the root, hidden ones left out; each folder read is registered for change notices first. A
     * folder that cannot be read (its permissions, a path longer than the system takes) is put in {@code unreadable}
     * with its failure and left out with what it holds, so that the rest is still raised.
     */
    private List<Path> list(Map<Path, String> unreadable) throws IOException {
        List<Path> found = new ArrayList<>();
        watchParent();
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path directory, BasicFileAttributes attributes) {
                if (!directory.equals(root) && hidden(root.relativize(directory))) {
                    return FileVisitResult.SKIP_SUBTREE;
                }
                // Registered before it is read, so a file put in it meanwhile is either read here or noticed.
                register(directory, attributes.fileKey());
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                if (!hidden(root.relativize(file))) {
                    found.add(file);
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException failure) {
                if (failure instanceof NoSuchFileException || !file.equals(root) && hidden(root.relativize(file))) {
                    return FileVisitResult.CONTINUE; // gone since its folder was listed, or hidden: nothing to read
                }
                unreadable.put(file, failure.getClass().getSimpleName());
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path directory, IOException failure) {
                if (failure != null) {
                    unreadable.put(directory, failure.getClass().getSimpleName()); // stopped part way through
                }
                return FileVisitResult.CONTINUE;
            }
        });
        return found;
    }

    /**
     * Logs what could not be read when it first could not be, by count and failure only: folder and file names may
     * hold patient data. Logged again only after it could be read in between.
     */
    private void report(Map<Path, String> unreadable) {
        Set<Path> fresh = new HashSet<>(unreadable.keySet());
        fresh.removeAll(unreadableBefore);
        if (!fresh.isEmpty()) {
            Set<String> failures = new TreeSet<>();
            fresh.forEach(path -> failures.add(unreadable.get(path)));
            LOG.warning(() -> "the " + container + " drop folder has " + fresh.size() + " unreadable "
                    + (fresh.size() == 1 ? "entry" : "entries") + " (" + String.join(", ", failures) + "), skipped with"
                    + " what they hold until they can be read; the rest is still raised");
        }
        unreadableBefore = Set.copyOf(unreadable.keySet());
    }

    private boolean raisedOrOnItsWay(Path path, Version version) {
        synchronized (state) {
            return version.equals(raised.get(path)) || version.equals(inFlight.get(path));
        }
    }

    /**
     * The event raised for this version of the file was settled: the file enters the ledger, unless it changed or went
     * away meanwhile (a newer version's event is then the one to wait for).
     */
    private void settled(Path path, Version version) {
        synchronized (state) {
            if (inFlight.remove(path, version)) {
                raised.put(path, version);
                saveLedger();
            }
        }
    }

    /** Reads what an earlier run raised; a missing or unreadable ledger means nothing was. */
    private void loadLedger() {
        if (ledger == null || !Files.isRegularFile(ledger)) {
            return;
        }
        try {
            JsonNode entries = Json.readTree("drop folder ledger", Files.readAllBytes(ledger));
            entries.fields().forEachRemaining(e -> raised.put(root.resolve(e.getKey()),
                    new Version(e.getValue().path("size").asLong(-1), e.getValue().path("modifiedNanos").asLong(-1))));
        } catch (IOException | RuntimeException e) {
            LOG.warning(() -> "the drop folder ledger could not be read (" + e.getClass().getSimpleName()
                    + "); every file present is raised again, which registration handles idempotently");
        }
    }

    /**
     * Writes the ledger whole to a 0600 temporary file and moves it into place; the temporary file is removed when
     * either fails. Called holding {@link #state}.
     */
    private void saveLedger() {
        if (ledger == null) {
            return;
        }
        ObjectNode entries = Json.mapper().createObjectNode();
        raised.forEach((path, version) -> entries.putObject(root.relativize(path).toString())
                .put("size", version.size()).put("modifiedNanos", version.modifiedNanos()));
        try {
            health.vigil.adapter.local.OwnerOnlyFiles.replace(ledger, Json.writeBytes(entries));
        } catch (IOException e) {
            LOG.warning(() -> "the drop folder ledger could not be written (" + e.getClass().getSimpleName()
                    + "); after a restart some files may be raised again");
        }
    }

    private void raiseFor(Path path, BasicFileAttributes attributes, Instant now, Runnable settled) {
        String name = root.relativize(path).toString().replace(path.getFileSystem().getSeparator(), "/");
        LocalStorageEvents.Blob blob = new LocalStorageEvents.Blob(container, name, attributes.size(),
                attributes.lastModifiedTime().toInstant(), LocalStorageEvents.contentType(name));
        publish.accept(name, path);
        ObjectNode event = LocalStorageEvents.blobCreated(blob, now, sequence.incrementAndGet());
        LOG.info(() -> "blob " + container + "/" + name + " is complete (" + blob.contentLength() + " bytes); raising "
                + "BlobCreated " + event.get("id").asText());
        raise.raise(event, settled);
    }

    /**
     * Registers {@code directory} unless it is registered already as the folder whose identity is {@code folderKey}; a
     * registration made for another folder of its name (one since moved away) is cancelled and replaced. Where the file
     * system gives no file key the identity is unknown and the registration is kept until its key is invalidated.
     */
    private void register(Path directory, Object folderKey) {
        Registration registered = watched.get(directory);
        if (watchService == null || registered != null
                && (folderKey == null || folderKey.equals(registered.folderKey()))) {
            return;
        }
        if (registered != null) {
            registered.key().cancel(); // it watches the folder moved away, wherever it went
            watched.remove(directory);
        }
        try {
            WatchKey key = directory.register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY);
            watched.put(directory, new Registration(key, folderKey));
        } catch (IOException | ClosedWatchServiceException e) {
            // The periodic scan still covers this folder.
        }
    }

    /**
     * Watches the folder above the root for the root being made again after it was removed (its own key is then no
     * longer valid); registered again by the scan if that folder was itself removed and made again.
     */
    private void watchParent() {
        Path parent = root.toAbsolutePath().getParent();
        WatchKey key = parentKey;
        if (watchService == null || parent == null || key != null && key.isValid()) {
            return;
        }
        try {
            parentKey = parent.register(watchService, StandardWatchEventKinds.ENTRY_CREATE);
        } catch (IOException | ClosedWatchServiceException e) {
            // The periodic scan still notices the root made again.
        }
    }

    private static boolean hidden(Path relative) {
        for (Path part : relative) {
            if (part.toString().startsWith(".")) {
                return true;
            }
        }
        return false;
    }

    @Override
    public void close() {
        executor.shutdownNow();
        if (watchThread != null) {
            watchThread.interrupt();
        }
        if (watchService != null) {
            try {
                watchService.close();
            } catch (IOException e) {
                // nothing left to release
            }
        }
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
