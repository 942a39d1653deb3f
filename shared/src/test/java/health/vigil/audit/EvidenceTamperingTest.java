package health.vigil.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Random tampering, seeded: a log is written over six hours across midnight with hourly anchors, a daily export at
 * 00:15 and a final export of the whole period; then, one at a time, 1,200 tamperings are applied to a copy of the
 * exported evidence (verified with Vigil's public key alone) or of the store (verified against the signed
 * evidence), and every one must be detected. The untampered evidence and store must verify, so the test cannot
 * pass by rejecting everything.
 */
class EvidenceTamperingTest {
    static final long SEED = 0x5EED_2026_1202L;
    static final int EXPORT_CASES = 660;
    static final int STORE_CASES = 540;
    static final LocalDate FIRST_DAY = LocalDate.of(2026, 11, 1);
    static final String[] ACTIONS = {"model.register", "deployment.deploy", "audit.read", "access.refused",
        "model.approve"};

    static KeyPairSigner vigil;
    static KeyPairSigner attacker;
    static Base base;

    /** The untampered scenario: the store, the evidence container, and the clock where it ended. */
    record Base(InMemoryAuditStore store, InMemoryArtifactStore artifacts, Instant end, LocalDate lastDay) {}

    enum ExportTamper {
        MODIFIED_FIELD, DELETED_RECORD, REORDERED, INSERTED_FORGERY, TRUNCATED_TAIL, RECOMPUTED_HASHES,
        REPLACED_DIGEST, DIGEST_SIGNED_BY_ANOTHER_KEY, ANCHOR_CHANGED, ANCHOR_REMOVED, ANCHOR_SIGNED_BY_ANOTHER_KEY
    }

    enum StoreTamper {
        MODIFIED_FIELD, DELETED_RECORD, DELETED_AND_RECOMPUTED, REORDERED, REORDERED_AND_RECOMPUTED,
        INSERTED_FORGERY, INSERTED_AND_RECOMPUTED, TRUNCATED_TAIL, RECOMPUTED_HASHES, APPENDED_TO_CLOSED_DAY
    }

    @BeforeAll
    static void writeTheLog() throws Exception {
        SecureRandom keys = SecureRandom.getInstance("SHA1PRNG");
        keys.setSeed(SEED);
        vigil = KeyPairSigner.generate(keys);
        attacker = KeyPairSigner.generate(keys);
        base = scenario(new Random(SEED));
    }

    static Base scenario(Random random) {
        InMemoryAuditStore store = new InMemoryAuditStore();
        InMemoryArtifactStore artifacts = new InMemoryArtifactStore();
        Instant start = FIRST_DAY.atStartOfDay().toInstant(ZoneOffset.UTC).plus(Duration.ofHours(21));
        MutableClock clock = new MutableClock(start);
        AuditLog log = new AuditLog(store, clock);
        AuditEvidence evidence = new AuditEvidence(store, log, artifacts, vigil, clock);
        for (int hour = 0; hour < 6; hour++) {
            Instant hourStart = start.plus(Duration.ofHours(hour));
            // The daily export of the day before runs at 00:15, between the new day's records, as the timer runs it.
            boolean exported = hourStart.atZone(ZoneOffset.UTC).getHour() != 0;
            clock.set(hourStart.plusSeconds(60));
            evidence.anchor();
            int records = 5 + random.nextInt(8);
            long minute = 2;
            for (int i = 0; i < records; i++) {
                minute += 1 + random.nextInt(4);
                if (!exported && minute >= 15) {
                    clock.set(hourStart.plus(Duration.ofMinutes(15)));
                    evidence.exportPreviousDay();
                    exported = true;
                }
                clock.set(hourStart.plus(Duration.ofMinutes(minute)).plusMillis(random.nextInt(1000)));
                Map<String, String> details = new LinkedHashMap<>();
                details.put("version", Integer.toString(1 + random.nextInt(9)));
                if (random.nextBoolean()) {
                    details.put("route", "/models/readmission/versions/" + (1 + random.nextInt(9)));
                }
                log.record("user-" + random.nextInt(4), ACTIONS[random.nextInt(ACTIONS.length)],
                        "/models/readmission/versions/" + (1 + random.nextInt(9)), random.nextBoolean() ? "ok" : "refused",
                        details);
            }
            if (!exported) {
                clock.set(hourStart.plus(Duration.ofMinutes(15)));
                evidence.exportPreviousDay();
            }
        }
        LocalDate lastDay = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        clock.advance(Duration.ofMinutes(1));
        evidence.export(FIRST_DAY, lastDay, "compliance-officer");
        // The last anchor comes after every write, so every record is covered by signed evidence.
        clock.set(clock.instant().truncatedTo(ChronoUnit.HOURS).plus(Duration.ofHours(1)).plusSeconds(60));
        evidence.anchor();
        return new Base(store, artifacts, clock.instant(), lastDay);
    }

    @Test
    void theUntamperedEvidenceVerifies() {
        EvidenceReport report = verify(base.artifacts());
        assertThat(report.firstProblem()).isNull();
        assertThat(report.anchors()).isEqualTo(7);
        assertThat(report.digests()).isEqualTo(2);
        assertThat(report.exports()).isEqualTo(2);
        // The untampered store verifies against the evidence, and so does a fresh export of it.
        InMemoryAuditStore store = base.store().copy();
        InMemoryArtifactStore artifacts = base.artifacts().copy();
        assertThat(verifyStore(store, artifacts).firstProblem()).isNull();
        exportAgain(store, artifacts);
        assertThat(verify(artifacts).firstProblem()).isNull();
        assertThat(verify(artifacts).digests()).isEqualTo(3);
    }

    @Test
    void everyTamperingOfAnExportIsDetected() {
        Random random = new Random(SEED + 1);
        List<String> undetected = new ArrayList<>();
        Map<ExportTamper, Integer> counts = new EnumMap<>(ExportTamper.class);
        for (int i = 0; i < EXPORT_CASES; i++) {
            ExportTamper kind = ExportTamper.values()[i % ExportTamper.values().length];
            InMemoryArtifactStore copy = base.artifacts().copy();
            String what = tamperExport(kind, copy, random);
            EvidenceReport report = verify(copy);
            if (report.valid()) {
                undetected.add("case " + i + " " + kind + ": " + what);
            }
            counts.merge(kind, 1, Integer::sum);
        }
        assertThat(undetected).isEmpty();
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(60));
    }

    @Test
    void everyTamperingOfTheStoreIsDetectedAgainstTheSignedEvidence() {
        Random random = new Random(SEED + 2);
        List<String> undetected = new ArrayList<>();
        Map<StoreTamper, Integer> counts = new EnumMap<>(StoreTamper.class);
        for (int i = 0; i < STORE_CASES; i++) {
            StoreTamper kind = StoreTamper.values()[i % StoreTamper.values().length];
            InMemoryAuditStore store = base.store().copy();
            InMemoryArtifactStore artifacts = base.artifacts().copy();
            String what = tamperStore(kind, store, random);
            EvidenceReport report = verifyStore(store, artifacts);
            if (report.valid()) {
                undetected.add("case " + i + " " + kind + ": " + what);
            }
            counts.merge(kind, 1, Integer::sum);
        }
        assertThat(undetected).isEmpty();
        assertThat(counts.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(50));
    }

    @Test
    void aRewrittenStoreIsNamedPreciselyAgainstTheSignedEvidence() {
        InMemoryAuditStore store = base.store().copy();
        InMemoryArtifactStore artifacts = base.artifacts().copy();
        List<AuditRecord> all = all(store);
        rewriteFrom(store, all, all.size() / 2, r -> withActor(r, "someone-else"));
        EvidenceReport.Problem inStore = verifyStore(store, artifacts).firstProblem();
        assertThat(inStore.kind()).isEqualTo(EvidenceReport.Kind.CONTRADICTS_SIGNED_EVIDENCE);
        // The store holds records, not lines: the problem names the record by where it was read and by its day#sequence.
        assertThat(inStore.message()).startsWith("record " + inStore.line() + " read from the audit store (")
                .doesNotContain("line ");
        // Vigil does not sign an export of the rewritten store: it contradicts the anchors signed before it.
        int digests = names(artifacts, EvidenceLayout.DIGESTS).size();
        assertThatThrownBy(() -> exportAgain(store, artifacts)).isInstanceOf(health.vigil.error.ConflictException.class)
                .hasMessageContaining("was not written or signed (CONTRADICTS_SIGNED_EVIDENCE: ")
                .hasMessageContaining("rewritten")
                .satisfies(e -> assertThat(e.getMessage())
                        .containsPattern("contradict audit-exports/(anchors|digests)/"));
        assertThat(names(artifacts, EvidenceLayout.DIGESTS)).hasSize(digests);
        assertThat(verify(artifacts).firstProblem()).isNull();
    }

    @Test
    void aTruncatedStoreIsNamedPreciselyAgainstTheAnchor() {
        InMemoryAuditStore store = base.store().copy();
        InMemoryArtifactStore artifacts = base.artifacts().copy();
        List<AuditRecord> all = all(store);
        AuditRecord last = all.get(all.size() - 1);
        store.delete(last.partition(), last.sequence());
        EvidenceReport report = verifyStore(store, artifacts);
        assertThat(report.firstProblem().kind()).isEqualTo(EvidenceReport.Kind.TRUNCATED);
        assertThat(report.firstProblem().message()).contains(last.partition() + "#" + last.sequence());
    }

    @Test
    void everyAnchorRemovedIsFoundThroughTheDigestsThatNameThem() {
        InMemoryArtifactStore artifacts = base.artifacts().copy();
        String daily = EvidenceLayout.digestName(1);
        String named = SignedStatement.parse(artifacts.get(daily)).orElseThrow().field("latestAnchor");
        assertThat(named).startsWith(EvidenceLayout.ANCHORS);
        assertThat(artifacts.get(named)).isNotNull();
        names(artifacts, EvidenceLayout.ANCHORS).forEach(anchor -> artifacts.set(anchor, null));

        for (EvidenceReport report : List.of(verify(artifacts), verifyStore(base.store().copy(), artifacts))) {
            assertThat(report.firstProblem()).isNotNull()
                    .extracting(EvidenceReport.Problem::kind, EvidenceReport.Problem::file)
                    .containsExactly(EvidenceReport.Kind.BROKEN_STATEMENT_CHAIN, daily);
            assertThat(report.firstProblem().message()).isEqualTo(daily + " names " + named + " as the latest anchor"
                    + " signed before it, which is not among the anchors here: anchors were removed");
        }

        // Digests written before digests named anchors keep the rule they were written under: the anchors' chain alone.
        String previous = "";
        for (String name : names(artifacts, EvidenceLayout.DIGESTS)) {
            SignedStatement digest = SignedStatement.parse(artifacts.get(name)).orElseThrow();
            Map<String, String> fields = new TreeMap<>(digest.fields());
            fields.remove("latestAnchor");
            fields.remove("latestAnchorSha256");
            fields.remove(SignedStatement.ALGORITHM);
            fields.put("previousDigestSha256", previous.isEmpty() ? ""
                    : health.vigil.hash.Sha256.hex(artifacts.get(previous)));
            artifacts.set(name, SignedStatement.sign(fields, vigil).toJson(EvidenceLayout.DIGEST_ORDER));
            previous = name;
        }
        assertThat(verify(artifacts).firstProblem()).isNull();
    }

    @Test
    void aRecordAppendedToADayAfterItsDailyExportIsFoundAndIsNotSignedWhenDatedLongBeforeMidnight() {
        InMemoryAuditStore store = base.store().copy();
        InMemoryArtifactStore artifacts = base.artifacts().copy();
        String daily = EvidenceLayout.digestName(1);
        AuditRecord last = store.last(FIRST_DAY.toString()).orElseThrow();
        assertThat(SignedStatement.parse(artifacts.get(daily)).orElseThrow().field("lastRecord")).isEqualTo(ref(last));
        Instant midnight = FIRST_DAY.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
        // Chained to the day's last record and dated in the minutes before midnight, as a write racing it would be.
        AuditRecord appended = appendTo(store, last, midnight.minusSeconds(90));

        EvidenceReport.Problem inStore = verifyStore(store, artifacts).firstProblem();
        assertThat(inStore).isNotNull();
        assertThat(inStore.kind()).isEqualTo(EvidenceReport.Kind.CONTRADICTS_SIGNED_EVIDENCE);
        assertThat(inStore.message()).contains("(" + ref(appended) + ") was appended to " + FIRST_DAY + " after the"
                + " day was exported: " + daily + " (signed ").contains("says the day had " + last.sequence()
                + " records when its export read it at " + FIRST_DAY.plusDays(1) + "T00:15:00Z");
        // The chain cannot tell it from a write racing midnight; the daily digest contradicts it: nothing is signed.
        assertThatThrownBy(() -> exportAgain(store, artifacts)).isInstanceOf(health.vigil.error.ConflictException.class)
                .hasMessageStartingWith("the audit records of " + FIRST_DAY + " (in the period) contradict"
                        + " audit-exports/" + daily + ", signed earlier")
                .hasMessageContaining("(" + ref(appended) + ") was appended to " + FIRST_DAY);
        assertThat(verify(artifacts).firstProblem()).isNull();

        // Dated hours before midnight it raced nothing: the platform's chain check finds it and signs nothing.
        InMemoryAuditStore backdatedStore = base.store().copy();
        AuditRecord backdated = appendTo(backdatedStore, last, midnight.minus(Duration.ofHours(10)));
        assertThatThrownBy(() -> exportAgain(backdatedStore, base.artifacts().copy()))
                .isInstanceOf(health.vigil.error.ConflictException.class)
                .hasMessageContaining("is broken at record " + ref(backdated) + " (BROKEN_LINK: record "
                        + backdated.sequence() + " of " + FIRST_DAY + " was appended after " + FIRST_DAY.plusDays(1)
                        + " began");
    }

    @Test
    void recordsWrittenOnADigestsLastDayAfterItReadThemDoNotMakeUpForItsRecordsOfAnEarlierDayLeftOut() {
        LocalDate day = LocalDate.of(2026, 11, 10);
        LocalDate next = day.plusDays(1);
        // Digests written before digests named each day's last record, which give their days between the first and
        // the last record's only as a total: they are held to that total.
        Spanning left = spanningExportLeftOut(day, false);
        signedAsWrittenBeforeDigestsNamedEachDay(left.artifacts());
        SignedStatement digest = SignedStatement.parse(left.artifacts().get(left.spanning().digest())).orElseThrow();
        assertThat(digest.field("lastRecord")).startsWith(next + "#");
        long lastOfNext = Long.parseLong(digest.field("lastRecord").substring(next.toString().length() + 1));
        long attestedBeforeNext = left.spanning().count() - lastOfNext;
        long leftOut = attestedBeforeNext - left.noon().count();
        // The folder lacks the afternoon of the first day, which no digest of that day alone signed; the records
        // written on the next day after the spanning export read it are more than those.
        assertThat(leftOut).isPositive();
        assertThat(left.nextDay().count() - lastOfNext).isGreaterThanOrEqualTo(leftOut);

        EvidenceReport report = verify(left.artifacts());

        assertThat(report.firstProblem()).isNotNull()
                .extracting(EvidenceReport.Problem::kind, EvidenceReport.Problem::file)
                .containsExactly(EvidenceReport.Kind.MISSING_EXPORT, left.spanning().digest());
        assertThat(report.firstProblem().message()).isEqualTo(left.spanning().digest() + " attests "
                + attestedBeforeNext + " records of the days from " + day + " to " + next + " other than " + next
                + ", its last record's day, but these exports hold " + left.noon().count() + " of them: " + leftOut
                + " records it attests are missing: include " + left.spanning().records()
                + ", the export it names, and verify again");

        // With the first day's daily export beside them, every record the spanning digest attests is held.
        Spanning whole = spanningExportLeftOut(day, true);
        signedAsWrittenBeforeDigestsNamedEachDay(whole.artifacts());
        EvidenceReport withDaily = verify(whole.artifacts());
        assertThat(withDaily.firstProblem()).isNull();
        assertThat(withDaily.notes()).containsExactly(whole.spanning().digest() + " names "
                + whole.spanning().records() + ", which is not among these files; every record it holds of the days"
                + " these exports hold is among them");
    }

    @Test
    void recordsAddedToOneOfADigestsDaysAfterItReadThemDoNotMakeUpForAnotherDaysRecordsLeftOut() {
        LocalDate first = LocalDate.of(2026, 11, 20);
        LocalDate second = first.plusDays(1);
        LocalDate third = second.plusDays(1);
        InMemoryAuditStore store = new InMemoryAuditStore();
        InMemoryArtifactStore artifacts = new InMemoryArtifactStore();
        MutableClock clock = new MutableClock(first.atTime(9, 0).toInstant(ZoneOffset.UTC));
        AuditLog log = new AuditLog(store, clock);
        AuditEvidence evidence = new AuditEvidence(store, log, artifacts, vigil, clock);
        writeRecords(log, clock, 3);
        clock.set(first.atTime(12, 0).toInstant(ZoneOffset.UTC));
        ExportResult noon = evidence.export(first, first, "auditor");
        clock.set(first.atTime(15, 0).toInstant(ZoneOffset.UTC));
        writeRecords(log, clock, 3);
        clock.set(second.atTime(9, 0).toInstant(ZoneOffset.UTC));
        writeRecords(log, clock, 3);
        clock.set(third.atStartOfDay().toInstant(ZoneOffset.UTC));
        writeRecords(log, clock, 2);
        // Read 3 minutes after midnight: it closes the first day, not the second, which a write racing midnight may
        // still have reached.
        clock.set(third.atTime(0, 3).toInstant(ZoneOffset.UTC));
        ExportResult spanning = evidence.export(first, third, "auditor");
        int ofFirst = store.read(first.toString()).size();
        long leftOut = ofFirst - noon.count();
        assertThat(leftOut).isPositive();
        // As many records as the noon export lacks, added to the second day in its last minutes after the spanning
        // export read it; the second day's export then holds them, and no digest of one day alone names its count.
        AuditRecord last = store.read(second.toString()).get(store.read(second.toString()).size() - 1);
        for (int i = 0; i < leftOut; i++) {
            last = appendTo(store, last, second.atTime(23, 56).toInstant(ZoneOffset.UTC).plusSeconds(10L * i));
        }
        clock.set(third.atTime(1, 0).toInstant(ZoneOffset.UTC));
        evidence.export(second, second, "auditor");
        artifacts.set(spanning.records(), null);

        EvidenceReport report = verify(artifacts);

        // Of the days before the spanning digest's last, the exports here hold as many records as it attests in all,
        // but of the first day they lack the afternoon: each day is held to its own count.
        assertThat(report.firstProblem()).isNotNull()
                .extracting(EvidenceReport.Problem::kind, EvidenceReport.Problem::file)
                .containsExactly(EvidenceReport.Kind.MISSING_EXPORT, spanning.digest());
        assertThat(report.firstProblem().message()).isEqualTo(spanning.digest() + " attests records " + first + "#"
                + (noon.count() + 1) + " to " + first + "#" + ofFirst + ", which no export among these files holds"
                + " (they hold " + first + " up to #" + noon.count() + "): include " + spanning.records()
                + ", the export it names, and verify again");
    }

    @Test
    void aRecordAddedToAMiddleDayADigestReadWholeIsNotSigned() {
        MiddleDay added = recordAddedToAMiddleDayAfterItWasReadWhole();
        LocalDate day = added.day();

        // The platform compares the export with the evidence already signed, and signs nothing.
        assertThatThrownBy(() -> added.evidence().export(day, day, "auditor"))
                .isInstanceOf(health.vigil.error.ConflictException.class)
                .hasMessageStartingWith("the audit records of " + day + " (in the period) contradict"
                        + " audit-exports/" + added.spanning().digest() + ", signed earlier")
                .hasMessageContaining("(" + ref(added.added()) + ") was appended to " + day);
        assertThat(names(added.artifacts(), EvidenceLayout.DIGESTS)).containsExactly(added.spanning().digest());
    }

    @Test
    void aRecordAddedToAMiddleDayADigestReadWholeContradictsTheLastRecordItNamesForThatDay() {
        MiddleDay added = recordAddedToAMiddleDayAfterItWasReadWhole();
        LocalDate day = added.day();
        // Without the published keys the platform cannot compare, and signs the export, as exports were signed before
        // they compared: a folder holding both exports shows the day grown after the digest closed it.
        names(added.artifacts(), EvidenceLayout.KEYS).forEach(key -> added.artifacts().set(key, null));
        ExportResult later = added.evidence().export(day, day, "auditor");

        EvidenceReport report = verify(added.artifacts());

        assertThat(report.firstProblem()).isNotNull().extracting(EvidenceReport.Problem::kind,
                EvidenceReport.Problem::file, EvidenceReport.Problem::line)
                .containsExactly(EvidenceReport.Kind.CONTRADICTS_SIGNED_EVIDENCE, later.records(),
                        added.added().sequence());
        assertThat(report.firstProblem().message()).contains("(" + ref(added.added()) + ") was appended to " + day
                + " after the day was exported: " + added.spanning().digest() + " (signed ").contains("says the day"
                + " had " + (added.added().sequence() - 1) + " records when its export read it at "
                + day.plusDays(1).atTime(12, 0) + ":00Z");
    }

    /** A log of three days, their export, and a record added to the middle day after that export read it whole. */
    record MiddleDay(InMemoryArtifactStore artifacts, AuditEvidence evidence, ExportResult spanning, LocalDate day,
            AuditRecord added) {}

    /**
     * Records on three days, their export at the third day's noon (which reads the first two whole and names each
     * day's last record), then a record chained to the second day's last and dated in its last minutes, as a write
     * racing midnight would be; the clock an hour after the export.
     */
    private static MiddleDay recordAddedToAMiddleDayAfterItWasReadWhole() {
        ThreeDays days = threeDaysExportedAtTheThirdsNoon(LocalDate.of(2026, 11, 24));
        AuditRecord last = days.store().last(days.second().toString()).orElseThrow();
        AuditRecord added = appendTo(days.store(), last,
                days.third().atStartOfDay().toInstant(ZoneOffset.UTC).minusSeconds(90));
        days.clock().set(days.third().atTime(13, 0).toInstant(ZoneOffset.UTC));
        return new MiddleDay(days.artifacts(), days.evidence(), days.spanning(), days.second(), added);
    }

    /** A log of three days from {@code first} and their export: the stores, the clock and what the export returned. */
    record ThreeDays(InMemoryAuditStore store, InMemoryArtifactStore artifacts, MutableClock clock,
            AuditEvidence evidence, ExportResult spanning, LocalDate first) {
        LocalDate second() {
            return first.plusDays(1);
        }

        LocalDate third() {
            return first.plusDays(2);
        }
    }

    /**
     * Records on each of three days from {@code first} and their export at the third day's noon, which reads the
     * first two whole and names each day's last record.
     */
    private static ThreeDays threeDaysExportedAtTheThirdsNoon(LocalDate first) {
        LocalDate third = first.plusDays(2);
        InMemoryAuditStore store = new InMemoryAuditStore();
        InMemoryArtifactStore artifacts = new InMemoryArtifactStore();
        MutableClock clock = new MutableClock(first.atTime(9, 0).toInstant(ZoneOffset.UTC));
        AuditLog log = new AuditLog(store, clock);
        AuditEvidence evidence = new AuditEvidence(store, log, artifacts, vigil, clock);
        for (LocalDate day : List.of(first, first.plusDays(1), third)) {
            clock.set(day.atTime(9, 0).toInstant(ZoneOffset.UTC));
            writeRecords(log, clock, 3);
        }
        clock.set(third.atTime(12, 0).toInstant(ZoneOffset.UTC));
        ExportResult spanning = evidence.export(first, third, "auditor");
        return new ThreeDays(store, artifacts, clock, evidence, spanning, first);
    }

    @Test
    void anExportChainedToAMiddleDayOfADigestLeftOutIsShownByTheLastRecordItNamesForThatDay() {
        ThreeDays days = threeDaysExportedAtTheThirdsNoon(LocalDate.of(2026, 11, 27));
        LocalDate third = days.third();
        ExportResult spanning = days.spanning();
        days.clock().set(third.plusDays(1).atTime(0, 15).toInstant(ZoneOffset.UTC));
        ExportResult thirdDay = days.evidence().export(third, third, "auditor");

        List<String> needed = days.evidence().evidenceFor(thirdDay);
        days.artifacts().set(spanning.records(), null);

        EvidenceReport report = verify(days.artifacts());

        // The third day's first record chains to the second day's last, which the spanning digest names: the link is
        // shown without its export, so none is needed beside the third day's.
        assertThat(report.firstProblem()).isNull();
        assertThat(report.exports()).isEqualTo(1);
        assertThat(needed).doesNotContain(spanning.records());
    }

    @Test
    void aDigestWhoseDaysLastRecordsDoNotAddUpToItsCountIsMalformed() {
        InMemoryArtifactStore files = base.artifacts().copy();
        List<String> digests = names(files, EvidenceLayout.DIGESTS);
        String name = digests.get(digests.size() - 1);
        Map<String, String> fields = new HashMap<>(SignedStatement.parse(files.get(name)).orElseThrow().fields());
        String days = fields.get("dayLastRecords");
        // The whole period's export names the last record of each of its days; one more record on its first day.
        int mark = days.indexOf('#');
        int colon = days.indexOf(':');
        fields.put("dayLastRecords", days.substring(0, mark + 1) + (Long.parseLong(days.substring(mark + 1, colon)) + 1)
                + days.substring(colon));
        files.set(name, SignedStatement.sign(fields, vigil).toJson(EvidenceLayout.DIGEST_ORDER));

        EvidenceReport report = verify(files);

        assertThat(report.firstProblem()).isNotNull()
                .extracting(EvidenceReport.Problem::kind, EvidenceReport.Problem::file)
                .containsExactly(EvidenceReport.Kind.MALFORMED_STATEMENT, name);
        assertThat(report.firstProblem().message()).contains("'dayLastRecords' does not agree with its count");
    }

    /** The exports and digests of a log of two days, without the export of both days; what each export returned. */
    record Spanning(InMemoryArtifactStore artifacts, ExportResult noon, ExportResult spanning, ExportResult nextDay) {}

    /**
     * Records on {@code day}, its export at noon, more records; with {@code daily} that day's daily export the next
     * morning; records on the next day, the export of both days at its noon, as many records as the noon export
     * lacks, and the export of the next day alone after it ended. Returns the container without the export of
     * both days.
     */
    private static Spanning spanningExportLeftOut(LocalDate day, boolean daily) {
        InMemoryAuditStore store = new InMemoryAuditStore();
        InMemoryArtifactStore artifacts = new InMemoryArtifactStore();
        MutableClock clock = new MutableClock(day.atTime(9, 0).toInstant(ZoneOffset.UTC));
        AuditLog log = new AuditLog(store, clock);
        AuditEvidence evidence = new AuditEvidence(store, log, artifacts, vigil, clock);
        LocalDate next = day.plusDays(1);
        writeRecords(log, clock, 3);
        clock.set(day.atTime(12, 0).toInstant(ZoneOffset.UTC));
        ExportResult noon = evidence.export(day, day, "auditor");
        clock.set(day.atTime(15, 0).toInstant(ZoneOffset.UTC));
        writeRecords(log, clock, 3);
        if (daily) {
            clock.set(next.atTime(0, 15).toInstant(ZoneOffset.UTC));
            evidence.exportPreviousDay();
        }
        clock.set(next.atTime(9, 0).toInstant(ZoneOffset.UTC));
        writeRecords(log, clock, 3);
        clock.set(next.atTime(12, 0).toInstant(ZoneOffset.UTC));
        ExportResult spanning = evidence.export(day, next, "auditor");
        clock.set(next.atTime(15, 0).toInstant(ZoneOffset.UTC));
        writeRecords(log, clock, store.read(day.toString()).size() - (int) noon.count());
        clock.set(next.plusDays(1).atTime(0, 15).toInstant(ZoneOffset.UTC));
        ExportResult nextDay = evidence.export(next, next, "auditor");
        artifacts.set(spanning.records(), null);
        return new Spanning(artifacts, noon, spanning, nextDay);
    }

    /**
     * Signs every digest in {@code artifacts} again without {@code dayLastRecords}, each chained to the one before as
     * signed again: the digests as Vigil wrote them before they named the last record of each day.
     */
    private static void signedAsWrittenBeforeDigestsNamedEachDay(InMemoryArtifactStore artifacts) {
        String previous = null;
        for (String name : names(artifacts, EvidenceLayout.DIGESTS)) {
            Map<String, String> fields = new HashMap<>(
                    SignedStatement.parse(artifacts.get(name)).orElseThrow().fields());
            fields.remove("dayLastRecords");
            if (previous != null) {
                fields.put("previousDigestSha256", Sha256.hex(artifacts.get(previous)));
            }
            artifacts.set(name, SignedStatement.sign(fields, vigil).toJson(EvidenceLayout.DIGEST_ORDER));
            previous = name;
        }
    }

    private static void writeRecords(AuditLog log, MutableClock clock, int records) {
        for (int i = 0; i < records; i++) {
            clock.advance(Duration.ofMinutes(1));
            log.record("user-" + i, "model.register", "/models/readmission/versions/" + i, "registered", Map.of());
        }
    }

    // ---- tampering with exported evidence ----

    private String tamperExport(ExportTamper kind, InMemoryArtifactStore files, Random random) {
        List<String> digests = names(files, EvidenceLayout.DIGESTS);
        String digestName = digests.get(random.nextInt(digests.size()));
        SignedStatement digest = SignedStatement.parse(files.get(digestName)).orElseThrow();
        String exportName = digest.field("records");
        List<AuditRecord> records = parse(files.get(exportName));
        int n = records.size();
        switch (kind) {
            case MODIFIED_FIELD -> {
                int i = random.nextInt(n);
                records.set(i, modified(records.get(i), random, true));
                files.set(exportName, lines(records));
                return "record " + i + " of " + exportName;
            }
            case DELETED_RECORD -> {
                int i = random.nextInt(n);
                records.remove(i);
                files.set(exportName, lines(records));
                return "removed record " + i + " of " + exportName;
            }
            case REORDERED -> {
                int i = random.nextInt(n);
                int j = (i + 1 + random.nextInt(n - 1)) % n;
                AuditRecord moved = records.remove(i);
                records.add(j, moved);
                files.set(exportName, lines(records));
                return "moved record " + i + " to " + j + " in " + exportName;
            }
            case INSERTED_FORGERY -> {
                int i = random.nextInt(n + 1);
                AuditRecord template = records.get(Math.min(i, n - 1));
                AuditRecord previous = i == 0 ? null : records.get(i - 1);
                records.add(i, forgery(template, previous));
                files.set(exportName, lines(records));
                return "forgery at " + i + " of " + exportName;
            }
            case TRUNCATED_TAIL -> {
                int keep = random.nextInt(n);
                files.set(exportName, lines(new ArrayList<>(records.subList(0, keep))));
                return "kept " + keep + " of " + n + " records of " + exportName;
            }
            case RECOMPUTED_HASHES -> {
                int i = random.nextInt(n);
                records.set(i, modified(records.get(i), random, false));
                files.set(exportName, lines(Tampering.rechain(records, i)));
                return "record " + i + " of " + exportName + " changed and the chain recomputed";
            }
            case REPLACED_DIGEST -> {
                return replaceDigest(files, digests, digestName, digest, random);
            }
            case DIGEST_SIGNED_BY_ANOTHER_KEY -> {
                int i = random.nextInt(n);
                records.set(i, modified(records.get(i), random, false));
                List<AuditRecord> rewritten = Tampering.rechain(records, i);
                byte[] content = lines(rewritten);
                files.set(exportName, content);
                Map<String, String> fields = new HashMap<>(digest.fields());
                fields.remove(SignedStatement.ALGORITHM);
                fields.put("sha256", health.vigil.hash.Sha256.hex(content));
                AuditRecord last = rewritten.get(rewritten.size() - 1);
                fields.put("lastRecordHash", last.hash());
                fields.put("firstRecordHash", rewritten.get(0).hash());
                SignedStatement forged = SignedStatement.sign(fields, attacker);
                files.set(digestName, forged.toJson(EvidenceLayout.DIGEST_ORDER));
                // The attacker also swaps the published key for their own.
                names(files, EvidenceLayout.KEYS).forEach(k -> files.set(k, null));
                files.set(EvidenceLayout.keyName(forged.keyId()), SigningKeys.pem(attacker.publicKey().getEncoded())
                        .getBytes(StandardCharsets.US_ASCII));
                return digestName + " re-signed by another key over a rewritten " + exportName;
            }
            case ANCHOR_CHANGED -> {
                List<String> anchors = names(files, EvidenceLayout.ANCHORS);
                String name = anchors.get(random.nextInt(anchors.size()));
                SignedStatement anchor = SignedStatement.parse(files.get(name)).orElseThrow();
                Map<String, String> fields = new HashMap<>(anchor.fields());
                String field = random.nextBoolean() ? "chainHeadHash" : "anchoredAt";
                fields.put(field, field.equals("chainHeadHash") ? flipHex(fields.get(field), random)
                        : Instant.parse(fields.get(field)).plusSeconds(1 + random.nextInt(3600)).toString());
                files.set(name, new SignedStatement(fields, anchor.keyId(), anchor.signature())
                        .toJson(EvidenceLayout.ANCHOR_ORDER));
                return field + " of " + name + " changed";
            }
            case ANCHOR_REMOVED -> {
                List<String> anchors = names(files, EvidenceLayout.ANCHORS);
                String name = anchors.get(random.nextInt(anchors.size() - 1));
                files.set(name, null);
                return name + " removed";
            }
            case ANCHOR_SIGNED_BY_ANOTHER_KEY -> {
                List<String> anchors = names(files, EvidenceLayout.ANCHORS);
                String name = anchors.get(random.nextInt(anchors.size()));
                SignedStatement anchor = SignedStatement.parse(files.get(name)).orElseThrow();
                Map<String, String> fields = new HashMap<>(anchor.fields());
                fields.remove(SignedStatement.ALGORITHM);
                if (random.nextBoolean()) {
                    fields.put("chainHeadHash", flipHex(fields.get("chainHeadHash"), random));
                }
                files.set(name, SignedStatement.sign(fields, attacker).toJson(EvidenceLayout.ANCHOR_ORDER));
                return name + " re-signed by another key";
            }
            default -> throw new IllegalStateException(kind.name());
        }
    }

    private String replaceDigest(InMemoryArtifactStore files, List<String> digests, String name, SignedStatement digest,
            Random random) {
        int variant = random.nextInt(4);
        if (variant == 0) {
            String other = digests.get((digests.indexOf(name) + 1 + random.nextInt(digests.size() - 1)) % digests.size());
            files.set(name, files.get(other));
            return name + " replaced by " + other;
        }
        if (variant == 1) {
            Map<String, String> fields = new HashMap<>(digest.fields());
            String field = List.of("count", "sha256", "to", "exportedBy", "lastRecordHash", "previousDigestSha256")
                    .get(random.nextInt(6));
            String value = fields.get(field);
            fields.put(field, switch (field) {
                case "count" -> Long.toString(Long.parseLong(value) + 1 + random.nextInt(5));
                case "to" -> LocalDate.parse(value).plusDays(1).toString();
                case "exportedBy" -> value + "-x";
                default -> value.isEmpty() ? "0".repeat(64) : flipHex(value, random);
            });
            files.set(name, new SignedStatement(fields, digest.keyId(), digest.signature())
                    .toJson(EvidenceLayout.DIGEST_ORDER));
            return field + " of " + name + " changed";
        }
        if (variant == 2) {
            // Removing a digest that is not the last breaks the chain; the last one leaves its export unsigned.
            files.set(name, null);
            return name + " removed";
        }
        // A digest from another Vigil installation with the same key: same format, wrong content.
        Map<String, String> fields = new HashMap<>(digest.fields());
        fields.remove(SignedStatement.ALGORITHM);
        fields.put("exportedAt", Instant.parse(fields.get("exportedAt")).plusSeconds(60).toString());
        fields.put("sha256", flipHex(fields.get("sha256"), random));
        files.set(name, SignedStatement.sign(fields, vigil).toJson(EvidenceLayout.DIGEST_ORDER));
        return name + " replaced by a digest of other content, signed with Vigil's key";
    }

    // ---- tampering with the store ----

    private String tamperStore(StoreTamper kind, InMemoryAuditStore store, Random random) {
        List<AuditRecord> all = all(store);
        int n = all.size();
        int i = random.nextInt(n);
        AuditRecord target = all.get(i);
        switch (kind) {
            case MODIFIED_FIELD -> {
                store.tamper(target.partition(), target.sequence(), r -> modified(r, random, true));
                return "record " + ref(target) + " changed";
            }
            case DELETED_RECORD -> {
                store.delete(target.partition(), target.sequence());
                return "record " + ref(target) + " deleted";
            }
            case DELETED_AND_RECOMPUTED -> {
                List<AuditRecord> rest = new ArrayList<>(all);
                rest.remove(i);
                rewriteAll(store, all, renumberAndRechain(rest, i));
                return "record " + ref(target) + " deleted, later records renumbered and rehashed";
            }
            case REORDERED, REORDERED_AND_RECOMPUTED -> {
                List<AuditRecord> day = store.read(target.partition());
                if (day.size() < 2) {
                    target = all.stream().filter(r -> store.read(r.partition()).size() >= 2).findFirst().orElseThrow();
                    day = store.read(target.partition());
                }
                List<AuditRecord> reordered = new ArrayList<>(day);
                int a = random.nextInt(day.size());
                int b = (a + 1 + random.nextInt(day.size() - 1)) % day.size();
                AuditRecord moved = reordered.remove(a);
                reordered.add(b, moved);
                if (kind == StoreTamper.REORDERED) {
                    store.replace(target.partition(), reordered);
                    return "records of " + target.partition() + " reordered";
                }
                List<AuditRecord> rewritten = new ArrayList<>(all);
                int first = all.indexOf(day.get(0));
                for (int k = 0; k < reordered.size(); k++) {
                    rewritten.set(first + k, reordered.get(k));
                }
                rewriteAll(store, all, renumberAndRechain(rewritten, first + Math.min(a, b)));
                return "records of " + target.partition() + " reordered, renumbered and rehashed";
            }
            case INSERTED_FORGERY -> {
                List<AuditRecord> day = new ArrayList<>(store.read(target.partition()));
                int at = day.indexOf(target);
                AuditRecord forged = forgery(target, at == 0 ? null : day.get(at - 1));
                day.add(at, forged);
                store.replace(target.partition(), day);
                return "forgery inserted before " + ref(target);
            }
            case INSERTED_AND_RECOMPUTED -> {
                List<AuditRecord> rewritten = new ArrayList<>(all);
                rewritten.add(i, forgery(target, i == 0 ? null : all.get(i - 1)));
                rewriteAll(store, all, renumberAndRechain(rewritten, i));
                return "forgery inserted before " + ref(target) + ", later records renumbered and rehashed";
            }
            case TRUNCATED_TAIL -> {
                int keep = random.nextInt(n);
                for (AuditRecord r : all.subList(keep, n)) {
                    store.delete(r.partition(), r.sequence());
                }
                return "kept " + keep + " of " + n + " records";
            }
            case RECOMPUTED_HASHES -> {
                rewriteFrom(store, all, i, r -> modified(r, random, false));
                return "record " + ref(target) + " changed and every later hash recomputed";
            }
            case APPENDED_TO_CLOSED_DAY -> {
                // The day before midnight, exported whole at 00:15, gets a record chained to its last one, dated just
                // before midnight (as a write racing it), after that last record, or earlier in the day.
                AuditRecord last = store.last(FIRST_DAY.toString()).orElseThrow();
                Instant dayEnd = FIRST_DAY.plusDays(1).atStartOfDay().toInstant(ZoneOffset.UTC);
                long afterLast = Duration.between(last.time(), dayEnd).toMillis();
                Instant time = switch (random.nextInt(3)) {
                    case 0 -> dayEnd.minusMillis(1 + random.nextInt(60_000));
                    case 1 -> last.time().plusMillis(1 + random.nextInt((int) Math.max(1, afterLast - 1)));
                    default -> dayEnd.minus(Duration.ofHours(1 + random.nextInt(20)));
                };
                return "record " + ref(appendTo(store, last, time)) + " appended at " + time;
            }
            default -> throw new IllegalStateException(kind.name());
        }
    }

    /** A record chained to {@code last} and appended after it, made up by someone without the signing key. */
    private static AuditRecord appendTo(InMemoryAuditStore store, AuditRecord last, Instant time) {
        AuditRecord unsigned = new AuditRecord(UUID.randomUUID().toString(), last.partition(), last.sequence() + 1,
                time, "attacker", "model.approve", last.subject(), "approved", Map.of(), last.hash(), null);
        AuditRecord appended = AuditChain.withHash(unsigned, AuditChain.hashOf(unsigned));
        assertThat(store.tryAppend(appended)).isTrue();
        return appended;
    }

    private static void rewriteFrom(InMemoryAuditStore store, List<AuditRecord> all, int i,
            java.util.function.UnaryOperator<AuditRecord> change) {
        List<AuditRecord> rewritten = new ArrayList<>(all);
        rewritten.set(i, change.apply(all.get(i)));
        rewriteAll(store, all, Tampering.rechain(rewritten, i));
    }

    /** Replaces the store's content with {@code rewritten}, grouped by partition. */
    private static void rewriteAll(InMemoryAuditStore store, List<AuditRecord> original, List<AuditRecord> rewritten) {
        original.stream().map(AuditRecord::partition).distinct().forEach(store::dropPartition);
        Map<String, List<AuditRecord>> byDay = new TreeMap<>();
        rewritten.forEach(r -> byDay.computeIfAbsent(r.partition(), p -> new ArrayList<>()).add(r));
        byDay.forEach(store::replace);
    }

    private static void exportAgain(InMemoryAuditStore store, InMemoryArtifactStore artifacts) {
        MutableClock clock = new MutableClock(base.end().plus(Duration.ofMinutes(10)));
        new AuditEvidence(store, new AuditLog(store, clock), artifacts, vigil, clock)
                .export(FIRST_DAY, base.lastDay(), "auditor");
    }

    // ---- records ----

    /** A record with one field changed; with {@code hashes} the change may also hit the hash or the link. */
    private static AuditRecord modified(AuditRecord r, Random random, boolean hashes) {
        int field = random.nextInt(hashes ? 9 : 7);
        Map<String, String> details = new TreeMap<>(r.details());
        return switch (field) {
            case 0 -> withActor(r, r.actor() + "-x");
            case 1 -> copy(r, r.id(), r.time(), r.actor(), r.action() + ".undone", r.subject(), r.outcome(), details,
                    r.previousHash(), r.hash());
            case 2 -> copy(r, r.id(), r.time(), r.actor(), r.action(), r.subject() + "/9", r.outcome(), details,
                    r.previousHash(), r.hash());
            case 3 -> copy(r, r.id(), r.time(), r.actor(), r.action(), r.subject(), r.outcome().equals("ok") ? "refused"
                    : "ok", details, r.previousHash(), r.hash());
            case 4 -> {
                details.put("version", details.getOrDefault("version", "0") + "1");
                yield copy(r, r.id(), r.time(), r.actor(), r.action(), r.subject(), r.outcome(), details,
                        r.previousHash(), r.hash());
            }
            case 5 -> copy(r, r.id(), r.time().plusMillis(1 + random.nextInt(500)), r.actor(), r.action(), r.subject(),
                    r.outcome(), details, r.previousHash(), r.hash());
            case 6 -> copy(r, UUID.randomUUID().toString(), r.time(), r.actor(), r.action(), r.subject(), r.outcome(),
                    details, r.previousHash(), r.hash());
            case 7 -> copy(r, r.id(), r.time(), r.actor(), r.action(), r.subject(), r.outcome(), details,
                    flipHex(r.previousHash(), random), r.hash());
            default -> copy(r, r.id(), r.time(), r.actor(), r.action(), r.subject(), r.outcome(), details,
                    r.previousHash(), flipHex(r.hash(), random));
        };
    }

    private static AuditRecord withActor(AuditRecord r, String actor) {
        return copy(r, r.id(), r.time(), actor, r.action(), r.subject(), r.outcome(), r.details(), r.previousHash(),
                r.hash());
    }

    private static AuditRecord copy(AuditRecord r, String id, Instant time, String actor, String action, String subject,
            String outcome, Map<String, String> details, String previousHash, String hash) {
        return new AuditRecord(id, r.partition(), r.sequence(), time, actor, action, subject, outcome, details,
                previousHash, hash);
    }

    /** A record made up by someone without the signing key: well-formed, correctly hashed, linked to its predecessor. */
    private static AuditRecord forgery(AuditRecord template, AuditRecord previous) {
        boolean sameDay = previous != null && previous.partition().equals(template.partition());
        long sequence = sameDay ? previous.sequence() + 1 : 1;
        Instant time = sameDay ? previous.time().plusMillis(1) : template.time().minusMillis(1);
        AuditRecord unsigned = new AuditRecord(UUID.randomUUID().toString(), template.partition(), sequence, time,
                "attacker", "model.approve", template.subject(), "approved", Map.of(),
                previous == null ? template.previousHash() : previous.hash(), null);
        return AuditChain.withHash(unsigned, AuditChain.hashOf(unsigned));
    }

    /** Renumbers each day's sequences from 1 in list order, then recomputes the chain from {@code from}. */
    private static List<AuditRecord> renumberAndRechain(List<AuditRecord> records, int from) {
        List<AuditRecord> out = new ArrayList<>();
        Map<String, Long> next = new HashMap<>();
        for (AuditRecord r : records) {
            long sequence = next.merge(r.partition(), 1L, Long::sum);
            out.add(new AuditRecord(r.id(), r.partition(), sequence, r.time(), r.actor(), r.action(), r.subject(),
                    r.outcome(), r.details(), r.previousHash(), r.hash()));
        }
        return Tampering.rechain(out, Math.min(from, out.size() - 1));
    }

    private static List<AuditRecord> all(InMemoryAuditStore store) {
        List<AuditRecord> all = new ArrayList<>();
        store.partitions().forEach(p -> all.addAll(store.read(p)));
        return all;
    }

    private static List<AuditRecord> parse(byte[] content) {
        List<AuditRecord> out = new ArrayList<>();
        for (String line : new String(content, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                out.add(Json.read("record", line.getBytes(StandardCharsets.UTF_8), AuditRecord.class));
            }
        }
        return out;
    }

    private static byte[] lines(List<AuditRecord> records) {
        StringBuilder out = new StringBuilder();
        records.forEach(r -> out.append(Json.write(r)).append('\n'));
        return out.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static String flipHex(String hex, Random random) {
        if (hex.isEmpty()) {
            return "0".repeat(64);
        }
        int at = random.nextInt(hex.length());
        char c = hex.charAt(at);
        char replacement = c == '0' ? '1' : '0';
        return hex.substring(0, at) + replacement + hex.substring(at + 1);
    }

    private static List<String> names(InMemoryArtifactStore files, String prefix) {
        return EvidenceFiles.container(files).list(prefix);
    }

    private static String ref(AuditRecord r) {
        return r.partition() + "#" + r.sequence();
    }

    static EvidenceReport verifyStore(InMemoryAuditStore store, InMemoryArtifactStore artifacts) {
        MutableClock clock = new MutableClock(base.end().plus(Duration.ofMinutes(10)));
        return new AuditEvidence(store, new AuditLog(store, clock), artifacts, vigil, clock)
                .verifyStore(FIRST_DAY, base.lastDay(), List.of(vigil.publicKey()));
    }

    static EvidenceReport verify(InMemoryArtifactStore artifacts) {
        return new EvidenceVerifier(List.of(vigil.publicKey())).verify(EvidenceFiles.container(artifacts));
    }
}
