package health.vigil.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.times;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoMoreInteractions;
import static org.mockito.Mockito.when;

import health.vigil.audit.VerificationReport.Problem;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.model.AuditRecord;
import health.vigil.port.AuditStore;
import health.vigil.port.AuditStore.KeyedAppend;
import health.vigil.port.Telemetry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

class AuditLogTest {
    private static final LocalDate DAY1 = LocalDate.parse("2026-03-01");
    private static final LocalDate DAY2 = LocalDate.parse("2026-03-02");
    private static final LocalDate DAY3 = LocalDate.parse("2026-03-03");

    private final InMemoryAuditStore store = new InMemoryAuditStore();
    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T09:00:00.123456789Z"));
    private final AuditLog audit = new AuditLog(store, clock);

    private AuditRecord write(String outcome) {
        AuditRecord r = audit.record("alice", "model.register", "/models/readmission/versions/1", outcome,
                Map.of("blob", "readmission.zip"));
        clock.advance(Duration.ofMinutes(1));
        return r;
    }

    /** Writes 5 records on DAY1, 3 on DAY2 and 2 on DAY3. */
    private void writeThreeDays() {
        for (int i = 0; i < 5; i++) {
            write("registered");
        }
        clock.set(Instant.parse("2026-03-02T08:00:00Z"));
        for (int i = 0; i < 3; i++) {
            write("registered");
        }
        clock.set(Instant.parse("2026-03-03T08:00:00Z"));
        for (int i = 0; i < 2; i++) {
            write("registered");
        }
    }

    @Test
    void firstRecordStartsTheChainAndItsHashCoversEveryFieldInTheDocumentedForm() throws Exception {
        AuditRecord r = audit.record("alice", "deployment.deploy", "/models/readmission/versions/2", "deployed",
                Map.of("revision", "3", "previousVersion", "1"));

        assertThat(r.partition()).isEqualTo("2026-03-01");
        assertThat(r.sequence()).isEqualTo(1);
        assertThat(r.previousHash()).isEqualTo("0".repeat(64));
        assertThat(r.time()).isEqualTo(Instant.parse("2026-03-01T09:00:00.123Z"));
        // Independent reference: the netstring serialisation written out by hand, digested with the JDK.
        String canonical = "20:vigil-audit-record/1," + "36:" + r.id() + "," + "10:2026-03-01," + "1:1,"
                + "24:2026-03-01T09:00:00.123Z," + "5:alice," + "17:deployment.deploy,"
                + "30:/models/readmission/versions/2," + "8:deployed," + "1:2," + "15:previousVersion," + "1:1,"
                + "8:revision," + "1:3," + "64:" + "0".repeat(64) + ",";
        String expected = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                .digest(canonical.getBytes(StandardCharsets.UTF_8)));
        assertThat(r.hash()).isEqualTo(expected);
        assertThat(store.read("2026-03-01")).containsExactly(r);
    }

    @Test
    void theSerialisationIsUnambiguousWhereJoinedStringsWouldCollide() {
        Instant t = Instant.parse("2026-03-01T00:00:00Z");
        AuditRecord a = new AuditRecord("id", "2026-03-01", 1, t, "a", "bc", "s", "o", Map.of("k", "v=w"), "0", null);
        AuditRecord b = new AuditRecord("id", "2026-03-01", 1, t, "ab", "c", "s", "o", Map.of("k", "v=w"), "0", null);
        AuditRecord c = new AuditRecord("id", "2026-03-01", 1, t, "a", "bc", "s", "o", Map.of("k=v", "w"), "0", null);

        assertThat(AuditChain.hashOf(a)).isNotEqualTo(AuditChain.hashOf(b)).isNotEqualTo(AuditChain.hashOf(c));
        assertThat(AuditChain.hashOf(b)).isNotEqualTo(AuditChain.hashOf(c));
    }

    @Test
    void recordsOfADayFollowEachOtherInSequenceAndCarryThePreviousHash() {
        AuditRecord first = write("registered");
        AuditRecord second = write("rejected");
        AuditRecord third = write("registered");

        assertThat(List.of(first.sequence(), second.sequence(), third.sequence())).containsExactly(1L, 2L, 3L);
        assertThat(second.previousHash()).isEqualTo(first.hash());
        assertThat(third.previousHash()).isEqualTo(second.hash());
    }

    @Test
    void theFirstRecordOfADayChainsToTheLastRecordOfThePreviousDay() {
        write("a");
        AuditRecord lastOfDay1 = write("b");
        clock.set(Instant.parse("2026-03-02T00:00:00Z"));

        AuditRecord firstOfDay2 = write("c");

        assertThat(firstOfDay2.partition()).isEqualTo("2026-03-02");
        assertThat(firstOfDay2.sequence()).isEqualTo(1);
        assertThat(firstOfDay2.previousHash()).isEqualTo(lastOfDay1.hash());
    }

    @Test
    void afterDaysWithoutRecordsTheChainContinuesFromTheLatestEarlierDay() {
        AuditRecord lastOfDay1 = write("a");
        clock.set(Instant.parse("2026-03-09T12:00:00Z"));

        AuditRecord later = write("b");

        assertThat(later.partition()).isEqualTo("2026-03-09");
        assertThat(later.previousHash()).isEqualTo(lastOfDay1.hash());
        assertThat(audit.verify(DAY1, LocalDate.parse("2026-03-09")).valid()).isTrue();
    }

    @Test
    void aWriterThatLosesTheRaceReChainsOnTheNewLastRecord() {
        AuditStore racing = mock(AuditStore.class);
        AuditRecord four = sealed(4, "0".repeat(64));
        AuditRecord five = sealed(5, four.hash());
        when(racing.last("2026-03-01")).thenReturn(Optional.of(four), Optional.of(five));
        when(racing.tryAppend(any())).thenReturn(false, true);

        AuditRecord written = new AuditLog(racing, clock).record("bob", "model.approve", "/models/m/versions/1", "approved", null);

        assertThat(written.sequence()).isEqualTo(6);
        assertThat(written.previousHash()).isEqualTo(five.hash());
        ArgumentCaptor<AuditRecord> attempts = ArgumentCaptor.forClass(AuditRecord.class);
        verify(racing, times(2)).tryAppend(attempts.capture());
        assertThat(attempts.getAllValues().get(0).sequence()).isEqualTo(5);
        assertThat(attempts.getAllValues().get(1)).isEqualTo(written);
    }

    @Test
    void aStoreThatNeverAcceptsTheAppendEndsInARetryableError() {
        AuditStore stuck = mock(AuditStore.class);
        when(stuck.last(any())).thenReturn(Optional.of(sealed(1, "0".repeat(64))));
        when(stuck.tryAppend(any())).thenReturn(false);

        assertThatThrownBy(() -> new AuditLog(stuck, clock).record("bob", "x.y", "/s", "ok", Map.of()))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.STORE_UNAVAILABLE))
                .hasMessageContaining("x.y");
        verify(stuck, times(AuditLog.MAX_APPEND_ATTEMPTS)).tryAppend(any());
    }

    @Test
    void concurrentWritersProduceOneGaplessValidChain() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            int writer = t;
            futures.add(pool.submit(() -> {
                for (int i = 0; i < 40; i++) {
                    audit.record("writer-" + writer, "test.write", "/s", "ok", Map.of("i", Integer.toString(i)));
                }
            }));
        }
        for (Future<?> f : futures) {
            f.get(60, TimeUnit.SECONDS);
        }
        pool.shutdown();

        List<AuditRecord> records = store.read("2026-03-01");
        assertThat(records).hasSize(320);
        assertThat(records).extracting(AuditRecord::sequence).containsExactlyElementsOf(
                java.util.stream.LongStream.rangeClosed(1, 320).boxed().toList());
        VerificationReport report = audit.verify(DAY1, DAY1);
        assertThat(report.valid()).isTrue();
        assertThat(report.recordsChecked()).isEqualTo(320);
    }

    /**
     * A store that lists a day without records (a writer that listed the day and died before its record was stored):
     * the next day's first record chains to the last record there is, and the chain verifies over, into and past that
     * day. Before, it chained to the genesis hash, and every later verification and export reported a broken link.
     */
    @Test
    void aDayListedWithoutRecordsIsPassedOverAndTheChainGoesOnFromTheLastRecordThereIs() {
        AuditStore listsAnEmptyDay = new ForwardingAuditStore(store) {
            @Override
            public List<String> partitions() {
                List<String> days = new ArrayList<>(store.partitions());
                days.add(DAY2.toString());
                return days.stream().distinct().sorted().toList();
            }
        };
        AuditLog log = new AuditLog(listsAnEmptyDay, clock);
        AuditRecord lastOfDay1 = log.record("alice", "model.register", "/models/readmission/versions/1", "registered",
                Map.of());
        clock.set(Instant.parse("2026-03-03T08:00:00Z"));

        AuditRecord firstOfDay3 = log.record("alice", "model.approve", "/models/readmission/versions/1", "approved",
                Map.of());

        assertThat(firstOfDay3.previousHash()).isEqualTo(lastOfDay1.hash());
        assertThat(log.verify(DAY1, DAY3).valid()).isTrue();
        assertThat(log.verify(DAY2, DAY3).valid()).isTrue();
        assertThat(log.verify(DAY3, DAY3).valid()).isTrue();
    }

    /** A long search holds one day of the log: each day's records are handed over before the next day is read. */
    @Test
    void forEachReadsTheLogADayAtATimeHandingOverEachDayBeforeReadingTheNext() {
        writeThreeDays();
        List<String> events = new ArrayList<>();
        AuditStore reading = org.mockito.Mockito.mock(AuditStore.class,
                org.mockito.AdditionalAnswers.delegatesTo(store));
        org.mockito.Mockito.doAnswer(call -> {
            events.add("read " + call.getArgument(0));
            return store.read(call.<String>getArgument(0));
        }).when(reading).read(org.mockito.ArgumentMatchers.anyString());

        new AuditLog(reading, clock).forEach(DAY1, DAY3, r -> events.add(r.partition() + "#" + r.sequence()));

        List<String> expected = new ArrayList<>();
        int[] perDay = {5, 3, 2};
        for (int d = 0; d < 3; d++) {
            String day = DAY1.plusDays(d).toString();
            expected.add("read " + day);
            for (int s = 1; s <= perDay[d]; s++) {
                expected.add(day + "#" + s);
            }
        }
        assertThat(events).containsExactlyElementsOf(expected);
    }

    @Test
    void anUntouchedChainVerifiesOverSeveralDays() {
        writeThreeDays();

        VerificationReport report = audit.verify(DAY1, DAY3);

        assertThat(report.valid()).isTrue();
        assertThat(report.firstBreak()).isNull();
        assertThat(report.partitionsChecked()).isEqualTo(3);
        assertThat(report.recordsChecked()).isEqualTo(10);
        assertThat(report.notes()).isEmpty();
        // The answer of GET /audit/verify says so: firstBreak is there, and null.
        com.fasterxml.jackson.databind.JsonNode answer = health.vigil.json.Json.readTree("the report",
                health.vigil.json.Json.writeResponse(report));
        assertThat(answer.has("firstBreak")).isTrue();
        assertThat(answer.get("firstBreak").isNull()).isTrue();
    }

    @Test
    void eachVerificationIsCountedAsIntactOrBrokenSoABrokenChainCanRaiseAnAlert() {
        Telemetry telemetry = mock(Telemetry.class);
        AuditLog counted = new AuditLog(store, clock, telemetry);
        writeThreeDays();

        counted.verify(DAY1, DAY3);
        verify(telemetry).auditVerified(true);

        store.tamper("2026-03-02", 1, r -> new AuditRecord(r.id(), r.partition(), r.sequence(), r.time(), r.actor(),
                r.action(), r.subject(), "rejected", r.details(), r.previousHash(), r.hash()));
        counted.verify(DAY1, DAY3);
        verify(telemetry).auditVerified(false);
        verifyNoMoreInteractions(telemetry);
    }

    @Test
    void changingARecordsContentIsFoundAtThatRecord() {
        writeThreeDays();
        store.tamper("2026-03-01", 3, r -> new AuditRecord(r.id(), r.partition(), r.sequence(), r.time(), r.actor(),
                r.action(), r.subject(), "approved", r.details(), r.previousHash(), r.hash()));

        VerificationReport report = audit.verify(DAY1, DAY3);

        assertBreak(report, "2026-03-01", 3, Problem.HASH_MISMATCH);
        assertThat(report.recordsChecked()).isEqualTo(2);
    }

    @Test
    void changingDetailsIsFoundAtThatRecord() {
        writeThreeDays();
        store.tamper("2026-03-02", 2, r -> {
            Map<String, String> details = new HashMap<>(r.details());
            details.put("blob", "other.zip");
            return new AuditRecord(r.id(), r.partition(), r.sequence(), r.time(), r.actor(), r.action(), r.subject(),
                    r.outcome(), details, r.previousHash(), r.hash());
        });

        assertBreak(audit.verify(DAY1, DAY3), "2026-03-02", 2, Problem.HASH_MISMATCH);
    }

    @Test
    void rewritingARecordAndItsHashBreaksTheLinkOfTheNextRecord() {
        writeThreeDays();
        store.tamper("2026-03-01", 3, r -> {
            AuditRecord changed = new AuditRecord(r.id(), r.partition(), r.sequence(), r.time(), "mallory", r.action(),
                    r.subject(), r.outcome(), r.details(), r.previousHash(), null);
            return AuditChain.withHash(changed, AuditChain.hashOf(changed));
        });

        VerificationReport report = audit.verify(DAY1, DAY3);

        assertBreak(report, "2026-03-01", 4, Problem.BROKEN_LINK);
        assertThat(report.firstBreak().message()).contains("record 3");
    }

    @Test
    void aChangedLinkIsFoundAtThatRecord() {
        writeThreeDays();
        store.tamper("2026-03-01", 2, r -> new AuditRecord(r.id(), r.partition(), r.sequence(), r.time(), r.actor(),
                r.action(), r.subject(), r.outcome(), r.details(), "f".repeat(64), r.hash()));

        assertBreak(audit.verify(DAY1, DAY3), "2026-03-01", 2, Problem.BROKEN_LINK);
    }

    @Test
    void removingARecordInsideADayIsASequenceGapAtTheNextRecord() {
        writeThreeDays();
        store.delete("2026-03-01", 3);

        VerificationReport report = audit.verify(DAY1, DAY3);

        assertBreak(report, "2026-03-01", 4, Problem.SEQUENCE_GAP);
        assertThat(report.firstBreak().message()).contains("expected sequence 3");
    }

    @Test
    void removingTheFirstRecordOfADayIsFound() {
        writeThreeDays();
        store.delete("2026-03-02", 1);

        assertBreak(audit.verify(DAY1, DAY3), "2026-03-02", 2, Problem.SEQUENCE_GAP);
    }

    @Test
    void removingTheLastRecordOfADayIsFoundByTheNextDaysAnchor() {
        writeThreeDays();
        store.delete("2026-03-01", 5);

        assertBreak(audit.verify(DAY1, DAY3), "2026-03-02", 1, Problem.BROKEN_LINK);
    }

    @Test
    void verifyingOnePeriodAlsoChecksItsLinkToTheDayBefore() {
        writeThreeDays();
        store.delete("2026-03-02", 3);

        assertBreak(audit.verify(DAY3, DAY3), "2026-03-03", 1, Problem.BROKEN_LINK);
    }

    @Test
    void removingAWholeDayIsFoundWhenAnEarlierDayRemains() {
        writeThreeDays();
        store.dropPartition("2026-03-02");

        assertBreak(audit.verify(DAY1, DAY3), "2026-03-03", 1, Problem.BROKEN_LINK);
    }

    @Test
    void daysRemovedByRetentionBeforeThePeriodAreANoteNotABreak() {
        writeThreeDays();
        store.dropPartition("2026-03-01");

        VerificationReport report = audit.verify(DAY2, DAY3);

        assertThat(report.valid()).isTrue();
        assertThat(report.notes()).singleElement().asString().contains("2026-03-02").contains("no longer in the store");
    }

    @Test
    void aRecordWhoseTimeWasMovedToAnotherDayIsFound() {
        writeThreeDays();
        store.tamper("2026-03-02", 2, r -> new AuditRecord(r.id(), r.partition(), r.sequence(),
                r.time().plus(Duration.ofDays(1)), r.actor(), r.action(), r.subject(), r.outcome(), r.details(),
                r.previousHash(), r.hash()));

        assertBreak(audit.verify(DAY1, DAY3), "2026-03-02", 2, Problem.WRONG_PARTITION);
    }

    @Test
    void aRecordAppendedJustAfterTheNextDayBeganIsChainedAndNoted() {
        write("a");
        write("b");
        clock.set(Instant.parse("2026-03-02T00:00:00.010Z"));
        write("c");
        // A writer whose clock read came just before midnight appends to the earlier day afterwards.
        clock.set(Instant.parse("2026-03-01T23:59:59.990Z"));
        AuditRecord late = write("late");
        assertThat(late.partition()).isEqualTo("2026-03-01");
        assertThat(late.sequence()).isEqualTo(3);

        VerificationReport report = audit.verify(DAY1, DAY2);

        assertThat(report.valid()).isTrue();
        assertThat(report.notes()).singleElement().asString().contains("records 3 to 3 of 2026-03-01");
    }

    @Test
    void aRecordAppendedToADayAfterTheNextDayBeganWithATimeLongBeforeMidnightIsABreak() {
        write("a");
        write("b");
        clock.set(Instant.parse("2026-03-02T00:00:00.010Z"));
        write("c");
        // Chained to the day's last record, as the next day's first record is, but dated hours before midnight: no
        // write racing midnight is that late, so it was added to the day afterwards (a backdated record).
        clock.set(Instant.parse("2026-03-01T14:00:00Z"));
        AuditRecord backdated = write("approved");
        assertThat(backdated.sequence()).isEqualTo(3);

        VerificationReport report = audit.verify(DAY1, DAY2);

        assertBreak(report, "2026-03-01", 3, Problem.BROKEN_LINK);
        assertThat(report.firstBreak().message()).contains("was appended after 2026-03-02 began")
                .contains("more than 5 minutes before 2026-03-01 ended");
    }

    @Test
    void readReturnsThePeriodsRecordsDayByDayInSequence() {
        writeThreeDays();

        List<AuditRecord> records = audit.read(DAY2, DAY3);

        assertThat(records).extracting(AuditRecord::partition)
                .containsExactly("2026-03-02", "2026-03-02", "2026-03-02", "2026-03-03", "2026-03-03");
        assertThat(records).extracting(AuditRecord::sequence).containsExactly(1L, 2L, 3L, 1L, 2L);
    }

    @Test
    void aPeriodThatEndsBeforeItStartsIsRejected() {
        assertThatThrownBy(() -> audit.read(DAY2, DAY1)).isInstanceOf(ValidationException.class)
                .hasMessageContaining("2026-03-02").hasMessageContaining("swap");
        assertThatThrownBy(() -> audit.verify(DAY2, DAY1)).isInstanceOf(ValidationException.class);
    }

    @Test
    void aDetailWithoutAValueIsRejectedInsteadOfStoredAsNull() {
        Map<String, String> details = new HashMap<>();
        details.put("reason", null);

        assertThatThrownBy(() -> audit.record("a", "x.y", "/s", "ok", details))
                .isInstanceOf(ValidationException.class).hasMessageContaining("null");
        assertThat(store.partitions()).isEmpty();
    }

    private static void assertBreak(VerificationReport report, String partition, long sequence, Problem problem) {
        assertThat(report.valid()).isFalse();
        assertThat(report.firstBreak().partition()).isEqualTo(partition);
        assertThat(report.firstBreak().sequence()).isEqualTo(sequence);
        assertThat(report.firstBreak().problem()).isEqualTo(problem);
    }

    private static AuditRecord sealed(long sequence, String previousHash) {
        AuditRecord r = new AuditRecord("id-" + sequence, "2026-03-01", sequence, Instant.parse("2026-03-01T08:00:00Z"),
                "x", "y", "z", "ok", Map.of(), previousHash, null);
        return AuditChain.withHash(r, AuditChain.hashOf(r));
    }

    @Test
    void recordOnceAppendsOneRecordPerKeyAndTheChainStaysVerifiable() {
        AuditRecord first = audit.recordOnce("deployment:readmission:revision-1", "alice", "deployment.deploy",
                "/models/readmission/versions/1", "deployed", Map.of("revision", "1"));
        write("registered");
        clock.set(Instant.parse("2026-03-02T08:00:00Z"));
        AuditRecord replayed = audit.recordOnce("deployment:readmission:revision-1", "bob", "deployment.deploy",
                "/models/readmission/versions/1", "deployed", Map.of("revision", "1"));
        AuditRecord second = audit.recordOnce("deployment:readmission:revision-2", "alice", "deployment.deploy",
                "/models/readmission/versions/2", "deployed", Map.of("revision", "2"));

        assertThat(replayed).isEqualTo(first);
        assertThat(first.actor()).isEqualTo("alice");
        assertThat(first.details()).containsEntry(AuditLog.KEY_DETAIL, "deployment:readmission:revision-1")
                .containsEntry("revision", "1");
        assertThat(audit.read(DAY1, DAY2)).extracting(AuditRecord::id)
                .containsExactly(first.id(), audit.read(DAY1, DAY1).get(1).id(), second.id());
        assertThat(audit.verify(DAY1, DAY2).valid()).isTrue();
    }

    @Test
    void recordFirstTellsWhetherThisCallAppendedTheRecordEvenWhenAnotherCallerAppendedItMeanwhile() {
        AuditLog.Once first = audit.recordFirst("check:readmission:w1", "vigil-system", "monitoring.check",
                "/models/readmission/versions/1", "ok", Map.of());
        AuditLog.Once again = audit.recordFirst("check:readmission:w1", "vigil-system", "monitoring.check",
                "/models/readmission/versions/1", "ok", Map.of());
        assertThat(first.appended()).isTrue();
        assertThat(again.appended()).isFalse();
        assertThat(again.record()).isEqualTo(first.record());

        // A caller that found no record, then lost the append to one that recorded the key in between.
        AuditStore racing = mock(AuditStore.class);
        when(racing.findByKey("check:readmission:w2")).thenReturn(Optional.empty());
        when(racing.last(any())).thenReturn(Optional.empty());
        AuditRecord theirs = sealed(1, "0".repeat(64));
        when(racing.tryAppendOnce(eq("check:readmission:w2"), any()))
                .thenReturn(AuditStore.KeyedAppend.alreadyRecorded(theirs));

        AuditLog.Once lost = new AuditLog(racing, clock).recordFirst("check:readmission:w2", "vigil-system",
                "monitoring.check", "/models/readmission/versions/1", "ok", Map.of());

        assertThat(lost.appended()).isFalse();
        assertThat(lost.record()).isEqualTo(theirs);
    }

    @Test
    void recordOnceRefusesABlankOrControlCharacterKeyAndTheReservedDetailName() {
        assertThatThrownBy(() -> audit.recordOnce(" ", "alice", "a", "/s", "ok", Map.of()))
                .isInstanceOf(ValidationException.class).hasMessageContaining("idempotency key");
        assertThatThrownBy(() -> audit.recordOnce("k\n", "alice", "a", "/s", "ok", Map.of()))
                .isInstanceOf(ValidationException.class).hasMessageContaining("control characters");
        assertThatThrownBy(() -> audit.recordOnce("k", "alice", "a", "/s", "ok", Map.of(AuditLog.KEY_DETAIL, "x")))
                .isInstanceOf(ValidationException.class).hasMessageContaining("reserves");
        assertThat(store.partitions()).isEmpty();
    }

    @Test
    void pagesFollowEachOtherAcrossDaysWithoutGapsOrRepeatsAndTheLastHasNoToken() {
        writeThreeDays();
        List<AuditRecord> all = audit.read(DAY1, DAY3);

        for (int limit : new int[] {1, 2, 3, 5, 8, 10, 11}) {
            List<AuditRecord> paged = new ArrayList<>();
            String token = null;
            int pages = 0;
            do {
                AuditPage page = audit.readPage(DAY1, DAY3, token, limit);
                assertThat(page.records().size()).isBetween(1, limit);
                paged.addAll(page.records());
                token = page.continuationToken();
                pages++;
            } while (token != null);
            assertThat(paged).as("limit " + limit).containsExactlyElementsOf(all);
            assertThat(pages).as("limit " + limit).isEqualTo((all.size() + limit - 1) / limit);
        }
        AuditPage secondDayOnly = audit.readPage(DAY2, DAY2, null, 2);
        assertThat(secondDayOnly.records()).extracting(AuditRecord::partition).containsOnly("2026-03-02");
        assertThat(audit.readPage(DAY2, DAY2, secondDayOnly.continuationToken(), 2).records()).hasSize(1);
    }

    @Test
    void aTokenThatWasNotGivenForThePeriodAndAnUnboundedPageAreRefused() {
        writeThreeDays();
        String token = audit.readPage(DAY1, DAY3, null, 2).continuationToken();
        String forged = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                "a1|2026-03-01|2026-03-03|2026-03-02|0".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        String outside = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                "a1|2026-03-01|2026-03-03|2026-04-02|1".getBytes(java.nio.charset.StandardCharsets.US_ASCII));

        // Spellings encode never writes: a sequence with a leading zero or a sign.
        List<String> respelled = java.util.stream.Stream.of("04", "+4", "-0").map(sequence -> java.util.Base64
                .getUrlEncoder().withoutPadding().encodeToString(("a1|2026-03-01|2026-03-03|2026-03-02|" + sequence)
                        .getBytes(java.nio.charset.StandardCharsets.US_ASCII))).toList();
        List<String> refused = new java.util.ArrayList<>(List.of("", "%%%", "not-a-token", token.substring(1), forged,
                outside, "x".repeat(300)));
        refused.addAll(respelled);
        for (String bad : refused) {
            assertThatThrownBy(() -> audit.readPage(DAY1, DAY3, bad, 2)).as(bad)
                    .isInstanceOf(ValidationException.class).hasMessageContaining("continuationToken");
        }
        assertThatThrownBy(() -> audit.readPage(DAY1, DAY2, token, 2)).as("another period")
                .isInstanceOf(ValidationException.class).hasMessageContaining("continuationToken");
        assertThatThrownBy(() -> audit.readPage(DAY1, DAY3, null, 0)).isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> audit.readPage(DAY1, DAY3, null, AuditLog.MAX_PAGE_SIZE + 1))
                .isInstanceOf(ValidationException.class);
    }
}
