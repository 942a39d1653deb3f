package health.vigil.adapter.local;

import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.Printable;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.port.ArtifactStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Blobs as files at {@code {home}/blobs/{container}/{name}}. Content is streamed into
 * {@code {home}/blobs/.staging/}, hashed on the way, and only then moved into its container in one atomic
 * step, so a watcher of a container folder (the {@code models} drop folder) never sees a partial file.
 *
 * <p>The sha256 computed by {@link #put} is kept in {@code {home}/blobs/.meta/}, tied to the file's size,
 * modification time, identity and, where the platform gives it, change time, which no user can set; a file dropped or
 * edited by hand has no matching entry and is described with a null sha256, as the port allows, rather than with a
 * stale one. An entry whose file was deleted by hand is removed when a read finds the file gone and when the store is
 * opened, so that it cannot describe a file put there later by hand (an inode number is reused, and a copy can keep a
 * modification time).
 *
 * <p>A removal also removes the folders it leaves empty, up to the container's folder, as blob names have no
 * folders in Blob Storage (but not in the drop folders, whose folders people made); a put that finds a folder of its
 * name taken away meanwhile makes it again.
 */
final class FileArtifactStore implements ArtifactStore {
    public static final String FOLDER = "blobs";
    static final String STAGING = ".staging";
    static final String METADATA = ".meta";
    /** Locked (with {@link #replaceLock} inside this process) while a blob is replaced, overwritten or removed. */
    static final String REPLACE_LOCK = ".replace.lock";
    /** A file's change time ({@code st_ctime}), given by the "unix" attribute view on Linux and macOS. */
    private static final String CHANGE_TIME = "unix:ctime";
    private static final System.Logger LOG = System.getLogger(FileArtifactStore.class.getName());
    private static final Pattern CONTAINER = Pattern.compile("[a-z0-9](?:-?[a-z0-9])*");
    private static final String NON_PORTABLE = "<>:\"|?*";
    private static final int MAX_SEGMENT_BYTES = 255;
    /** Staging files this old belong to a put that died with its process; younger ones may still be written. */
    private static final Duration ABANDONED_AFTER = Duration.ofHours(24);
    /** A metadata entry taken aside ({@link #takenAsidePrefix}), with the time in milliseconds it was taken aside. */
    private static final Pattern TAKEN_ASIDE = Pattern.compile("aside-(\\d{1,18})-\\d+\\.json");

    private final Path root;
    private final Path staging;
    private final Path metadata;
    private final java.util.concurrent.locks.ReentrantLock replaceLock = new java.util.concurrent.locks.ReentrantLock();

    private FileArtifactStore(Path root) {
        this.root = root;
        this.staging = root.resolve(STAGING);
        this.metadata = root.resolve(METADATA);
    }

    /**
     * The store under {@code home}; removes staging files left behind by puts that died more than a day ago (and
     * metadata entries taken aside more than a day ago by reads that died), and the metadata of blobs whose files were
     * deleted by hand.
     */
    public static FileArtifactStore open(Path home) {
        Objects.requireNonNull(home, "home");
        FileArtifactStore store = new FileArtifactStore(home.toAbsolutePath().resolve(FOLDER));
        store.removeAbandonedStagingFiles();
        store.removeOrphanedMetadata();
        return store;
    }

    @Override
    public StoredArtifact put(String container, String name, InputStream content, boolean overwrite,
            String uploadedBy) {
        return write(container, name, content, overwrite ? Mode.OVERWRITE : Mode.CREATE, null, uploadedBy, true);
    }

    /** Written as {@link #put} writes, with no sha256 computed or kept: described with none. */
    @Override
    public StoredArtifact putUndigested(String container, String name, InputStream content, boolean overwrite) {
        return write(container, name, content, overwrite ? Mode.OVERWRITE : Mode.CREATE, null, null, false);
    }

    /**
     * The check of the current ETag and the move into place are one step under the store's replace lock (a lock in
     * this process and a lock on a file for other processes), which overwriting puts take too.
     */
    @Override
    public StoredArtifact replace(String container, String name, InputStream content, String ifMatch) {
        Objects.requireNonNull(ifMatch, "ifMatch");
        return write(container, name, content, Mode.REPLACE, ifMatch, null, true);
    }

    private enum Mode { CREATE, OVERWRITE, REPLACE }

    private StoredArtifact write(String container, String name, InputStream content, Mode mode, String ifMatch,
            String uploadedBy, boolean digested) {
        Path target = blobPath(container, name);
        Objects.requireNonNull(content, "content");
        Path temp;
        try {
            temp = OwnerOnlyFiles.createTempFile(staging, "put-", ".part");
        } catch (IOException e) {
            throw new StoreException("cannot create a staging file in " + staging + " for blob " + container + "/"
                    + name + ": check that the Vigil home folder is writable and the disk is not full", e);
        }
        boolean moved = false;
        try {
            MessageDigest digest = digested ? Sha256.newDigest() : null;
            long size = copy(content, temp, digest, container, name);
            BasicFileAttributes staged = Files.readAttributes(temp, BasicFileAttributes.class);
            boolean foldersMade = tryCreateParentFolders(target, container, name);
            if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
                throw nameIsFolder(container, name);
            }
            if (mode == Mode.CREATE) {
                if (!foldersMade || !tryCreateWithoutReplacing(target, temp, container, name)) {
                    // A removal emptied and removed a folder of the name between its creation and the link. Removals
                    // remove folders only under the replace lock, so under it the folders made again stay.
                    underReplaceLock(() -> {
                        createParentFolders(target, container, name);
                        createWithoutReplacing(target, temp, container, name);
                        return null;
                    });
                }
                deleteQuietly(temp); // before the change time is recorded: removing a link of the file changes it
            } else {
                underReplaceLock(() -> {
                    createParentFolders(target, container, name);
                    if (mode == Mode.REPLACE && !describe(container, name).map(StoredArtifact::etag)
                            .filter(ifMatch::equals).isPresent()) {
                        throw new ConflictException(ErrorCode.CONFLICT, "blob " + container + "/" + name
                                + " changed or was removed since it was read; read it again before replacing it");
                    }
                    Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                    return null;
                });
                moved = true;
            }
            syncFolder(target.getParent());
            String sha256 = digested ? Sha256.hex(digest) : null;
            recordPlaced(container, name, target, staged, sha256, uploadedBy);
            return new StoredArtifact(container, name, size, sha256, etag(nanos(staged.lastModifiedTime()), size,
                    fileKey(staged)), uploadedBy != null ? uploadedBy : owner(target),
                    staged.lastModifiedTime().toInstant());
        } catch (AtomicMoveNotSupportedException e) {
            throw new StoreException("cannot move blob " + container + "/" + name + " into place atomically: "
                    + staging + " and the container folder must be on the same file system", e);
        } catch (IOException e) {
            throw new StoreException("cannot store blob " + container + "/" + name + " under " + root
                    + ": check that the folder is writable and the disk is not full", e);
        } finally {
            if (!moved) {
                deleteQuietly(temp);
            }
        }
    }

    @Override
    public InputStream open(String container, String name) {
        Path target = blobPath(container, name);
        if (!Files.isRegularFile(target, LinkOption.NOFOLLOW_LINKS)) {
            throw notFoundForgetting(container, name);
        }
        try {
            return Files.newInputStream(target);
        } catch (NoSuchFileException e) {
            throw notFoundForgetting(container, name);
        } catch (IOException e) {
            throw new StoreException("cannot read blob " + container + "/" + name + " under " + root
                    + ": check the file's permissions", e);
        }
    }

    /** The sha256 kept in the metadata folder was computed by {@link #put}, and is not given once the file changes. */
    @Override
    public boolean computesItsOwnSha256() {
        return true;
    }

    @Override
    public Optional<StoredArtifact> describe(String container, String name) {
        Path target = blobPath(container, name);
        BasicFileAttributes attributes;
        try {
            attributes = Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
            forgetIfGone(container, name);
            return Optional.empty();
        } catch (IOException e) {
            if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
                forgetIfGone(container, name);
                return Optional.empty(); // e.g. ENOTDIR: a part of the name is a blob, not a folder
            }
            throw new StoreException("cannot read the attributes of blob " + container + "/" + name + " under " + root,
                    e);
        }
        return attributes.isRegularFile() ? Optional.of(artifact(container, name, attributes)) : Optional.empty();
    }

    /**
     * Under the replace lock, so that no removal comes between a conditional removal's check and its own: what that
     * check saw stays the blob until it is removed (a create cannot take a name that is still a blob's).
     */
    @Override
    public void delete(String container, String name) {
        Path target = blobPath(container, name);
        try {
            underReplaceLock(() -> remove(target, container, name));
        } catch (IOException e) {
            throw cannotRemove(container, name, e);
        }
    }

    /**
     * The check of the current ETag and the removal are one step under the store's replace lock, as for
     * {@link #replace}: a replace, an overwrite or another removal cannot come between them.
     */
    @Override
    public boolean delete(String container, String name, String ifMatch) {
        Objects.requireNonNull(ifMatch, "ifMatch");
        Path target = blobPath(container, name);
        try {
            return underReplaceLock(() -> {
                Optional<StoredArtifact> now = describe(container, name);
                if (now.isEmpty()) {
                    return false;
                }
                if (!now.get().etag().equals(ifMatch)) {
                    throw ArtifactStore.changedSinceRead(container, name);
                }
                return remove(target, container, name);
            });
        } catch (IOException e) {
            throw cannotRemove(container, name, e);
        }
    }

    /**
     * Removes a blob's metadata and then its file, so that a blob created under the name once the file is gone keeps
     * the metadata its put writes, and then the folders the file leaves empty. True when the file was there.
     */
    private boolean remove(Path target, String container, String name) throws IOException {
        Files.deleteIfExists(metadataPath(container, name));
        if (!Files.deleteIfExists(target)) {
            return false;
        }
        if (!DROP_FOLDERS.contains(container)) {
            removeEmptiedFolders(target.getParent(), root.resolve(container));
        }
        return true;
    }

    /**
     * The containers people drop files into by hand locally (a model package, an outcome file, a batch file into
     * {@code batch-input/readmission/}): their folders are the people's, made once and kept when a removal empties
     * them, so a folder someone drops files into is still there the next day.
     */
    private static final Set<String> DROP_FOLDERS = Set.of(MODELS, OUTCOMES, BATCH_INPUT);

    /**
     * Removes {@code folder} and its parents while they are empty, never {@code container} itself (nor any folder of
     * the {@linkplain #DROP_FOLDERS drop folders}). Called under the
     * replace lock. A folder that a put has written into meanwhile is not empty and stays, with its parents; a folder
     * that cannot be removed (its permissions) stays too: the blob is removed all the same.
     */
    private static void removeEmptiedFolders(Path folder, Path container) {
        for (Path dir = folder; dir.startsWith(container) && !dir.equals(container); dir = dir.getParent()) {
            if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                return; // a link to a folder elsewhere, made by hand, is not the store's to remove
            }
            try {
                Files.delete(dir);
            } catch (NoSuchFileException e) {
                // removed by hand meanwhile: its parent may be empty now
            } catch (IOException e) {
                return; // DirectoryNotEmptyException: a put wrote into it, or it holds other blobs
            }
        }
    }

    /** A blob found missing: its metadata, if a file deleted by hand left some, is removed as the blob is reported. */
    private NotFoundException notFoundForgetting(String container, String name) {
        forgetIfGone(container, name);
        return notFound(container, name);
    }

    /**
     * Removes the metadata entry of a blob whose file is gone (deleted by hand, or removed by a removal that ran while a
     * put was between moving its file into place and recording it). The replace lock would not help: a put that
     * creates a blob writes its file and then its entry without taking it. So the entry is first taken aside in one
     * atomic rename and the file looked for again: an entry that a put wrote meanwhile was written after its file was
     * in place, so if the file is still missing the entry taken aside describes none; if the file is there now, the
     * entry goes back unless the put has already written a newer one. A reader in that short moment finds no sha256,
     * which the port allows.
     */
    private void forgetIfGone(String container, String name) {
        Path entry = metadataPath(container, name);
        if (!Files.exists(entry, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Path aside = takeAside(entry);
        if (aside != null) {
            settleTakenAside(entry, aside, !Files.exists(blobPath(container, name), LinkOption.NOFOLLOW_LINKS));
        }
    }

    /**
     * Moves a metadata entry to a new 0600 name in staging, named by the time it is taken aside, in one step; null when
     * it is gone already or cannot be.
     */
    private Path takeAside(Path entry) {
        try {
            Path aside = OwnerOnlyFiles.createTempFile(staging, takenAsidePrefix(Instant.now()), ".json");
            try {
                Files.move(entry, aside, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                return aside;
            } catch (IOException e) {
                deleteQuietly(aside);
                return null; // NoSuchFile: another read or a removal took it first
            }
        } catch (IOException e) {
            return null; // kept: an entry that stays only costs its few bytes, and the next open tries again
        }
    }

    /**
     * How a metadata entry taken aside is named: by the time it was taken aside, which the staging sweep judges it by
     * (it keeps the modification time it was written with).
     */
    static String takenAsidePrefix(Instant at) {
        return "aside-" + at.toEpochMilli() + "-";
    }

    /**
     * Removes an entry taken aside when its file is gone; otherwise puts it back, unless a put wrote a newer one in the
     * meantime (link(2) does not replace it).
     */
    private static void settleTakenAside(Path entry, Path aside, boolean fileGone) {
        try {
            if (!fileGone) {
                Files.createLink(entry, aside);
            }
        } catch (IOException e) {
            // FileAlreadyExists: the put recorded the file anew, which is the entry to keep
        } finally {
            deleteQuietly(aside);
        }
    }

    /**
     * Removes the metadata entries of files deleted by hand: those no file of the store's containers is named for. The
     * entries name no blob (their names are hashes), so the containers are read once to find such entries and once more
     * after they are taken aside, as {@link #forgetIfGone} does for one blob: an entry whose file a put made meanwhile
     * is put back.
     */
    private void removeOrphanedMetadata() {
        List<Path> entries;
        try (var files = Files.list(metadata)) {
            entries = files.filter(f -> f.getFileName().toString().endsWith(".json")).toList();
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not read the blob metadata folder " + metadata, e);
            return;
        }
        try {
            Set<String> present = presentEntryNames();
            Map<Path, Path> takenAside = new HashMap<>();
            for (Path entry : entries) {
                if (!present.contains(entry.getFileName().toString())) {
                    Path aside = takeAside(entry);
                    if (aside != null) {
                        takenAside.put(entry, aside);
                    }
                }
            }
            if (takenAside.isEmpty()) {
                return;
            }
            Set<String> presentNow = presentEntryNames();
            takenAside.forEach((entry, aside) -> settleTakenAside(entry, aside,
                    !presentNow.contains(entry.getFileName().toString())));
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not read the blob containers under " + root
                    + " to remove the metadata of files deleted by hand; the next start tries again", e);
        }
    }

    /** The names of the metadata entries of every file now in a container, whether an entry exists or not. */
    private Set<String> presentEntryNames() throws IOException {
        Set<String> names = new HashSet<>();
        List<Path> containers;
        try (var folders = Files.list(root)) {
            containers = folders.filter(f -> CONTAINER.matcher(f.getFileName().toString()).matches()
                    && Files.isDirectory(f, LinkOption.NOFOLLOW_LINKS)).toList();
        }
        for (Path folder : containers) {
            String container = folder.getFileName().toString();
            Files.walkFileTree(folder, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    names.add(metadataPath(container, blobName(folder.relativize(file))).getFileName().toString());
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e; // a folder that cannot be read may hold files: no entry is judged on a partial reading
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e == null || e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }
            });
        }
        return names;
    }

    private StoreException cannotRemove(String container, String name, IOException e) {
        return new StoreException("cannot remove blob " + container + "/" + name + " under " + root
                + ": check the folder's permissions", e);
    }

    /** A step that reads and writes files. */
    @FunctionalInterface
    private interface FileStep<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code step} holding the replace lock: {@link #replaceLock} against this process's other threads and a lock
     * on {@value #REPLACE_LOCK} against other processes.
     */
    private <T> T underReplaceLock(FileStep<T> step) throws IOException {
        replaceLock.lock();
        try (FileChannel lockFile = FileChannel.open(OwnerOnlyFiles.createFileIfAbsent(root.resolve(REPLACE_LOCK)),
                StandardOpenOption.WRITE)) {
            FileLock held = lockFile.lock();
            try {
                return step.run();
            } finally {
                held.release();
            }
        } finally {
            replaceLock.unlock();
        }
    }

    /** The blobs of a container whose names start with {@code prefix} (null: all), in name order. */
    @Override
    public List<StoredArtifact> list(String container, String prefix) {
        validateContainer(container);
        String wanted = prefix == null ? "" : prefix;
        if (wanted.indexOf('\\') >= 0 || hasControlCharacter(wanted)) {
            throw new ValidationException("the blob prefix contains a backslash or a control character; blob names"
                    + " separate folders with '/'");
        }
        Path folder = root.resolve(container);
        if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            return List.of();
        }
        List<StoredArtifact> found = new ArrayList<>();
        try {
            Files.walkFileTree(folder, new SimpleFileVisitor<>() {
                /** A folder none of whose blobs can start with the prefix is not walked (a container may be large). */
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
                    if (dir.equals(folder)) {
                        return FileVisitResult.CONTINUE;
                    }
                    String inside = blobName(folder.relativize(dir)) + "/";
                    return inside.startsWith(wanted) || wanted.startsWith(inside) ? FileVisitResult.CONTINUE
                            : FileVisitResult.SKIP_SUBTREE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                    if (attributes.isRegularFile()) {
                        String name = blobName(folder.relativize(file));
                        if (name.startsWith(wanted)) {
                            found.add(artifact(container, name, attributes));
                        }
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
                    if (e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE; // replaced or removed while we walked
                    }
                    throw e;
                }

                /** A folder a removal emptied and removed while it was read ends its reading with NoSuchFile. */
                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                    if (e == null || e instanceof NoSuchFileException) {
                        return FileVisitResult.CONTINUE;
                    }
                    throw e;
                }
            });
        } catch (IOException e) {
            throw new StoreException("cannot list container " + container + " under " + root, e);
        }
        found.sort(Comparator.comparing(StoredArtifact::name));
        return List.copyOf(found);
    }

    /**
     * What {@link #put} recorded about a blob's file, to recognise the same file later. {@code changedNanos} is null
     * where the platform gives no change time, and in entries written before it was recorded.
     */
    record BlobMetadata(String sha256, long size, long modifiedNanos, String fileKey, Long changedNanos,
            String uploadedBy) {

        /** Whether a file with these attributes has the size, modification time and identity recorded. */
        boolean matches(BasicFileAttributes attributes) {
            return size == attributes.size() && modifiedNanos == nanos(attributes.lastModifiedTime())
                    && Objects.equals(fileKey, FileArtifactStore.fileKey(attributes));
        }

        /**
         * Whether this entry describes {@code file}, whose attributes were just read: they match, and so does the
         * change time when one was recorded. A hand edit can keep the size and the modification time (set back by
         * {@code touch -d} or {@code cp -p}) and a new file can get a freed inode number, but every change sets a new
         * change time. The change time is read after the attributes, so a file replaced in between has a later one.
         */
        boolean recordedFor(Path file, BasicFileAttributes attributes) {
            if (!matches(attributes)) {
                return false;
            }
            if (changedNanos == null) {
                return true;
            }
            try {
                return changedNanos.equals(changeNanos(file));
            } catch (IOException e) {
                return false; // removed since its attributes were read
            }
        }
    }

    /**
     * The operating-system user owning a blob's file: who dropped it into the folder. The platform's own writes
     * are owned by the user running it.
     */
    private static String owner(Path file) {
        return LocalAdapters.pipelineIdentity(file);
    }

    /**
     * How far a blob's write runs ahead of what is forced to disk. A large blob (a batch job's merged results, a
     * model package, a batch file) is forced in steps of this size on a background thread while the rest is read,
     * digested and written, so the final force waits only for the last step: the disk's time overlaps the copy's
     * instead of following it (docs/benchmarks.md, "Eighth round"). Smaller blobs are forced once, at the end.
     */
    static final long FLUSH_STEP_BYTES = 16L << 20;
    private static final java.util.concurrent.ExecutorService FLUSHER = java.util.concurrent.Executors
            .newCachedThreadPool(task -> {
                Thread t = new Thread(task, "vigil-blob-flush");
                t.setDaemon(true);
                return t;
            });

    /** Copies {@code content} into {@code temp}, digesting it on the way unless {@code digest} is null. */
    private long copy(InputStream content, Path temp, MessageDigest digest, String container, String name)
            throws IOException {
        return copy(content, temp, digest, container, name, FLUSH_STEP_BYTES);
    }

    static long copy(InputStream content, Path temp, MessageDigest digest, String container, String name,
            long flushStep) throws IOException {
        byte[] buffer = new byte[64 * 1024];
        long size = 0;
        long forcedUpTo = 0;
        java.util.concurrent.Future<?> forcing = null;
        try (FileChannel out = FileChannel.open(temp, StandardOpenOption.WRITE)) {
            try {
                while (true) {
                    int n;
                    try {
                        n = content.read(buffer);
                    } catch (IOException e) {
                        throw new StoreException("reading the content of blob " + container + "/" + name + " failed"
                                + " before its end; nothing was stored: send it again", e);
                    }
                    if (n < 0) {
                        break;
                    }
                    if (digest != null) {
                        digest.update(buffer, 0, n);
                    }
                    ByteBuffer chunk = ByteBuffer.wrap(buffer, 0, n);
                    while (chunk.hasRemaining()) {
                        out.write(chunk);
                    }
                    size += n;
                    if (size - forcedUpTo >= flushStep && (forcing == null || forcing.isDone())) {
                        awaitForced(forcing);
                        forcedUpTo = size;
                        forcing = FLUSHER.submit(() -> {
                            out.force(false);
                            return null;
                        });
                    }
                }
            } catch (IOException | RuntimeException | Error e) {
                // Never closed under a force in flight.
                try {
                    awaitForced(forcing);
                } catch (IOException | RuntimeException f) {
                    e.addSuppressed(f);
                }
                throw e;
            }
            // A failed step fails the blob: the kernel reports a write-back error to one force only.
            awaitForced(forcing);
            // On disk before it becomes visible: a blob that a watcher sees must survive a crash whole.
            out.force(true);
        }
        return size;
    }

    /** Waits for a background force step; its failure is the blob's. */
    private static void awaitForced(java.util.concurrent.Future<?> forcing) throws IOException {
        if (forcing == null) {
            return;
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    forcing.get();
                    return;
                } catch (InterruptedException e) {
                    interrupted = true; // the step is waited for all the same: the channel is closed after it
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof IOException io) {
                        throw io;
                    }
                    throw new IOException("forcing the blob to disk failed", e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** link(2) fails when the target exists, so the existence check and the creation are one atomic step. */
    private static void createWithoutReplacing(Path target, Path temp, String container, String name)
            throws IOException {
        try {
            Files.createLink(target, temp);
        } catch (FileAlreadyExistsException e) {
            throw new ConflictException(ErrorCode.CONFLICT, "blob " + container + "/" + name + " already exists and"
                    + " is not replaced; upload under another name, or overwrite it where that is allowed");
        } catch (UnsupportedOperationException e) {
            throw new StoreException("the file system under the Vigil home does not support hard links, which the"
                    + " local blob store needs to create a blob without replacing another; put the home folder on a"
                    + " local disk", e);
        }
    }

    /**
     * {@link #createParentFolders}, false when a removal took a folder of the path away while it was made (a removal
     * that emptied it), or when a folder seemed to stand where a file was in the moment between another put making it
     * and a removal taking it away: the caller makes them again under the replace lock, where no removal takes a
     * folder away, so a file that really stands in the way is refused there.
     */
    private boolean tryCreateParentFolders(Path target, String container, String name) throws IOException {
        try {
            createParentFolders(target, container, name);
            return true;
        } catch (NoSuchFileException | ConflictException e) {
            return false;
        }
    }

    /**
     * {@link #createWithoutReplacing}, false when the blob's folder was removed since it was made. The folder is not
     * looked at again here: another put may have made it again meanwhile. The caller tries once more under the replace
     * lock, where no removal takes a folder away, so a folder that is really missing fails there.
     */
    private static boolean tryCreateWithoutReplacing(Path target, Path temp, String container, String name)
            throws IOException {
        try {
            createWithoutReplacing(target, temp, container, name);
            return true;
        } catch (NoSuchFileException e) {
            return false;
        }
    }

    /** Throws NoSuchFileException when a folder of the path was removed while the next one was made in it. */
    private void createParentFolders(Path target, String container, String name) throws IOException {
        try {
            OwnerOnlyFiles.createFolders(target.getParent());
        } catch (NoSuchFileException e) {
            throw e;
        } catch (FileAlreadyExistsException e) {
            throw new ConflictException(ErrorCode.CONFLICT, "blob " + container + "/" + name + " needs a folder where"
                    + " another blob is stored as a file; the local store cannot keep a blob named like a folder of"
                    + " other blobs: choose another name");
        } catch (FileSystemException e) {
            if (!Files.isDirectory(target.getParent())) {
                throw new ConflictException(ErrorCode.CONFLICT, "blob " + container + "/" + name + " needs a folder"
                        + " where another blob is stored as a file; choose another name");
            }
            throw e;
        }
    }

    private static ConflictException nameIsFolder(String container, String name) {
        return new ConflictException(ErrorCode.CONFLICT, "blob " + container + "/" + name + " would replace a folder"
                + " holding other blobs; the local store cannot keep both: choose another name");
    }

    private StoredArtifact artifact(String container, String name, BasicFileAttributes attributes) {
        long size = attributes.size();
        Path file = blobPath(container, name);
        BlobMetadata meta = readMetadata(container, name);
        boolean same = meta != null && meta.recordedFor(file, attributes);
        // What put recorded holds only for the file put wrote; a file replaced since belongs to its owner.
        String uploadedBy = same && meta.uploadedBy() != null ? meta.uploadedBy() : owner(file);
        return new StoredArtifact(container, name, size, same ? meta.sha256() : null,
                etag(nanos(attributes.lastModifiedTime()), size, fileKey(attributes)), uploadedBy,
                attributes.lastModifiedTime().toInstant());
    }

    /**
     * Records the sha256 of the file a put moved to {@code target}, with the change time the move gave it, unless the
     * file there is no longer that one: another put moved its own file there (and records it), or a removal came first.
     */
    private void recordPlaced(String container, String name, Path target, BasicFileAttributes staged, String sha256,
            String uploadedBy) {
        BlobMetadata meta;
        try {
            // Read before the attributes that show the file is still put's: a file placed since has a later one.
            Long changed = changeNanos(target);
            meta = new BlobMetadata(sha256, staged.size(), nanos(staged.lastModifiedTime()), fileKey(staged), changed,
                    uploadedBy);
            if (!meta.matches(Files.readAttributes(target, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS))) {
                return;
            }
        } catch (NoSuchFileException e) {
            return;
        } catch (IOException e) {
            warnNotRecorded(container, name, e);
            return;
        }
        writeMetadata(container, name, meta);
    }

    /**
     * The file's change time in nanoseconds, which every write, rename, link and change of its times or permissions
     * sets to the clock's time and no user can set; null on a platform that does not give it (Windows).
     */
    private static Long changeNanos(Path file) throws IOException {
        try {
            return nanos((FileTime) Files.getAttribute(file, CHANGE_TIME, LinkOption.NOFOLLOW_LINKS));
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            return null;
        }
    }

    private void writeMetadata(String container, String name, BlobMetadata meta) {
        Path file = metadataPath(container, name);
        Path temp = null;
        try {
            OwnerOnlyFiles.createFolders(file.getParent());
            temp = OwnerOnlyFiles.createTempFile(staging, "meta-", ".part");
            Files.write(temp, Json.writeBytes(meta));
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            temp = null;
        } catch (IOException e) {
            warnNotRecorded(container, name, e);
        } finally {
            if (temp != null) {
                deleteQuietly(temp);
            }
        }
    }

    /**
     * The blob itself is stored and durable; without its metadata it is only described without a sha256 (which the
     * port allows), so failing the put here would mislead the caller.
     */
    private static void warnNotRecorded(String container, String name, IOException e) {
        LOG.log(System.Logger.Level.WARNING, "could not record the sha256 of blob " + container + "/" + name
                + "; it will be described without one", e);
    }

    private BlobMetadata readMetadata(String container, String name) {
        Path file = metadataPath(container, name);
        try {
            return Json.read("blob metadata", Files.readAllBytes(file), BlobMetadata.class);
        } catch (NoSuchFileException e) {
            return null;
        } catch (IOException | ValidationException e) {
            return null; // a cache entry that cannot be read is as good as none
        }
    }

    /** Flat and hashed, so no blob name (say {@code a} beside {@code a.json/b}) can clash with another's entry. */
    private Path metadataPath(String container, String name) {
        return metadata.resolve(Sha256.hex(container + "/" + name) + ".json");
    }

    private Path blobPath(String container, String name) {
        validateContainer(container);
        validateName(name);
        Path folder = root.resolve(container);
        Path path = folder.resolve(name).normalize();
        if (!path.startsWith(folder) || path.equals(folder)) {
            // The name is not echoed: it may come from a caller (an event's subject) and carry anything.
            throw new ValidationException("the blob name points outside container " + container);
        }
        return path;
    }

    static void validateContainer(String container) {
        if (container == null || container.length() < 3 || container.length() > 63
                || !CONTAINER.matcher(container).matches()) {
            throw new ValidationException("container " + printable(container) + " is not valid: use 3-63 lower-case"
                    + " letters, digits and single hyphens, starting and ending with a letter or digit");
        }
    }

    /** {@link ArtifactStore#requireValidName}, and what every file system can store. */
    static void validateName(String name) {
        ArtifactStore.requireValidName(name);
        for (char c : NON_PORTABLE.toCharArray()) {
            if (name.indexOf(c) >= 0) {
                throw new ValidationException("the blob name contains '" + c + "', which not"
                        + " every file system can store; use letters, digits, '-', '_', '.' and '/'");
            }
        }
        for (String segment : name.split("/", -1)) {
            if (segment.getBytes(StandardCharsets.UTF_8).length > MAX_SEGMENT_BYTES) {
                throw new ValidationException("the blob name has a part longer than "
                        + MAX_SEGMENT_BYTES + " bytes between '/'; shorten it");
            }
        }
    }

    private void removeAbandonedStagingFiles() {
        if (!Files.isDirectory(staging)) {
            return;
        }
        Instant cutoff = Instant.now().minus(ABANDONED_AFTER);
        try (var files = Files.list(staging)) {
            files.filter(f -> isAbandoned(f, cutoff)).forEach(FileArtifactStore::deleteQuietly);
        } catch (IOException e) {
            LOG.log(System.Logger.Level.WARNING, "could not clean the blob staging folder " + staging, e);
        }
    }

    /**
     * A metadata entry taken aside keeps the modification time it was written with, perhaps long ago, so it is judged
     * by the time in its name, set before it was taken aside: one that a read or another process's open is settling is
     * not taken for a put that died, and one a crash left behind goes a day after. Other staging files are written
     * while they are young and judged by their modification time.
     */
    private static boolean isAbandoned(Path file, Instant cutoff) {
        java.util.regex.Matcher takenAside = TAKEN_ASIDE.matcher(file.getFileName().toString());
        if (takenAside.matches()) {
            return Instant.ofEpochMilli(Long.parseLong(takenAside.group(1))).isBefore(cutoff);
        }
        return isOlderThan(file, cutoff);
    }

    private static boolean isOlderThan(Path file, Instant cutoff) {
        try {
            return Files.getLastModifiedTime(file, LinkOption.NOFOLLOW_LINKS).toInstant().isBefore(cutoff);
        } catch (IOException e) {
            return false;
        }
    }

    /** Makes the new directory entry durable; only some platforms can open a folder to sync it. */
    private static void syncFolder(Path folder) {
        try (FileChannel channel = FileChannel.open(folder, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            // Windows cannot open a directory as a channel; NTFS journals the rename itself.
        }
    }

    private static String blobName(Path relative) {
        StringBuilder name = new StringBuilder();
        for (Path part : relative) {
            if (name.length() > 0) {
                name.append('/');
            }
            name.append(part);
        }
        return name.toString();
    }

    /** Changes whenever the file is replaced or rewritten: a new identity, size or modification time. */
    private static String etag(long modifiedNanos, long size, String fileKey) {
        return "\"" + Sha256.hex(modifiedNanos + "|" + size + "|" + fileKey).substring(0, 32) + "\"";
    }

    private static long nanos(FileTime time) {
        return time.to(TimeUnit.NANOSECONDS);
    }

    private static String fileKey(BasicFileAttributes attributes) {
        Object key = attributes.fileKey();
        return key == null ? null : key.toString();
    }

    private static boolean hasControlCharacter(String s) {
        return s.chars().anyMatch(c -> c < 0x20 || c == 0x7f);
    }

    private static NotFoundException notFound(String container, String name) {
        return new NotFoundException(ErrorCode.NOT_FOUND, "blob " + container + "/" + name + " does not exist; list"
                + " the container to see what it holds");
    }

    private static String printable(String value) {
        return value == null ? "(none)" : "'" + Printable.of(value, 100) + "'";
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException e) {
            // A leftover staging file is removed by a later open(); it never becomes visible as a blob.
        }
    }
}
