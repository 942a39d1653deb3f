package health.vigil.outcomes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.audit.AuditLog;
import health.vigil.audit.ForwardingAuditStore;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.events.BlobCreated;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.IdempotencyKey;
import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.VersionRecord;
import health.vigil.monitoring.LabelledWindow;
import health.vigil.monitoring.OutcomeJoin;
import health.vigil.port.ArtifactStore;
import health.vigil.port.AuditStore;
import health.vigil.port.OutcomeStore;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.registry.ModelRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Outcomes on the real local stores (SQLite, files, the audit log): recorded once, conflicts refused and reported,
 * bad rows reported by number without their values, files ingested, and joined to the predictions they belong to.
 */
class OutcomeServiceTest {
    private static final ModelName MODEL = new ModelName("readmission");
    private static final Instant NOW = Instant.parse("2026-12-01T09:00:00Z");
    private static final Instant SCORED = Instant.parse("2026-11-03T14:20:00Z");
    private static final Duration RETENTION = Duration.ofDays(30);
    private static final byte[] KEY = "0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII);

    @TempDir
    Path home;
    private LocalAdapters adapters;
    private AuditLog audit;
    private OutcomeService service;
    private OutcomeJoin join;
    private final Pseudonymizer pseudonymizer = new Pseudonymizer(KEY);

    @BeforeEach
    void setUp() {
        adapters = LocalAdapters.at(home, PredictionLogDurability.DEFAULT);
        ModelRegistry registry = registryOf(MODEL);
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        audit = new AuditLog(adapters.auditStore(), clock);
        service = new OutcomeService(adapters.outcomeStore(), adapters.predictionLog(), adapters.artifactStore(), registry, pseudonymizer, audit,
                clock, RETENTION);
        // Every count shown (minCellSize 0): these tests count a few outcomes; OutcomeWindowSmallCellsTest withholds.
        join = new OutcomeJoin(adapters.predictionLog(), adapters.outcomeStore(), model -> 0);
        adapters.predictionLog().append(List.of(
                prediction("01a1a1c7-fa80-7000-8000-000000000001", "patient-A", SCORED, Slot.STABLE),
                prediction("01a1a1c8-0e08-7000-8000-000000000002", "patient-B", SCORED.plusSeconds(5), Slot.STABLE),
                prediction("01a1a1c8-2190-7000-8000-000000000003", "patient-C", SCORED.plusSeconds(10), Slot.CANARY),
                prediction("01a1a1c8-3518-7000-8000-000000000004", "patient-D", SCORED.plusSeconds(15), Slot.STABLE)));
    }

    @AfterEach
    void tearDown() {
        adapters.close();
    }

    @Test
    void outcomesByPredictionIdAndByPatientAndIndexTimeAreJoinedToTheirPredictions() {
        OutcomeReceipt receipt = submit("""
                {"model": "readmission", "outcomes": [
                  {"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": 1},
                  {"patientId": "patient-C", "indexTime": "2026-11-03T08:00:00Z", "outcome": 0},
                  {"predictionId": "01a1a1c8-0e08-7000-8000-000000000002", "outcome": "true"}]}""");

        assertThat(receipt.recorded()).isEqualTo(3);
        assertThat(receipt.refused()).isEmpty();
        LabelledWindow window = join.labelled(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60));
        assertThat(window.predictions()).isEqualTo(4);
        assertThat(window.labelled()).isEqualTo(3);
        assertThat(window.positives()).isEqualTo(2);
        assertThat(window.labelledFraction()).isEqualTo(0.75);
        assertThat(window.parts()).extracting(LabelledWindow.Part::slot, LabelledWindow.Part::predictions,
                LabelledWindow.Part::labelled).containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("canary", 1L, 1L),
                        org.assertj.core.groups.Tuple.tuple("stable", 3L, 2L));
    }

    /**
     * An outcome by prediction id and one by patient and day for the same prediction that disagree: one of them is
     * wrong and neither says which, so the prediction is left unlabelled and counted as conflicting, for every report
     * alike. Two that agree label it once.
     */
    @Test
    void outcomesByIdAndByPatientAndDayThatDisagreeLeaveThePredictionUnlabelledAndCountedAsConflicting() {
        submit("""
                {"model": "readmission", "outcomes": [
                  {"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": 1},
                  {"patientId": "patient-A", "indexTime": "2026-11-03T08:00:00Z", "outcome": 0},
                  {"predictionId": "01a1a1c8-0e08-7000-8000-000000000002", "outcome": 1},
                  {"patientId": "patient-B", "indexTime": "2026-11-03T09:00:00Z", "outcome": 1}]}""");

        LabelledWindow window = join.labelled(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60));
        assertThat(window.predictions()).isEqualTo(4);
        assertThat(window.labelled()).isEqualTo(1);
        assertThat(window.positives()).isEqualTo(1);
        assertThat(window.conflicting()).isEqualTo(1);
        List<health.vigil.model.PredictionRecord> logged = new java.util.ArrayList<>();
        adapters.predictionLog().scan(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60), logged::add);
        assertThat(join.outcomesOf(MODEL, logged)).containsOnly(
                java.util.Map.entry("01a1a1c8-0e08-7000-8000-000000000002", true));
    }

    @Test
    void anOutcomeForAnotherDayIsNotJoined() {
        submit("""
                {"model": "readmission", "outcomes": [
                  {"patientId": "patient-A", "indexTime": "2026-11-04T08:00:00Z", "outcome": 1}]}""");

        assertThat(join.labelled(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60)).labelled()).isZero();
    }

    /**
     * The same rows sent again without an Idempotency-Key, by another caller or the same one later, change nothing in
     * the store but are a submission of their own: each is audited with who sent it.
     */
    @Test
    void theSameBodySentAgainWithoutAKeyChangesNothingAndIsAuditedAsItsOwnSubmission() {
        String body = """
                {"model": "readmission", "outcomes": [{"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": 1}]}""";
        submit(body);

        OutcomeReceipt again = service.submit("second-feed", body, Json.readTree("body",
                body.getBytes(StandardCharsets.UTF_8)));
        submit(body);

        assertThat(again.recorded()).isZero();
        assertThat(again.alreadyRecorded()).isEqualTo(1);
        assertThat(outcomeAuditRecords()).extracting(AuditRecord::actor)
                .containsExactly("outcomes-feed", "second-feed", "outcomes-feed");
        assertThat(outcomeAuditRecords()).extracting(r -> r.details().get("recorded")).containsExactly("1", "0", "0");
        assertThat(outcomeAuditRecords()).extracting(r -> r.details().get("sha256")).containsOnly(Sha256.hex(body));
    }

    /**
     * A request sent again under its Idempotency-Key by the same caller is recorded once and answered with the first
     * one's counts; the same key from another caller is that caller's own request; the same key with another body is
     * refused (409) and writes nothing.
     */
    @Test
    void aRequestSentAgainUnderItsKeyIsRecordedOnceAndTheKeyWithAnotherBodyIsRefused() {
        String body = """
                {"model": "readmission", "outcomes": [
                  {"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": 1},
                  {"predictionId": "not-an-id", "outcome": 1}]}""";
        Optional<IdempotencyKey> key = Optional.of(new IdempotencyKey("delivery-42"));
        OutcomeService.Submission first = service.submit("outcomes-feed", body, json(body), key);

        OutcomeService.Submission replay = service.submit("outcomes-feed", body, json(body), key);
        OutcomeService.Submission otherCaller = service.submit("second-feed", body, json(body), key);

        assertThat(first.replayed()).isFalse();
        assertThat(replay.replayed()).isTrue();
        assertThat(replay.receipt()).extracting(OutcomeReceipt::source, OutcomeReceipt::rows, OutcomeReceipt::recorded,
                OutcomeReceipt::alreadyRecorded, OutcomeReceipt::invalid).containsExactly("api", 2, 1, 0, 1);
        assertThat(otherCaller.replayed()).isFalse();
        assertThat(otherCaller.receipt().alreadyRecorded()).isEqualTo(1);
        assertThat(outcomeAuditRecords()).extracting(AuditRecord::actor).containsExactly("outcomes-feed",
                "second-feed");

        String other = """
                {"model": "readmission", "outcomes": [
                  {"predictionId": "01a1a1c8-0e08-7000-8000-000000000002", "outcome": 0}]}""";
        assertThatThrownBy(() -> service.submit("outcomes-feed", other, json(other), key))
                .isInstanceOfSatisfying(VigilException.class, e -> {
                    assertThat(e.httpStatus()).isEqualTo(409);
                    assertThat(e.getMessage()).contains("Idempotency-Key was first sent with another body (2 rows")
                            .contains("send a new key");
                });
        assertThat(outcomeAuditRecords()).hasSize(2);
        assertThat(adapters.outcomeStore().get(MODEL, List.of(
                Outcome.predictionKey("01a1a1c8-0e08-7000-8000-000000000002")))).isEmpty();
    }

    /**
     * Two bodies sent by one caller under one Idempotency-Key at the same moment, both past the look-up of the key's
     * record before either is recorded: one claims the key and writes its rows; the other is refused (409) and writes
     * nothing, rather than both sets of rows being written.
     */
    @Test
    void twoBodiesSentAtOnceUnderOneKeyWriteOneOfThemAndTheOtherIsRefused() throws Exception {
        Optional<IdempotencyKey> key = Optional.of(new IdempotencyKey("delivery-43"));
        String request = "outcomes:request:" + Sha256.hex("outcomes-feed|delivery-43");
        CountDownLatch bothLookedUp = new CountDownLatch(2);
        AtomicInteger lookUps = new AtomicInteger();
        AuditStore real = adapters.auditStore();
        AuditStore meeting = new ForwardingAuditStore(real) {
            @Override
            public Optional<AuditRecord> findByKey(String key) {
                Optional<AuditRecord> found = real.findByKey(key);
                // Each request's first look-up of its key waits for the other's: both find nothing recorded.
                if (key.equals(request) && lookUps.incrementAndGet() <= 2) {
                    bothLookedUp.countDown();
                    try {
                        assertThat(bothLookedUp.await(30, TimeUnit.SECONDS)).as("both requests looked up").isTrue();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(e);
                    }
                }
                return found;
            }
        };
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        OutcomeService service = new OutcomeService(adapters.outcomeStore(), adapters.predictionLog(),
                adapters.artifactStore(), registryOf(MODEL), pseudonymizer, new AuditLog(meeting, clock), clock,
                RETENTION);
        String first = "01a1a1c7-fa80-7000-8000-000000000001";
        String second = "01a1a1c8-0e08-7000-8000-000000000002";
        List<String> bodies = List.of(
                "{\"model\": \"readmission\", \"outcomes\": [{\"predictionId\": \"" + first + "\", \"outcome\": 1}]}",
                "{\"model\": \"readmission\", \"outcomes\": [{\"predictionId\": \"" + second + "\", \"outcome\": 0}]}");
        ExecutorService senders = Executors.newFixedThreadPool(2);
        List<Object> answers = new ArrayList<>();
        try {
            List<Future<OutcomeService.Submission>> sent = new ArrayList<>();
            for (String body : bodies) {
                sent.add(senders.submit(() -> service.submit("outcomes-feed", body, json(body), key)));
            }
            for (Future<OutcomeService.Submission> answer : sent) {
                try {
                    answers.add(answer.get(60, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    answers.add(e.getCause());
                }
            }
        } finally {
            senders.shutdownNow();
        }

        assertThat(answers).filteredOn(OutcomeService.Submission.class::isInstance).hasSize(1);
        assertThat(answers).filteredOn(VigilException.class::isInstance).singleElement()
                .satisfies(e -> assertThat(((VigilException) e).httpStatus()).isEqualTo(409));
        assertThat(adapters.outcomeStore().get(MODEL, List.of(Outcome.predictionKey(first),
                Outcome.predictionKey(second)))).hasSize(1);
        assertThat(outcomeAuditRecords()).hasSize(1);
    }

    /**
     * A request sent again under its key is answered as the first was: the same counts and the same refused rows with
     * their reasons, which the first request's record keeps without any row's value.
     */
    @Test
    void aRequestSentAgainUnderItsKeyGetsTheFirstAnswerWithItsRefusedRowsAndReasons() {
        submit("""
                {"model": "readmission", "outcomes": [
                  {"predictionId": "01a1a1c8-0e08-7000-8000-000000000002", "outcome": 1}]}""");
        String body = """
                {"model": "readmission", "outcomes": [
                  {"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": 1},
                  {"predictionId": "MRN-0012345", "outcome": 1},
                  {"predictionId": "01a1a1c8-0e08-7000-8000-000000000002", "outcome": 0},
                  {"predictionId": "MRN-0012346", "outcome": 0}]}""";
        Optional<IdempotencyKey> key = Optional.of(new IdempotencyKey("delivery-44"));
        OutcomeService.Submission first = service.submit("outcomes-feed", body, json(body), key);

        OutcomeService.Submission replay = service.submit("outcomes-feed", body, json(body), key);

        assertThat(first.receipt().refused()).extracting(OutcomeReceipt.RowProblem::row).containsExactly(2, 3, 4);
        assertThat(replay.replayed()).isTrue();
        assertThat(replay.receipt()).isEqualTo(first.receipt());
        assertThat(outcomeAuditRecords()).last().satisfies(r -> assertThat(r.details().values().toString())
                .doesNotContain("MRN-001"));
    }

    /**
     * The same body sent twice at once under one key, the second finding the first's claim while the first is still
     * writing: the second waits for the first's answer and is answered with it, replayed, and the rows and the
     * request are recorded once.
     */
    @Test
    void theSameBodySentTwiceAtOnceUnderOneKeyGetsTheFirstAnswerTwice() throws Exception {
        String claimKey = "outcomes:request:" + Sha256.hex("outcomes-feed|delivery-45") + ":received";
        CountDownLatch claimFound = new CountDownLatch(1);
        AuditStore real = adapters.auditStore();
        AuditStore watched = new ForwardingAuditStore(real) {
            @Override
            public KeyedAppend tryAppendOnce(String key, AuditRecord record) {
                KeyedAppend done = real.tryAppendOnce(key, record);
                if (key.equals(claimKey) && done.existing() != null) {
                    claimFound.countDown();
                }
                return done;
            }

            @Override
            public Optional<AuditRecord> findByKey(String key) {
                Optional<AuditRecord> found = real.findByKey(key);
                if (key.equals(claimKey) && found.isPresent()) {
                    claimFound.countDown();
                }
                return found;
            }
        };
        OutcomeStore stored = adapters.outcomeStore();
        AtomicInteger writes = new AtomicInteger();
        OutcomeStore held = new ForwardingOutcomeStore(stored) {
            @Override
            public List<Optional<Outcome>> putAllIfAbsent(List<Outcome> outcomes) {
                // The claimant writes only once the other request has found its claim.
                try {
                    assertThat(claimFound.await(30, TimeUnit.SECONDS)).as("the other request found the claim").isTrue();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                writes.incrementAndGet();
                return stored.putAllIfAbsent(outcomes);
            }
        };
        Clock clock = Clock.fixed(NOW, ZoneOffset.UTC);
        OutcomeService service = new OutcomeService(held, adapters.predictionLog(), adapters.artifactStore(),
                registryOf(MODEL), pseudonymizer, new AuditLog(watched, clock), clock, RETENTION);
        String body = """
                {"model": "readmission", "outcomes": [
                  {"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": 1},
                  {"predictionId": "MRN-0012345", "outcome": 1}]}""";
        Optional<IdempotencyKey> key = Optional.of(new IdempotencyKey("delivery-45"));
        ExecutorService senders = Executors.newFixedThreadPool(2);
        List<OutcomeService.Submission> answers = new ArrayList<>();
        try {
            List<Future<OutcomeService.Submission>> sent = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                sent.add(senders.submit(() -> service.submit("outcomes-feed", body, json(body), key)));
            }
            for (Future<OutcomeService.Submission> answer : sent) {
                answers.add(answer.get(60, TimeUnit.SECONDS));
            }
        } finally {
            senders.shutdownNow();
        }

        assertThat(answers).extracting(OutcomeService.Submission::replayed).containsExactlyInAnyOrder(false, true);
        assertThat(answers).extracting(OutcomeService.Submission::receipt).allSatisfy(r -> assertThat(r)
                .extracting(OutcomeReceipt::recorded, OutcomeReceipt::alreadyRecorded, OutcomeReceipt::invalid)
                .containsExactly(1, 0, 1));
        assertThat(answers.get(0).receipt()).isEqualTo(answers.get(1).receipt());
        assertThat(answers.get(0).receipt().refused()).extracting(OutcomeReceipt.RowProblem::row).containsExactly(2);
        assertThat(writes).hasValue(1);
        assertThat(outcomeAuditRecords()).hasSize(1);
    }

    private static JsonNode json(String body) {
        return Json.readTree("body", body.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void aConflictingSecondOutcomeIsRefusedAndReportedAndTheFirstIsKept() {
        submit("""
                {"model": "readmission", "outcomes": [{"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": 1}]}""");

        OutcomeReceipt second = submit("""
                {"model": "readmission", "outcomes": [
                  {"predictionId": "01a1a1c8-0e08-7000-8000-000000000002", "outcome": 0},
                  {"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": 0}]}""");

        assertThat(second.recorded()).isEqualTo(1);
        assertThat(second.conflicts()).isEqualTo(1);
        assertThat(second.refused()).singleElement().satisfies(p -> {
            assertThat(p.row()).isEqualTo(2);
            assertThat(p.kind()).isEqualTo("CONFLICT");
        });
        assertThat(join.labelled(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60)).positives()).isEqualTo(1);
        assertThat(outcomeAuditRecords()).extracting(AuditRecord::outcome).containsExactly("recorded", "partial");
    }

    private static final String ROW_1 = "{\"predictionId\": \"01a1a1c8-0e08-7000-8000-000000000002\", \"outcome\": 0}";

    @Test
    void aRowIsTakenAsWrittenAndAValueOfAnotherTypeIsRefusedNotConverted() {
        OutcomeReceipt receipt = submit("""
                {"model": "readmission", "outcomes": [
                  {"patientId": 5551234, "indexTime": "2026-11-03T08:00:00Z", "outcome": 1},
                  {"patientId": true, "indexTime": "2026-11-03T08:00:00Z", "outcome": 1},
                  {"patientId": "patient-C", "indexTime": 1793174400, "outcome": 1},
                  {"predictionId": ["01a1a1c7-fa80-7000-8000-000000000001"], "outcome": 1},
                  {"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": [1]},
                  {"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": true}]}""");

        assertThat(receipt.rows()).isEqualTo(6);
        assertThat(receipt.invalid()).isEqualTo(5);
        assertThat(receipt.recorded()).isEqualTo(1);
        assertThat(receipt.refused()).extracting(OutcomeReceipt.RowProblem::row).containsExactly(1, 2, 3, 4, 5);
        assertThat(receipt.refused().get(0).reason()).contains("'patientId' must be text");
        assertThat(receipt.refused().get(1).reason()).contains("'patientId' must be text");
        assertThat(receipt.refused().get(2).reason()).contains("'indexTime' must be text");
        assertThat(receipt.refused().get(3).reason()).contains("'predictionId' must be text");
        assertThat(receipt.refused().get(4).reason()).contains("'outcome' must be 1 or 0");
        assertThat(Json.write(receipt)).doesNotContain("5551234");
        // The body's own fields too: an unknown one, or a model that is not text, refuses the body and stores nothing.
        for (String body : List.of("{\"model\": \"readmission\", \"extra\": 1, \"outcomes\": [" + ROW_1 + "]}",
                "{\"model\": 5, \"outcomes\": [" + ROW_1 + "]}")) {
            assertThatThrownBy(() -> submit(body)).as(body).isInstanceOf(ValidationException.class);
        }
    }

    @Test
    void badRowsAreReportedByNumberWithoutTheirValuesAndGoodRowsAreKept() {
        OutcomeReceipt receipt = submit("""
                {"model": "readmission", "outcomes": [
                  {"patientId": "MRN-SECRET-991", "indexTime": "tuesday-SECRET-992", "outcome": 1},
                  {"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": "SECRET-993"},
                  {"predictionId": "01a1a1c8-3518-7000-8000-000000000004", "outcome": 0},
                  {"predictionId": "bad id/SECRET-994", "outcome": 1},
                  {"predictionId": "01a1a1c8-2190-7000-8000-000000000003", "patientId": "MRN-SECRET-995", "indexTime": "2026-11-03T08:00:00Z", "outcome": 1},
                  {"model": "unknown-model", "predictionId": "aaaaaaaa-0000-7000-8000-000000000009", "outcome": 1},
                  {"predictionId": "01a1a1c8-0e08-7000-8000-000000000002", "outcome": 1, "SECRET-996": 1},
                  {"patientId": "   ", "indexTime": "2026-11-03T08:00:00Z", "outcome": 1}]}""");

        assertThat(receipt.rows()).isEqualTo(8);
        assertThat(receipt.recorded()).isEqualTo(1);
        assertThat(receipt.invalid()).isEqualTo(7);
        assertThat(receipt.refused()).extracting(OutcomeReceipt.RowProblem::row).containsExactly(1, 2, 4, 5, 6, 7, 8);
        assertThat(Json.write(receipt)).doesNotContain("SECRET");
        assertThat(receipt.refused().get(0).reason()).contains("indexTime");
        assertThat(receipt.refused().get(4).reason()).contains("has no registered version").doesNotContain("unknown-model");
        assertThat(join.labelled(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60)).labelled()).isEqualTo(1);
    }

    @Test
    void aPredictionIdIsAUuidInAnyCaseWithOneOutcomeAndAnythingElseIsRefusedNotStored() {
        OutcomeReceipt receipt = submit("""
                {"model": "readmission", "outcomes": [
                  {"predictionId": "01A1A1C7-FA80-7000-8000-000000000001", "outcome": 1},
                  {"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": 0},
                  {"predictionId": "MRN-SECRET-4471", "outcome": 1}]}""");

        assertThat(receipt.recorded()).isEqualTo(1);
        assertThat(receipt.refused()).extracting(OutcomeReceipt.RowProblem::row, OutcomeReceipt.RowProblem::kind)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(2, "CONFLICT"),
                        org.assertj.core.groups.Tuple.tuple(3, "INVALID"));
        assertThat(adapters.outcomeStore().get(MODEL, List.of(Outcome.predictionKey("MRN-SECRET-4471")))).isEmpty();
        assertThat(join.labelled(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60)).positives()).isEqualTo(1);
    }

    /** UUIDs of forms Vigil never issued as prediction ids, each with the rule its refusal must name. */
    private static final List<List<String>> NEVER_ISSUED = List.of(
            List.of("00000000-0000-0000-0000-000000000000", "nil UUID"),
            List.of("c232ab00-9414-11ec-b3c8-9f6bdeced846", "never issues prediction ids in"), // version 1
            List.of("000003e8-9414-21ec-b3c8-9f6bdeced846", "never issues prediction ids in"), // version 2
            List.of("4ebd0208-8328-5d69-8c44-ec50939c0967", "never issues prediction ids in"), // version 5
            List.of("1ec9414c-232a-6b00-b3c8-9f6bdeced846", "never issues prediction ids in"), // version 6
            List.of("2489e9ad-2ee2-8e00-8ec9-32d5f69181c0", "never issues prediction ids in"), // version 8
            List.of("017f22e2-79b0-7cc3-18c4-dc0c0c07398f", "not an RFC 9562 UUID"), // version 7, variant 0xx
            List.of("6f1c2d3e-4a5b-4c6d-c7e8-9fa0b1c2d3e4", "not an RFC 9562 UUID"), // version 4, variant 110
            List.of("ffffffff-ffff-ffff-ffff-ffffffffffff", "not an RFC 9562 UUID")); // the max UUID

    @Test
    void aPredictionIdOfAFormVigilNeverIssuedIsRefusedByRuleAndTheOtherRowsAreRecorded() {
        String version4 = UUID.randomUUID().toString();
        String version3 = UUID.nameUUIDFromBytes("batch:job-1:row:7".getBytes(StandardCharsets.UTF_8)).toString();
        StringBuilder body = new StringBuilder("{\"model\": \"readmission\", \"outcomes\": [");
        StringBuilder csv = new StringBuilder("model,predictionId,outcome\n");
        List<String> ids = new ArrayList<>(List.of("01a1a1c7-fa80-7000-8000-000000000001", version4, version3));
        NEVER_ISSUED.forEach(unissued -> ids.add(unissued.get(0)));
        for (String id : ids) {
            body.append(body.charAt(body.length() - 1) == '[' ? "" : ",").append("{\"predictionId\": \"").append(id)
                    .append("\", \"outcome\": 1}");
            csv.append("readmission,").append(id).append(",0\n");
        }
        put("forms.csv", csv.toString());

        OutcomeReceipt receipt = submit(body.append("]}").toString());
        OutcomeReceipt file = service.ingest(blob("forms.csv", "e-20")).orElseThrow();

        // Version 7 as issued now, version 4 and version 3 as issued before ADR 0014: recorded as before.
        assertThat(receipt.rows()).isEqualTo(ids.size());
        assertThat(receipt.recorded()).isEqualTo(3);
        assertThat(receipt.invalid()).isEqualTo(NEVER_ISSUED.size());
        assertThat(receipt.refused()).extracting(OutcomeReceipt.RowProblem::row)
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(4, ids.size()).boxed().toList());
        for (int i = 0; i < NEVER_ISSUED.size(); i++) {
            OutcomeReceipt.RowProblem refused = receipt.refused().get(i);
            assertThat(refused.kind()).isEqualTo("INVALID");
            assertThat(refused.reason()).as(NEVER_ISSUED.get(i).get(0)).contains(NEVER_ISSUED.get(i).get(1))
                    .contains("send the id the scoring answer or the batch's results gave");
        }
        // The same ids in a file, numbered by line: the issued ones already have an outcome of 1, so its 0 conflicts.
        assertThat(file.conflicts()).isEqualTo(3);
        assertThat(file.invalid()).isEqualTo(NEVER_ISSUED.size());
        assertThat(file.refused()).filteredOn(p -> p.kind().equals("INVALID")).extracting(OutcomeReceipt.RowProblem::row)
                .containsExactlyElementsOf(java.util.stream.IntStream.rangeClosed(5, ids.size() + 1).boxed().toList());
        String written = Json.write(receipt) + Json.write(file) + outcomeAuditRecords();
        NEVER_ISSUED.forEach(unissued -> assertThat(written).doesNotContain(unissued.get(0)));
        NEVER_ISSUED.forEach(unissued -> assertThat(adapters.outcomeStore().get(MODEL,
                List.of(Outcome.predictionKey(unissued.get(0))))).isEmpty());
    }

    @Test
    void aVersion7IdTheModelNeverLoggedIsRefusedAndTheOtherRowsAreRecorded() {
        ModelName adherence = new ModelName("adherence");
        String ofAdherence = PredictionIds.next(SCORED);
        adapters.predictionLog().append(List.of(new PredictionRecord(ofAdherence, adherence, 1, Slot.STABLE, null,
                SCORED, new float[] {1f}, 0.2, false, null)));
        String sameMoment = PredictionIds.next(SCORED);
        String emptyHour = PredictionIds.next(SCORED.plusSeconds(7_200));
        OutcomeService service = new OutcomeService(adapters.outcomeStore(), adapters.predictionLog(),
                adapters.artifactStore(), registryOf(MODEL, adherence), pseudonymizer, audit,
                Clock.fixed(NOW, ZoneOffset.UTC), RETENTION);

        OutcomeReceipt receipt = service.submit("outcomes-feed", "b", Json.readTree("body", """
                {"model": "readmission", "outcomes": [
                  {"predictionId": "%s", "outcome": 1},
                  {"predictionId": "01A1A1C8-0E08-7000-8000-000000000002", "outcome": 1},
                  {"predictionId": "%s", "outcome": 1},
                  {"predictionId": "%s", "outcome": 1},
                  {"model": "adherence", "predictionId": "%s", "outcome": 0},
                  {"predictionId": "%s", "outcome": 1},
                  {"predictionId": "01a1a1c8-3518-7000-8000-000000000004", "outcome": 0}]}""".formatted(sameMoment,
                emptyHour, ofAdherence, ofAdherence, UUID.randomUUID()).getBytes(StandardCharsets.UTF_8)));

        // Logged by readmission (in any case), logged by adherence under its own name, and a version 4 id (which
        // carries no time, so is taken on its form): recorded. Never logged at that moment or in that hour, or
        // logged by another model than the row names: refused, each by its row, and the rows after still recorded.
        assertThat(receipt.recorded()).isEqualTo(4);
        assertThat(receipt.invalid()).isEqualTo(3);
        assertThat(receipt.refused()).extracting(OutcomeReceipt.RowProblem::row).containsExactly(1, 3, 4);
        assertThat(receipt.refused()).allSatisfy(p -> assertThat(p.reason())
                .contains("model 'readmission' has no prediction with this 'predictionId' in its prediction log"));
        assertThat(Json.write(receipt) + outcomeAuditRecords()).doesNotContain(sameMoment).doesNotContain(emptyHour)
                .doesNotContain(ofAdherence);
        assertThat(adapters.outcomeStore().get(MODEL, List.of(Outcome.predictionKey(sameMoment),
                Outcome.predictionKey(emptyHour), Outcome.predictionKey(ofAdherence)))).isEmpty();
        assertThat(adapters.outcomeStore().get(adherence, List.of(Outcome.predictionKey(ofAdherence)))).hasSize(1);
        assertThat(join.labelled(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60)).labelled()).isEqualTo(2);
    }

    /**
     * An outcome dated after the platform's day (a typo of the year, a scheduled date) would label the patient's
     * predictions of that day before they are made; it is one invalid row. A day ahead is taken (time zones).
     */
    @Test
    void anIndexTimeInTheFutureIsOneInvalidRowAndADayAheadIsTaken() {
        OutcomeReceipt receipt = submit("""
                {"model": "readmission", "outcomes": [
                  {"patientId": "patient-A", "indexTime": "2027-12-01T08:00:00Z", "outcome": 1},
                  {"patientId": "patient-B", "indexTime": "2026-12-02T08:00:00Z", "outcome": 1},
                  {"patientId": "patient-C", "indexTime": "2026-12-02T10:00:00Z", "outcome": 1}]}""");

        assertThat(receipt.recorded()).isEqualTo(1);
        assertThat(receipt.refused()).extracting(OutcomeReceipt.RowProblem::row).containsExactly(1, 3);
        assertThat(receipt.refused().get(0).reason()).contains("'indexTime' is in the future");
    }

    /**
     * An outcome of predictions made before the prediction log's retention cut-off would label nothing and go at the
     * next purge (in Cosmos DB at once): it is refused by its row, from a request and from a file alike, though the
     * log still holds the prediction; the reason names the cut-off, never the row's id or day, and the other rows of
     * the batch are recorded. The cut-off's own day, and an id of its very moment, are taken.
     */
    @Test
    void anOutcomeOfPredictionsPastTheRetentionCutOffIsRefusedByItsRowAndTheOthersAreRecorded() {
        Instant cutoff = NOW.minus(RETENTION);
        String pastId = PredictionIds.next(cutoff.minusSeconds(60));
        String keptId = PredictionIds.next(cutoff);
        adapters.predictionLog().append(List.of(prediction(pastId, "patient-E", cutoff.minusSeconds(60), Slot.STABLE),
                prediction(keptId, "patient-F", cutoff, Slot.STABLE)));

        OutcomeReceipt receipt = submit("""
                {"model": "readmission", "outcomes": [
                  {"predictionId": "%s", "outcome": 1},
                  {"patientId": "patient-E", "indexTime": "2026-10-31T23:59:59Z", "outcome": 1},
                  {"predictionId": "%s", "outcome": 1},
                  {"patientId": "patient-F", "indexTime": "2026-11-01T00:00:00Z", "outcome": 0}]}""".formatted(pastId,
                keptId));
        put("late.csv", "model,predictionId,outcome\nreadmission," + pastId + ",0\nreadmission," + keptId + ",1\n");
        OutcomeReceipt file = service.ingest(blob("late.csv", "event-late")).orElseThrow();

        assertThat(receipt.recorded()).isEqualTo(2);
        assertThat(receipt.invalid()).isEqualTo(2);
        assertThat(receipt.refused()).extracting(OutcomeReceipt.RowProblem::row).containsExactly(1, 2);
        assertThat(receipt.refused().get(0).reason()).startsWith("'predictionId' dates its prediction before the"
                + " prediction log's retention cut-off, 2026-11-01T09:00:00Z (30 days");
        assertThat(receipt.refused().get(1).reason()).startsWith("'indexTime' is on a UTC day that ended by the"
                + " prediction log's retention cut-off, 2026-11-01T09:00:00Z (30 days");
        assertThat(file.alreadyRecorded()).isEqualTo(1);
        assertThat(file.refused()).extracting(OutcomeReceipt.RowProblem::row).containsExactly(2);
        assertThat(file.refused().get(0).reason()).contains("retention cut-off, 2026-11-01T09:00:00Z");
        assertThat(Json.write(receipt) + Json.write(file) + outcomeAuditRecords()).doesNotContain(pastId)
                .doesNotContain("2026-10-31").doesNotContain("patient-E");
        assertThat(adapters.outcomeStore().get(MODEL, List.of(Outcome.predictionKey(pastId), Outcome.patientDayKey(
                pseudonymizer.pseudonym("patient-E"), Instant.parse("2026-10-31T23:59:59Z"))))).isEmpty();
        assertThat(adapters.outcomeStore().get(MODEL, List.of(Outcome.predictionKey(keptId), Outcome.patientDayKey(
                pseudonymizer.pseudonym("patient-F"), cutoff)))).hasSize(2);
    }

    /**
     * Outcomes recorded in time and sent again once their predictions are past the retention cut-off (a sender
     * resending a file it delivered, before the day's purge removed them) are not new facts: the same value is
     * already recorded and another value is a conflict with the stored one, as for any resend. Only an outcome not
     * stored is refused for the cut-off, and nothing past it is written.
     */
    @Test
    void anOutcomeStoredBeforeTheCutOffPassedItsPredictionsIsAlreadyRecordedWhenSentAgainAfter() {
        String sent = """
                {"model": "readmission", "outcomes": [
                  {"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": 1},
                  {"patientId": "patient-C", "indexTime": "2026-11-03T08:00:00Z", "outcome": 0},
                  {"predictionId": "01a1a1c8-0e08-7000-8000-000000000002", "outcome": 1}]}""";
        assertThat(submit(sent).recorded()).isEqualTo(3);
        Clock later = Clock.fixed(SCORED.plus(RETENTION).plus(Duration.ofDays(1)), ZoneOffset.UTC);
        OutcomeService afterCutOff = new OutcomeService(adapters.outcomeStore(), adapters.predictionLog(),
                adapters.artifactStore(), registryOf(MODEL), pseudonymizer, new AuditLog(adapters.auditStore(), later),
                later, RETENTION);

        String again = """
                {"model": "readmission", "outcomes": [
                  {"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": 1},
                  {"patientId": "patient-C", "indexTime": "2026-11-03T08:00:00Z", "outcome": 0},
                  {"predictionId": "01a1a1c8-0e08-7000-8000-000000000002", "outcome": 0},
                  {"predictionId": "01a1a1c8-3518-7000-8000-000000000004", "outcome": 1}]}""";
        OutcomeReceipt receipt = afterCutOff.submit("outcomes-feed", again, json(again));

        assertThat(receipt).extracting(OutcomeReceipt::recorded, OutcomeReceipt::alreadyRecorded,
                OutcomeReceipt::conflicts, OutcomeReceipt::invalid).containsExactly(0, 2, 1, 1);
        assertThat(receipt.refused()).extracting(OutcomeReceipt.RowProblem::row, OutcomeReceipt.RowProblem::kind)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(3, "CONFLICT"),
                        org.assertj.core.groups.Tuple.tuple(4, "INVALID"));
        assertThat(receipt.refused().get(0).reason()).contains("recorded for this prediction on " + NOW);
        assertThat(receipt.refused().get(1).reason()).startsWith("'predictionId' dates its prediction before the"
                + " prediction log's retention cut-off");
        assertThat(adapters.outcomeStore().get(MODEL, List.of(
                Outcome.predictionKey("01a1a1c8-3518-7000-8000-000000000004")))).isEmpty();
        assertThat(adapters.outcomeStore().get(MODEL, List.of(
                Outcome.predictionKey("01a1a1c8-0e08-7000-8000-000000000002"))).values())
                .singleElement().extracting(Outcome::positive).isEqualTo(true);
    }

    @Test
    void anIndexTimeOutsideTheYearsADayCanBeWrittenForIsOneInvalidRow() {
        OutcomeReceipt receipt = submit("""
                {"model": "readmission", "outcomes": [
                  {"patientId": "patient-A", "indexTime": "+1000000000-01-01T00:00:00Z", "outcome": 0},
                  {"patientId": "patient-A", "indexTime": "-0001-01-01T00:00:00Z", "outcome": 0},
                  {"patientId": "patient-C", "indexTime": "2026-11-03T08:00:00Z", "outcome": 1}]}""");

        assertThat(receipt.recorded()).isEqualTo(1);
        assertThat(receipt.refused()).extracting(OutcomeReceipt.RowProblem::row).containsExactly(1, 2);
        assertThat(receipt.refused().get(0).reason()).contains("years 1900 to 9999");
    }

    @Test
    void aModelTheRegistryDoesNotKnowRefusesItsRowsOnly() {
        ModelRegistry strict = mock(ModelRegistry.class);
        when(strict.listVersions(MODEL)).thenReturn(List.of(mock(VersionRecord.class)));
        when(strict.listVersions(new ModelName("adherence"))).thenThrow(new health.vigil.error.NotFoundException(
                health.vigil.error.ErrorCode.MODEL_NOT_FOUND, "model `adherence` is not registered"));
        OutcomeService service = new OutcomeService(adapters.outcomeStore(), adapters.predictionLog(), adapters.artifactStore(), strict,
                pseudonymizer, audit, Clock.fixed(NOW, ZoneOffset.UTC), RETENTION);

        OutcomeReceipt receipt = service.submit("outcomes-feed", "b", Json.readTree("body", """
                {"model": "readmission", "outcomes": [
                  {"model": "adherence", "predictionId": "01a1a1c8-0e08-7000-8000-000000000002", "outcome": 1},
                  {"model": "MRN0012345", "predictionId": "01a1a1c8-0e08-7000-8000-000000000003", "outcome": 1},
                  {"model": "mrn0012345", "predictionId": "01a1a1c8-0e08-7000-8000-000000000004", "outcome": 1},
                  {"predictionId": "01a1a1c7-fa80-7000-8000-000000000001", "outcome": 1}]}""".getBytes(StandardCharsets.UTF_8)));

        assertThat(receipt.recorded()).isEqualTo(1);
        assertThat(receipt.refused()).extracting(OutcomeReceipt.RowProblem::reason).satisfiesExactly(
                r -> assertThat(r).contains("has no registered version").contains("GET /models"),
                r -> assertThat(r).contains("is not a model name").contains("another column's value"),
                r -> assertThat(r).contains("has no registered version"));
        // The cells are kept out of the answer and of the signed audit record: a swapped column may hold a record
        // number where the model goes.
        assertThat(receipt.refused().toString()).doesNotContain("adherence").doesNotContainIgnoringCase("mrn");
        assertThat(audit.read(NOW.atZone(ZoneOffset.UTC).toLocalDate(), NOW.atZone(ZoneOffset.UTC).toLocalDate())
                .toString()).doesNotContainIgnoringCase("mrn0012345");
    }

    @Test
    void aCsvHeaderAfterAByteOrderMarkIsReadAndAColumnNamedTwiceIsRefused() {
        put("bom.csv", "\uFEFFmodel,predictionId,outcome\nreadmission,01a1a1c7-fa80-7000-8000-000000000001,1\n");
        assertThat(service.ingest(blob("bom.csv", "e-11")).orElseThrow().recorded()).isEqualTo(1);

        put("twice.csv", "model,predictionId,outcome,outcome\nreadmission,01a1a1c8-0e08-7000-8000-000000000002,1,0\n");
        OutcomeReceipt twice = service.ingest(blob("twice.csv", "e-12")).orElseThrow();
        assertThat(twice.recorded()).isZero();
        assertThat(twice.refused()).singleElement().satisfies(p -> assertThat(p.reason())
                .contains("names the column 'outcome' twice"));
    }

    @Test
    void aCsvHeaderWithSeveralColumnsWithoutANameSaysWhichNotThatOneIsNamedTwice() {
        // Two trailing commas, as a spreadsheet writes for columns left empty: two columns without a name.
        put("blank.csv", "model,predictionId,outcome,,\nreadmission,01a1a1c7-fa80-7000-8000-000000000001,1,,\n");

        OutcomeReceipt receipt = service.ingest(blob("blank.csv", "e-15")).orElseThrow();

        assertThat(receipt.recorded()).isZero();
        assertThat(refusals(receipt)).containsExactly("row 1: the header has blank column names: columns 4 and 5"
                + " (counted from 1) have no name; name every column, or remove the columns without one (a comma at the"
                + " end of the header line adds one)");
    }

    @Test
    void aCsvLineWithAnotherNumberOfCellsThanTheHeaderIsRefusedAndNothingOfItIsRecorded() {
        // Line 2 has a cell too many: which of 0 and 1 is the outcome cannot be told. Line 3 lost its outcome cell, and
        // line 4's unquoted comma splits the identifier over two cells.
        put("shifted.csv", """
                model,predictionId,outcome
                readmission,01a1a1c7-fa80-7000-8000-000000000001,0,1
                readmission,01a1a1c8-0e08-7000-8000-000000000002
                readmission,01a1a1c8-2190-7000-8000-000000000003,SECRET-7,1
                readmission,01a1a1c8-3518-7000-8000-000000000004,1
                """);

        OutcomeReceipt receipt = service.ingest(blob("shifted.csv", "e-13")).orElseThrow();

        assertThat(receipt.rows()).isEqualTo(4);
        assertThat(receipt.recorded()).isEqualTo(1);
        assertThat(receipt.invalid()).isEqualTo(3);
        String fix = ": quote a cell that holds a comma, and give every line one cell per column";
        assertThat(refusals(receipt)).containsExactly("row 2: the line has 4 cells; the header has 3" + fix,
                "row 3: the line has 2 cells; the header has 3" + fix, "row 4: the line has 4 cells; the header has 3" + fix);
        assertThat(Json.write(receipt)).doesNotContain("SECRET");
        String first = Outcome.predictionKey("01a1a1c7-fa80-7000-8000-000000000001");
        assertThat(adapters.outcomeStore().get(MODEL, List.of(first))).isEmpty();
        assertThat(join.labelled(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60)).labelled()).isEqualTo(1);
    }

    @Test
    void aHeaderWhoseNamesDifferOnlyInCaseSaysWhichToRename() {
        put("cased.csv", """
                Model,predictionId,OUTCOME
                readmission,01a1a1c7-fa80-7000-8000-000000000001,1
                """);

        OutcomeReceipt receipt = service.ingest(blob("cased.csv", "e-14")).orElseThrow();

        assertThat(receipt.recorded()).isZero();
        assertThat(refusals(receipt)).singleElement().asString().contains("the header must name the columns model,"
                + " outcome and either predictionId or patientId and indexTime; column names are case-sensitive: name"
                + " 'Model' as model, 'OUTCOME' as outcome");
    }

    @Test
    void aBatchWithoutOutcomesIsRefusedWithWhatToSend() {
        assertThatThrownBy(() -> submit("{\"model\": \"readmission\"}"))
                .isInstanceOf(ValidationException.class).hasMessageContaining("'outcomes'");
    }

    @Test
    void aCsvFileIsIngestedRowByRowWithRowsNumberedByLine() {
        put("2026-11/outcomes.csv", """
                model,predictionId,patientId,indexTime,outcome
                readmission,01a1a1c7-fa80-7000-8000-000000000001,,,1
                readmission,,patient-B,2026-11-03T23:59:00Z,0
                readmission,"01a1a1c8-2190-7000-8000-000000000003",,,maybe
                """);

        OutcomeReceipt receipt = service.ingest(blob("2026-11/outcomes.csv", "e-1")).orElseThrow();

        assertThat(receipt.recorded()).isEqualTo(2);
        assertThat(receipt.refused()).singleElement().satisfies(p -> assertThat(p.row()).isEqualTo(4));
        assertThat(join.labelled(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60)).labelled()).isEqualTo(2);

        OutcomeReceipt redelivered = service.ingest(blob("2026-11/outcomes.csv", "e-2")).orElseThrow();
        assertThat(redelivered.recorded()).isZero();
        assertThat(redelivered.alreadyRecorded()).isEqualTo(2);
        assertThat(outcomeAuditRecords()).hasSize(1);
        // A file's sender has no answer to read: its audit record names the rows to fix, by number, without values.
        assertThat(outcomeAuditRecords().get(0).details().get("refusedRows"))
                .isEqualTo("row 4 (INVALID): " + receipt.refused().get(0).reason()).doesNotContain("maybe");
    }

    @Test
    void theSameFileUploadedUnderAnotherNameIsAuditedAsItsOwnUploadAndAReplayOfEitherWritesNothing() {
        String content = """
                model,predictionId,outcome
                readmission,01a1a1c7-fa80-7000-8000-000000000001,1
                """;
        put("ward-7/november.csv", content);
        service.ingest(blob("ward-7/november.csv", "e-30")).orElseThrow();
        put("ward-7/november-resent.csv", content);

        OutcomeReceipt second = service.ingest(blob("ward-7/november-resent.csv", "e-31")).orElseThrow();

        assertThat(second.alreadyRecorded()).isEqualTo(1);
        assertThat(outcomeAuditRecords()).extracting(AuditRecord::subject).containsExactly(
                "/outcomes/files/ward-7/november.csv", "/outcomes/files/ward-7/november-resent.csv");
        assertThat(outcomeAuditRecords().get(1).details()).containsEntry("recorded", "0")
                .containsEntry("alreadyRecorded", "1");
        // A redelivered event, or the same bytes put under the same name again, is the same upload: no new record.
        service.ingest(blob("ward-7/november-resent.csv", "e-31"));
        service.ingest(blob("ward-7/november.csv", "e-32"));
        assertThat(outcomeAuditRecords()).hasSize(2);
    }

    @Test
    void aFileIsWrittenOneTransactionPerChunkWithConflictsAndErrorsStillReportedInRowOrder() {
        List<PredictionRecord> scored = new ArrayList<>();
        for (int i = 1; i <= 2_500; i++) {
            scored.add(prediction("01a1a1fe-e900-7000-8000-%012d".formatted(i), "patient-" + i, SCORED.plusSeconds(3_600),
                    Slot.STABLE));
        }
        adapters.predictionLog().append(scored);
        submit("""
                {"model": "readmission", "outcomes": [{"predictionId": "01a1a1fe-e900-7000-8000-000000001500", "outcome": 1}]}""");
        List<Integer> writes = new ArrayList<>();
        OutcomeStore real = adapters.outcomeStore();
        OutcomeStore counted = new ForwardingOutcomeStore(real) {
            @Override
            public Optional<Outcome> putIfAbsent(Outcome outcome) {
                writes.add(1);
                return real.putIfAbsent(outcome);
            }

            @Override
            public List<Optional<Outcome>> putAllIfAbsent(List<Outcome> outcomes) {
                writes.add(outcomes.size());
                return real.putAllIfAbsent(outcomes);
            }
        };
        OutcomeService batched = new OutcomeService(counted, adapters.predictionLog(), adapters.artifactStore(), registryOf(MODEL),
                pseudonymizer, audit, Clock.fixed(NOW, ZoneOffset.UTC), RETENTION);
        StringBuilder csv = new StringBuilder("model,predictionId,outcome\n");
        for (int i = 1; i <= 2_500; i++) {
            // Row i of the file is line i + 1. Row 1500 contradicts the earlier outcome; row 2000 repeats row 10.
            String id = "01a1a1fe-e900-7000-8000-%012d".formatted(i == 2_000 ? 10 : i);
            csv.append("readmission,").append(id).append(',').append(i == 1_500 ? 0 : i == 700 ? "x" : "1").append('\n');
        }
        put("many.csv", csv.toString());

        OutcomeReceipt receipt = batched.ingest(blob("many.csv", "e-9")).orElseThrow();

        assertThat(receipt.rows()).isEqualTo(2_500);
        assertThat(receipt.recorded()).isEqualTo(2_497);
        assertThat(receipt.alreadyRecorded()).isEqualTo(1);
        assertThat(receipt.conflicts()).isEqualTo(1);
        assertThat(receipt.invalid()).isEqualTo(1);
        assertThat(receipt.refused()).extracting(OutcomeReceipt.RowProblem::kind, OutcomeReceipt.RowProblem::row)
                .containsExactly(org.assertj.core.groups.Tuple.tuple("INVALID", 701),
                        org.assertj.core.groups.Tuple.tuple("CONFLICT", 1_501));
        // 2,499 good rows: the chunk before the invalid row is written first, then whole chunks of 1,000.
        assertThat(writes).containsExactly(699, 1_000, 800);
        String row1500 = Outcome.predictionKey("01a1a1fe-e900-7000-8000-000000001500");
        assertThat(real.get(MODEL, List.of(row1500)).get(row1500).positive()).isTrue();

        writes.clear();
        OutcomeReceipt redelivered = batched.ingest(blob("many.csv", "e-10")).orElseThrow();
        assertThat(redelivered.recorded()).isZero();
        assertThat(redelivered.alreadyRecorded()).isEqualTo(2_498);
        assertThat(redelivered.conflicts()).isEqualTo(1);
        assertThat(writes).containsExactly(699, 1_000, 800);
    }

    @Test
    void aJsonLinesFileIsIngestedAndAnUnreadableLineIsReportedByNumber() {
        put("late.jsonl", """
                {"model": "readmission", "predictionId": "01a1a1c8-3518-7000-8000-000000000004", "outcome": 1}
                {"model": "readmission", "predictionId": "01a1a1c8-0e08-7000-8000-000000000002", "outc

                {"model": "readmission", "patientId": "patient-A", "indexTime": "2026-11-03T00:00:00Z", "outcome": 0}
                """);

        OutcomeReceipt receipt = service.ingest(blob("late.jsonl", "e-3")).orElseThrow();

        assertThat(receipt.recorded()).isEqualTo(2);
        assertThat(receipt.refused()).singleElement().satisfies(p -> assertThat(p.row()).isEqualTo(2));
    }

    @Test
    void aJsonLinesLineThatDoesNotReadIsRefusedWithWhatIsWrongWithIt() {
        put("unreadable.jsonl", """
                {"model": "readmission", "predictionId": "01a1a1c8-3518-7000-8000-000000000004", "outcome": 1, "outcome": 0}
                {"model": "readmission", "predictionId": "01a1a1c8-0e08-7000-8000-000000000002", "outcome": 1} SECRET-8
                [{"model": "readmission", "predictionId": "01a1a1c8-2190-7000-8000-000000000003", "outcome": 1}]
                """);

        OutcomeReceipt receipt = service.ingest(blob("unreadable.jsonl", "e-14")).orElseThrow();

        assertThat(receipt.recorded()).isZero();
        String shape = "; each line is one JSON object of an outcome";
        assertThat(refusals(receipt)).containsExactly(
                "row 1: the line gives the field 'outcome' more than once (column 105 of the line)" + shape,
                "row 2: the line is not valid JSON (column 96 of the line)" + shape, "row 3: an outcome must be a JSON object");
        assertThat(Json.write(receipt)).doesNotContain("SECRET");
    }

    @Test
    void aBlobThatIsGoneIsNotOutcomesAndOneOfAnotherContainerIsRefused() {
        assertThat(service.ingest(blob("never-written.csv", "e-5"))).isEmpty();
        // Only a subscription with the wrong filter delivers one: refused (dead-lettered, seen), not acknowledged.
        assertThatThrownBy(() -> service.ingest(new BlobCreated("e-4", ArtifactStore.MODELS, "x.csv", null, 1, null)))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.code().httpStatus()).isEqualTo(400))
                .hasMessageStartingWith("IngestOutcomes handles BlobCreated events of the 'outcomes' container only"
                        + " and this one's blob is in container 'models'; check the event subscription's filter");
        assertThat(outcomeAuditRecords()).isEmpty();
    }

    @Test
    void aWindowWithoutPredictionsHasNoLabelledFraction() {
        assertThat(join.labelled(MODEL, NOW, NOW.plusSeconds(1)).labelledFraction()).isNull();
    }

    private static ModelRegistry registryOf(ModelName... models) {
        ModelRegistry registry = mock(ModelRegistry.class);
        for (ModelName model : models) {
            when(registry.listVersions(model)).thenReturn(List.of(mock(VersionRecord.class)));
        }
        when(registry.listVersions(new ModelName("unknown-model"))).thenReturn(List.of());
        return registry;
    }

    /** Each refused row as its number and reason. */
    private static List<String> refusals(OutcomeReceipt receipt) {
        return receipt.refused().stream().map(p -> "row " + p.row() + ": " + p.reason()).toList();
    }

    private OutcomeReceipt submit(String body) {
        JsonNode json = Json.readTree("body", body.getBytes(StandardCharsets.UTF_8));
        return service.submit("outcomes-feed", body, json);
    }

    private void put(String name, String content) {
        adapters.artifactStore().put(ArtifactStore.OUTCOMES, name,
                new ByteArrayInputStream(content.getBytes(StandardCharsets.UTF_8)), false);
    }

    private static BlobCreated blob(String name, String eventId) {
        return new BlobCreated(eventId, ArtifactStore.OUTCOMES, name, null, 1, null);
    }

    private List<AuditRecord> outcomeAuditRecords() {
        LocalDate day = LocalDate.ofInstant(NOW, ZoneOffset.UTC);
        return audit.read(day, day).stream().filter(r -> r.action().equals(OutcomeService.ACTION)).toList();
    }

    /** A logged prediction; its id is a version 7 id that carries its time, as every id scoring gives. */
    private PredictionRecord prediction(String id, String patient, Instant time, Slot slot) {
        assertThat(PredictionIds.timeOf(id)).as(id).contains(time);
        float[] features = new float[3];
        Arrays.fill(features, 1f);
        return new PredictionRecord(id, MODEL, 1, slot, pseudonymizer.pseudonym(patient), time, features, 0.4, false,
                null);
    }
}
