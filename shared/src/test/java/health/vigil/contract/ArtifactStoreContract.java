package health.vigil.contract;

import static health.vigil.contract.ContractFixtures.sha256;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ConflictException;
import health.vigil.error.NotFoundException;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.port.ArtifactStore;
import health.vigil.port.ArtifactStore.StoredArtifact;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What every {@link ArtifactStore} must do. Blob names start with a prefix unique to the test, so a shared
 * backend works too.
 */
public abstract class ArtifactStoreContract {

    /** A store for one test. */
    protected abstract ArtifactStore newStore();

    protected ArtifactStore store;
    protected String prefix;

    @BeforeEach
    void openStore() {
        store = newStore();
        prefix = "contract-" + UUID.randomUUID().toString().substring(0, 8) + "/";
    }

    protected static byte[] randomBytes(int size, long seed) {
        byte[] bytes = new byte[size];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    protected byte[] read(String container, String name) {
        try (InputStream in = store.open(container, name)) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Test
    void storesStreamedContentAndReportsItsSizeAndSha256() {
        byte[] content = randomBytes(3 * 1024 * 1024 + 17, 1);
        String name = prefix + "readmission-1.zip";

        StoredArtifact stored = store.put(ArtifactStore.MODELS, name, new ByteArrayInputStream(content), false);

        assertThat(stored.container()).isEqualTo(ArtifactStore.MODELS);
        assertThat(stored.name()).isEqualTo(name);
        assertThat(stored.size()).isEqualTo(content.length);
        assertThat(stored.sha256()).isEqualTo(sha256(content));
        assertThat(stored.etag()).isNotBlank();
        assertThat(read(ArtifactStore.MODELS, name)).isEqualTo(content);
    }

    @Test
    void storesAnEmptyBlob() {
        StoredArtifact stored = store.put(ArtifactStore.DATASETS, prefix + "empty", InputStream.nullInputStream(), false);

        assertThat(stored.size()).isZero();
        assertThat(stored.sha256()).isEqualTo(sha256(new byte[0]));
        assertThat(read(ArtifactStore.DATASETS, prefix + "empty")).isEmpty();
    }

    @Test
    void describesAStoredBlobAsPutReportedIt() {
        String name = prefix + "reference.json";
        StoredArtifact stored = store.put(ArtifactStore.DATASETS, name,
                new ByteArrayInputStream("{\"rows\":12}".getBytes(StandardCharsets.UTF_8)), false);

        assertThat(store.describe(ArtifactStore.DATASETS, name)).contains(stored);
        assertThat(store.describe(ArtifactStore.DATASETS, prefix + "missing.json")).isEmpty();
    }

    /** Retention removes a request file no job named by this time (the store's own clock, never the caller's). */
    @Test
    void aBlobIsListedAndDescribedWithWhenTheStoreLastWroteIt() {
        String name = prefix + "requests/nightly.csv";
        StoredArtifact stored = store.put(ArtifactStore.BATCH_INPUT, name,
                new ByteArrayInputStream("patientId\n".getBytes(StandardCharsets.UTF_8)), false);

        assertThat(stored.lastModified()).isNotNull();
        assertThat(store.describe(ArtifactStore.BATCH_INPUT, name)).map(StoredArtifact::lastModified)
                .contains(stored.lastModified());
        assertThat(store.list(ArtifactStore.BATCH_INPUT, name)).singleElement()
                .satisfies(a -> assertThat(a.lastModified()).isEqualTo(stored.lastModified()));
    }

    @Test
    void openingAMissingBlobIsNotFound() {
        assertThatThrownBy(() -> store.open(ArtifactStore.MODELS, prefix + "missing.zip"))
                .isInstanceOf(NotFoundException.class);
    }

    @Test
    void neverReplacesAnExistingBlobUnlessAskedTo() {
        String name = prefix + "readmission-1.zip";
        StoredArtifact first = store.put(ArtifactStore.MODELS, name, new ByteArrayInputStream(randomBytes(100, 1)), false);

        assertThatThrownBy(() -> store.put(ArtifactStore.MODELS, name, new ByteArrayInputStream(randomBytes(50, 2)),
                false)).isInstanceOf(ConflictException.class);

        assertThat(read(ArtifactStore.MODELS, name)).isEqualTo(randomBytes(100, 1));
        assertThat(store.describe(ArtifactStore.MODELS, name)).contains(first);
    }

    @Test
    void overwritingReplacesContentShaAndEtag() {
        String name = prefix + "export.jsonl";
        StoredArtifact first = store.put(ArtifactStore.AUDIT_EXPORTS, name,
                new ByteArrayInputStream(randomBytes(100, 1)), false);

        StoredArtifact second = store.put(ArtifactStore.AUDIT_EXPORTS, name,
                new ByteArrayInputStream(randomBytes(50, 2)), true);

        assertThat(read(ArtifactStore.AUDIT_EXPORTS, name)).isEqualTo(randomBytes(50, 2));
        assertThat(second.size()).isEqualTo(50);
        assertThat(second.sha256()).isEqualTo(sha256(randomBytes(50, 2)));
        assertThat(second.etag()).isNotEqualTo(first.etag());
        assertThat(store.describe(ArtifactStore.AUDIT_EXPORTS, name)).contains(second);
    }

    @Test
    void aBlobPutUndigestedIsStoredWholeCreatedOnceAndNeverDescribedWithAnotherBlobsDigest() {
        String name = prefix + "000000.jsonl";
        store.put(ArtifactStore.BATCH_OUTPUT, name, new ByteArrayInputStream(randomBytes(100, 1)), false);

        StoredArtifact second = store.putUndigested(ArtifactStore.BATCH_OUTPUT, name,
                new ByteArrayInputStream(randomBytes(50, 2)), true);

        assertThat(read(ArtifactStore.BATCH_OUTPUT, name)).isEqualTo(randomBytes(50, 2));
        assertThat(second.size()).isEqualTo(50);
        StoredArtifact described = store.describe(ArtifactStore.BATCH_OUTPUT, name).orElseThrow();
        assertThat(described.etag()).isEqualTo(second.etag());
        // A store may digest it anyway; what it must never give is the digest of the bytes it replaced.
        assertThat(described.sha256()).isEqualTo(second.sha256()).isIn(null, sha256(randomBytes(50, 2)));
        assertThatThrownBy(() -> store.putUndigested(ArtifactStore.BATCH_OUTPUT, name,
                new ByteArrayInputStream(randomBytes(10, 3)), false)).isInstanceOf(ConflictException.class);
        assertThat(read(ArtifactStore.BATCH_OUTPUT, name)).isEqualTo(randomBytes(50, 2));
    }

    @Test
    void replacesABlobOnlyWhileItIsTheVersionThatWasRead() {
        String name = prefix + "lease.json";
        StoredArtifact first = store.put(ArtifactStore.BATCH_OUTPUT, name, new ByteArrayInputStream(randomBytes(40, 1)),
                false);
        String read = store.describe(ArtifactStore.BATCH_OUTPUT, name).orElseThrow().etag();

        StoredArtifact second = store.replace(ArtifactStore.BATCH_OUTPUT, name,
                new ByteArrayInputStream(randomBytes(30, 2)), read);

        assertThat(read).isEqualTo(first.etag());
        assertThat(second.etag()).isNotEqualTo(first.etag());
        assertThat(second.sha256()).isEqualTo(sha256(randomBytes(30, 2)));
        assertThat(read(ArtifactStore.BATCH_OUTPUT, name)).isEqualTo(randomBytes(30, 2));
        assertThat(store.describe(ArtifactStore.BATCH_OUTPUT, name).orElseThrow().etag()).isEqualTo(second.etag());
        // The version read first is gone: replacing it again is refused and keeps the second write.
        assertThatThrownBy(() -> store.replace(ArtifactStore.BATCH_OUTPUT, name,
                new ByteArrayInputStream(randomBytes(20, 3)), read)).isInstanceOf(ConflictException.class)
                .hasMessageContaining("read it again");
        assertThat(read(ArtifactStore.BATCH_OUTPUT, name)).isEqualTo(randomBytes(30, 2));
        // An overwrite in between makes the second version stale too.
        store.put(ArtifactStore.BATCH_OUTPUT, name, new ByteArrayInputStream(randomBytes(25, 4)), true);
        assertThatThrownBy(() -> store.replace(ArtifactStore.BATCH_OUTPUT, name,
                new ByteArrayInputStream(randomBytes(20, 5)), second.etag())).isInstanceOf(ConflictException.class);
        assertThat(read(ArtifactStore.BATCH_OUTPUT, name)).isEqualTo(randomBytes(25, 4));
    }

    @Test
    void opensAVersionOnlyWhileItIsTheBlobAndFromTheOffsetAskedFor() throws Exception {
        String name = prefix + "input.csv";
        StoredArtifact first = store.put(ArtifactStore.BATCH_INPUT, name, new ByteArrayInputStream(randomBytes(40, 1)),
                false);
        try (InputStream in = store.open(ArtifactStore.BATCH_INPUT, name, 10, first.etag())) {
            assertThat(in.readAllBytes()).isEqualTo(java.util.Arrays.copyOfRange(randomBytes(40, 1), 10, 40));
        }
        // Another file under the same name: the first version cannot be read any more, from any offset.
        StoredArtifact second = store.put(ArtifactStore.BATCH_INPUT, name, new ByteArrayInputStream(randomBytes(40, 2)),
                true);
        assertThatThrownBy(() -> store.open(ArtifactStore.BATCH_INPUT, name, 0, first.etag()))
                .isInstanceOf(ConflictException.class).hasMessageContaining("was replaced");
        assertThatThrownBy(() -> store.open(ArtifactStore.BATCH_INPUT, name, 10, first.etag()))
                .isInstanceOf(ConflictException.class);
        try (InputStream in = store.open(ArtifactStore.BATCH_INPUT, name, 0, second.etag())) {
            assertThat(in.readAllBytes()).isEqualTo(randomBytes(40, 2));
        }
        store.delete(ArtifactStore.BATCH_INPUT, name);
        assertThatThrownBy(() -> store.open(ArtifactStore.BATCH_INPUT, name, 0, second.etag()))
                .isInstanceOf(ConflictException.class).hasMessageContaining("was removed");
    }

    @Test
    void replacingABlobThatDoesNotExistIsAConflictAndCreatesNothing() {
        String name = prefix + "missing.json";

        assertThatThrownBy(() -> store.replace(ArtifactStore.BATCH_OUTPUT, name,
                new ByteArrayInputStream(randomBytes(20, 1)), "\"0x8DC0000000000000\""))
                .isInstanceOf(ConflictException.class);

        assertThat(store.describe(ArtifactStore.BATCH_OUTPUT, name)).isEmpty();
    }

    @Test
    void ofConcurrentReplacesOfOneVersionExactlyOneWinsAndItsContentIsKept() throws Exception {
        String name = prefix + "race.json";
        String read = store.put(ArtifactStore.BATCH_OUTPUT, name, new ByteArrayInputStream(randomBytes(10, 99)), false)
                .etag();
        int threads = 8;

        List<StoredArtifact> results = Parallel.run(threads, t -> {
            try {
                return store.replace(ArtifactStore.BATCH_OUTPUT, name,
                        new ByteArrayInputStream(randomBytes(1024 + t, t)), read);
            } catch (ConflictException e) {
                return null;
            }
        });

        List<StoredArtifact> winners = results.stream().filter(r -> r != null).toList();
        assertThat(winners).hasSize(1);
        int winner = results.indexOf(winners.get(0));
        assertThat(read(ArtifactStore.BATCH_OUTPUT, name)).isEqualTo(randomBytes(1024 + winner, winner));
        assertThat(store.describe(ArtifactStore.BATCH_OUTPUT, name).orElseThrow().etag())
                .isEqualTo(winners.get(0).etag());
    }

    @Test
    void ofConcurrentCreatesOfOneNameExactlyOneWinsAndItsContentIsKept() throws Exception {
        String name = prefix + "race.zip";
        int threads = 8;

        List<StoredArtifact> results = Parallel.run(threads, t -> {
            try {
                return store.put(ArtifactStore.MODELS, name, new ByteArrayInputStream(randomBytes(64 * 1024, t)),
                        false);
            } catch (ConflictException e) {
                return null;
            }
        });

        List<StoredArtifact> winners = results.stream().filter(r -> r != null).toList();
        assertThat(winners).hasSize(1);
        int winner = results.indexOf(winners.get(0));
        assertThat(read(ArtifactStore.MODELS, name)).isEqualTo(randomBytes(64 * 1024, winner));
    }

    @Test
    void listsBlobsByPrefixInNameOrder() {
        for (String n : List.of("b/d.zip", "a.zip", "b/c.zip", "bb.zip")) {
            store.put(ArtifactStore.MODELS, prefix + n, new ByteArrayInputStream(n.getBytes(StandardCharsets.UTF_8)),
                    false);
        }

        assertThat(store.list(ArtifactStore.MODELS, prefix)).extracting(StoredArtifact::name)
                .containsExactly(prefix + "a.zip", prefix + "b/c.zip", prefix + "b/d.zip", prefix + "bb.zip");
        assertThat(store.list(ArtifactStore.MODELS, prefix + "b/")).extracting(StoredArtifact::name)
                .containsExactly(prefix + "b/c.zip", prefix + "b/d.zip");
        assertThat(store.list(ArtifactStore.MODELS, prefix + "b")).extracting(StoredArtifact::name)
                .containsExactly(prefix + "b/c.zip", prefix + "b/d.zip", prefix + "bb.zip");
        assertThat(store.list(ArtifactStore.MODELS, prefix + "c")).isEmpty();
        assertThat(store.list(ArtifactStore.MODELS, prefix + "b/c")).singleElement()
                .satisfies(a -> assertThat(a.size()).isEqualTo("b/c.zip".length()));
        assertThat(store.list(ArtifactStore.DATASETS, prefix)).isEmpty();
        // A listed version is the version a describe finds, so a listing can name what a conditional delete removes.
        for (StoredArtifact listed : store.list(ArtifactStore.MODELS, prefix)) {
            assertThat(listed.etag())
                    .isEqualTo(store.describe(ArtifactStore.MODELS, listed.name()).orElseThrow().etag());
        }
        StoredArtifact first = store.list(ArtifactStore.MODELS, prefix).get(0);
        assertThat(store.delete(ArtifactStore.MODELS, first.name(), first.etag())).isTrue();
    }

    @ParameterizedTest
    @ValueSource(strings = {"../escape.zip", "a/../../escape.zip", "/etc/passwd", "a\\b.zip", "a//b.zip", "a/", ""})
    void refusesBlobNamesThatCouldLeaveTheContainer(String bad) {
        assertThatThrownBy(() -> store.put(ArtifactStore.MODELS, bad, new ByteArrayInputStream(new byte[1]), true))
                .isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> store.open(ArtifactStore.MODELS, bad)).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> store.describe(ArtifactStore.MODELS, bad)).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> store.delete(ArtifactStore.MODELS, bad)).isInstanceOf(ValidationException.class);
    }

    @Test
    void aDeletedBlobIsGoneItsNameCanBeUsedAgainAndDeletingItTwiceIsNoError() {
        String name = prefix + "job.json";
        String beside = prefix + "queued.json";
        store.put(ArtifactStore.BATCH_OUTPUT, name, new ByteArrayInputStream(new byte[] {1, 2}), false);
        store.put(ArtifactStore.BATCH_OUTPUT, beside, new ByteArrayInputStream(new byte[] {3}), false);

        store.delete(ArtifactStore.BATCH_OUTPUT, name);
        store.delete(ArtifactStore.BATCH_OUTPUT, name);

        assertThat(store.describe(ArtifactStore.BATCH_OUTPUT, name)).isEmpty();
        assertThatThrownBy(() -> store.open(ArtifactStore.BATCH_OUTPUT, name)).isInstanceOf(NotFoundException.class);
        assertThat(store.list(ArtifactStore.BATCH_OUTPUT, prefix)).extracting(StoredArtifact::name).containsExactly(beside);
        StoredArtifact again = store.put(ArtifactStore.BATCH_OUTPUT, name, new ByteArrayInputStream(new byte[] {4}), false);
        assertThat(again.sha256()).isEqualTo(sha256(new byte[] {4}));
        assertThat(store.describe(ArtifactStore.BATCH_OUTPUT, name).orElseThrow().sha256()).isEqualTo(again.sha256());
    }

    /**
     * A remover that read one version removes that version only: one written since under the name is kept, and the
     * refusal says so; a blob gone already is no error, and answered as not removed by this call.
     */
    @Test
    void removesABlobOnlyWhileItIsTheVersionThatWasRead() {
        String name = prefix + "unsettled/note.json";
        StoredArtifact first = store.put(ArtifactStore.MONITORING, name, new ByteArrayInputStream(randomBytes(40, 1)),
                false);
        StoredArtifact second = store.put(ArtifactStore.MONITORING, name, new ByteArrayInputStream(randomBytes(30, 2)),
                true);

        assertThatThrownBy(() -> store.delete(ArtifactStore.MONITORING, name, first.etag()))
                .isInstanceOf(ConflictException.class).hasMessageContaining("changed since")
                .hasMessageContaining("was kept");

        assertThat(read(ArtifactStore.MONITORING, name)).isEqualTo(randomBytes(30, 2));
        assertThat(store.describe(ArtifactStore.MONITORING, name).orElseThrow().etag()).isEqualTo(second.etag());
        assertThat(store.delete(ArtifactStore.MONITORING, name, second.etag())).isTrue();
        assertThat(store.describe(ArtifactStore.MONITORING, name)).isEmpty();
        assertThat(store.list(ArtifactStore.MONITORING, prefix)).isEmpty();
        assertThat(store.delete(ArtifactStore.MONITORING, name, second.etag())).isFalse();
        // The name can be used again, and the new blob is described with its own digest.
        StoredArtifact again = store.put(ArtifactStore.MONITORING, name, new ByteArrayInputStream(randomBytes(20, 3)),
                false);
        assertThat(store.describe(ArtifactStore.MONITORING, name).orElseThrow().sha256()).isEqualTo(again.sha256());
    }

    /** Of a removal and a replace of the same version, exactly one wins: the blob is either gone or the new one. */
    @Test
    void ofARemovalAndReplacesOfOneVersionExactlyOneWins() throws Exception {
        String name = prefix + "requests/race.csv";
        String read = store.put(ArtifactStore.BATCH_INPUT, name, new ByteArrayInputStream(randomBytes(10, 99)), false)
                .etag();
        int threads = 8;

        List<Boolean> won = Parallel.run(threads, t -> {
            try {
                if (t == 0) {
                    return store.delete(ArtifactStore.BATCH_INPUT, name, read);
                }
                store.replace(ArtifactStore.BATCH_INPUT, name, new ByteArrayInputStream(randomBytes(1024 + t, t)),
                        read);
                return true;
            } catch (ConflictException e) {
                return false;
            }
        });

        assertThat(won).containsOnlyOnce(true);
        int winner = won.indexOf(true);
        if (winner == 0) {
            assertThat(store.describe(ArtifactStore.BATCH_INPUT, name)).isEmpty();
        } else {
            assertThat(read(ArtifactStore.BATCH_INPUT, name)).isEqualTo(randomBytes(1024 + winner, winner));
        }
    }

    @Test
    void aRefusedBlobNameIsToldTheRuleItBreaksAlikeOnEveryStore() {
        java.util.Map<String, String> rules = new java.util.LinkedHashMap<>();
        rules.put("requests//t1/b.csv", "an empty folder name (a trailing or doubled '/')");
        rules.put("requests/./t1/b.csv", "the path segment '.'");
        rules.put("requests/../b.csv", "the path segment '..'");
        rules.put("requests\\t1\\b.csv", "a backslash");
        rules.put("/requests/b.csv", "an absolute path");
        rules.put("requests/b\u0001.csv", "a control character");
        rules.put("requests/b\u009b2J.csv", "a control character");
        rules.put("requests/nightly\u2028.csv", "a line separator");
        rules.put("requests/nightly\u202Evsc.csv", "a direction override");
        rules.put("requests/b\udb40\udc41.csv", "invisible formatting character");
        rules.put("r/" + "x".repeat(1100), "1102 characters long; at most 1024");
        rules.put("  ", "missing");
        rules.forEach((bad, rule) -> assertThatThrownBy(() -> store.describe(ArtifactStore.BATCH_INPUT, bad)).as(bad)
                .isInstanceOf(ValidationException.class).hasMessageContaining(rule));
    }

    @ParameterizedTest
    @ValueSource(strings = {"Models", "m", "models/x", "..", "-models", "models-"})
    void refusesContainerNamesBlobStorageWouldRefuse(String bad) {
        assertThatThrownBy(() -> store.put(bad, prefix + "x.zip", new ByteArrayInputStream(new byte[1]), true))
                .isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> store.list(bad, "")).isInstanceOf(ValidationException.class);
    }

    @Test
    void aContentStreamThatFailsLeavesNoBlob() {
        String name = prefix + "broken.zip";
        InputStream failing = new InputStream() {
            private int served;

            @Override
            public int read() throws IOException {
                if (served++ < 10_000) {
                    return 7;
                }
                throw new IOException("connection reset by the uploader");
            }
        };

        assertThatThrownBy(() -> store.put(ArtifactStore.MODELS, name, failing, false))
                .isInstanceOf(VigilException.class);

        assertThat(store.describe(ArtifactStore.MODELS, name)).isEmpty();
        assertThat(store.list(ArtifactStore.MODELS, prefix)).isEmpty();
    }
}
