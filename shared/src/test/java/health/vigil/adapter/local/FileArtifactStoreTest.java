package health.vigil.adapter.local;

import static health.vigil.contract.ContractFixtures.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import health.vigil.error.ConflictException;
import health.vigil.error.NotFoundException;
import health.vigil.error.ValidationException;
import health.vigil.port.ArtifactStore;
import health.vigil.port.ArtifactStore.StoredArtifact;
import java.io.ByteArrayInputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** What the file store adds to the port's contract: the folder layout, staging, and hand-made files. */
class FileArtifactStoreTest {
    @TempDir
    Path home;

    private Path models() {
        return home.resolve("blobs").resolve(ArtifactStore.MODELS);
    }

    private static byte[] bytes(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static List<Path> filesUnder(Path folder) {
        if (!Files.isDirectory(folder)) {
            return List.of();
        }
        try (Stream<Path> files = Files.walk(folder)) {
            return files.filter(Files::isRegularFile).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void aBlobPutUndigestedIsDescribedWithoutASha256AndADigestedPutOfItGivesOneAgain() {
        FileArtifactStore store = FileArtifactStore.open(home);
        byte[] content = bytes(200_000, 4);

        StoredArtifact undigested = store.putUndigested(ArtifactStore.BATCH_OUTPUT, "job/000000.jsonl",
                new ByteArrayInputStream(content), false);

        assertThat(undigested.sha256()).isNull();
        assertThat(undigested.size()).isEqualTo(content.length);
        assertThat(store.describe(ArtifactStore.BATCH_OUTPUT, "job/000000.jsonl").orElseThrow().sha256()).isNull();
        StoredArtifact digested = store.put(ArtifactStore.BATCH_OUTPUT, "job/000000.jsonl",
                new ByteArrayInputStream(content), true);
        assertThat(digested.sha256()).isEqualTo(sha256(content));
        assertThat(store.describe(ArtifactStore.BATCH_OUTPUT, "job/000000.jsonl")).contains(digested);
    }

    @Test
    void aBlobForcedInStepsWhileItIsWrittenIsStoredByteForByteWithItsDigest() throws IOException {
        // Steps of 64 KiB over 5 MiB written in reads of uneven sizes: about eighty forces on the background thread,
        // each started while the copy goes on, the last waited for before the channel is closed.
        byte[] content = bytes(5 * 1024 * 1024 + 12_345, 7);
        Path temp = Files.createFile(home.resolve("staged.part"));
        java.security.MessageDigest digest = health.vigil.hash.Sha256.newDigest();
        InputStream uneven = new FilterInputStream(new ByteArrayInputStream(content)) {
            private int call;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, 1 + (call++ * 7_919) % 65_536));
            }
        };

        long size = FileArtifactStore.copy(uneven, temp, digest, ArtifactStore.BATCH_OUTPUT, "job/results.jsonl",
                64 * 1024);

        assertThat(size).isEqualTo(content.length);
        assertThat(Files.readAllBytes(temp)).isEqualTo(content);
        assertThat(health.vigil.hash.Sha256.hex(digest)).isEqualTo(sha256(content));
    }

    @Test
    void aBlobWhoseContentFailsAfterForcedStepsFailsWithTheReadsErrorAndStoresNothing() {
        FileArtifactStore store = FileArtifactStore.open(home);
        byte[] content = bytes((int) FileArtifactStore.FLUSH_STEP_BYTES * 2 + 1000, 8);
        InputStream failing = new FilterInputStream(new ByteArrayInputStream(content)) {
            private long read;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (read > FileArtifactStore.FLUSH_STEP_BYTES * 3 / 2) {
                    throw new IOException("connection reset");
                }
                int n = super.read(b, off, len);
                read += Math.max(n, 0);
                return n;
            }
        };

        assertThatThrownBy(() -> store.put(ArtifactStore.BATCH_OUTPUT, "job/results.jsonl", failing, true))
                .hasMessageContaining("failed before its end; nothing was stored")
                .satisfies(e -> assertThat(e.getSuppressed()).isEmpty());
        assertThat(store.describe(ArtifactStore.BATCH_OUTPUT, "job/results.jsonl")).isEmpty();
        assertThat(filesUnder(home.resolve("blobs").resolve(FileArtifactStore.STAGING))).isEmpty();
    }

    @Test
    void aWatcherOfTheContainerFolderNeverSeesAPartialFile() {
        FileArtifactStore store = FileArtifactStore.open(home);
        byte[] content = bytes(4 * 1024 * 1024, 3);
        List<List<Path>> containerDuringUpload = new ArrayList<>();
        List<List<Path>> stagingDuringUpload = new ArrayList<>();
        InputStream observed = new FilterInputStream(new ByteArrayInputStream(content)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                containerDuringUpload.add(filesUnder(models()));
                stagingDuringUpload.add(filesUnder(home.resolve("blobs").resolve(FileArtifactStore.STAGING)));
                return super.read(b, off, len);
            }
        };

        store.put(ArtifactStore.MODELS, "readmission-1.zip", observed, false);

        assertThat(containerDuringUpload).hasSizeGreaterThan(10).allSatisfy(files -> assertThat(files).isEmpty());
        assertThat(stagingDuringUpload.get(stagingDuringUpload.size() - 1)).hasSize(1);
        assertThat(filesUnder(models())).containsExactly(models().resolve("readmission-1.zip"));
        assertThat(filesUnder(home.resolve("blobs").resolve(FileArtifactStore.STAGING))).isEmpty();
    }

    @Test
    void keepsEachBlobAsAFileAtItsContainerAndName() throws IOException {
        FileArtifactStore store = FileArtifactStore.open(home);
        byte[] content = bytes(1000, 4);

        store.put(ArtifactStore.DATASETS, "reference/2026/readmission.parquet", new ByteArrayInputStream(content), false);

        assertThat(Files.readAllBytes(home.resolve("blobs/datasets/reference/2026/readmission.parquet")))
                .isEqualTo(content);
    }

    @Test
    void aFailedUploadLeavesNothingInStagingOrTheContainer() {
        FileArtifactStore store = FileArtifactStore.open(home);
        InputStream failing = new FilterInputStream(new ByteArrayInputStream(bytes(200_000, 5))) {
            private int reads;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (++reads == 2) {
                    throw new IOException("client went away");
                }
                return super.read(b, off, Math.min(len, 1000));
            }
        };

        assertThatThrownBy(() -> store.put(ArtifactStore.MODELS, "broken.zip", failing, false))
                .hasMessageContaining("nothing was stored");

        assertThat(filesUnder(models())).isEmpty();
        assertThat(filesUnder(home.resolve("blobs").resolve(FileArtifactStore.STAGING))).isEmpty();
    }

    @Test
    void aFileDroppedByHandIsABlobWhoseSha256IsUnknown() throws IOException {
        FileArtifactStore store = FileArtifactStore.open(home);
        Files.createDirectories(models());
        Files.write(models().resolve("dropped.zip"), bytes(300, 6));

        assertThat(store.list(ArtifactStore.MODELS, "")).singleElement().satisfies(a -> {
            assertThat(a.name()).isEqualTo("dropped.zip");
            assertThat(a.size()).isEqualTo(300);
            assertThat(a.sha256()).isNull();
            assertThat(a.etag()).isNotBlank();
        });
        assertThat(store.open(ArtifactStore.MODELS, "dropped.zip").readAllBytes()).isEqualTo(bytes(300, 6));
    }

    @Test
    void aBlobEditedByHandLosesItsRecordedSha256InsteadOfKeepingAStaleOne() throws IOException {
        FileArtifactStore store = FileArtifactStore.open(home);
        StoredArtifact stored = store.put(ArtifactStore.MODELS, "m.zip", new ByteArrayInputStream(bytes(300, 7)), false);
        Path file = models().resolve("m.zip");

        Files.write(file, bytes(300, 8)); // same size, same inode, new content
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(5)));

        StoredArtifact described = store.describe(ArtifactStore.MODELS, "m.zip").orElseThrow();
        assertThat(described.sha256()).isNull();
        assertThat(described.etag()).isNotEqualTo(stored.etag());
        assertThat(stored.sha256()).isEqualTo(sha256(bytes(300, 7)));
    }

    /**
     * Content written over a put's file in place, with its modification time set back: size, modification time and
     * identity are still the ones put recorded, and only the change time, which no user can set, tells the file
     * changed.
     */
    @Test
    void aBlobRewrittenByHandKeepingItsSizeModificationTimeAndIdentityLosesItsRecordedSha256() throws IOException {
        assumeTrue(FileSystems.getDefault().supportedFileAttributeViews().contains("unix"));
        FileArtifactStore store = FileArtifactStore.open(home);
        store.put(ArtifactStore.MODELS, "m.zip", new ByteArrayInputStream(bytes(300, 7)), false);
        Path file = models().resolve("m.zip");
        BasicFileAttributes put = Files.readAttributes(file, BasicFileAttributes.class);
        awaitChangeTimesAfter((FileTime) Files.getAttribute(file, "unix:ctime"));

        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.write(ByteBuffer.wrap(bytes(300, 8)), 0);
        }
        Files.setLastModifiedTime(file, put.lastModifiedTime());

        BasicFileAttributes edited = Files.readAttributes(file, BasicFileAttributes.class);
        assertThat(List.of(edited.size(), edited.lastModifiedTime(), edited.fileKey()))
                .isEqualTo(List.of(put.size(), put.lastModifiedTime(), put.fileKey()));
        assertThat(store.describe(ArtifactStore.MODELS, "m.zip").orElseThrow().sha256()).isNull();
        assertThat(store.list(ArtifactStore.MODELS, null)).singleElement()
                .satisfies(blob -> assertThat(blob.sha256()).isNull());
    }

    /**
     * Waits until a file written now gets a change time later than {@code changed}: file systems stamp it from a
     * clock that may move only every few milliseconds, and a person's edit comes later than that.
     */
    private void awaitChangeTimesAfter(FileTime changed) throws IOException {
        Path probe = home.resolve("clock-probe");
        do {
            Files.write(probe, new byte[1]);
        } while (((FileTime) Files.getAttribute(probe, "unix:ctime")).compareTo(changed) <= 0);
        Files.delete(probe);
    }

    @Test
    void anEntryRecordedWithoutAChangeTimeStillDescribesTheFileItWasRecordedFor() throws IOException {
        FileArtifactStore store = FileArtifactStore.open(home);
        StoredArtifact stored = store.put(ArtifactStore.MODELS, "m.zip", new ByteArrayInputStream(bytes(300, 7)),
                false);
        Path entry = metadataOf(ArtifactStore.MODELS, "m.zip");
        com.fasterxml.jackson.databind.node.ObjectNode recorded = (com.fasterxml.jackson.databind.node.ObjectNode)
                health.vigil.json.Json.mapper().readTree(Files.readAllBytes(entry));
        recorded.remove("changedNanos"); // as a build before the change time was recorded wrote it
        Files.write(entry, health.vigil.json.Json.mapper().writeValueAsBytes(recorded));

        assertThat(store.describe(ArtifactStore.MODELS, "m.zip")).contains(stored);
        assertThat(stored.sha256()).isEqualTo(sha256(bytes(300, 7)));
    }

    @Test
    void aBlobCannotAlsoBeAFolderOfOtherBlobs() {
        FileArtifactStore store = FileArtifactStore.open(home);
        store.put(ArtifactStore.MODELS, "a", new ByteArrayInputStream(new byte[1]), false);
        store.put(ArtifactStore.MODELS, "b/c", new ByteArrayInputStream(new byte[1]), false);

        assertThatThrownBy(() -> store.put(ArtifactStore.MODELS, "a/x", new ByteArrayInputStream(new byte[1]), true))
                .isInstanceOf(ConflictException.class).hasMessageContaining("choose another name");
        assertThatThrownBy(() -> store.put(ArtifactStore.MODELS, "b", new ByteArrayInputStream(new byte[1]), true))
                .isInstanceOf(ConflictException.class).hasMessageContaining("choose another name");
        assertThat(store.describe(ArtifactStore.MODELS, "b")).isEmpty();
        assertThat(store.describe(ArtifactStore.MODELS, "a/x")).isEmpty();
        assertThatThrownBy(() -> store.open(ArtifactStore.MODELS, "a/x")).isInstanceOf(NotFoundException.class);
        assertThat(store.list(ArtifactStore.MODELS, "")).extracting(StoredArtifact::name).containsExactly("a", "b/c");
    }

    @ParameterizedTest
    @ValueSource(strings = {"c:/windows/x.zip", "a:b", "what?.zip", "star*.zip", "pipe|.zip", "tab\there", "./a.zip"})
    void refusesNamesThatAreNotPortableFileNames(String bad) {
        FileArtifactStore store = FileArtifactStore.open(home);

        assertThatThrownBy(() -> store.put(ArtifactStore.MODELS, bad, new ByteArrayInputStream(new byte[1]), true))
                .isInstanceOf(ValidationException.class);
        assertThat(filesUnder(home)).isEmpty();
    }

    private static InputStream content(String text) {
        return new ByteArrayInputStream(text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static List<Path> foldersUnder(Path folder) throws IOException {
        try (Stream<Path> all = Files.walk(folder)) {
            return all.filter(p -> !p.equals(folder) && Files.isDirectory(p)).toList();
        }
    }

    @Test
    void aRemovalRemovesTheFoldersItEmptiedUpToTheContainerAndKeepsThoseStillHoldingBlobs() throws IOException {
        FileArtifactStore store = FileArtifactStore.open(home);
        Path output = home.resolve("blobs").resolve(ArtifactStore.BATCH_OUTPUT);
        String marker = "request-removals/" + sha256(new byte[] {1}) + "/run-1.json";
        store.put(ArtifactStore.BATCH_OUTPUT, marker, content("{}"), false);
        StoredArtifact chunk = store.put(ArtifactStore.BATCH_OUTPUT, "job-1/chunks/p0/000.jsonl", content("a"), false);
        store.put(ArtifactStore.BATCH_OUTPUT, "job-1/job.json", content("{}"), false);
        store.put(ArtifactStore.BATCH_OUTPUT, "job-2/job.json", content("{}"), false);

        store.delete(ArtifactStore.BATCH_OUTPUT, marker);
        assertThat(output.resolve("request-removals")).doesNotExist();

        assertThat(store.delete(ArtifactStore.BATCH_OUTPUT, chunk.name(), chunk.etag())).isTrue();
        assertThat(output.resolve("job-1/chunks")).doesNotExist();
        assertThat(output.resolve("job-1")).isDirectory();

        store.delete(ArtifactStore.BATCH_OUTPUT, "job-1/job.json");
        assertThat(foldersUnder(output)).containsExactly(output.resolve("job-2"));
        store.delete(ArtifactStore.BATCH_OUTPUT, "job-2/job.json");
        assertThat(output).isEmptyDirectory();

        store.put(ArtifactStore.BATCH_OUTPUT, "job-2/job.json", content("{}"), false);
        if (Files.getFileStore(output).supportsFileAttributeView("posix")) {
            assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(output.resolve("job-2"))))
                    .isEqualTo("rwx------");
        }
    }

    @Test
    void aRemovalKeepsTheFoldersOfTheContainersPeopleDropFilesInto() throws IOException {
        FileArtifactStore store = FileArtifactStore.open(home);
        for (String container : List.of(ArtifactStore.BATCH_INPUT, ArtifactStore.OUTCOMES, ArtifactStore.MODELS)) {
            StoredArtifact dropped = store.put(container, "readmission/nightly/2026-12-07.csv", content("a"), false);

            assertThat(store.delete(container, dropped.name(), dropped.etag())).isTrue();

            assertThat(home.resolve("blobs").resolve(container).resolve("readmission/nightly")).as(container)
                    .isEmptyDirectory();
        }
    }

    @Test
    void aRemovalLeavesNoMetadataOfTheBlobBehind() throws IOException {
        FileArtifactStore store = FileArtifactStore.open(home);
        Path metadata = home.resolve("blobs").resolve(FileArtifactStore.METADATA);
        StoredArtifact first = store.put(ArtifactStore.BATCH_OUTPUT, "job-1/chunks/000.jsonl", content("a"), false);
        store.put(ArtifactStore.BATCH_OUTPUT, "job-1/chunks/001.jsonl", content("b"), false);
        store.put(ArtifactStore.BATCH_OUTPUT, "job-2/job.json", content("{}"), false);

        assertThat(store.delete(ArtifactStore.BATCH_OUTPUT, first.name(), first.etag())).isTrue();
        store.delete(ArtifactStore.BATCH_OUTPUT, "job-1/chunks/001.jsonl");

        assertThat(foldersUnder(metadata)).isEmpty();
        assertThat(filesUnder(metadata)).hasSize(1);
        assertThat(store.describe(ArtifactStore.BATCH_OUTPUT, "job-2/job.json").orElseThrow().sha256())
                .isEqualTo(sha256("{}".getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private Path metadataOf(String container, String name) {
        return home.resolve("blobs").resolve(FileArtifactStore.METADATA)
                .resolve(health.vigil.hash.Sha256.hex(container + "/" + name) + ".json");
    }

    @Test
    void aFileDeletedByHandIsNoLongerPresentedAndItsMetadataIsRemovedOnceTheStoreLooksForIt() throws IOException {
        FileArtifactStore store = FileArtifactStore.open(home);
        store.put(ArtifactStore.MODELS, "gone.zip", content("a package"), false);
        StoredArtifact kept = store.put(ArtifactStore.MODELS, "kept.zip", content("another"), false);

        Files.delete(models().resolve("gone.zip"));

        assertThat(store.list(ArtifactStore.MODELS, null)).containsExactly(kept);
        assertThatThrownBy(() -> store.open(ArtifactStore.MODELS, "gone.zip")).isInstanceOf(NotFoundException.class);
        assertThat(store.describe(ArtifactStore.MODELS, "gone.zip")).isEmpty();
        assertThat(metadataOf(ArtifactStore.MODELS, "gone.zip")).doesNotExist();
        assertThat(metadataOf(ArtifactStore.MODELS, "kept.zip")).exists();
        assertThat(store.describe(ArtifactStore.MODELS, "kept.zip")).contains(kept);
    }

    @Test
    void theMetadataOfFilesDeletedByHandIsRemovedWhenTheStoreOpensAndThatOfFilesStillThereIsKept()
            throws IOException {
        FileArtifactStore store = FileArtifactStore.open(home);
        List<StoredArtifact> kept = new ArrayList<>();
        for (String container : List.of(ArtifactStore.MODELS, ArtifactStore.OUTCOMES, ArtifactStore.BATCH_INPUT)) {
            store.put(container, "readmission/gone.csv", content("id,outcome"), false);
            kept.add(store.put(container, "readmission/kept.csv", content("id,outcome"), false));
            Files.delete(home.resolve("blobs").resolve(container).resolve("readmission/gone.csv"));
        }

        FileArtifactStore reopened = FileArtifactStore.open(home);

        assertThat(filesUnder(home.resolve("blobs").resolve(FileArtifactStore.METADATA))).hasSize(kept.size());
        for (StoredArtifact blob : kept) {
            assertThat(metadataOf(blob.container(), "readmission/gone.csv")).doesNotExist();
            assertThat(reopened.describe(blob.container(), blob.name())).contains(blob);
        }
        assertThat(filesUnder(home.resolve("blobs").resolve(FileArtifactStore.STAGING))).isEmpty();
    }

    /** Runs {@code task} on {@code threads} once every task waiting at {@code start} is ready, so that they race. */
    private static <T> Future<T> whenAllStart(ExecutorService threads, CyclicBarrier start,
            java.util.concurrent.Callable<T> task) {
        return threads.submit(() -> {
            start.await();
            return task.call();
        });
    }

    /**
     * A file deleted by hand and put again under its name while a read of the name finds it gone: whichever comes
     * first, the metadata the put writes is kept, so the blob is described with its sha256.
     */
    @Test
    void aPutUnderTheNameOfAFileDeletedByHandKeepsItsMetadataWhileAReadRemovesTheOldOne() throws Exception {
        FileArtifactStore store = FileArtifactStore.open(home);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 300; i++) {
                String text = "version " + i;
                store.put(ArtifactStore.OUTCOMES, "nightly.csv", content("old " + i), true);
                Files.delete(home.resolve("blobs").resolve(ArtifactStore.OUTCOMES).resolve("nightly.csv"));
                CyclicBarrier start = new CyclicBarrier(2);
                Future<?> reads = whenAllStart(threads, start, () -> {
                    for (int r = 0; r < 20; r++) {
                        store.describe(ArtifactStore.OUTCOMES, "nightly.csv");
                    }
                    return null;
                });
                Future<StoredArtifact> put = whenAllStart(threads, start,
                        () -> store.put(ArtifactStore.OUTCOMES, "nightly.csv", content(text), false));

                reads.get();
                assertThat(put.get().sha256())
                        .isEqualTo(sha256(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
                assertThat(store.describe(ArtifactStore.OUTCOMES, "nightly.csv")).as("attempt " + i)
                        .contains(put.get());
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * The removal of the last blob of {@code x/y/z/} takes its folders away while a put into them runs: each put
     * succeeds whichever comes first, and its blob is read back whole.
     */
    @Test
    void aPutIntoAFolderThatARacingRemovalEmptiesAndRemovesAlwaysSucceeds() throws Exception {
        FileArtifactStore store = FileArtifactStore.open(home);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        try {
            for (int i = 0; i < 100; i++) {
                String old = "x/y/z/old-" + i;
                String fresh = "x/y/z/new-" + i;
                boolean overwrite = i % 2 == 1;
                String text = "new " + i;
                store.put(ArtifactStore.BATCH_OUTPUT, old, content("old"), false);
                CyclicBarrier start = new CyclicBarrier(2);
                Future<?> removal = whenAllStart(threads, start, () -> {
                    store.delete(ArtifactStore.BATCH_OUTPUT, old);
                    return null;
                });
                Future<StoredArtifact> put = whenAllStart(threads, start,
                        () -> store.put(ArtifactStore.BATCH_OUTPUT, fresh, content(text), overwrite));

                removal.get();
                assertThat(put.get().name()).isEqualTo(fresh);
                try (InputStream read = store.open(ArtifactStore.BATCH_OUTPUT, fresh)) {
                    assertThat(new String(read.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8))
                            .isEqualTo(text);
                }
                assertThat(store.list(ArtifactStore.BATCH_OUTPUT, "x/")).extracting(StoredArtifact::name)
                        .containsExactly(fresh);
                store.delete(ArtifactStore.BATCH_OUTPUT, fresh);
            }
        } finally {
            threads.shutdownNow();
        }
    }

    /**
     * Puts into one folder while the removal of its last blob takes it away: one put's link can fail because the
     * folder went, and another put make it again before the first looks, which must still make its blob.
     */
    @Test
    void aBlobWhoseFolderWouldBeAnotherBlobsFileIsRefusedInEveryMode() throws IOException {
        FileArtifactStore store = FileArtifactStore.open(home);
        StoredArtifact file = store.put(ArtifactStore.BATCH_OUTPUT, "job-1/summary.json", content("{}"), false);

        assertThatThrownBy(() -> store.put(ArtifactStore.BATCH_OUTPUT, "job-1/summary.json/x", content("a"), false))
                .isInstanceOf(ConflictException.class).hasMessageContaining("needs a folder where another blob");
        assertThatThrownBy(() -> store.put(ArtifactStore.BATCH_OUTPUT, "job-1/summary.json/x", content("a"), true))
                .isInstanceOf(ConflictException.class).hasMessageContaining("needs a folder where another blob");
        assertThat(store.describe(ArtifactStore.BATCH_OUTPUT, "job-1/summary.json").orElseThrow().etag())
                .isEqualTo(file.etag());
    }

    @Test
    void putsIntoAFolderThatARacingRemovalTakesAwayAndAnotherPutMakesAgainAllSucceed() throws Exception {
        FileArtifactStore store = FileArtifactStore.open(home);
        int puts = 4;
        ExecutorService threads = Executors.newFixedThreadPool(puts + 1);
        try {
            for (int i = 0; i < 500; i++) {
                store.put(ArtifactStore.BATCH_OUTPUT, "f/old", content("old"), false);
                CyclicBarrier start = new CyclicBarrier(puts + 1);
                Future<?> removal = threads.submit(() -> {
                    start.await();
                    store.delete(ArtifactStore.BATCH_OUTPUT, "f/old");
                    return null;
                });
                List<String> names = new ArrayList<>();
                List<Future<StoredArtifact>> written = new ArrayList<>();
                for (int p = 0; p < puts; p++) {
                    String name = "f/new-" + i + "-" + p;
                    names.add(name);
                    written.add(threads.submit(() -> {
                        start.await();
                        return store.put(ArtifactStore.BATCH_OUTPUT, name, content("new"), false);
                    }));
                }

                removal.get();
                for (Future<StoredArtifact> put : written) {
                    assertThat(names).contains(put.get().name());
                }
                for (String name : names) {
                    store.delete(ArtifactStore.BATCH_OUTPUT, name);
                }
            }
        } finally {
            threads.shutdownNow();
        }
    }

    @Test
    void aListingRacingRemovalsOfWholeFoldersNeverFails() throws Exception {
        FileArtifactStore store = FileArtifactStore.open(home);
        store.put(ArtifactStore.BATCH_OUTPUT, "kept/job.json", content("{}"), false);
        ExecutorService threads = Executors.newFixedThreadPool(2);
        AtomicBoolean removalsDone = new AtomicBoolean();
        CyclicBarrier start = new CyclicBarrier(2);
        try {
            Future<?> removals = threads.submit(() -> {
                start.await();
                try {
                    for (int i = 0; i < 200; i++) {
                        String name = "job-" + i + "/chunks/p" + i % 3 + "/000.jsonl";
                        store.put(ArtifactStore.BATCH_OUTPUT, name, content("a"), false);
                        store.delete(ArtifactStore.BATCH_OUTPUT, name);
                    }
                } finally {
                    removalsDone.set(true);
                }
                return null;
            });
            Future<Integer> listings = threads.submit(() -> {
                start.await();
                int count = 0;
                while (!removalsDone.get() || count < 10) {
                    assertThat(store.list(ArtifactStore.BATCH_OUTPUT, null)).extracting(StoredArtifact::name)
                            .contains("kept/job.json");
                    count++;
                }
                return count;
            });

            removals.get();
            assertThat(listings.get()).isGreaterThanOrEqualTo(10);
        } finally {
            threads.shutdownNow();
        }
        assertThat(foldersUnder(home.resolve("blobs").resolve(ArtifactStore.BATCH_OUTPUT)))
                .containsExactly(home.resolve("blobs").resolve(ArtifactStore.BATCH_OUTPUT).resolve("kept"));
    }

    @Test
    void removesStagingFilesAbandonedByAPutThatDiedLongAgo() throws IOException {
        Path staging = home.resolve("blobs").resolve(FileArtifactStore.STAGING);
        Files.createDirectories(staging);
        Path abandoned = Files.write(staging.resolve("put-1.part"), new byte[10]);
        Files.setLastModifiedTime(abandoned, FileTime.from(Instant.now().minus(Duration.ofDays(2))));
        Path inProgress = Files.write(staging.resolve("put-2.part"), new byte[10]);

        FileArtifactStore.open(home);

        assertThat(abandoned).doesNotExist();
        assertThat(inProgress).exists();
    }

    /**
     * A metadata entry taken aside into staging keeps the modification time it was written with, perhaps long ago:
     * while a read or an open settles it, another process's open must not take it for a put that died. Such files are
     * judged by the time they were taken aside, and removed only a day after it, as a crash left them.
     */
    @Test
    void anEntryTakenAsideIsRemovedFromStagingOnlyADayAfterItWasTakenAsideWhateverItsModificationTime()
            throws IOException {
        Path staging = home.resolve("blobs").resolve(FileArtifactStore.STAGING);
        Files.createDirectories(staging);
        Instant now = Instant.now();
        Path settling = takenAside(staging, now.minus(Duration.ofHours(1)), now.minus(Duration.ofDays(30)));
        Path leftByACrash = takenAside(staging, now.minus(Duration.ofHours(25)), now.minus(Duration.ofDays(30)));
        Path leftRecently = takenAside(staging, now.minus(Duration.ofHours(25)), now);

        FileArtifactStore.open(home);

        assertThat(settling).exists();
        assertThat(leftByACrash).doesNotExist();
        assertThat(leftRecently).doesNotExist();
    }

    /** A metadata entry written at {@code written} as it lies in staging once taken aside at {@code takenAt}. */
    private static Path takenAside(Path staging, Instant takenAt, Instant written) throws IOException {
        Path entry = Files.createTempFile(staging, FileArtifactStore.takenAsidePrefix(takenAt), ".json");
        Files.writeString(entry, "{}");
        Files.setLastModifiedTime(entry, FileTime.from(written));
        return entry;
    }
}
