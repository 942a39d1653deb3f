package health.vigil.outcomes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.audit.AuditLog;
import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.error.ValidationException;
import health.vigil.events.BlobCreated;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.Outcome;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.VersionRecord;
import health.vigil.monitoring.LabelledWindow;
import health.vigil.monitoring.OutcomeJoin;
import health.vigil.port.ArtifactStore;
import health.vigil.port.OutcomeStore;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.registry.ModelRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
        service = new OutcomeService(adapters.outcomeStore(), adapters.artifactStore(), registry, pseudonymizer, audit,
                clock);
        join = new OutcomeJoin(adapters.predictionLog(), adapters.outcomeStore());
        adapters.predictionLog().append(List.of(
                prediction("p-1", "patient-A", SCORED, Slot.STABLE),
                prediction("p-2", "patient-B", SCORED.plusSeconds(5), Slot.STABLE),
                prediction("p-3", "patient-C", SCORED.plusSeconds(10), Slot.CANARY),
                prediction("p-4", "patient-D", SCORED.plusSeconds(15), Slot.STABLE)));
    }

    @AfterEach
    void tearDown() {
        adapters.close();
    }

    @Test
    void outcomesByPredictionIdAndByPatientAndIndexTimeAreJoinedToTheirPredictions() {
        OutcomeReceipt receipt = submit("""
                {"model": "readmission", "outcomes": [
                  {"predictionId": "p-1", "outcome": 1},
                  {"patientId": "patient-C", "indexTime": "2026-11-03T08:00:00Z", "outcome": 0},
                  {"predictionId": "p-2", "outcome": "true"}]}""");

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

    @Test
    void anOutcomeForAnotherDayIsNotJoined() {
        submit("""
                {"model": "readmission", "outcomes": [
                  {"patientId": "patient-A", "indexTime": "2026-11-04T08:00:00Z", "outcome": 1}]}""");

        assertThat(join.labelled(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60)).labelled()).isZero();
    }

    @Test
    void aResentBatchChangesNothingAndIsAuditedOnce() {
        String body = """
                {"model": "readmission", "outcomes": [{"predictionId": "p-1", "outcome": 1}]}""";
        submit(body);

        OutcomeReceipt again = submit(body);

        assertThat(again.recorded()).isZero();
        assertThat(again.alreadyRecorded()).isEqualTo(1);
        assertThat(outcomeAuditRecords()).hasSize(1);
        assertThat(outcomeAuditRecords().get(0).details()).containsEntry("recorded", "1");
    }

    @Test
    void aConflictingSecondOutcomeIsRefusedAndReportedAndTheFirstIsKept() {
        submit("""
                {"model": "readmission", "outcomes": [{"predictionId": "p-1", "outcome": 1}]}""");

        OutcomeReceipt second = submit("""
                {"model": "readmission", "outcomes": [
                  {"predictionId": "p-2", "outcome": 0},
                  {"predictionId": "p-1", "outcome": 0}]}""");

        assertThat(second.recorded()).isEqualTo(1);
        assertThat(second.conflicts()).isEqualTo(1);
        assertThat(second.refused()).singleElement().satisfies(p -> {
            assertThat(p.row()).isEqualTo(2);
            assertThat(p.kind()).isEqualTo("CONFLICT");
        });
        assertThat(join.labelled(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60)).positives()).isEqualTo(1);
        assertThat(outcomeAuditRecords()).extracting(AuditRecord::outcome).containsExactly("recorded", "partial");
    }

    @Test
    void badRowsAreReportedByNumberWithoutTheirValuesAndGoodRowsAreKept() {
        OutcomeReceipt receipt = submit("""
                {"model": "readmission", "outcomes": [
                  {"patientId": "MRN-SECRET-991", "indexTime": "tuesday-SECRET-992", "outcome": 1},
                  {"predictionId": "p-1", "outcome": "SECRET-993"},
                  {"predictionId": "p-4", "outcome": 0},
                  {"predictionId": "bad id/SECRET-994", "outcome": 1},
                  {"predictionId": "p-3", "patientId": "MRN-SECRET-995", "indexTime": "2026-11-03T08:00:00Z", "outcome": 1},
                  {"model": "unknown-model", "predictionId": "p-9", "outcome": 1},
                  {"predictionId": "p-2", "outcome": 1, "SECRET-996": 1},
                  {"patientId": "   ", "indexTime": "2026-11-03T08:00:00Z", "outcome": 1}]}""");

        assertThat(receipt.rows()).isEqualTo(8);
        assertThat(receipt.recorded()).isEqualTo(1);
        assertThat(receipt.invalid()).isEqualTo(7);
        assertThat(receipt.refused()).extracting(OutcomeReceipt.RowProblem::row).containsExactly(1, 2, 4, 5, 6, 7, 8);
        assertThat(Json.write(receipt)).doesNotContain("SECRET");
        assertThat(receipt.refused().get(0).reason()).contains("indexTime");
        assertThat(receipt.refused().get(4).reason()).contains("unknown-model");
        assertThat(join.labelled(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60)).labelled()).isEqualTo(1);
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
                readmission,p-1,,,1
                readmission,,patient-B,2026-11-03T23:59:00Z,0
                readmission,"p-3",,,maybe
                """);

        OutcomeReceipt receipt = service.ingest(blob("2026-11/outcomes.csv", "e-1")).orElseThrow();

        assertThat(receipt.recorded()).isEqualTo(2);
        assertThat(receipt.refused()).singleElement().satisfies(p -> assertThat(p.row()).isEqualTo(4));
        assertThat(join.labelled(MODEL, SCORED.minusSeconds(60), SCORED.plusSeconds(60)).labelled()).isEqualTo(2);

        OutcomeReceipt redelivered = service.ingest(blob("2026-11/outcomes.csv", "e-2")).orElseThrow();
        assertThat(redelivered.recorded()).isZero();
        assertThat(redelivered.alreadyRecorded()).isEqualTo(2);
        assertThat(outcomeAuditRecords()).hasSize(1);
    }

    @Test
    void aFileIsWrittenOneTransactionPerChunkWithConflictsAndErrorsStillReportedInRowOrder() {
        submit("""
                {"model": "readmission", "outcomes": [{"predictionId": "q-1500", "outcome": 1}]}""");
        List<Integer> writes = new ArrayList<>();
        OutcomeStore real = adapters.outcomeStore();
        OutcomeStore counted = new OutcomeStore() {
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

            @Override
            public Map<String, Outcome> get(ModelName model, java.util.Collection<String> keys) {
                return real.get(model, keys);
            }
        };
        OutcomeService batched = new OutcomeService(counted, adapters.artifactStore(), registryOf(MODEL),
                pseudonymizer, audit, Clock.fixed(NOW, ZoneOffset.UTC));
        StringBuilder csv = new StringBuilder("model,predictionId,outcome\n");
        for (int i = 1; i <= 2_500; i++) {
            // Row i of the file is line i + 1. Row 1500 contradicts the earlier outcome; row 2000 repeats row 10.
            String id = i == 2_000 ? "q-10" : "q-" + i;
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
        assertThat(real.get(MODEL, List.of(Outcome.predictionKey("q-1500"))).get(Outcome.predictionKey("q-1500"))
                .positive()).isTrue();

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
                {"model": "readmission", "predictionId": "p-4", "outcome": 1}
                {"model": "readmission", "predictionId": "p-2", "outc

                {"model": "readmission", "patientId": "patient-A", "indexTime": "2026-11-03T00:00:00Z", "outcome": 0}
                """);

        OutcomeReceipt receipt = service.ingest(blob("late.jsonl", "e-3")).orElseThrow();

        assertThat(receipt.recorded()).isEqualTo(2);
        assertThat(receipt.refused()).singleElement().satisfies(p -> assertThat(p.row()).isEqualTo(2));
    }

    @Test
    void blobsOfOtherContainersOrGoneAreNotOutcomes() {
        assertThat(service.ingest(new BlobCreated("e-4", ArtifactStore.MODELS, "x.csv", null, 1, null))).isEmpty();
        assertThat(service.ingest(blob("never-written.csv", "e-5"))).isEmpty();
    }

    @Test
    void aWindowWithoutPredictionsHasNoLabelledFraction() {
        assertThat(join.labelled(MODEL, NOW, NOW.plusSeconds(1)).labelledFraction()).isNull();
    }

    private static ModelRegistry registryOf(ModelName model) {
        ModelRegistry registry = mock(ModelRegistry.class);
        when(registry.listVersions(model)).thenReturn(List.of(mock(VersionRecord.class)));
        when(registry.listVersions(new ModelName("unknown-model"))).thenReturn(List.of());
        return registry;
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

    private PredictionRecord prediction(String id, String patient, Instant time, Slot slot) {
        float[] features = new float[3];
        Arrays.fill(features, 1f);
        return new PredictionRecord(id, MODEL, 1, slot, pseudonymizer.pseudonym(patient), time, features, 0.4, false,
                null);
    }
}
