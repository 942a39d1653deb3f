package health.vigil.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.contract.Parallel;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.port.ArtifactStore;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.Mockito;

/** Exports and anchors happen once, chain to their predecessors, and leave the evidence verifiable. */
class AuditEvidenceTest {
    static final LocalDate DAY = LocalDate.of(2026, 11, 3);

    InMemoryAuditStore store = new InMemoryAuditStore();
    InMemoryArtifactStore artifacts = new InMemoryArtifactStore();
    MutableClock clock = new MutableClock(Instant.parse("2026-11-03T10:15:00Z"));
    AuditLog log = new AuditLog(store, clock);
    KeyPairSigner key = KeyPairSigner.generate(new SecureRandom());
    AuditEvidence evidence = new AuditEvidence(store, log, artifacts, key, clock);

    @BeforeEach
    void someRecords() {
        for (int i = 0; i < 5; i++) {
            clock.advance(Duration.ofMinutes(1));
            log.record("user-" + i, "model.register", "/models/m/versions/" + i, "registered", Map.of());
        }
    }

    @Test
    void anExportWritesRecordsADigestAndThePublicKeyAndIsAudited() {
        ExportResult result = evidence.export(DAY, DAY, "compliance-officer");

        assertThat(result.created()).isTrue();
        assertThat(result.count()).isEqualTo(5);
        assertThat(result.digest()).isEqualTo("digests/00000001.json");
        assertThat(result.keyId()).isEqualTo(SigningKeys.keyId(key.publicKey()));
        assertThat(artifacts.get(result.records())).isNotNull();
        assertThat(artifacts.get(EvidenceLayout.keyName(result.keyId()))).isNotNull();
        SignedStatement digest = SignedStatement.parse(artifacts.get(result.digest())).orElseThrow();
        assertThat(digest.field("count")).isEqualTo("5");
        assertThat(digest.field("previousDigest")).isEmpty();
        assertThat(digest.verifiesWith(key.publicKey())).isTrue();
        List<AuditRecord> records = store.read(DAY.toString());
        assertThat(records).extracting(AuditRecord::action)
                .containsSubsequence("audit.signing-key.published", "audit.exported");
        AuditRecord exported = records.get(records.size() - 1);
        assertThat(exported.actor()).isEqualTo("compliance-officer");
        assertThat(exported.details()).containsEntry("sha256", result.sha256()).containsEntry("records", "5");
        EvidenceReport report = verify();
        assertThat(report.firstProblem()).isNull();
        // The answer of GET /audit/evidence/verify says so: firstProblem is there, and null.
        com.fasterxml.jackson.databind.JsonNode answer = health.vigil.json.Json.readTree("the report",
                health.vigil.json.Json.writeResponse(report));
        assertThat(answer.has("firstProblem")).isTrue();
        assertThat(answer.get("firstProblem").isNull()).isTrue();
    }

    @Test
    void aRepeatedExportOfTheSameRecordsReturnsTheFirstAndWritesNothing() {
        clock.set(Instant.parse("2026-11-04T00:15:00Z"));
        ExportResult first = evidence.exportPreviousDay();
        int blobs = artifacts.size();
        int records = store.read(DAY.toString()).size() + store.read(DAY.plusDays(1).toString()).size();

        ExportResult replay = evidence.exportPreviousDay();

        assertThat(replay.created()).isFalse();
        assertThat(replay.digest()).isEqualTo(first.digest());
        assertThat(artifacts.size()).isEqualTo(blobs);
        assertThat(store.read(DAY.toString()).size() + store.read(DAY.plusDays(1).toString()).size()).isEqualTo(records);
    }

    @Test
    void anExportThatStoppedAfterItsDigestIsRecordedOnceByTheNextExportOfTheSameRecords() {
        AtomicBoolean outage = new AtomicBoolean(true);
        InMemoryAuditStore failing = Mockito.spy(new InMemoryAuditStore());
        Mockito.doAnswer(call -> {
            AuditRecord record = call.getArgument(1);
            if (record.action().equals("audit.exported") && outage.getAndSet(false)) {
                throw new StoreException("the audit store is not answering (a test outage)", null);
            }
            return call.callRealMethod();
        }).when(failing).tryAppendOnce(Mockito.anyString(), Mockito.any());
        AuditLog failingLog = new AuditLog(failing, clock);
        AuditEvidence exports = new AuditEvidence(failing, failingLog, artifacts, key, clock);
        failingLog.record("user-0", "model.register", "/models/m/versions/0", "registered", Map.of());
        clock.set(Instant.parse("2026-11-04T00:15:00Z"));

        assertThatThrownBy(exports::exportPreviousDay).isInstanceOf(StoreException.class);
        assertThat(exported(failing)).isEmpty();
        ExportResult finished = exports.exportPreviousDay();
        ExportResult again = exports.exportPreviousDay();

        assertThat(finished.created()).isFalse();
        assertThat(again.digest()).isEqualTo(finished.digest()).isEqualTo("digests/00000001.json");
        assertThat(exported(failing)).singleElement().satisfies(r -> {
            assertThat(r.subject()).isEqualTo(ArtifactStore.AUDIT_EXPORTS + "/" + finished.digest());
            assertThat(r.details()).containsEntry("sha256", finished.sha256());
        });
    }

    @Test
    void recordsStoredWithoutADigestAreSignedOnlyWhenTheStoredFileIsThoseRecords() {
        // A day that has ended, so that the refusal's own audit record leaves the exported records as they were.
        clock.set(Instant.parse("2026-11-04T00:15:00Z"));
        // The same export run on copies gives the name this export stores its records under.
        InMemoryAuditStore sameRecords = store.copy();
        InMemoryArtifactStore sameFiles = artifacts.copy();
        String name = new AuditEvidence(sameRecords, new AuditLog(sameRecords, clock), sameFiles, key, clock)
                .export(DAY, DAY, "compliance-officer").records();
        byte[] records = sameFiles.get(name);
        byte[] other = "{\"forged\":true}\n".getBytes(StandardCharsets.UTF_8);
        artifacts.set(name, other);

        assertThatThrownBy(() -> evidence.export(DAY, DAY, "compliance-officer"))
                .isInstanceOf(health.vigil.error.VigilException.class)
                .satisfies(e -> assertThat(((health.vigil.error.VigilException) e).code())
                        .isEqualTo(health.vigil.error.ErrorCode.INTEGRITY_FAILURE))
                .hasMessageContaining(ArtifactStore.AUDIT_EXPORTS + "/" + name + " is already stored, named by no"
                        + " digest").hasMessageContaining("nothing was signed");
        assertThat(artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.DIGESTS)).isEmpty();
        assertThat(artifacts.get(name)).isEqualTo(other);

        // The records themselves, stored by an export that stopped before its digest, are signed.
        artifacts.set(name, records);
        ExportResult finished = evidence.export(DAY, DAY, "compliance-officer");
        assertThat(finished.records()).isEqualTo(name);
        assertThat(finished.created()).isTrue();
        assertThat(verify().firstProblem()).isNull();
    }

    @Test
    void theDailyExportRefusedForAStoredFileThatIsNotItsRecordsIsRecordedOnceHoweverOftenItIsReplayed() {
        clock.set(Instant.parse("2026-11-04T00:15:00Z"));
        InMemoryAuditStore sameRecords = store.copy();
        InMemoryArtifactStore sameFiles = artifacts.copy();
        ExportResult intact = new AuditEvidence(sameRecords, new AuditLog(sameRecords, clock), sameFiles, key, clock)
                .exportPreviousDay();
        byte[] other = "{\"forged\":true}\n".getBytes(StandardCharsets.UTF_8);
        artifacts.set(intact.records(), other);
        String otherSha256 = health.vigil.hash.Sha256.hex(other);

        for (int replay = 0; replay < 3; replay++) {
            clock.advance(Duration.ofMinutes(1));
            assertThatThrownBy(evidence::exportPreviousDay)
                    .isInstanceOfSatisfying(health.vigil.error.VigilException.class, e -> assertThat(e.code())
                            .isEqualTo(health.vigil.error.ErrorCode.INTEGRITY_FAILURE))
                    .hasMessageContaining(ArtifactStore.AUDIT_EXPORTS + "/" + intact.records() + " is already stored");
        }

        assertThat(artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.DIGESTS)).isEmpty();
        assertThat(store.read(DAY.plusDays(1).toString())).filteredOn(r -> r.action().equals("audit.export.refused"))
                .singleElement().satisfies(refusal -> {
                    assertThat(refusal.actor()).isEqualTo("vigil-system");
                    assertThat(refusal.outcome()).isEqualTo("refused");
                    assertThat(refusal.subject()).isEqualTo(ArtifactStore.AUDIT_EXPORTS + "/" + DAY + ".." + DAY);
                    assertThat(refusal.details()).containsEntry("from", DAY.toString())
                            .containsEntry("to", DAY.toString()).containsEntry("problem", "STORED_FILE_DIFFERS")
                            .containsEntry("file", intact.records()).containsEntry("storedSha256", otherSha256)
                            .containsEntry("sha256", intact.sha256());
                });
        assertThat(log.verify(DAY, DAY.plusDays(1)).valid()).isTrue();
    }

    @Test
    void theDailyExportOfADayWhoseLastRecordsWereRemovedAfterTheNextDayBeganIsRefused() {
        clock.set(Instant.parse("2026-11-03T23:30:00Z"));
        AuditRecord lateEvening = log.record("user-7", "deployment.deploy", "/models/m/versions/4", "deployed",
                Map.of());
        clock.set(Instant.parse("2026-11-03T23:45:00Z"));
        AuditRecord last = log.record("user-7", "model.approve", "/models/m/versions/4", "approved", Map.of());
        clock.set(Instant.parse("2026-11-04T00:00:00.005Z"));
        AuditRecord nextDay = log.record("user-8", "deployment.canary", "/models/m/versions/4", "started", Map.of());
        assertThat(nextDay.previousHash()).isEqualTo(last.hash());
        clock.set(Instant.parse("2026-11-04T00:15:00Z"));
        // Intact, the day is exported.
        InMemoryAuditStore intact = store.copy();
        assertThat(new AuditEvidence(intact, new AuditLog(intact, clock), artifacts.copy(), key, clock)
                .exportPreviousDay().count()).isEqualTo(7);

        // The day's last two records are removed before the export: what is left of the day chains on, unbroken.
        store.delete(DAY.toString(), last.sequence());
        store.delete(DAY.toString(), lateEvening.sequence());

        assertThatThrownBy(evidence::exportPreviousDay).isInstanceOf(health.vigil.error.ConflictException.class)
                .satisfies(e -> assertThat(((health.vigil.error.ConflictException) e).code())
                        .isEqualTo(health.vigil.error.ErrorCode.AUDIT_CHAIN_BROKEN))
                .hasMessageContaining("is broken at record 2026-11-04#1 (BROKEN_LINK: the first record of 2026-11-04"
                        + " does not chain to any record of 2026-11-03");
        assertThat(artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.DIGESTS)).isEmpty();
        assertThat(store.read(DAY.plusDays(1).toString())).extracting(AuditRecord::action)
                .contains("audit.export.refused");
    }

    @Test
    void aDayWhoseDailyExportFailedIsSignedAloneByTheNextRunAfterItEnded() {
        AtomicBoolean outage = new AtomicBoolean(true);
        InMemoryArtifactStore failing = Mockito.spy(artifacts);
        Mockito.doAnswer(call -> {
            if (call.<String>getArgument(1).startsWith(EvidenceLayout.EXPORTS) && outage.getAndSet(false)) {
                throw new StoreException("the blob store is not answering (a test outage)", null);
            }
            return call.callRealMethod();
        }).when(failing).put(Mockito.anyString(), Mockito.anyString(), Mockito.any(), Mockito.anyBoolean(),
                Mockito.any());
        AuditEvidence daily = new AuditEvidence(store, log, failing, key, clock);
        clock.set(Instant.parse("2026-11-04T00:15:00Z"));
        assertThatThrownBy(daily::exportPreviousDay).isInstanceOf(StoreException.class);
        long recordsOfTheDay = store.read(DAY.toString()).size();
        clock.set(Instant.parse("2026-11-04T09:00:00Z"));
        log.record("user-8", "model.approve", "/models/m/versions/4", "approved", Map.of());

        clock.set(Instant.parse("2026-11-05T00:15:00Z"));
        ExportResult next = daily.exportPreviousDay();

        assertThat(next.records()).startsWith(EvidenceLayout.EXPORTS + DAY.plusDays(1) + "_" + DAY.plusDays(1));
        assertThat(digests()).hasSize(2).filteredOn(d -> d.field("from").equals(DAY.toString()))
                .singleElement().satisfies(missed -> {
                    assertThat(missed.field("to")).isEqualTo(DAY.toString());
                    assertThat(missed.field("count")).isEqualTo(Long.toString(recordsOfTheDay));
                    assertThat(missed.field("readAt")).isEqualTo("2026-11-05T00:15:00Z");
                    assertThat(missed.field("exportedBy")).isEqualTo("vigil-system");
                });
        assertThat(verify().firstProblem()).isNull();

        // Once signed, the day is not exported again: the next run signs only its own day.
        clock.set(Instant.parse("2026-11-06T00:15:00Z"));
        daily.exportPreviousDay();
        assertThat(digests()).extracting(d -> d.field("from"))
                .containsExactly(DAY.plusDays(1).toString(), DAY.toString(), DAY.plusDays(2).toString());
    }

    @Test
    void aBrokenDayTheDailyExportRefusedIsTriedAgainByTheNextRunAndItsRefusalRecordedOnce() {
        store.delete(DAY.toString(), 3);
        clock.set(Instant.parse("2026-11-04T00:15:00Z"));
        assertThatThrownBy(evidence::exportPreviousDay).isInstanceOf(health.vigil.error.ConflictException.class);
        clock.set(Instant.parse("2026-11-04T09:00:00Z"));
        log.record("user-8", "model.approve", "/models/m/versions/4", "approved", Map.of());

        clock.set(Instant.parse("2026-11-05T00:15:00Z"));
        assertThatThrownBy(evidence::exportPreviousDay)
                .isInstanceOfSatisfying(health.vigil.error.ConflictException.class, e -> assertThat(e.code())
                        .isEqualTo(health.vigil.error.ErrorCode.AUDIT_CHAIN_BROKEN))
                .hasMessageContaining("the audit chain of " + DAY + " to " + DAY + " is broken at record " + DAY
                        + "#4");

        // The day after it is signed all the same, and the broken day is refused, and recorded, once.
        assertThat(digests()).extracting(d -> d.field("from")).containsExactly(DAY.plusDays(1).toString());
        List<AuditRecord> refusals = store.partitions().stream().flatMap(p -> store.read(p).stream())
                .filter(r -> r.action().equals("audit.export.refused")).toList();
        assertThat(refusals).singleElement().satisfies(r -> assertThat(r.details())
                .containsEntry("brokenAt", DAY + "#4").containsEntry("problem", "SEQUENCE_GAP"));
    }

    private List<SignedStatement> digests() {
        return artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.DIGESTS).stream()
                .map(ArtifactStore.StoredArtifact::name).sorted()
                .map(name -> SignedStatement.parse(artifacts.get(name)).orElseThrow()).toList();
    }

    @Test
    void eachExportIsCountedByHowItEndedButAPeriodRefusedBeforeAnyReadIsNot() {
        List<String> counted = new java.util.ArrayList<>();
        InMemoryAuditStore failing = Mockito.spy(new InMemoryAuditStore());
        Mockito.doThrow(new StoreException("the audit store is not answering (a test outage)", null)).doCallRealMethod()
                .when(failing).tryAppendOnce(Mockito.anyString(), Mockito.any());
        AuditLog failingLog = new AuditLog(failing, clock);
        AuditEvidence exports = new AuditEvidence(failing, failingLog, artifacts, key, clock,
                new health.vigil.port.Telemetry() {
                    @Override
                    public void auditExport(String outcome) {
                        counted.add(outcome);
                    }
                });

        assertThatThrownBy(() -> exports.export(DAY, DAY, "compliance-officer")).isInstanceOf(StoreException.class);
        exports.export(DAY, DAY, "compliance-officer");
        exports.export(DAY, DAY, "compliance-officer");
        assertThatThrownBy(() -> exports.export(DAY, DAY.plusDays(2), "compliance-officer"))
                .isInstanceOf(health.vigil.error.ValidationException.class);

        assertThat(counted).containsExactly("failed", "exported", "exported");
    }

    private static List<AuditRecord> exported(InMemoryAuditStore in) {
        return in.partitions().stream().flatMap(p -> in.read(p).stream())
                .filter(r -> r.action().equals("audit.exported")).toList();
    }

    @Test
    void theDailyExportOnTwoInstancesAtOnceSignsTheDayOnce() {
        List<ExportResult> others = new ArrayList<>();
        // The other instance's timer runs its whole export while this one has stored the records but not yet signed
        // them.
        ExportResult mine = dailyExportWhile(EvidenceLayout.EXPORTS, false, other -> others.add(other.exportPreviousDay()));

        assertThat(others).singleElement().satisfies(o -> assertThat(o.digest()).isEqualTo(mine.digest()));
        assertThat(artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.DIGESTS)).hasSize(1);
        assertThat(exported(store)).hasSize(1);
        assertThat(verify().firstProblem()).isNull();
    }

    /**
     * The other instance signs the same day and someone exports today, either as this instance stores its first digest
     * (its digest number is taken, and the latest digest is of another period) or between this instance storing the
     * records and looking for their digest.
     */
    @org.junit.jupiter.params.ParameterizedTest(name = "while storing {0}")
    @org.junit.jupiter.params.provider.ValueSource(strings = {EvidenceLayout.DIGESTS, EvidenceLayout.EXPORTS})
    void theDailyExportOnTwoInstancesSignsTheDayOnceWhenAnExportOfAnotherPeriodLandsBetweenThem(String storing) {
        List<ExportResult> others = new ArrayList<>();
        ExportResult mine = dailyExportWhile(storing, storing.equals(EvidenceLayout.DIGESTS), other -> {
            others.add(other.exportPreviousDay());
            others.add(other.export(DAY.plusDays(1), DAY.plusDays(1), "compliance-officer"));
        });

        assertThat(mine.digest()).isEqualTo(others.get(0).digest()).isEqualTo("digests/00000001.json");
        assertThat(artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.DIGESTS)).hasSize(2);
        assertThat(exported(store)).hasSize(2);
        assertThat(verify().firstProblem()).isNull();
    }

    /**
     * This instance's daily export at 00:15, while another instance does {@code meanwhile} once, as this one stores its
     * first file under {@code prefix}: before that file is stored when {@code before}, just after it otherwise. (A spy
     * of the store shares its blobs.)
     */
    private ExportResult dailyExportWhile(String prefix, boolean before,
            java.util.function.Consumer<AuditEvidence> meanwhile) {
        clock.set(Instant.parse("2026-11-04T00:15:00Z"));
        AuditEvidence other = new AuditEvidence(store, new AuditLog(store, clock), artifacts, key, clock);
        AtomicBoolean done = new AtomicBoolean();
        InMemoryArtifactStore racing = Mockito.spy(artifacts);
        Mockito.doAnswer(call -> {
            boolean now = call.<String>getArgument(1).startsWith(prefix) && !done.getAndSet(true);
            if (now && before) {
                meanwhile.accept(other);
            }
            Object stored = call.callRealMethod();
            if (now && !before) {
                meanwhile.accept(other);
            }
            return stored;
        }).when(racing).put(Mockito.anyString(), Mockito.anyString(), Mockito.any(), Mockito.anyBoolean(),
                Mockito.any());
        return new AuditEvidence(store, log, racing, key, clock).exportPreviousDay();
    }

    @Test
    void eachExportNamesThePreviousDigest() {
        ExportResult first = evidence.export(DAY, DAY, "a");
        clock.advance(Duration.ofMinutes(1));
        ExportResult second = evidence.export(DAY, DAY, "b");

        assertThat(second.digest()).isEqualTo("digests/00000002.json");
        SignedStatement digest = SignedStatement.parse(artifacts.get(second.digest())).orElseThrow();
        assertThat(digest.field("previousDigest")).isEqualTo(first.digest());
        assertThat(digest.field("previousDigestSha256")).isEqualTo(health.vigil.hash.Sha256.hex(artifacts.get(first.digest())));
        // The second export holds the first export's own audit record, so its content differs.
        assertThat(second.count()).isGreaterThan(first.count());
        assertThat(verify().firstProblem()).isNull();
    }

    @Test
    void anAnchorIsWrittenOncePerHourAndChainsToTheLastOne() {
        assertThat(evidence.anchor()).contains("anchors/2026-11-03T10Z.json");
        int blobs = artifacts.size();
        assertThat(evidence.anchor()).isEmpty();
        assertThat(artifacts.size()).isEqualTo(blobs);

        clock.advance(Duration.ofHours(3));
        assertThat(evidence.anchor()).contains("anchors/2026-11-03T13Z.json");
        SignedStatement anchor = SignedStatement.parse(artifacts.get("anchors/2026-11-03T13Z.json")).orElseThrow();
        assertThat(anchor.field("previousAnchor")).isEqualTo("anchors/2026-11-03T10Z.json");
        AuditRecord head = store.last(DAY.toString()).orElseThrow();
        assertThat(anchor.field("chainHeadRecord")).isEqualTo(DAY + "#" + head.sequence());
        assertThat(anchor.field("chainHeadHash")).isEqualTo(head.hash());
        assertThat(verify().firstProblem()).isNull();
    }

    @Test
    void anAnchorSignedOutsideItsHourIsMalformedToTheExportAndTheStoreChecks() {
        // Exported before the anchor is signed, so the digest names no anchor and the anchor can be signed again below
        // (a digest signed after it names its bytes, and the anchor replaced is then a broken chain).
        evidence.export(DAY, DAY, "compliance-officer");
        String name = evidence.anchor().orElseThrow();
        byte[] signed = artifacts.get(name);
        SignedStatement anchor = SignedStatement.parse(signed).orElseThrow();
        List<PublicKeyCheck> checks = List.of(this::verify,
                () -> evidence.verifyStore(DAY, DAY, List.of(key.publicKey())));
        Map<String, String> outside = new java.util.LinkedHashMap<>();
        outside.put("the next hour", "2026-11-03T11:00:00Z");
        outside.put("the next day", "2026-11-04T10:15:00Z");
        outside.put("the hour before", "2026-11-03T09:59:59.999Z");
        outside.forEach((what, anchoredAt) -> {
            artifacts.set(name, resigned(anchor, "anchoredAt", anchoredAt));
            for (PublicKeyCheck check : checks) {
                assertThat(check.report().firstProblem()).as(what).isNotNull().satisfies(problem -> {
                    assertThat(problem.kind()).isEqualTo(EvidenceReport.Kind.MALFORMED_STATEMENT);
                    assertThat(problem.file()).isEqualTo(name);
                    assertThat(problem.message()).isEqualTo(name + " was signed at " + anchoredAt + " (its"
                            + " anchoredAt), outside its hour 2026-11-03T10Z (from 2026-11-03T10:00:00Z to"
                            + " 2026-11-03T11:00:00Z): an anchor is signed within the hour it is named for, so this"
                            + " one was not made by Vigil's hourly anchoring, or the clock of the instance that signed"
                            + " it was wrong");
                });
            }
        });

        artifacts.set(name, resigned(anchor, "anchoredAt", "2026-11-03T10:59:59.999Z"));
        checks.forEach(check -> assertThat(check.report().firstProblem()).isNull());
        artifacts.set(name, signed);
        checks.forEach(check -> assertThat(check.report().firstProblem()).isNull());
    }

    @Test
    void anAnchorWhoseHeadIsReadPastTheHourIsNamedForTheHourItIsSignedIn() {
        clock.set(Instant.parse("2026-11-03T10:59:59.990Z"));
        InMemoryAuditStore slow = Mockito.spy(store);
        Mockito.doAnswer(call -> {
            clock.set(Instant.parse("2026-11-03T11:00:00.010Z"));
            return call.callRealMethod();
        }).when(slow).last(Mockito.anyString());

        Optional<String> name = new AuditEvidence(slow, log, artifacts, key, clock).anchor();

        assertThat(name).contains("anchors/2026-11-03T11Z.json");
        assertThat(SignedStatement.parse(artifacts.get(name.get())).orElseThrow().field("anchoredAt"))
                .isEqualTo("2026-11-03T11:00:00.010Z");
        assertThat(verify().firstProblem()).isNull();
    }

    @Test
    void aDigestSignedBeforeItsRecordsWereReadIsMalformedToTheExportAndTheStoreChecks() {
        ExportResult export = evidence.export(DAY, DAY, "compliance-officer");
        byte[] signed = artifacts.get(export.digest());
        SignedStatement digest = SignedStatement.parse(signed).orElseThrow();
        List<PublicKeyCheck> checks = List.of(this::verify,
                () -> evidence.verifyStore(DAY, DAY, List.of(key.publicKey())));

        artifacts.set(export.digest(), resigned(digest, "exportedAt", "2026-11-03T10:19:59.999Z"));
        for (PublicKeyCheck check : checks) {
            assertThat(check.report().firstProblem()).isNotNull()
                    .extracting(EvidenceReport.Problem::kind, EvidenceReport.Problem::file, EvidenceReport.Problem::message)
                    .containsExactly(EvidenceReport.Kind.MALFORMED_STATEMENT, export.digest(), export.digest()
                            + " was signed at 2026-11-03T10:19:59.999Z (its exportedAt), before its export began reading"
                            + " the records at 2026-11-03T10:20:00Z (its readAt): a digest is signed after its records"
                            + " are read, so this one was not made by Vigil's export, or the clock of the instance that"
                            + " signed it was wrong");
        }
        artifacts.set(export.digest(), resigned(digest, "exportedAt", digest.field("readAt")));
        checks.forEach(check -> assertThat(check.report().firstProblem()).isNull());
        artifacts.set(export.digest(), signed);
        checks.forEach(check -> assertThat(check.report().firstProblem()).isNull());
    }

    @Test
    void aDigestWhosePeriodEndsBeforeItStartsIsMalformedToTheExportAndTheStoreChecks() {
        // An empty period: its export holds no record, so nothing but the period itself can show the forgery.
        ExportResult export = evidence.export(DAY.minusDays(5), DAY.minusDays(5), "compliance-officer");
        byte[] signed = artifacts.get(export.digest());
        SignedStatement digest = SignedStatement.parse(signed).orElseThrow();
        List<PublicKeyCheck> checks = List.of(this::verify,
                () -> evidence.verifyStore(DAY, DAY, List.of(key.publicKey())));

        artifacts.set(export.digest(), resigned(digest, "from", DAY.minusDays(4).toString()));
        for (PublicKeyCheck check : checks) {
            assertThat(check.report().firstProblem()).isNotNull()
                    .extracting(EvidenceReport.Problem::kind, EvidenceReport.Problem::file, EvidenceReport.Problem::message)
                    .containsExactly(EvidenceReport.Kind.MALFORMED_STATEMENT, export.digest(), export.digest()
                            + " covers the days from 2026-10-30 to 2026-10-29, which ends before it starts: an export's"
                            + " first day is not after its last, so this digest was not made by Vigil's export");
        }
        artifacts.set(export.digest(), signed);
        checks.forEach(check -> assertThat(check.report().firstProblem()).isNull());
    }

    @Test
    void aDigestIsNotSignedBeforeItsRecordsWereReadWhenTheClockStepsBack() {
        InMemoryArtifactStore steppingBack = Mockito.spy(artifacts);
        Mockito.doAnswer(call -> {
            clock.set(Instant.parse("2026-11-03T10:19:58Z"));
            return call.callRealMethod();
        }).when(steppingBack).put(Mockito.anyString(), Mockito.startsWith(EvidenceLayout.EXPORTS), Mockito.any(),
                Mockito.anyBoolean(), Mockito.any());

        ExportResult export = new AuditEvidence(store, log, steppingBack, key, clock).export(DAY, DAY, "a");

        SignedStatement digest = SignedStatement.parse(artifacts.get(export.digest())).orElseThrow();
        assertThat(digest.field("readAt")).isEqualTo("2026-11-03T10:20:00Z");
        assertThat(digest.field("exportedAt")).isEqualTo("2026-11-03T10:20:00Z");
        assertThat(verify().firstProblem()).isNull();
    }

    @Test
    void aSignatureWithoutItsBase64PaddingDoesNotVerify() {
        ExportResult export = evidence.export(DAY, DAY, "compliance-officer");
        byte[] signed = artifacts.get(export.digest());
        SignedStatement digest = SignedStatement.parse(signed).orElseThrow();
        // 64 bytes are 86 base64 characters and two '=' of padding, which the format writes and requires.
        assertThat(digest.signature()).hasSize(88).endsWith("==");
        String unpadded = digest.signature().substring(0, 86);
        artifacts.set(export.digest(), new SignedStatement(digest.fields(), digest.keyId(), unpadded)
                .toJson(EvidenceLayout.DIGEST_ORDER));

        assertThat(verify().firstProblem()).isNotNull()
                .extracting(EvidenceReport.Problem::kind, EvidenceReport.Problem::file)
                .containsExactly(EvidenceReport.Kind.BAD_SIGNATURE, export.digest());
        artifacts.set(export.digest(), signed);
        assertThat(verify().firstProblem()).isNull();
    }

    /** One of the checks that read the signed evidence. */
    private interface PublicKeyCheck {
        EvidenceReport report();
    }

    private byte[] resigned(SignedStatement statement, String field, String value) {
        Map<String, String> fields = new java.util.TreeMap<>(statement.fields());
        fields.put(field, value);
        return SignedStatement.sign(fields, key).toJson(List.of());
    }

    @Test
    void aNewSigningKeyIsPublishedAndRecordedOnceAndOldEvidenceKeepsVerifying() {
        evidence.anchor();
        KeyPairSigner rotated = KeyPairSigner.generate(new SecureRandom());
        AuditEvidence afterRotation = new AuditEvidence(store, log, artifacts, rotated, clock);
        clock.advance(Duration.ofHours(1));
        afterRotation.anchor();
        clock.advance(Duration.ofHours(1));
        afterRotation.anchor();

        assertThat(EvidenceFiles.container(artifacts).list(EvidenceLayout.KEYS)).hasSize(2);
        assertThat(store.read(DAY.toString())).filteredOn(r -> r.action().equals("audit.signing-key.published"))
                .extracting(r -> r.details().get("keyId"))
                .containsExactly(SigningKeys.keyId(key.publicKey()), SigningKeys.keyId(rotated.publicKey()));
        assertThat(new EvidenceVerifier(List.of(key.publicKey(), rotated.publicKey()))
                .verify(EvidenceFiles.container(artifacts)).firstProblem()).isNull();
        EvidenceReport.Problem onlyTheNewKey = new EvidenceVerifier(List.of(rotated.publicKey()))
                .verify(EvidenceFiles.container(artifacts)).firstProblem();
        assertThat(onlyTheNewKey.kind()).isEqualTo(EvidenceReport.Kind.UNTRUSTED_KEY);
        assertThat(onlyTheNewKey.message()).contains("after a key rotation, give the earlier keys too");
    }

    @Test
    void aKeyStoredWithoutItsPublicationRecordIsRecordedOnceByTheNextProcessThatSignsWithIt() {
        String keyId = storeKeyAsAProcessThatStoppedBeforeRecordingIt();

        new AuditEvidence(store, log, artifacts, key, clock).anchor();
        clock.advance(Duration.ofHours(1));
        new AuditEvidence(store, log, artifacts, key, clock).anchor();

        assertThat(publicationRecords()).extracting(r -> r.details().get("keyId")).containsExactly(keyId);
    }

    @Test
    void instancesThatSignAtOnceWithAKeyWhosePublicationWasNotRecordedRecordItOnce() throws Exception {
        String keyId = storeKeyAsAProcessThatStoppedBeforeRecordingIt();

        // Each instance anchors an hour of its own, so every one of them signs with the key.
        Parallel.run(8, t -> new AuditEvidence(store, log, artifacts, key,
                new MutableClock(Instant.parse("2026-11-03T11:00:00Z").plus(Duration.ofHours(t)))).anchor());

        assertThat(EvidenceFiles.container(artifacts).list(EvidenceLayout.ANCHORS)).hasSize(8);
        assertThat(publicationRecords()).extracting(r -> r.details().get("keyId")).containsExactly(keyId);
    }

    /** The key's PEM in audit-exports, as a process leaves it that stopped before recording the publication. */
    private String storeKeyAsAProcessThatStoppedBeforeRecordingIt() {
        byte[] der = key.publicKey().getEncoded();
        String keyId = SigningKeys.keyId(der);
        artifacts.put(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.keyName(keyId),
                new ByteArrayInputStream(SigningKeys.pem(der).getBytes(StandardCharsets.US_ASCII)), false);
        return keyId;
    }

    private List<AuditRecord> publicationRecords() {
        return store.read(DAY.toString()).stream().filter(r -> r.action().equals("audit.signing-key.published"))
                .toList();
    }

    @Test
    void theEvidenceForAnExportIsItsRecordsEveryDigestUpToItEveryAnchorAndTheKeys() {
        evidence.anchor();
        ExportResult first = evidence.export(DAY, DAY, "a");
        clock.advance(Duration.ofMinutes(1));
        evidence.export(DAY, DAY, "b");

        assertThat(evidence.evidenceFor(first)).containsExactly(first.records(), first.digest(),
                "anchors/2026-11-03T10Z.json", EvidenceLayout.keyName(first.keyId()));
    }

    /**
     * A write racing midnight lands in a day after the next day's first record chained to that day's last record
     * then: the day's digest names the racing record as its last, so only the day's export shows the record the next
     * day's first chains to. The evidence for the next day's export holds it, and verifies on its own.
     */
    @Test
    void theEvidenceForAnExportVerifiesOnItsOwnWhenAWriteRacingMidnightFollowedTheRecordItsFirstChainsTo() {
        clock.set(Instant.parse("2026-11-04T00:00:01Z"));
        log.record("user-9", "deployment.deploy", "/models/m/versions/4", "deployed", Map.of());
        clock.set(Instant.parse("2026-11-03T23:59:59Z"));
        log.record("user-8", "deployment.deploy", "/models/m/versions/3", "deployed", Map.of());
        clock.set(Instant.parse("2026-11-04T01:00:00Z"));
        ExportResult day = evidence.export(DAY, DAY, "auditor");
        clock.set(Instant.parse("2026-11-05T01:00:00Z"));
        ExportResult nextDay = evidence.export(DAY.plusDays(1), DAY.plusDays(1), "auditor");

        List<String> bundle = evidence.evidenceFor(nextDay);

        assertThat(bundle).contains(nextDay.records(), day.records());
        String[] leftOut = artifacts.list(ArtifactStore.AUDIT_EXPORTS, "").stream()
                .map(ArtifactStore.StoredArtifact::name).filter(n -> !bundle.contains(n)).toArray(String[]::new);
        EvidenceReport report = verify(Map.of(), leftOut);
        assertThat(report.firstProblem()).isNull();
        assertThat(report.exports()).isEqualTo(2);
    }
    @Test
    void aPeriodThatEndsBeforeItStartsIsRefused() {
        assertThatThrownBy(() -> evidence.export(DAY, DAY.minusDays(1), "a"))
                .isInstanceOf(ValidationException.class).hasMessageContaining("swap from and to");
    }

    @Test
    void aPeriodLongerThanAYearIsRefusedAndNothingIsExported() {
        int blobs = artifacts.size();
        LocalDate yearBefore = DAY.minusDays(AuditLog.MAX_PERIOD_DAYS);

        assertThatThrownBy(() -> evidence.export(yearBefore, DAY, "a")).isInstanceOf(ValidationException.class)
                .hasMessage("the period is longer than 366 days; ask for a shorter one")
                .satisfies(e -> assertThat(((ValidationException) e).code()).isEqualTo(
                        health.vigil.error.ErrorCode.INVALID_REQUEST));
        assertThat(artifacts.size()).isEqualTo(blobs);
        assertThat(evidence.export(yearBefore.plusDays(1), DAY, "a").created()).isTrue();
    }

    @Test
    void aPeriodThatEndsAfterTodayIsRefusedAndNothingIsExported() {
        // The clock reads 2026-11-03: today may be exported as far as it has gone, a day to come may not.
        assertThatThrownBy(() -> evidence.export(DAY, DAY.plusDays(1), "a")).isInstanceOf(ValidationException.class)
                .hasMessageContaining("ends on 2026-11-04, after today (2026-11-03, UTC)");
        assertThatThrownBy(() -> evidence.export(LocalDate.of(9999, 12, 31), LocalDate.of(9999, 12, 31), "a"))
                .isInstanceOf(ValidationException.class).hasMessageContaining("after today");
        assertThat(evidence.export(DAY, DAY, "a").created()).isTrue();
    }

    @Test
    void noTrustedKeyIsAProblemNotASuccess() {
        evidence.export(DAY, DAY, "a");
        EvidenceReport report = new EvidenceVerifier(List.of()).verify(EvidenceFiles.container(artifacts));
        assertThat(report.valid()).isFalse();
        assertThat(report.firstProblem().kind()).isEqualTo(EvidenceReport.Kind.NO_TRUSTED_KEY);
    }

    @Test
    void theStoreCheckedBeforeAnythingIsSignedAnswersNothingSignedAsItIsRecordedAndNotValid() {
        EvidenceReport report = evidence.verifyStore(DAY, DAY, evidence.publishedKeys());

        // The answer of GET /audit/evidence/verify: the outcome its audit record gives, no problem, and not valid.
        com.fasterxml.jackson.databind.JsonNode answer = Json.readTree("the report", Json.writeResponse(report));
        assertThat(answer.get("outcome").asText()).isEqualTo("nothing-signed").isEqualTo(report.outcome());
        assertThat(answer.get("valid").asBoolean()).isFalse();
        assertThat(answer.get("firstProblem").isNull()).isTrue();
        assertThat(answer.get("notes").get(0).asText()).startsWith("nothing is signed yet")
                .contains("no proof that they are intact");
        assertThat(answer.has("nothingSigned")).isFalse();

        // An auditor's folder without a key is still a verification that cannot run, whatever it holds.
        EvidenceReport folder = new EvidenceVerifier(List.of()).verify(EvidenceFiles.container(artifacts));
        assertThat(folder.firstProblem().kind()).isEqualTo(EvidenceReport.Kind.NO_TRUSTED_KEY);
        assertThat(folder.outcome()).isEqualTo("broken");
    }

    @Test
    void signedStatementsWithoutAKeyToCheckThemAreBrokenEvidenceNotNothingSigned() {
        EvidenceReport empty = new EvidenceVerifier(List.of()).verifyRecords(EvidenceFiles.container(artifacts),
                new java.io.ByteArrayInputStream(new byte[0]), DAY, DAY, clock.instant());
        assertThat(empty.nothingSigned()).isTrue();
        assertThat(empty.outcome()).isEqualTo("nothing-signed");

        // The keys removed after anchors and digests were signed: the store-side check trusts none, as the server's
        // does when keys/ is empty, and must not call the trail one that was never signed.
        evidence.anchor();
        evidence.export(DAY, DAY, "a");
        EvidenceReport keysGone = new EvidenceVerifier(List.of()).verify(EvidenceFiles.container(artifacts));
        assertThat(keysGone.firstProblem().kind()).isEqualTo(EvidenceReport.Kind.NO_TRUSTED_KEY);
        assertThat(keysGone.firstProblem().file()).startsWith(EvidenceLayout.ANCHORS);
        assertThat(keysGone.firstProblem().message()).contains("to check the 2 signed statements here");
        assertThat(keysGone.nothingSigned()).isFalse();
        assertThat(keysGone.outcome()).isEqualTo("broken");
        EvidenceReport storeCheck = new EvidenceVerifier(List.of()).verifyRecords(EvidenceFiles.container(artifacts),
                new java.io.ByteArrayInputStream(new byte[0]), DAY, DAY, clock.instant());
        assertThat(storeCheck.outcome()).isEqualTo("broken");
    }

    @Test
    void theStoreCheckedAfterEveryAnchorAndDigestWasRemovedIsBrokenNotValid() {
        evidence.anchor();
        evidence.export(DAY, DAY, "a");
        assertThat(evidence.verifyStore(DAY, DAY, evidence.publishedKeys()).outcome()).isEqualTo("valid");

        // The keys stay; every signed statement is deleted, so the store could be cut short unseen.
        deleteSignedStatements();
        EvidenceReport report = evidence.verifyStore(DAY, DAY, evidence.publishedKeys());

        assertThat(report.outcome()).isEqualTo("broken");
        assertThat(report.firstProblem().kind()).isEqualTo(EvidenceReport.Kind.BROKEN_STATEMENT_CHAIN);
        assertThat(report.firstProblem().message()).contains("a signing key is published").contains("removed");
    }

    @Test
    void aPublishedKeyFileThatDoesNotReadIsBrokenEvidenceNotNothingSigned() throws IOException {
        evidence.anchor();
        evidence.export(DAY, DAY, "a");
        // The published key cut short, so it reads as no key, and every signed statement deleted: nothing is left
        // that shows anything was signed but the key file itself.
        String keyFile = artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.KEYS).get(0).name();
        String pem;
        try (InputStream in = artifacts.open(ArtifactStore.AUDIT_EXPORTS, keyFile)) {
            pem = new String(in.readAllBytes(), StandardCharsets.US_ASCII);
        }
        List<String> lines = pem.lines().toList();
        String cut = String.join("\n", lines.subList(0, 2)) + "\n" + lines.get(lines.size() - 1) + "\n";
        artifacts.delete(ArtifactStore.AUDIT_EXPORTS, keyFile);
        artifacts.put(ArtifactStore.AUDIT_EXPORTS, keyFile,
                new ByteArrayInputStream(cut.getBytes(StandardCharsets.US_ASCII)), false);
        deleteSignedStatements();
        assertThat(evidence.publishedKeys()).isEmpty();

        EvidenceReport report = evidence.verifyStore(DAY, DAY, evidence.publishedKeys());

        assertThat(report.outcome()).isEqualTo("broken");
        assertThat(report.firstProblem().kind()).isEqualTo(EvidenceReport.Kind.NO_TRUSTED_KEY);
        assertThat(report.firstProblem().file()).isEqualTo(keyFile);
        assertThat(report.firstProblem().message()).startsWith(keyFile + " is published as a signing key but does"
                + " not read as one").doesNotContain(lines.get(1));
    }

    /**
     * A file that does not read as a key, added to keys/ beside the real one, does not keep a consistently rewritten
     * store from being found contradicting its signed digest: the export still refuses to sign the rewritten day.
     */
    @Test
    void aJunkFileAmongThePublishedKeysDoesNotLetAnExportSignARewrittenDay() {
        ExportResult signed = signTheDayThenRewriteItAndRecordTheNext();
        artifacts.put(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.KEYS + "zz-junk.pem",
                new ByteArrayInputStream("junk".getBytes(StandardCharsets.US_ASCII)), false);
        clock.set(Instant.parse("2026-11-05T00:15:00Z"));

        assertThatThrownBy(evidence::exportPreviousDay).isInstanceOf(health.vigil.error.ConflictException.class)
                .hasMessageContaining("contradict audit-exports/" + signed.digest())
                .hasMessageContaining("CONTRADICTS_SIGNED_EVIDENCE");
        assertThat(artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.DIGESTS)).singleElement()
                .extracting(ArtifactStore.StoredArtifact::name).isEqualTo(signed.digest());
    }

    /** With records that agree with what was signed, such a file is still the store check's finding. */
    @Test
    void aJunkFileAmongThePublishedKeysIsBrokenEvidenceWhenTheRecordsAgree() {
        evidence.anchor();
        evidence.export(DAY, DAY, "a");
        artifacts.put(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.KEYS + "zz-junk.pem",
                new ByteArrayInputStream("junk".getBytes(StandardCharsets.US_ASCII)), false);

        EvidenceReport report = evidence.verifyStore(DAY, DAY, evidence.publishedKeys());

        assertThat(report.outcome()).isEqualTo("broken");
        assertThat(report.firstProblem().kind()).isEqualTo(EvidenceReport.Kind.NO_TRUSTED_KEY);
        assertThat(report.firstProblem().file()).isEqualTo(EvidenceLayout.KEYS + "zz-junk.pem");
    }

    /** Deletes every anchor and digest in the container, keeping the exports and the published keys. */
    private void deleteSignedStatements() {
        for (String prefix : List.of(EvidenceLayout.ANCHORS, EvidenceLayout.DIGESTS)) {
            artifacts.list(ArtifactStore.AUDIT_EXPORTS, prefix)
                    .forEach(a -> artifacts.delete(ArtifactStore.AUDIT_EXPORTS, a.name()));
        }
    }

    @Test
    void aDigestOfALongerPeriodWhoseRecordsOfTheExportedDayAreNotAmongTheFilesIsAProblem() {
        ExportResult morning = evidence.export(DAY, DAY, "a");
        clock.advance(Duration.ofHours(2));
        log.record("user-9", "model.approve", "/models/m/versions/4", "approved", Map.of());
        clock.set(Instant.parse("2026-11-04T09:00:00Z"));
        log.record("user-9", "deployment.deploy", "/models/m/versions/4", "deployed", Map.of());
        ExportResult twoDays = evidence.export(DAY, DAY.plusDays(1), "b");

        EvidenceReport report = verify(Map.of(), twoDays.records());

        assertThat(report.firstProblem().kind()).isEqualTo(EvidenceReport.Kind.MISSING_EXPORT);
        assertThat(report.firstProblem().file()).isEqualTo(twoDays.digest());
        // The morning's export holds the day's first 5 records; the later ones of the day are signed, not included.
        long dayRecords = store.read(DAY.toString()).size();
        assertThat(report.firstProblem().message()).contains("attests records " + DAY + "#" + (morning.count() + 1)
                + " to " + DAY + "#" + dayRecords).contains("they hold " + DAY + " up to #" + morning.count())
                .contains("include " + twoDays.records());
    }

    @Test
    void aDigestOfAnotherPeriodOrOfRecordsANewerExportHoldsIsANote() {
        clock.set(Instant.parse("2026-11-04T09:00:00Z"));
        log.record("user-9", "deployment.deploy", "/models/m/versions/4", "deployed", Map.of());
        ExportResult yesterday = evidence.exportPreviousDay();
        ExportResult older = evidence.export(DAY.plusDays(1), DAY.plusDays(1), "a");
        clock.advance(Duration.ofMinutes(5));
        ExportResult newer = evidence.export(DAY.plusDays(1), DAY.plusDays(1), "b");

        EvidenceReport report = verify(Map.of(), yesterday.records(), older.records());

        assertThat(report.firstProblem()).isNull();
        assertThat(report.exports()).isEqualTo(1);
        assertThat(report.notes()).anySatisfy(note -> assertThat(note).startsWith(yesterday.digest() + " names "
                + yesterday.records()).contains("outside the days these exports hold"));
        assertThat(report.notes()).anySatisfy(note -> assertThat(note).startsWith(older.digest() + " names "
                + older.records()).contains("every record it holds of the days these exports hold is among them"));
        assertThat(newer.count()).isGreaterThan(older.count());
    }

    @Test
    void aRecordWhoseLinkIsNullIsABrokenLinkNotACrash() throws IOException {
        ExportResult export = evidence.export(DAY, DAY, "a");
        List<String> lines;
        try (InputStream in = artifacts.open(ArtifactStore.AUDIT_EXPORTS, export.records())) {
            lines = new ArrayList<>(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList());
        }
        // The second record's link is set to null and its hash recomputed, so only the link is wrong.
        AuditRecord second = Json.read("line 2", lines.get(1), AuditRecord.class);
        AuditRecord unlinked = new AuditRecord(second.id(), second.partition(), second.sequence(), second.time(),
                second.actor(), second.action(), second.subject(), second.outcome(), second.details(), null, null);
        lines.set(1, lines.get(1)
                .replace("\"previousHash\":\"" + second.previousHash() + "\"", "\"previousHash\":null")
                .replace("\"hash\":\"" + second.hash() + "\"", "\"hash\":\"" + AuditChain.hashOf(unlinked) + "\""));
        assertThat(lines.get(1)).contains("\"previousHash\":null").doesNotContain(second.hash());

        EvidenceReport report = verify(Map.of(export.records(), (String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8)));

        assertThat(report.firstProblem().kind()).isEqualTo(EvidenceReport.Kind.BROKEN_LINK);
        assertThat(report.firstProblem().file()).isEqualTo(export.records());
        assertThat(report.firstProblem().line()).isEqualTo(2);
    }

    @Test
    void anExportThatDoesNotStartADayAtRecordOneSaysWhichRecordsAreMissing() {
        ExportResult export = evidence.export(DAY, DAY, "a");
        List<String> lines = new String(artifacts.get(export.records()), StandardCharsets.UTF_8).lines().toList();
        List<AuditRecord> records = lines.stream().map(l -> Json.read("a line", l, AuditRecord.class)).toList();
        AuditRecord first = records.get(0);
        // Renumbered from 0 and chained again, as someone who holds the records but not the key could.
        AuditRecord zero = new AuditRecord(first.id(), first.partition(), 0, first.time(), first.actor(), first.action(),
                first.subject(), first.outcome(), first.details(), first.previousHash(), null);
        Map<String, byte[]> starts = new java.util.LinkedHashMap<>();
        starts.put("has sequence 2: record 1 of that day is missing", export(lines.subList(1, lines.size())));
        starts.put("has sequence 4: records 1 to 3 of that day are missing", export(lines.subList(3, lines.size())));
        starts.put("has sequence 0: the records of a day are numbered from 1",
                export(Tampering.rechain(List.of(zero), 0).stream().map(Json::write).toList()));

        starts.forEach((words, file) -> assertThat(verify(Map.of(export.records(), file)).firstProblem())
                .extracting(EvidenceReport.Problem::kind, EvidenceReport.Problem::line, EvidenceReport.Problem::message)
                .containsExactly(EvidenceReport.Kind.SEQUENCE_GAP, 1L, "line 1 of " + export.records() + " ("
                        + DAY + "#" + words.substring("has sequence ".length(), words.indexOf(':')) + ") is the first"
                        + " record of " + DAY + " but " + words));
    }

    private static byte[] export(List<String> lines) {
        return lines.stream().map(l -> l + "\n").collect(java.util.stream.Collectors.joining())
                .getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void aRecordLineNotWrittenAsTheFormatDefinesItIsMalformedWhereverItsHashStands() throws IOException {
        ExportResult export = evidence.export(DAY, DAY, "a");
        byte[] file;
        try (InputStream in = artifacts.open(ArtifactStore.AUDIT_EXPORTS, export.records())) {
            file = in.readAllBytes();
        }
        String text = new String(file, StandardCharsets.UTF_8);
        List<String> lines = text.lines().toList();
        String second = lines.get(1);
        AuditRecord record = Json.read("line 2", second, AuditRecord.class);
        String time = "\"time\":\"" + java.time.format.DateTimeFormatter.ISO_INSTANT.format(record.time()) + "\"";
        Map<String, String> secondLine = new java.util.LinkedHashMap<>();
        secondLine.put("without its hash", second.replaceAll(",\"hash\":\"[0-9a-f]{64}\"", ""));
        secondLine.put("a null details value", second.replace("\"details\":{}", "\"details\":{\"version\":null}"));
        secondLine.put("a lower-case time", second.replace(time, time.replace('T', 't').replace('Z', 'z')));
        secondLine.put("a time with an offset", second.replace(time, time.replace("Z\"", "+00:00\"")));
        // LocalDate takes the year 0000; the format and the reference verifier do not.
        secondLine.put("a time in the year 0000", second.replace(time, "\"time\":\"0000" + time.substring(12)));
        secondLine.put("a time as a number", second.replace(time, "\"time\":" + record.time().getEpochSecond()));
        secondLine.put("a negative sequence", second.replace("\"sequence\":2", "\"sequence\":-2"));
        secondLine.put("a sequence beyond 2^63-1", second.replace("\"sequence\":2", "\"sequence\":9223372036854775808"));
        secondLine.put("an escaped unpaired surrogate", second.replace("\"actor\":\"user-1\"", "\"actor\":\"user-1\\ud800\""));
        secondLine.put("a byte order mark", "\uFEFF" + second);
        secondLine.put("a carriage return before its line feed", second + "\r");
        secondLine.forEach((what, edited) -> {
            assertThat(edited).as(what).isNotEqualTo(second);
            byte[] tampered = text.replace(second + "\n", edited + "\n").getBytes(StandardCharsets.UTF_8);
            assertThat(verify(Map.of(export.records(), tampered)).firstProblem()).as(what)
                    .extracting(EvidenceReport.Problem::kind, EvidenceReport.Problem::line)
                    .containsExactly(EvidenceReport.Kind.MALFORMED_RECORD, 2L);
        });

        byte[] latin1 = text.replace(second, second.replace("user-1", "user-\u00e9")).getBytes(StandardCharsets.ISO_8859_1);
        assertThat(verify(Map.of(export.records(), latin1)).firstProblem())
                .extracting(EvidenceReport.Problem::kind, EvidenceReport.Problem::line)
                .containsExactly(EvidenceReport.Kind.MALFORMED_RECORD, 2L);
        byte[] noFinalLineFeed = java.util.Arrays.copyOf(file, file.length - 1);
        assertThat(verify(Map.of(export.records(), noFinalLineFeed)).firstProblem())
                .extracting(EvidenceReport.Problem::kind, EvidenceReport.Problem::line)
                .containsExactly(EvidenceReport.Kind.MALFORMED_RECORD, (long) lines.size());
        assertThat(verify(Map.of(export.records(), file)).firstProblem()).isNull();
    }

    @Test
    void aSignedDigestWhoseNumbersTimesOrTextAreNotWrittenAsTheFormatDefinesThemIsMalformed() {
        ExportResult export = evidence.export(DAY, DAY, "a");
        SignedStatement digest = SignedStatement.parse(artifacts.get(export.digest())).orElseThrow();
        Map<String, Map<String, String>> changes = new java.util.LinkedHashMap<>();
        changes.put("a count with a sign", Map.of("count", "+5"));
        changes.put("a count with a leading zero", Map.of("count", "05"));
        changes.put("a count in other digits", Map.of("count", "\u0665"));
        changes.put("a number with a sign", Map.of("number", "+1"));
        changes.put("a number with a leading zero", Map.of("number", "01"));
        changes.put("a record reference with a sign", Map.of("lastRecord", DAY + "#+5"));
        changes.put("a record reference with a leading zero", Map.of("lastRecord", DAY + "#05"));
        changes.put("a record reference beyond 2^63-1", Map.of("lastRecord", DAY + "#9223372036854775808"));
        changes.put("a lower-case time", Map.of("exportedAt", digest.field("exportedAt").toLowerCase()));
        changes.put("a time with an offset", Map.of("exportedAt", digest.field("exportedAt").replace("Z", "+00:00")));
        changes.put("a day with a five-digit year", Map.of("from", "+1" + DAY));
        changes.put("a day in the year 0000", Map.of("from", "0000" + DAY.toString().substring(4)));
        changes.put("a time in the year 0000", Map.of("readAt", "0000" + digest.field("readAt").substring(4)));
        changes.forEach((what, change) -> {
            Map<String, String> fields = new java.util.TreeMap<>(digest.fields());
            fields.putAll(change);
            byte[] resigned = SignedStatement.sign(fields, key).toJson(EvidenceLayout.DIGEST_ORDER);
            // The export is left out, so the digest's count and records are read as the completeness check reads them.
            EvidenceReport report = verify(Map.of(export.digest(), resigned), export.records());
            assertThat(report.firstProblem()).as(what).extracting(EvidenceReport.Problem::kind,
                    EvidenceReport.Problem::file).containsExactly(EvidenceReport.Kind.MALFORMED_STATEMENT, export.digest());
        });

        byte[] file = artifacts.get(export.digest());
        String json = new String(file, StandardCharsets.UTF_8);
        Map<String, byte[]> unreadable = Map.of(
                "UTF-16", json.getBytes(StandardCharsets.UTF_16LE),
                "a byte order mark", ("\uFEFF" + json).getBytes(StandardCharsets.UTF_8),
                "an unpaired surrogate", json.replace("\"exportedBy\" : \"a\"", "\"exportedBy\" : \"a\\ud800\"")
                        .getBytes(StandardCharsets.UTF_8));
        unreadable.forEach((what, bytes) -> assertThat(verify(Map.of(export.digest(), bytes)).firstProblem())
                .as(what).extracting(EvidenceReport.Problem::kind)
                .isEqualTo(EvidenceReport.Kind.MALFORMED_STATEMENT));
        assertThat(verify(Map.of(export.digest(), file)).firstProblem()).isNull();
    }

    @Test
    void anExportWhoseFirstDayChainsToADayOtherThanTheOneAnotherExportHoldsIsABrokenLink() {
        // The next day is exported at its noon, its first record chained to the day as it was written.
        clock.set(Instant.parse("2026-11-04T09:00:00Z"));
        log.record("user-9", "deployment.deploy", "/models/m/versions/4", "deployed", Map.of());
        clock.set(Instant.parse("2026-11-04T12:00:00Z"));
        ExportResult nextDay = evidence.export(DAY.plusDays(1), DAY.plusDays(1), "auditor");
        // Untouched, the day's export holds the day the next day's export chains to, and both verify.
        clock.set(Instant.parse("2026-11-04T13:00:00Z"));
        InMemoryAuditStore intact = store.copy();
        InMemoryArtifactStore intactEvidence = artifacts.copy();
        new AuditEvidence(intact, new AuditLog(intact, clock), intactEvidence, key, clock)
                .export(DAY, DAY, "auditor");
        EvidenceReport intactReport = new EvidenceVerifier(List.of(key.publicKey()))
                .verify(EvidenceFiles.container(intactEvidence));
        assertThat(intactReport.firstProblem()).isNull();
        assertThat(intactReport.exports()).isEqualTo(2);
        // The day's second record is changed and every later hash recomputed, the next day's too: the store's chain is
        // whole, and nothing signed names a record of the day, so its export is signed over the changed day.
        changeTheDaysSecondRecordAndRechain();
        ExportResult day = evidence.export(DAY, DAY, "auditor");

        EvidenceReport report = verify();

        assertThat(report.exports()).isEqualTo(2);
        assertThat(report.firstProblem()).isNotNull();
        assertThat(report.firstProblem().kind()).isEqualTo(EvidenceReport.Kind.BROKEN_LINK);
        assertThat(report.firstProblem().file()).isEqualTo(nextDay.records());
        assertThat(report.firstProblem().line()).isEqualTo(1);
        assertThat(report.firstProblem().message()).contains(day.records());
    }

    /**
     * Signs the day, then changes its second record and recomputes every later hash, the next day's too (the store's
     * own chain is whole again, and only the signed digest shows the day was changed), and records on the next day.
     */
    private ExportResult signTheDayThenRewriteItAndRecordTheNext() {
        clock.set(Instant.parse("2026-11-04T00:15:00Z"));
        ExportResult signed = evidence.exportPreviousDay();
        clock.set(Instant.parse("2026-11-04T00:20:00Z"));
        changeTheDaysSecondRecordAndRechain();
        clock.set(Instant.parse("2026-11-04T09:00:00Z"));
        log.record("user-9", "deployment.deploy", "/models/m/versions/4", "deployed", Map.of());
        return signed;
    }

    @Test
    void anExportWhoseDayBeforeContradictsItsSignedDigestIsRefusedRecordedAndLoggedAndNothingIsSigned() {
        ExportResult signed = signTheDayThenRewriteItAndRecordTheNext();
        assertThat(log.verify(DAY, DAY.plusDays(1)).firstBreak()).isNull();
        clock.set(Instant.parse("2026-11-05T00:15:00Z"));
        List<java.util.logging.LogRecord> logged = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.logging.Handler handler = new java.util.logging.Handler() {
            @Override
            public void publish(java.util.logging.LogRecord record) {
                logged.add(record);
            }

            @Override
            public void flush() {}

            @Override
            public void close() {}
        };
        java.util.logging.Logger logger = java.util.logging.Logger.getLogger(AuditEvidence.class.getName());
        logger.addHandler(handler);
        try {
            for (int run = 0; run < 2; run++) {
                assertThatThrownBy(evidence::exportPreviousDay)
                        .isInstanceOf(health.vigil.error.ConflictException.class)
                        .satisfies(e -> assertThat(((health.vigil.error.ConflictException) e).code())
                                .isEqualTo(health.vigil.error.ErrorCode.AUDIT_CHAIN_BROKEN))
                        .hasMessageStartingWith("the audit records of " + DAY + " (before the period, whose first"
                                + " record chains to the latest day before it) contradict audit-exports/"
                                + signed.digest() + ", signed earlier, so the export of " + DAY.plusDays(1) + " to "
                                + DAY.plusDays(1) + " was not written or signed (CONTRADICTS_SIGNED_EVIDENCE: ")
                        .hasMessageContaining("GET /audit/evidence/verify?from=" + DAY + "&to=" + DAY)
                        .hasMessageNotContaining("someone-else");
            }
        } finally {
            logger.removeHandler(handler);
        }

        assertThat(artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.DIGESTS)).singleElement()
                .extracting(ArtifactStore.StoredArtifact::name).isEqualTo(signed.digest());
        assertThat(artifacts.list(ArtifactStore.AUDIT_EXPORTS, EvidenceLayout.EXPORTS)).singleElement()
                .extracting(ArtifactStore.StoredArtifact::name).isEqualTo(signed.records());
        // Recorded once, however often the timer meets it: the day and the digest contradicted, no record's content.
        assertThat(store.read(DAY.plusDays(2).toString()))
                .filteredOn(r -> r.action().equals("audit.export.refused")).singleElement().satisfies(r -> {
                    assertThat(r.outcome()).isEqualTo("refused");
                    assertThat(r.details()).containsEntry("from", DAY.plusDays(1).toString())
                            .containsEntry("to", DAY.plusDays(1).toString())
                            .containsEntry("problem", "CONTRADICTS_SIGNED_EVIDENCE")
                            .containsEntry("day", DAY.toString()).containsEntry("evidence", signed.digest());
                });
        assertThat(logged).hasSize(2).allSatisfy(record -> {
            assertThat(record.getLevel()).isEqualTo(java.util.logging.Level.SEVERE);
            assertThat(record.getMessage()).contains("the records of " + DAY + " contradict audit-exports/"
                    + signed.digest()).contains("nothing was signed").doesNotContain("someone-else");
        });
    }

    @Test
    void anExportWhoseDayBeforeWasReadWholeByAnExportLeftOutIsAFindingUnlessItsDigestNamesTheRecordChainedTo() {
        clock.set(Instant.parse("2026-11-04T09:00:00Z"));
        log.record("user-9", "deployment.deploy", "/models/m/versions/4", "deployed", Map.of());
        clock.set(Instant.parse("2026-11-04T12:00:00Z"));
        ExportResult nextDay = evidence.export(DAY.plusDays(1), DAY.plusDays(1), "auditor");
        clock.set(Instant.parse("2026-11-04T13:00:00Z"));
        // Untouched: the day's digest names its last record, the one the next day's first record chains to, so the
        // link is shown without the day's export.
        InMemoryAuditStore intact = store.copy();
        InMemoryArtifactStore intactEvidence = artifacts.copy();
        ExportResult intactDay = new AuditEvidence(intact, new AuditLog(intact, clock), intactEvidence, key, clock)
                .export(DAY, DAY, "auditor");
        EvidenceReport intactReport = verify(intactEvidence, Map.of(), intactDay.records());
        assertThat(intactReport.firstProblem()).isNull();
        assertThat(intactReport.exports()).isEqualTo(1);
        // The day changed and its export signed over the change: the next day's export alone chains to a record of
        // the day that the day's digest does not name, and only the export left out can show which.
        changeTheDaysSecondRecordAndRechain();
        ExportResult day = evidence.export(DAY, DAY, "auditor");

        EvidenceReport report = verify(Map.of(), day.records());

        assertThat(report.exports()).isEqualTo(1);
        assertThat(report.valid()).isFalse();
        assertThat(report.firstProblem()).isNotNull().extracting(EvidenceReport.Problem::kind,
                EvidenceReport.Problem::file, EvidenceReport.Problem::line)
                .containsExactly(EvidenceReport.Kind.MISSING_LINKED_EXPORT, nextDay.records(), 1L);
        assertThat(report.firstProblem().message()).startsWith("line 1 of " + nextDay.records() + " ("
                + DAY.plusDays(1) + "#1) chains to a record of " + DAY + " that no digest here names as that day's"
                + " last, and " + day.digest() + ", which read " + DAY + " whole, names " + day.records())
                .contains("include " + day.records() + ", the export it names, and verify again");
    }

    /**
     * Changes the actor of the day's second record and recomputes every later hash and link, the next day's records
     * so far included, as someone with write access to the store could: its own chain is whole again.
     */
    private void changeTheDaysSecondRecordAndRechain() {
        List<AuditRecord> all = new ArrayList<>(store.read(DAY.toString()));
        all.addAll(store.read(DAY.plusDays(1).toString()));
        AuditRecord second = all.get(1);
        all.set(1, new AuditRecord(second.id(), second.partition(), second.sequence(), second.time(), "someone-else",
                second.action(), second.subject(), second.outcome(), second.details(), second.previousHash(), null));
        List<AuditRecord> rewritten = Tampering.rechain(all, 1);
        store.replace(DAY.toString(), rewritten.stream().filter(r -> r.partition().equals(DAY.toString())).toList());
        store.replace(DAY.plusDays(1).toString(), rewritten.stream()
                .filter(r -> r.partition().equals(DAY.plusDays(1).toString())).toList());
    }

    /** Verifies the container as a folder would be with the files in {@code replaced} and without {@code leftOut}. */
    private EvidenceReport verify(Map<String, byte[]> replaced, String... leftOut) {
        return verify(artifacts, replaced, leftOut);
    }

    private EvidenceReport verify(InMemoryArtifactStore container, Map<String, byte[]> replaced, String... leftOut) {
        EvidenceFiles all = EvidenceFiles.container(container);
        List<String> out = List.of(leftOut);
        return new EvidenceVerifier(List.of(key.publicKey())).verify(new EvidenceFiles() {
            @Override
            public List<String> list(String prefix) {
                return all.list(prefix).stream().filter(n -> !out.contains(n)).toList();
            }

            @Override
            public Optional<InputStream> open(String name) {
                if (out.contains(name)) {
                    return Optional.empty();
                }
                return replaced.containsKey(name) ? Optional.of(new ByteArrayInputStream(replaced.get(name)))
                        : all.open(name);
            }
        });
    }

    private EvidenceReport verify() {
        return new EvidenceVerifier(List.of(key.publicKey())).verify(EvidenceFiles.container(artifacts));
    }
}
