package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.config.VigilConfig;
import health.vigil.error.ConflictException;
import health.vigil.port.ArtifactStore;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A dropped file put into the blob store the platform reads when that is not the drop folder (the storage emulators):
 * the store ends with the file's final bytes, on a store that never overwrites unless told to.
 */
class DropFolderPublishTest {
    @TempDir
    Path home;
    @TempDir
    Path drop;

    private LocalAdapters adapters;
    private ArtifactStore store;

    @BeforeEach
    void open() {
        adapters = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.PROCESS_CRASH);
        store = adapters.artifactStore();
    }

    @AfterEach
    void close() {
        adapters.close();
    }

    private String stored(String name) throws Exception {
        try (InputStream in = store.open(ArtifactStore.BATCH_INPUT, name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void aFileRaisedHalfWrittenThenCompleteEndsWithItsFinalBytes() throws Exception {
        Path file = drop.resolve("nightly.csv");
        // The store refuses to overwrite unless asked: what the emulated Blob Storage does with overwrite=false.
        store.put(ArtifactStore.BATCH_INPUT, "probe.csv", new ByteArrayInputStream(new byte[0]), false);
        assertThatThrownBy(() -> store.put(ArtifactStore.BATCH_INPUT, "probe.csv",
                new ByteArrayInputStream(new byte[0]), false)).isInstanceOf(ConflictException.class);

        Files.writeString(file, "patient_id,age\n1,5");
        LocalPlatform.publishToBlobStore(store, ArtifactStore.BATCH_INPUT, "readmission/nightly.csv", file);
        Files.writeString(file, "patient_id,age\n1,54\n2,61\n3,47\n");
        LocalPlatform.publishToBlobStore(store, ArtifactStore.BATCH_INPUT, "readmission/nightly.csv", file);

        assertThat(stored("readmission/nightly.csv")).isEqualTo("patient_id,age\n1,54\n2,61\n3,47\n");
    }

    @Test
    void aFileThatBecameALinkIsNotFollowed() throws Exception {
        Path secret = Files.writeString(home.resolve("id_rsa"), "a key");
        Path link = Files.createSymbolicLink(drop.resolve("nightly.csv"), secret);

        assertThatThrownBy(() -> LocalPlatform.publishToBlobStore(store, ArtifactStore.BATCH_INPUT,
                "readmission/nightly.csv", link)).isInstanceOf(java.io.UncheckedIOException.class);

        assertThat(store.describe(ArtifactStore.BATCH_INPUT, "readmission/nightly.csv")).isEmpty();
    }

    @Test
    void bytesOfTheSameLengthThatChangedAreReplacedAndTheSameBytesAreLeftAlone() throws Exception {
        Path file = drop.resolve("outcomes.csv");
        Files.writeString(file, "id,outcome\na,0\n");
        LocalPlatform.publishToBlobStore(store, ArtifactStore.BATCH_INPUT, "readmission/outcomes.csv", file);
        Files.writeString(file, "id,outcome\na,1\n");
        LocalPlatform.publishToBlobStore(store, ArtifactStore.BATCH_INPUT, "readmission/outcomes.csv", file);
        assertThat(stored("readmission/outcomes.csv")).isEqualTo("id,outcome\na,1\n");
        String etag = store.describe(ArtifactStore.BATCH_INPUT, "readmission/outcomes.csv").orElseThrow().etag();

        // Raised again after a restart: the blob is the same version, so a job keyed by its ETag is found, not redone.
        LocalPlatform.publishToBlobStore(store, ArtifactStore.BATCH_INPUT, "readmission/outcomes.csv", file);

        assertThat(store.describe(ArtifactStore.BATCH_INPUT, "readmission/outcomes.csv").orElseThrow().etag())
                .isEqualTo(etag);
    }
}
