package health.vigil.outcomes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.audit.AuditLog;
import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.error.StoreException;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import health.vigil.port.ArtifactStore;
import health.vigil.port.OutcomeStore;
import health.vigil.scoring.PredictionRetention;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.function.LongConsumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outcomes on the real local stores, the clock moved past the retention period: the daily retention run removes the
 * outcomes of predictions made before its cut-off and the outcome files written before it, audits each kind once by
 * counts and names, and a second run that day adds nothing.
 */
class OutcomeRetentionTest {
    private static final Duration RETENTION = Duration.ofDays(30);
    private static final ModelName MODEL = new ModelName("readmission");
    private static final Instant START = Instant.parse("2026-03-02T08:00:00Z");

    @TempDir
    Path home;
    private final MutableClock clock = new MutableClock(START);
    private LocalAdapters adapters;
    private AuditLog audit;

    @BeforeEach
    void open() {
        adapters = LocalAdapters.at(home, PredictionLogDurability.DEFAULT);
        audit = new AuditLog(adapters.auditStore(), clock);
    }

    @AfterEach
    void close() {
        adapters.close();
    }

    @Test
    void outcomesOfPredictionsBeforeTheCutoffAndFilesWrittenBeforeItGoAuditedOnceWithoutTheirContents() {
        Outcome old = new Outcome(MODEL, Outcome.patientDayKey("pseudo-old", START), true, START, "blob:old.csv");
        Outcome recent = new Outcome(MODEL, Outcome.patientDayKey("pseudo-new", START.plus(Duration.ofDays(3))), false,
                START.plus(Duration.ofDays(3)), "api");
        adapters.outcomeStore().putAllIfAbsent(List.of(old, recent));
        upload("old.csv", START);
        upload("recent.csv", START.plus(Duration.ofDays(3)));
        clock.advance(RETENTION.plusDays(2));
        Instant cutoff = clock.instant().minus(RETENTION);

        PredictionRetention.Purge purge = retention(adapters.outcomeStore()).purgeExpired();

        assertThat(purge.outcomes()).isEqualTo(1);
        assertThat(purge.outcomeFiles()).isEqualTo(1);
        assertThat(adapters.outcomeStore().get(MODEL, List.of(old.key(), recent.key()))).containsOnlyKeys(
                recent.key());
        assertThat(adapters.artifactStore().list(ArtifactStore.OUTCOMES, "")).extracting(
                ArtifactStore.StoredArtifact::name).containsExactly("recent.csv");
        List<AuditRecord> removals = removals();
        assertThat(removals).extracting(AuditRecord::action).containsExactlyInAnyOrder(OutcomeRetention.AUDIT_PURGED,
                OutcomeRetention.AUDIT_FILES_PURGED);
        assertThat(removals).allSatisfy(r -> {
            assertThat(r.actor()).isEqualTo(PredictionRetention.ACTOR);
            assertThat(r.outcome()).isEqualTo("purged");
            assertThat(r.details()).containsEntry("cutoff", cutoff.toString()).containsEntry("retentionDays", "30");
            assertThat(r.toString()).doesNotContain("pseudo-old").doesNotContain("patient-0001");
        });
        assertThat(removals).filteredOn(r -> r.action().equals(OutcomeRetention.AUDIT_PURGED)).singleElement()
                .satisfies(r -> assertThat(r.details()).containsEntry("removed", "1"));
        assertThat(removals).filteredOn(r -> r.action().equals(OutcomeRetention.AUDIT_FILES_PURGED)).singleElement()
                .satisfies(r -> assertThat(r.details()).containsEntry("files", "1").containsEntry("names", "old.csv"));

        clock.advance(Duration.ofHours(3));
        PredictionRetention.Purge again = retention(adapters.outcomeStore()).purgeExpired();

        assertThat(again.outcomes()).isZero();
        assertThat(again.outcomeFiles()).isZero();
        assertThat(removals()).hasSize(2);
    }

    /**
     * A store whose outcomes expire by their own time to live (Cosmos DB) removes none in the run and cannot count
     * them: the day's record says they expire by ttl, with no count, rather than that none were removed; once a day.
     */
    @Test
    void outcomesThatExpireByTheirTimeToLiveAreAuditedAsSuchNotAsNoneRemoved() {
        upload("old.csv", START);
        clock.advance(RETENTION.plusDays(2));
        Instant cutoff = clock.instant().minus(RETENTION);
        OutcomeStore real = adapters.outcomeStore();
        OutcomeStore expiring = new ForwardingOutcomeStore(real) {
            @Override
            public long purgeBefore(Instant before, LongConsumer beforeRemoval) {
                return 0;
            }

            @Override
            public boolean expiresByTimeToLive() {
                return true;
            }
        };

        PredictionRetention.Purge purge = retention(expiring).purgeExpired();
        clock.advance(Duration.ofHours(3));
        retention(expiring).purgeExpired();

        assertThat(purge.outcomesExpireByTtl()).isTrue();
        assertThat(purge.outcomeFiles()).isEqualTo(1);
        assertThat(removals()).filteredOn(r -> r.action().equals(OutcomeRetention.AUDIT_PURGED)).singleElement()
                .satisfies(r -> {
                    assertThat(r.outcome()).isEqualTo("expired-by-ttl");
                    assertThat(r.details()).containsEntry("removedBy", "ttl").containsEntry("cutoff",
                            cutoff.toString()).doesNotContainKey("removed");
                });
    }

    /** An outcome store that fails keeps no file: the files go, and the run fails at the end with the store's error. */
    @Test
    void aFailingOutcomeStoreStopsNotTheRemovalOfFiles() {
        upload("old.csv", START);
        clock.advance(RETENTION.plusDays(2));
        OutcomeStore real = adapters.outcomeStore();
        OutcomeStore failing = new ForwardingOutcomeStore(real) {
            @Override
            public long purgeBefore(Instant cutoff, LongConsumer beforeRemoval) {
                throw new StoreException("the outcome store is unavailable", null);
            }
        };

        assertThatThrownBy(() -> retention(failing).purgeExpired()).isInstanceOf(StoreException.class)
                .hasMessageContaining("outcome store is unavailable");

        assertThat(adapters.artifactStore().list(ArtifactStore.OUTCOMES, "")).isEmpty();
    }

    private PredictionRetention retention(OutcomeStore outcomes) {
        return new PredictionRetention(adapters.predictionLog(), RETENTION, clock, null, audit, null,
                new OutcomeRetention(outcomes, adapters.artifactStore(), audit));
    }

    private List<AuditRecord> removals() {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        return audit.read(today.minusDays(90), today.plusDays(1)).stream()
                .filter(r -> r.action().startsWith("outcomes.")).toList();
    }

    private void upload(String name, Instant when) {
        byte[] csv = "model,patientId,indexTime,outcome\nreadmission,patient-0001,2026-03-01T10:00:00Z,1\n"
                .getBytes(StandardCharsets.UTF_8);
        adapters.artifactStore().put(ArtifactStore.OUTCOMES, name, new ByteArrayInputStream(csv), true);
        try {
            Files.setLastModifiedTime(home.resolve("blobs").resolve(ArtifactStore.OUTCOMES).resolve(name),
                    FileTime.from(when));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
