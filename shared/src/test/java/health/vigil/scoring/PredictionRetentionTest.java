package health.vigil.scoring;

import static health.vigil.contract.ContractFixtures.prediction;
import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.audit.AuditLog;
import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.port.PredictionLog;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PredictionRetentionTest {
    private static final ModelName MODEL = new ModelName("readmission");
    /** The platform's time, years from the machine's: retention counts from it. */
    private static final Instant NOW = Instant.parse("2031-06-15T02:30:00Z");
    private static final Duration RETENTION = Duration.ofDays(400);
    private static final Instant CUTOFF = NOW.minus(RETENTION);

    @TempDir
    Path home;

    @Test
    void deletesWhatIsOlderThanTheRetentionPeriodCountedFromNow() {
        PredictionLog log = mock(PredictionLog.class);
        Instant now = Instant.parse("2026-03-31T02:30:00Z");
        when(log.purgeOlderThan(Instant.parse("2026-03-01T02:30:00Z"))).thenReturn(42L);

        try (LocalAdapters stores = LocalAdapters.at(home, PredictionLogDurability.DEFAULT)) {
            Clock clock = Clock.fixed(now, ZoneOffset.UTC);
            long purged = new PredictionRetention(log, Duration.ofDays(30), clock, null,
                    new AuditLog(stores.auditStore(), clock)).purgeExpired().predictions();

            assertThat(purged).isEqualTo(42);
            verify(log).purgeOlderThan(Instant.parse("2026-03-01T02:30:00Z"));
        }
    }

    /** The prediction log's purge failing keeps no batch job's files past the cut-off; the run still fails. */
    @Test
    void aFailedPurgeOfTheLogStillPurgesTheBatchFilesAndFailsTheRun() {
        PredictionLog log = mock(PredictionLog.class);
        when(log.purgeOlderThan(CUTOFF)).thenThrow(new health.vigil.error.StoreException("the log is away", null));
        List<Instant> batchCutoffs = new ArrayList<>();
        try (LocalAdapters stores = LocalAdapters.at(home, PredictionLogDurability.DEFAULT)) {
            Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
            PredictionRetention retention = new PredictionRetention(log, RETENTION, clock, null,
                    new AuditLog(stores.auditStore(), clock), (cutoff, kept) -> {
                        batchCutoffs.add(cutoff);
                        return new ExpiredBatchFiles.Removed(1, 0);
                    });

            org.assertj.core.api.Assertions.assertThatThrownBy(retention::purgeExpired)
                    .hasMessageContaining("the log is away");
        }
        assertThat(batchCutoffs).containsExactly(CUTOFF);
    }

    @Test
    void aPredictionAtTheCutoffIsKeptAndOneJustBeforeItGoes() {
        try (LocalAdapters stores = LocalAdapters.at(home, PredictionLogDurability.DEFAULT)) {
            MutableClock clock = new MutableClock(NOW);
            stores.predictionLog().append(List.of(prediction(MODEL, "before", CUTOFF.minusNanos(1), 1f),
                    prediction(MODEL, "at", CUTOFF, 1f), prediction(MODEL, "after", CUTOFF.plusNanos(1), 1f)));

            assertThat(retention(stores, clock).purgeExpired().predictions()).isEqualTo(1);

            assertThat(ids(stores.predictionLog())).containsExactly("at", "after");
        }
    }

    @Test
    void aSecondRunOnTheSameDayPurgesToTheRecordedCutoffAndAddsNoRecord() {
        try (LocalAdapters stores = LocalAdapters.at(home, PredictionLogDurability.DEFAULT)) {
            MutableClock clock = new MutableClock(NOW);
            stores.predictionLog().append(List.of(prediction(MODEL, "expired", CUTOFF.minusSeconds(60), 1f),
                    prediction(MODEL, "expires-in-ten-minutes", CUTOFF.plusSeconds(600), 1f)));
            PredictionRetention retention = retention(stores, clock);

            assertThat(retention.purgeExpired().predictions()).isEqualTo(1);
            clock.advance(Duration.ofMinutes(20)); // the timer fires again
            assertThat(retention.purgeExpired().predictions()).isZero();

            assertThat(ids(stores.predictionLog())).containsExactly("expires-in-ten-minutes");
            List<AuditRecord> purges = purgeRecords(stores, clock);
            assertThat(purges).hasSize(1);
            assertThat(purges.get(0).actor()).isEqualTo(PredictionRetention.ACTOR);
            assertThat(purges.get(0).details()).containsEntry("cutoff", CUTOFF.toString())
                    .containsEntry("retentionDays", "400");

            clock.advance(Duration.ofDays(1));
            assertThat(retention.purgeExpired().predictions()).isEqualTo(1);
            assertThat(purgeRecords(stores, clock)).hasSize(2);
        }
    }

    @Test
    void twoRunsAtOnceDeleteEachRecordOnceUnderOneRecord() throws Exception {
        try (LocalAdapters stores = LocalAdapters.at(home, PredictionLogDurability.DEFAULT)) {
            MutableClock clock = new MutableClock(NOW);
            List<PredictionRecord> expired = new ArrayList<>();
            for (int i = 0; i < 2_000; i++) {
                expired.add(prediction(MODEL, "expired-" + i, CUTOFF.minusSeconds(1 + i), 1f));
            }
            stores.predictionLog().append(expired);
            PredictionRetention one = retention(stores, clock);
            PredictionRetention other = retention(stores, clock);
            CyclicBarrier start = new CyclicBarrier(2);

            CompletableFuture<Long> first = CompletableFuture.supplyAsync(() -> awaitThen(start, one));
            CompletableFuture<Long> second = CompletableFuture.supplyAsync(() -> awaitThen(start, other));

            assertThat(first.get() + second.get()).isEqualTo(2_000);
            assertThat(purgeRecords(stores, clock)).hasSize(1);
        }
    }

    @Test
    void theAuditLogIsKeptWhateverItsAge() {
        try (LocalAdapters stores = LocalAdapters.at(home, PredictionLogDurability.DEFAULT)) {
            MutableClock clock = new MutableClock(CUTOFF.minus(Duration.ofDays(30)));
            AuditLog audit = new AuditLog(stores.auditStore(), clock);
            audit.record("operator:amara", "model.deploy", "/models/readmission/versions/1", "deployed", Map.of());
            LocalDate oldDay = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
            clock.set(NOW);

            retention(stores, clock).purgeExpired();

            assertThat(audit.read(oldDay, oldDay)).extracting(AuditRecord::action).containsExactly("model.deploy");
            assertThat(audit.verify(oldDay, LocalDate.ofInstant(NOW, ZoneOffset.UTC)).valid()).isTrue();
        }
    }

    /**
     * A copy of a damaged journal the local log kept holds patient data: retention removes it once its file was
     * written before the cut-off, audited once (its name and times, not its bytes), and keeps a newer one.
     */
    @Test
    void aKeptCopyOfADamagedJournalGoesOnceOlderThanTheRetentionPeriodAuditedOnce() throws Exception {
        try (LocalAdapters stores = LocalAdapters.at(home, PredictionLogDurability.DEFAULT)) {
            MutableClock clock = new MutableClock(NOW);
            PredictionRetention retention = retention(stores, clock); // opens the log, and its journal's folder
            Path old = home.resolve("journal/predictions.journal.damaged-3");
            Path recent = home.resolve("journal/predictions.journal.damaged-4");
            String patient = "pseudonym-of-a-patient";
            Instant oldWritten = CUTOFF.minus(Duration.ofDays(1));
            for (Path copy : List.of(old, recent)) {
                Files.writeString(copy, patient);
            }
            Files.setLastModifiedTime(old, FileTime.from(oldWritten));
            Files.setLastModifiedTime(recent, FileTime.from(CUTOFF.plus(Duration.ofDays(1))));

            retention.purgeExpired();
            clock.advance(Duration.ofMinutes(20)); // the timer fires again
            retention.purgeExpired();

            assertThat(old).doesNotExist();
            assertThat(recent).exists();
            LocalDate today = LocalDate.ofInstant(NOW, ZoneOffset.UTC);
            List<AuditRecord> removals = new AuditLog(stores.auditStore(), clock).read(today, today).stream()
                    .filter(r -> r.action().equals("prediction.damaged-copy.purged")).toList();
            assertThat(removals).singleElement().satisfies(r -> {
                assertThat(r.actor()).isEqualTo(PredictionRetention.ACTOR);
                assertThat(r.details()).containsEntry("file", "predictions.journal.damaged-3")
                        .containsEntry("writtenAt", oldWritten.toString()).containsEntry("cutoff", CUTOFF.toString())
                        .containsEntry("retentionDays", "400");
                assertThat(r.toString()).doesNotContain(patient);
            });
        }
    }

    /**
     * The records the local log set aside because its database refused them hold patient data: retention removes
     * those older than the period, keeps the others, and audits the removal once with counts only.
     */
    @Test
    void recordsSetAsideAsRefusedGoOnceOlderThanTheRetentionPeriodTheirRemovalAuditedOnce() throws Exception {
        try (LocalAdapters stores = LocalAdapters.at(home, PredictionLogDurability.DEFAULT)) {
            MutableClock clock = new MutableClock(NOW);
            PredictionRetention retention = retention(stores, clock); // opens the log
            try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + home.resolve("predictions.db"));
                    Statement s = c.createStatement()) {
                s.execute("CREATE TRIGGER refuse_block BEFORE INSERT ON prediction_blocks WHEN instr(NEW.frames,"
                        + " CAST('refused-' AS BLOB)) > 0 BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
                s.execute("CREATE TRIGGER refuse_row BEFORE INSERT ON predictions WHEN NEW.prediction_id LIKE"
                        + " 'refused-%' BEGIN SELECT RAISE(ABORT, 'refused by test'); END");
            }
            PredictionRecord old = prediction(MODEL, "refused-old", CUTOFF.minusSeconds(1), 1f);
            PredictionRecord kept = prediction(MODEL, "refused-kept", CUTOFF.plusSeconds(1), 2f);
            stores.predictionLog().append(List.of(old, kept, prediction(MODEL, "stored", CUTOFF.plusSeconds(2), 3f)));
            assertThat(ids(stores.predictionLog())).containsExactly("stored"); // the refused ones were set aside
            Path refused = home.resolve("journal/predictions.refused");

            assertThat(retention.purgeExpired().refusedRecords()).isEqualTo(1);
            clock.advance(Duration.ofMinutes(20)); // the timer fires again
            assertThat(retention.purgeExpired().refusedRecords()).isZero();

            String left = new String(Files.readAllBytes(refused), java.nio.charset.StandardCharsets.ISO_8859_1);
            assertThat(left).contains("refused-kept").doesNotContain("refused-old", old.patientPseudonym());
            LocalDate today = LocalDate.ofInstant(NOW, ZoneOffset.UTC);
            List<AuditRecord> removals = new AuditLog(stores.auditStore(), clock).read(today, today).stream()
                    .filter(r -> r.action().equals(PredictionRetention.REFUSED_PURGED)).toList();
            assertThat(removals).singleElement().satisfies(r -> {
                assertThat(r.actor()).isEqualTo(PredictionRetention.ACTOR);
                assertThat(r.details()).containsEntry("file", "predictions.refused").containsEntry("removed", "1")
                        .containsEntry("kept", "1").containsEntry("cutoff", CUTOFF.toString())
                        .containsEntry("retentionDays", "400");
                assertThat(r.toString()).doesNotContain("refused-old", old.patientPseudonym(), kept.patientPseudonym());
            });
        }
    }

    private static PredictionRetention retention(LocalAdapters stores, Clock clock) {
        return new PredictionRetention(stores.predictionLog(), RETENTION, clock, null,
                new AuditLog(stores.auditStore(), clock));
    }

    private static long awaitThen(CyclicBarrier start, PredictionRetention retention) {
        try {
            start.await();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return retention.purgeExpired().predictions();
    }

    private static List<AuditRecord> purgeRecords(LocalAdapters stores, Clock clock) {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        return new AuditLog(stores.auditStore(), clock).read(today.minusDays(2), today).stream()
                .filter(r -> r.action().equals(PredictionRetention.ACTION)).toList();
    }

    private static List<String> ids(PredictionLog log) {
        List<String> ids = new ArrayList<>();
        log.scan(MODEL, Instant.parse("2000-01-01T00:00:00Z"), Instant.parse("2100-01-01T00:00:00Z"),
                r -> ids.add(r.predictionId()));
        return ids;
    }
}
