package health.vigil.contract;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.audit.AuditEvidence;
import health.vigil.audit.AuditLog;
import health.vigil.audit.AuditPage;
import health.vigil.audit.EvidenceFiles;
import health.vigil.audit.EvidenceReport;
import health.vigil.audit.EvidenceVerifier;
import health.vigil.audit.ExportResult;
import health.vigil.audit.KeyPairSigner;
import health.vigil.audit.MutableClock;
import health.vigil.audit.Tampering;
import health.vigil.audit.VerificationReport;
import health.vigil.port.AuditRecordUnreadableException;
import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.model.AuditRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.AuditStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Signed audit evidence on a real store family: the records come from the audit store, the evidence goes to
 * the artifact store, and tampering happens below the ports (as someone with write access to the database
 * could), where the store's own protections do not reach. Anchors and digests must show it.
 */
public abstract class AuditEvidenceContract {
    protected static final LocalDate DAY = LocalDate.of(2026, 10, 14);

    protected abstract AuditStore newStore();

    protected abstract ArtifactStore newArtifacts();

    /** Replaces a stored record with {@code record} (same partition and sequence) below the port. */
    protected abstract void overwrite(AuditRecord record);

    /** Removes a stored record below the port. */
    protected abstract void remove(String partition, long sequence);

    /** Replaces a stored record's document below the port with something that is not an audit record. */
    protected abstract void corrupt(String partition, long sequence);

    protected AuditStore store;
    protected ArtifactStore artifacts;
    private final MutableClock clock = new MutableClock(Instant.parse("2026-10-14T08:00:00Z"));
    private final KeyPairSigner key = KeyPairSigner.generate(new SecureRandom());
    private AuditEvidence evidence;

    @BeforeEach
    void writeADayWithAnchors() {
        store = newStore();
        artifacts = newArtifacts();
        AuditLog log = new AuditLog(store, clock);
        evidence = new AuditEvidence(store, log, artifacts, key, clock);
        for (int hour = 0; hour < 4; hour++) {
            clock.set(Instant.parse("2026-10-14T08:01:00Z").plus(Duration.ofHours(hour)));
            evidence.anchor();
            for (int i = 0; i < 4; i++) {
                clock.advance(Duration.ofMinutes(7));
                log.record("user-" + i, "deployment.deploy", "/models/readmission/versions/" + (hour + 1), "deployed",
                        Map.of("hour", Integer.toString(hour)));
            }
        }
        clock.set(Instant.parse("2026-10-14T12:01:00Z"));
        evidence.anchor();
        clock.advance(Duration.ofMinutes(5));
    }

    @AfterEach
    void closeStore() throws Exception {
        if (store instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }

    @Test
    void exportsAndAnchorsOfThisStoreVerifyAndARepeatedExportWritesNothing() {
        clock.set(Instant.parse("2026-10-15T00:15:00Z"));
        ExportResult first = evidence.exportPreviousDay();
        int blobs = artifacts.list(ArtifactStore.AUDIT_EXPORTS, "").size();
        ExportResult replay = evidence.exportPreviousDay();

        assertThat(first.created()).isTrue();
        assertThat(first.count()).isEqualTo(17);
        assertThat(replay.created()).isFalse();
        assertThat(replay.digest()).isEqualTo(first.digest());
        assertThat(artifacts.list(ArtifactStore.AUDIT_EXPORTS, "")).hasSize(blobs);
        EvidenceReport report = verifier().verify(EvidenceFiles.container(artifacts));
        assertThat(report.firstProblem()).isNull();
        assertThat(report.anchors()).isEqualTo(5);
        assertThat(report.records()).isEqualTo(17);
        assertThat(evidence.verifyStore(DAY, DAY, List.of(key.publicKey())).firstProblem()).isNull();
    }

    @Test
    void aDamagedRecordIsNamedByVerificationAndByReadsInsteadOfAnUnavailableStore() {
        corrupt(DAY.toString(), 6);
        AuditLog log = new AuditLog(store, clock);

        VerificationReport report = log.verify(DAY, DAY);

        assertThat(report.valid()).isFalse();
        assertThat(report.firstBreak().partition()).isEqualTo(DAY.toString());
        assertThat(report.firstBreak().sequence()).isEqualTo(6);
        assertThat(report.firstBreak().problem()).isEqualTo(VerificationReport.Problem.UNREADABLE);
        assertThat(report.recordsChecked()).isEqualTo(5);
        assertThatThrownBy(() -> log.readPage(DAY, DAY, null, 100))
                .isInstanceOfSatisfying(AuditRecordUnreadableException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE);
                    assertThat(e.getMessage()).contains(DAY + "#6");
                });
        // The pages before the damaged record still read.
        assertThat(log.readPage(DAY, DAY, null, 5).records()).extracting(AuditRecord::sequence)
                .containsExactly(1L, 2L, 3L, 4L, 5L);
    }

    @Test
    void pagesOfTheStoreFollowEachOtherWithoutGapsOrRepeats() {
        AuditLog log = new AuditLog(store, clock);
        List<AuditRecord> all = store.read(DAY.toString());
        List<AuditRecord> paged = new ArrayList<>();
        String token = null;
        do {
            AuditPage page = log.readPage(DAY, DAY, token, 5);
            paged.addAll(page.records());
            token = page.continuationToken();
        } while (token != null);

        assertThat(all).hasSize(17);
        assertThat(paged).containsExactlyElementsOf(all);
        assertThat(store.read(DAY.toString(), 16, 10)).containsExactlyElementsOf(all.subList(15, 17));
        assertThat(store.read(DAY.toString(), 18, 10)).isEmpty();
    }

    @Test
    void aConsistentRewriteBelowTheStoreContradictsTheAnchors() {
        List<AuditRecord> day = new ArrayList<>(store.read(DAY.toString()));
        AuditRecord original = day.get(5);
        day.set(5, new AuditRecord(original.id(), original.partition(), original.sequence(), original.time(),
                "someone-else", original.action(), original.subject(), original.outcome(), original.details(),
                original.previousHash(), original.hash()));
        List<AuditRecord> rewritten = Tampering.rechain(day, 5);
        for (AuditRecord record : rewritten.subList(5, rewritten.size())) {
            overwrite(record);
        }
        assertThat(new AuditLog(store, clock).verify(DAY, DAY).valid()).as("the chain alone looks intact").isTrue();

        EvidenceReport report = evidence.verifyStore(DAY, DAY, List.of(key.publicKey()));

        assertThat(report.firstProblem().kind()).isEqualTo(EvidenceReport.Kind.CONTRADICTS_SIGNED_EVIDENCE);
        // Record 6 changed; the first record an anchor vouches for after it is the head at 10:01, record 9.
        assertThat(report.firstProblem().message()).contains(DAY + "#9").contains("anchors/2026-10-14T10Z.json");
    }

    @Test
    void aTailCutBelowTheStoreIsNamedAgainstTheLastAnchor() {
        List<AuditRecord> day = store.read(DAY.toString());
        remove(DAY.toString(), day.get(day.size() - 1).sequence());
        remove(DAY.toString(), day.get(day.size() - 2).sequence());
        assertThat(new AuditLog(store, clock).verify(DAY, DAY).valid()).as("the chain alone looks intact").isTrue();

        EvidenceReport report = evidence.verifyStore(DAY, DAY, List.of(key.publicKey()));

        assertThat(report.firstProblem().kind()).isEqualTo(EvidenceReport.Kind.TRUNCATED);
        assertThat(report.firstProblem().message()).contains(DAY + "#" + day.size())
                .contains("anchors/2026-10-14T12Z.json");
    }

    @Test
    void anExportOfAPeriodWhoseChainIsBrokenIsRefusedSignsNothingAndIsRecorded() {
        AuditRecord original = store.read(DAY.toString()).get(5);
        overwrite(withActor(original, "someone-else"));
        int blobs = artifacts.list(ArtifactStore.AUDIT_EXPORTS, "").size();

        assertThatThrownBy(() -> evidence.export(DAY, DAY, "compliance-officer"))
                .isInstanceOfSatisfying(VigilException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.AUDIT_CHAIN_BROKEN);
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("broken at record " + DAY + "#6").contains("HASH_MISMATCH")
                            .contains("docs/runbooks/failed-verification.md").doesNotContain("someone-else");
                });

        assertThat(artifacts.list(ArtifactStore.AUDIT_EXPORTS, "")).hasSize(blobs);
        assertThat(artifacts.list(ArtifactStore.AUDIT_EXPORTS, "digests/")).isEmpty();
        assertThat(artifacts.list(ArtifactStore.AUDIT_EXPORTS, "exports/")).isEmpty();
        AuditRecord refusal = store.last(DAY.toString()).orElseThrow();
        assertThat(refusal.action()).isEqualTo("audit.export.refused");
        assertThat(refusal.actor()).isEqualTo("compliance-officer");
        assertThat(refusal.details()).containsEntry("brokenAt", DAY + "#6").containsEntry("problem", "HASH_MISMATCH");
    }

    @Test
    void anExportWhoseFirstDayNoLongerChainsToTheDayBeforeIsRefused() {
        List<AuditRecord> day = store.read(DAY.toString());
        clock.set(Instant.parse("2026-10-15T00:20:00Z"));
        new AuditLog(store, clock).record("user-1", "model.register", "/models/m/versions/2", "registered", Map.of());
        // The day before the period is rewritten consistently within itself: its last record's hash changes.
        List<AuditRecord> rewritten = new ArrayList<>(day);
        rewritten.set(day.size() - 1, withActor(day.get(day.size() - 1), "someone-else"));
        overwrite(Tampering.rechain(rewritten, day.size() - 1).get(day.size() - 1));
        LocalDate next = DAY.plusDays(1);

        assertThatThrownBy(() -> evidence.export(next, next, "compliance-officer"))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.getMessage())
                        .contains("broken at record " + next + "#1").contains("BROKEN_LINK"));
        assertThat(artifacts.list(ArtifactStore.AUDIT_EXPORTS, "digests/")).isEmpty();
    }

    private static AuditRecord withActor(AuditRecord r, String actor) {
        return new AuditRecord(r.id(), r.partition(), r.sequence(), r.time(), actor, r.action(), r.subject(),
                r.outcome(), r.details(), r.previousHash(), r.hash());
    }

    private EvidenceVerifier verifier() {
        return new EvidenceVerifier(List.of(key.publicKey()));
    }
}
