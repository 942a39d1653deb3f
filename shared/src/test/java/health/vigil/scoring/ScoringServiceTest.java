package health.vigil.scoring;

import static health.vigil.registry.ServiceFixtures.READMISSION;
import static health.vigil.registry.ServiceFixtures.manifest;
import static health.vigil.registry.ServiceFixtures.schema;
import static health.vigil.scoring.ScoringFixtures.onnxBytes;
import static health.vigil.scoring.ScoringFixtures.packageOf;
import static health.vigil.scoring.ScoringFixtures.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.anyInt;
import static org.mockito.ArgumentMatchers.anyLong;
import static org.mockito.ArgumentMatchers.anyString;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doNothing;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.never;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.when;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import health.vigil.features.FeaturePipelines;
import health.vigil.config.VigilConfig;
import health.vigil.model.SegmentColumns;
import health.vigil.routing.TrafficRouter;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.hash.Sha256;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.Deployment;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionRecord;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.ModelRuntime;
import health.vigil.port.PredictionLog;
import health.vigil.port.ShadowTraffic;
import health.vigil.port.Telemetry;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.ModelRegistry;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.mockito.ArgumentCaptor;

class ScoringServiceTest {
    private static final Instant NOW = Instant.parse("2026-11-07T12:00:00Z");
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ModelVersion V1 = new ModelVersion(READMISSION, 1);
    private static final ModelVersion V2 = new ModelVersion(READMISSION, 2);

    private final InMemoryRegistryStore store = new InMemoryRegistryStore();
    private final ArtifactStore artifacts = mock(ArtifactStore.class);
    private final ModelRuntime runtime = mock(ModelRuntime.class);
    private final PredictionLog log = mock(PredictionLog.class);
    private final Telemetry telemetry = mock(Telemetry.class);
    private final Pseudonymizer pseudonymizer =
            new Pseudonymizer("scoring tests use this fixed 32+ byte key".getBytes(StandardCharsets.UTF_8));

    /** Version 1: 4 inputs, score = age/200 + 0.25 * diabetic, threshold 0.3. */
    private final ScoringFixtures.FormulaModel model1 =
            new ScoringFixtures.FormulaModel(4, row -> row[0] / 200.0 + 0.25 * row[3]);
    /** Version 2 adds an optional egfr input: score = 0.9 - age/1000, threshold 0.5. */
    private final ScoringFixtures.FormulaModel model2 = new ScoringFixtures.FormulaModel(5, row -> 0.9 - row[0] / 1000.0);

    private ScoringService service = service(VigilConfig.Limits.DEFAULTS);

    private ScoringService service(VigilConfig.Limits limits) {
        return new ScoringService(new ModelRegistry(store), artifacts, runtime, FeaturePipelines.identityOnly(), log,
                pseudonymizer, Clock.fixed(NOW, ZoneOffset.UTC), telemetry, limits);
    }

    private static Manifest v2Manifest() {
        List<Feature> features = new ArrayList<>(schema().features());
        features.add(Feature.numeric("egfr", "mL/min/1.73m2", 0, 200).optional());
        return manifest(READMISSION, new FeatureSchema(features), 0.5);
    }

    private void register(int version, Stage stage, Manifest manifest) {
        byte[] pkg = packageOf(onnxBytes(version));
        VersionRecord r = store.put(record(READMISSION, version, stage, manifest, pkg, onnxBytes(version)));
        when(artifacts.open("models", r.packageBlob())).thenAnswer(call -> new ByteArrayInputStream(pkg));
    }

    @BeforeEach
    void twoVersions() {
        register(1, Stage.PRODUCTION, manifest(READMISSION));
        register(2, Stage.CANARY, v2Manifest());
        when(runtime.load(any(), eq(Sha256.hex(onnxBytes(1))), anyString(), anyInt())).thenReturn(model1);
        when(runtime.load(any(), eq(Sha256.hex(onnxBytes(2))), anyString(), anyInt())).thenReturn(model2);
    }

    private void deploy(int stable, Integer canary, int canaryPercent) {
        int canaryWeight = canaryPercent * 100;
        List<TrafficSlot> slots = canary == null ? List.of(new TrafficSlot(Slot.STABLE, stable, TrafficSlot.ALL))
                : List.of(new TrafficSlot(Slot.STABLE, stable, TrafficSlot.ALL - canaryWeight),
                        new TrafficSlot(Slot.CANARY, canary, canaryWeight));
        store.saveDeployment(new Deployment(READMISSION, slots, 1, "ops", NOW, null));
    }

    private static PatientRow patient(String id, Object age, String sex, Boolean diabetic) {
        Map<String, JsonNode> features = new LinkedHashMap<>();
        features.put("age", age instanceof Integer i ? NODES.numberNode(i) : NODES.textNode(String.valueOf(age)));
        features.put("sex", NODES.textNode(sex));
        if (diabetic != null) {
            features.put("diabetic", NODES.booleanNode(diabetic));
        }
        return new PatientRow(id, features);
    }

    private static PatientRow with(PatientRow row, String name, JsonNode value) {
        Map<String, JsonNode> features = new LinkedHashMap<>(row.features());
        features.put(name, value);
        return new PatientRow(row.patientId(), features);
    }

    private List<PredictionRecord> logged() {
        @SuppressWarnings("unchecked")
        ArgumentCaptor<List<PredictionRecord>> captor = ArgumentCaptor.forClass(List.class);
        verify(log).append(captor.capture());
        return captor.getValue();
    }

    @Test
    void aPatientIsScoredByTheStableVersionAndLoggedUnderAPseudonym() {
        deploy(1, null, 0);

        ScoreResult result = service.score(new ScoreRequest(READMISSION, null, List.of(patient("MRN-1", 70, "male", true))));

        ScoredRow row = result.row(0);
        assertThat(row.model()).isEqualTo(READMISSION);
        assertThat(row.version()).isEqualTo(1);
        assertThat(row.slot()).isEqualTo(Slot.STABLE);
        assertThat(row.score()).isCloseTo(70 / 200.0 + 0.25, within(1e-12));
        assertThat(row.decision()).isTrue();
        assertThat(row.threshold()).isEqualTo(0.3);
        assertThat(row.positiveLabel()).isEqualTo("readmitted within 30 days");
        assertThat(row.predictionId()).matches("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
        PredictionRecord record = logged().get(0);
        assertThat(record.predictionId()).isEqualTo(row.predictionId());
        assertThat(record.patientPseudonym()).isEqualTo(pseudonymizer.pseudonym("MRN-1")).doesNotContain("MRN");
        assertThat(record.features()).containsExactly(70f, 1f, Float.NaN, 1f);
        assertThat(record.score()).isEqualTo(row.score());
        assertThat(record.decision()).isTrue();
        assertThat(record.time()).isEqualTo(NOW);
        assertThat(record.version()).isEqualTo(1);
        assertThat(record.slot()).isEqualTo(Slot.STABLE);
        verify(telemetry).scored(eq(V1), eq(Slot.STABLE), eq(1), anyLong());
    }

    @Test
    void aVersionClosedSinceTheLastRequestIsLoadedAgainRatherThanScoredClosed() {
        deploy(1, null, 0);
        ScoreRequest request = new ScoreRequest(READMISSION, null, List.of(patient("MRN-1", 70, "male", true)));
        service.score(request);
        service.score(request);

        ScoringFixtures.FormulaModel reloaded = new ScoringFixtures.FormulaModel(4, row -> row[0] / 200.0 + 0.25 * row[3]);
        when(runtime.load(any(), eq(Sha256.hex(onnxBytes(1))), anyString(), anyInt())).thenReturn(reloaded);
        service.models().close();
        service.score(request);

        assertThat(model1.closed).isTrue();
        assertThat(model1.predictCalls).hasValue(2);
        assertThat(reloaded.predictCalls).as("the request after the close used the version loaded again").hasValue(1);
    }

    @Test
    void theDecisionIsPositiveFromTheThresholdUp() {
        deploy(1, null, 0);

        ScoreResult result = service.score(new ScoreRequest(READMISSION, null, List.of(
                patient("a", 60, "female", false), patient("b", 58, "female", false))));

        assertThat(result.row(0).score()).isEqualTo(0.3);
        assertThat(result.row(0).decision()).isTrue();
        assertThat(result.row(1).score()).isCloseTo(0.29, within(1e-12));
        assertThat(result.row(1).decision()).isFalse();
    }

    @Test
    void aBatchIsSplitBetweenStableAndCanaryByPatientAndAnsweredInRequestOrder() {
        deploy(1, 2, 50);
        Deployment deployment = store.findDeployment(READMISSION).orElseThrow();
        List<PatientRow> rows = IntStream.range(0, 200).mapToObj(i -> patient("MRN-" + i, 70, "male", true)).toList();

        ScoreResult result = service.score(new ScoreRequest(READMISSION, null, rows));

        int onCanary = 0;
        for (int i = 0; i < rows.size(); i++) {
            TrafficSlot expected = TrafficRouter.route(deployment, pseudonymizer.pseudonym("MRN-" + i));
            ScoredRow row = result.row(i);
            assertThat(row.version()).isEqualTo(expected.version());
            assertThat(row.slot()).isEqualTo(expected.slot());
            if (expected.version() == 1) {
                assertThat(row.score()).isCloseTo(0.6, within(1e-12));
                assertThat(row.threshold()).isEqualTo(0.3);
            } else {
                onCanary++;
                assertThat(row.score()).isCloseTo(0.83, within(1e-12));
                assertThat(row.threshold()).isEqualTo(0.5);
            }
        }
        assertThat(onCanary).isBetween(60, 140);
        assertThat(model1.predictCalls).hasValue(1);
        assertThat(model2.predictCalls).hasValue(1);
        List<PredictionRecord> records = logged();
        assertThat(records).extracting(PredictionRecord::predictionId)
                .containsExactlyElementsOf(result.rows().stream().map(ScoredRow::predictionId).toList());
        assertThat(records).filteredOn(r -> r.version() == 2).allSatisfy(r -> assertThat(r.features()).hasSize(5));
        verify(telemetry).scored(eq(V1), eq(Slot.STABLE), eq(200 - onCanary), anyLong());
        verify(telemetry).scored(eq(V2), eq(Slot.CANARY), eq(onCanary), anyLong());
    }

    @Test
    void aFeatureOnlyTheCanaryKnowsIsAcceptedForEveryPatientWhileACanaryRuns() {
        deploy(1, 2, 50);
        List<PatientRow> rows = IntStream.range(0, 40)
                .mapToObj(i -> with(patient("MRN-" + i, 70, "male", true), "egfr", NODES.numberNode(55))).toList();

        ScoreResult result = service.score(new ScoreRequest(READMISSION, null, rows));

        assertThat(result.rows()).extracting(ScoredRow::version).contains(1, 2);
        List<PredictionRecord> records = logged();
        assertThat(records).filteredOn(r -> r.version() == 2).allSatisfy(r -> assertThat(r.features()[4]).isEqualTo(55f));
    }

    @Test
    void aFeatureNoLiveVersionKnowsIsRejected() {
        deploy(1, 2, 50);
        PatientRow row = with(patient("MRN-1", 70, "male", true), "sodium", NODES.numberNode(140));

        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, null, List.of(row))))
                .isInstanceOf(FeatureValidationException.class)
                .hasMessageContaining("row 1: feature `sodium` is not an input of this model");
    }

    @Test
    void aVersionNamedInTheRequestScoresOnlyWhenTheDeploymentHoldsIt() {
        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, 2, List.of(patient("a", 70, "male", true)))))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.VERSION_NOT_DEPLOYED))
                .hasMessageContaining("readmission:2 is not deployed (no version of it is deployed");
        deploy(1, null, 0);

        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, 2, List.of(patient("a", 70, "male", true)))))
                .isInstanceOfSatisfying(ConflictException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.VERSION_NOT_DEPLOYED))
                .hasMessageContaining("its deployment holds stable 1")
                .hasMessageContaining("leave the version out to use the deployment");
        assertThat(model1.predictCalls).hasValue(0);
        verify(log, never()).append(any());
    }

    @Test
    void aVersionNamedInTheRequestKeepsTheSlotItHolds() {
        deploy(1, 2, 5);

        ScoreResult result = service.score(new ScoreRequest(READMISSION, 2, List.of(patient("a", 70, "male", true))));

        assertThat(result.row(0).slot()).isEqualTo(Slot.CANARY);
    }

    @Test
    void aVersionNamedInTheRequestIsRefusedWhenTheDeploymentHoldsItOnlyAsItsShadow() {
        // A version the canary analysis rolled back, set as the shadow to keep comparing it: it answers no patient.
        register(3, Stage.ROLLED_BACK, manifest(READMISSION));
        when(runtime.load(any(), eq(Sha256.hex(onnxBytes(3))), anyString(), anyInt())).thenReturn(model1);
        redeploy(List.of(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL - 500), new TrafficSlot(Slot.CANARY, 2, 500),
                new TrafficSlot(Slot.SHADOW, 3, TrafficSlot.ALL)));

        List<PatientRow> one = List.of(patient("a", 70, "male", true));

        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, 3, one)))
                .isInstanceOfSatisfying(ConflictException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.VERSION_NOT_DEPLOYED);
                    assertThat(e.httpStatus()).isEqualTo(409);
                })
                .hasMessageContaining("readmission:3 is the model's shadow, which scores copies of live requests and"
                        + " answers none (its deployment holds stable 1, canary 2, shadow 3; it is rolled back")
                .hasMessageContaining("name its stable or canary version");
        assertThat(model1.predictCalls).hasValue(0);
        verify(log, never()).append(any());
        verify(telemetry, never()).scored(any(), any(), anyInt(), anyLong());

        // The live versions may still be named, and are logged under the slot that answers patients.
        assertThat(service.score(new ScoreRequest(READMISSION, 1, one)).row(0).slot()).isEqualTo(Slot.STABLE);
        assertThat(logged()).singleElement().satisfies(r -> assertThat(r.slot()).isEqualTo(Slot.STABLE));
    }

    @Test
    void aNamedVersionOnlyAcceptsItsOwnFeatures() {
        deploy(1, 2, 5);
        PatientRow row = with(patient("MRN-1", 70, "male", true), "egfr", NODES.numberNode(55));

        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, 1, List.of(row))))
                .isInstanceOf(FeatureValidationException.class).hasMessageContaining("feature `egfr` is not an input");
    }

    @Test
    void aRejectedOrGateFailedVersionMayNotScore() {
        deploy(1, null, 0);
        register(3, Stage.REJECTED, manifest(READMISSION));
        register(4, Stage.GATES_FAILED, manifest(READMISSION));

        for (int v : new int[] {3, 4}) {
            assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, v, List.of(patient("a", 70, "male", true)))))
                    .isInstanceOfSatisfying(ConflictException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.VERSION_NOT_DEPLOYED))
                    .hasMessageContaining("readmission:" + v + " is not deployed");
        }
        verify(log, never()).append(any());
    }

    @Test
    void aModelWithoutDeploymentNeedsAVersion() {
        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, null, List.of(patient("a", 70, "male", true)))))
                .isInstanceOfSatisfying(ConflictException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_NOT_DEPLOYED))
                .hasMessageContaining("no version of it is deployed");
    }

    @Test
    void unknownModelsAndVersionsAreNotFound() {
        assertThatThrownBy(() -> service.score(new ScoreRequest(ModelName.of("adherence"), null,
                List.of(patient("a", 70, "male", true)))))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_NOT_FOUND));
        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, 9, List.of(patient("a", 70, "male", true)))))
                .isInstanceOfSatisfying(NotFoundException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.VERSION_NOT_FOUND));
    }

    @Test
    void aBatchOverTheLimitIsRefusedBeforeAnyWork() {
        deploy(1, null, 0);
        service = service(new VigilConfig.Limits(1000, 1000, 16, 2, 1000));

        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, null, List.of(
                patient("a", 70, "male", true), patient("b", 70, "male", true), patient("c", 70, "male", true)))))
                .isInstanceOfSatisfying(ValidationException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.BATCH_TOO_LARGE);
                    assertThat(e.httpStatus()).isEqualTo(400);
                })
                .hasMessageContaining("3 rows").hasMessageContaining("at most 2");
        verify(runtime, never()).load(any(), any(), any(), anyInt());
        verify(telemetry, never()).failed(any(), any()); // counted once, by the HTTP layer
    }

    @Test
    void anEmptyBatchIsRefused() {
        assertThatThrownBy(() -> new ScoreRequest(READMISSION, null, List.of()))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.httpStatus()).isEqualTo(400))
                .hasMessageContaining("no rows");
    }

    @Test
    void aRowWithoutPatientIdIsRefusedWithItsRowNumber() {
        deploy(1, null, 0);

        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, null, List.of(
                patient("MRN-1", 70, "male", true), patient(" ", 70, "male", true)))))
                .isInstanceOfSatisfying(ValidationException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_REQUEST))
                .hasMessageStartingWith("row 2: patientId is missing or blank");
        verify(log, never()).append(any());
    }

    @Test
    void everyInvalidRowIsReportedAndNothingIsScoredOrLogged() {
        deploy(1, null, 0);

        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, null, List.of(
                patient("MRN-1", 70, "male", true),
                patient("MRN-2", 212, "Xyzzy", true),
                patient("MRN-3", 70, "female", null)))))
                .isInstanceOfSatisfying(FeatureValidationException.class, e -> {
                    assertThat(e.problems()).containsExactly(
                            "row 2: feature `age` is out of range; allowed range is 18 to 110 years",
                            "row 2: feature `sex` is not one of the allowed categories: female, male, unknown"
                                    + " (categories are case-sensitive)",
                            "row 3: feature `diabetic` is required but missing");
                    assertThat(e.getMessage()).doesNotContain("212").doesNotContain("Xyzzy").doesNotContain("MRN");
                });
        assertThat(model1.predictCalls).hasValue(0);
        verify(log, never()).append(any());
        verify(telemetry, never()).failed(any(), any()); // counted once, by the HTTP layer
    }

    @Test
    void noAnswerIsGivenWhenThePredictionLogCannotMakeTheRecordsDurable() {
        deploy(1, null, 0);
        doThrow(new StoreException("prediction log unavailable", new RuntimeException())).when(log).append(any());

        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, null, List.of(patient("a", 70, "male", true)))))
                .isInstanceOf(StoreException.class);
        verify(telemetry, never()).failed(any(), any()); // counted once, by the HTTP layer
    }

    @Test
    void aRequestThePredictionLogRefusesIsNotCountedAsScored() {
        deploy(1, 2, 50);
        List<PatientRow> rows = IntStream.range(0, 40).mapToObj(i -> patient("MRN-" + i, 70, "male", true)).toList();
        doThrow(new StoreException("prediction log unavailable", new RuntimeException())).when(log).append(any());

        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, null, rows)))
                .isInstanceOf(StoreException.class);

        assertThat(model1.predictCalls).as("the rows ran through the model").hasValue(1);
        verify(telemetry, never()).scored(any(), any(), anyInt(), anyLong());

        doNothing().when(log).append(any());
        service.score(new ScoreRequest(READMISSION, null, rows));
        long onCanary = onCanary(rows);
        verify(telemetry).scored(eq(V1), eq(Slot.STABLE), eq((int) (40 - onCanary)), anyLong());
        verify(telemetry).scored(eq(V2), eq(Slot.CANARY), eq((int) onCanary), anyLong());
    }

    /** The service, now counting each request's rows in the returned recorder. */
    private RequestStatsRecorder countingRequests() {
        RequestStatsRecorder recorder = new RequestStatsRecorder(new health.vigil.canary.InMemoryRequestStatsStore(),
                Clock.fixed(NOW, ZoneOffset.UTC));
        service = new ScoringService(new ModelRegistry(store), artifacts, runtime, FeaturePipelines.identityOnly(), log,
                pseudonymizer, Clock.fixed(NOW, ZoneOffset.UTC), telemetry, VigilConfig.Limits.DEFAULTS, ShadowTraffic.NONE,
                recorder);
        return recorder;
    }

    /** How many of {@code rows} the model's deployment routes to its canary. */
    private long onCanary(List<PatientRow> rows) {
        Deployment deployment = store.findDeployment(READMISSION).orElseThrow();
        return rows.stream().filter(r -> TrafficRouter.route(deployment, pseudonymizer.pseudonym(r.patientId()))
                .slot() == Slot.CANARY).count();
    }

    @Test
    void eachRequestsRowsAreCountedPerVersionAndSlotAsAnsweredRefusedOrFailed() {
        RequestStatsRecorder recorder = countingRequests();
        deploy(1, 2, 50);
        Deployment deployment = store.findDeployment(READMISSION).orElseThrow();
        List<PatientRow> rows = IntStream.range(0, 40).mapToObj(i -> patient("MRN-" + i, 70, "male", true)).toList();
        long onCanary = onCanary(rows);

        service.score(new ScoreRequest(READMISSION, null, rows));
        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, null,
                List.of(with(rows.get(0), "age", NODES.numberNode(212)))))).isInstanceOf(FeatureValidationException.class);
        doThrow(new StoreException("prediction log unavailable", new RuntimeException())).when(log).append(any());
        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, null, rows)))
                .isInstanceOf(StoreException.class);

        Slot first = TrafficRouter.route(deployment, pseudonymizer.pseudonym("MRN-0")).slot();
        List<health.vigil.model.SlotMinuteStats> minute = recorder.window(READMISSION, NOW, NOW.plusSeconds(60));
        assertThat(minute).hasSize(2).allSatisfy(m -> assertThat(m.minute()).isEqualTo(NOW));
        assertThat(minute).filteredOn(m -> m.slot() == Slot.CANARY).singleElement().satisfies(m -> {
            assertThat(m.version()).isEqualTo(2);
            assertThat(m.answered()).isEqualTo(onCanary);
            assertThat(m.failed()).isEqualTo(onCanary);
            assertThat(m.refused()).isEqualTo(first == Slot.CANARY ? 1 : 0);
            assertThat(m.latency().total()).isEqualTo(1);
        });
        assertThat(minute).filteredOn(m -> m.slot() == Slot.STABLE).singleElement().satisfies(m -> {
            assertThat(m.answered()).isEqualTo(40 - onCanary);
            assertThat(m.failed()).isEqualTo(40 - onCanary);
            assertThat(m.refused()).isEqualTo(first == Slot.STABLE ? 1 : 0);
        });
    }

    @Test
    void aRequestIsCountedUnderTheCanaryStepWhoseWeightsRoutedIt() {
        RequestStatsRecorder recorder = countingRequests();
        deploy(1, 2, 50);
        List<PatientRow> rows = IntStream.range(0, 40).mapToObj(i -> patient("MRN-" + i, 70, "male", true)).toList();
        long onCanary = onCanary(rows);
        service.score(new ScoreRequest(READMISSION, null, rows));
        // The controller moves the ramp to its 50 % step, which keeps the weights the rows were routed by before.
        Instant stepStart = rampSteppedTo50Percent();

        service.score(new ScoreRequest(READMISSION, null, rows));

        List<health.vigil.model.SlotMinuteStats> minute = recorder.window(READMISSION, NOW, NOW.plusSeconds(60));
        assertThat(minute).filteredOn(m -> m.step().equals(health.vigil.model.SlotMinuteStats.NO_STEP))
                .extracting(m -> m.slot() + " " + m.answered())
                .containsExactlyInAnyOrder("CANARY " + onCanary, "STABLE " + (40 - onCanary));
        assertThat(minute).filteredOn(m -> m.step().equals(stepStart))
                .extracting(m -> m.slot() + " " + m.answered())
                .containsExactlyInAnyOrder("CANARY " + onCanary, "STABLE " + (40 - onCanary));
    }

    /**
     * Saves the deployment as the canary controller does when it moves the ramp of version 2 to its 50 % step, the
     * weights unchanged; returns when that step started.
     */
    private Instant rampSteppedTo50Percent() {
        Deployment before = store.findDeployment(READMISSION).orElseThrow();
        Instant stepStart = NOW.minusSeconds(7);
        CanaryRamp ramp = new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, 20, CanaryPolicy.DEFAULT, CanaryStatus.RUNNING,
                3, stepStart, stepStart.plusSeconds(20), 0, "ops", NOW.minusSeconds(60), "stepped", "moving to 50 %",
                List.of());
        store.saveDeployment(new Deployment(READMISSION, before.slots(), 2, "canary-controller", NOW, before.etag(),
                ramp));
        return stepStart;
    }

    /**
     * A request that names the canary's version is scored by it for patients its caller chose, not ones the step's
     * weights routed there: its rows are counted under no step, so they neither fill nor fail the step's sample.
     */
    @Test
    void aRequestThatNamesItsVersionIsCountedUnderNoCanaryStep() {
        RequestStatsRecorder recorder = countingRequests();
        deploy(1, 2, 50);
        Instant stepStart = rampSteppedTo50Percent();
        List<PatientRow> rows = IntStream.range(0, 40).mapToObj(i -> patient("MRN-" + i, 70, "male", true)).toList();

        service.score(new ScoreRequest(READMISSION, 2, rows));
        service.score(new ScoreRequest(READMISSION, 1, rows.subList(0, 5)));

        assertThat(recorder.window(READMISSION, NOW, NOW.plusSeconds(60)))
                .extracting(m -> m.slot() + " " + m.answered() + " " + m.step())
                .containsExactlyInAnyOrder("CANARY 40 " + health.vigil.model.SlotMinuteStats.NO_STEP,
                        "STABLE 5 " + health.vigil.model.SlotMinuteStats.NO_STEP);
    }

    @Test
    void everyScoringRunHasATimeBudgetOfTwoSecondsAndAMillisecondARow() {
        deploy(1, null, 0);

        service.score(new ScoreRequest(READMISSION, null, List.of(patient("a", 70, "male", true))));
        assertThat(model1.lastBudget).isEqualTo(java.time.Duration.ofMillis(2_001));
        service.score(new ScoreRequest(READMISSION, null, List.of(patient("a", 70, "male", true),
                patient("b", 60, "female", false), patient("c", 50, "male", false))));
        assertThat(model1.lastBudget).isEqualTo(java.time.Duration.ofMillis(2_003));
    }

    @Test
    void aModelThatReturnsSomethingOtherThanAProbabilityFailsWithItsOwnCodeNamingTheRowAndTheOutput() {
        // Above 1 from the age of 90: the second patient of the request is the first whose output is not a probability.
        ScoringFixtures.FormulaModel broken = new ScoringFixtures.FormulaModel(4, row -> row[0] < 90 ? 0.5
                : row[0] / 80.0);
        when(runtime.load(any(), eq(Sha256.hex(onnxBytes(1))), anyString(), anyInt())).thenReturn(broken);
        deploy(1, null, 0);

        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, null, List.of(patient("MRN-1", 70, "male",
                true), patient("MRN-2", 100, "male", true), patient("MRN-3", 96, "female", true)))))
                .isInstanceOfSatisfying(ModelOutputException.class, e -> {
                    assertThat(e.code()).isEqualTo(ErrorCode.MODEL_OUTPUT_INVALID);
                    assertThat(e.httpStatus()).isEqualTo(502);
                    assertThat(e.version()).isEqualTo(V1);
                })
                .hasMessageStartingWith("readmission:1 produced an output that is not a probability for row 2 of the"
                        + " request (1.25, above 1): the request is valid")
                .message().doesNotContain("MRN").doesNotContain("100");
        verify(log, never()).append(any());
        verify(telemetry, never()).failed(any(), any()); // counted once, by the HTTP layer
    }

    @Test
    void aCanaryWhoseOutputIsNotAProbabilityIsCountedAsFailingInItsSlotAloneEvenInAMixedRequest() {
        RequestStatsRecorder recorder = countingRequests();
        when(runtime.load(any(), eq(Sha256.hex(onnxBytes(2))), anyString(), anyInt()))
                .thenReturn(new ScoringFixtures.FormulaModel(5, row -> -0.1));
        deploy(1, 2, 50);
        List<PatientRow> rows = IntStream.range(0, 40).mapToObj(i -> patient("MRN-" + i, 70, "male", true)).toList();
        long onCanary = onCanary(rows);
        assertThat(onCanary).as("the request has rows for both slots").isBetween(1L, 39L);

        assertThatThrownBy(() -> service.score(new ScoreRequest(READMISSION, null, rows)))
                .isInstanceOfSatisfying(ModelOutputException.class, e -> assertThat(e.version()).isEqualTo(V2))
                .hasMessageContaining("(-0.1, below 0)");

        List<health.vigil.model.SlotMinuteStats> minute = recorder.window(READMISSION, NOW, NOW.plusSeconds(60));
        assertThat(minute).singleElement().satisfies(m -> {
            assertThat(m.slot()).isEqualTo(Slot.CANARY);
            assertThat(m.version()).isEqualTo(2);
            assertThat(m.failed()).isEqualTo(onCanary);
            assertThat(m.answered()).isZero();
        });
        verify(log, never()).append(any());
    }

    @Test
    void requestsNeverPrintPatientIdsOrValues() {
        PatientRow row = patient("MRN-998877", 71, "female", true);

        assertThat(row.toString()).doesNotContain("MRN-998877").doesNotContain("71").contains("age");
        assertThat(new ScoreRequest(READMISSION, null, List.of(row)).toString()).doesNotContain("MRN-998877");
    }

    private void deployWithShadow(int stable, int shadow, int basisPoints) {
        redeploy(List.of(new TrafficSlot(Slot.STABLE, stable, TrafficSlot.ALL),
                new TrafficSlot(Slot.SHADOW, shadow, basisPoints)));
    }

    /** Saves the next revision of the deployment over whatever is there. */
    private void redeploy(List<TrafficSlot> slots) {
        java.util.Optional<Deployment> current = store.findDeployment(READMISSION);
        store.saveDeployment(new Deployment(READMISSION, slots, current.map(d -> d.revision() + 1).orElse(1L), "ops",
                NOW, current.map(Deployment::etag).orElse(null)));
    }

    private ScoringService withShadow(ShadowTraffic shadow) {
        return new ScoringService(new ModelRegistry(store), artifacts, runtime, FeaturePipelines.identityOnly(), log,
                pseudonymizer, Clock.fixed(NOW, ZoneOffset.UTC), telemetry, VigilConfig.Limits.DEFAULTS, shadow);
    }

    private static List<PatientRow> patients(int n) {
        return IntStream.range(0, n).mapToObj(i -> patient("MRN-" + i, 40 + i % 50, "female", i % 3 == 0)).toList();
    }

    @Test
    void aSlowOrFailingShadowNeverChangesTheLiveAnswerNorHoldsItUp() throws Exception {
        redeploy(List.of(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL)));
        ScoreResult withoutShadow = service.score(new ScoreRequest(READMISSION, null, patients(30)));
        deployWithShadow(1, 2, TrafficSlot.ALL);

        // A shadow that never finishes scoring: the queue of one batch fills and every further batch is dropped.
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger handed = new java.util.concurrent.atomic.AtomicInteger();
        try (health.vigil.shadow.ShadowMirror slow = new health.vigil.shadow.ShadowMirror(1, rows -> {
            handed.incrementAndGet();
            try {
                never.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return List.of();
        }, log, v -> null, telemetry, Clock.fixed(NOW, ZoneOffset.UTC))) {
            ScoringService slowShadow = withShadow(slow);
            for (int request = 0; request < 5; request++) {
                ScoreResult answered = slowShadow.score(new ScoreRequest(READMISSION, null, patients(30)));
                assertSameAnswers(answered, withoutShadow);
            }
            health.vigil.shadow.ShadowMirror.Counts counts = slow.counts(READMISSION);
            assertThat(counts.offered()).isEqualTo(150);
            assertThat(counts.dropped()).as("one batch scoring, one queued, the rest dropped").isBetween(90L, 120L);
            assertThat(counts.scored()).isZero();
            verify(telemetry, org.mockito.Mockito.atLeast(3)).shadowMirrored(V2, "dropped", 30);
        }

        // A shadow that throws on the hand-off itself.
        ScoringService throwing = withShadow(rows -> {
            throw new IllegalStateException("shadow down");
        });
        assertSameAnswers(throwing.score(new ScoreRequest(READMISSION, null, patients(30))), withoutShadow);
    }

    private static void assertSameAnswers(ScoreResult actual, ScoreResult expected) {
        assertThat(actual.rows()).hasSameSizeAs(expected.rows());
        for (int i = 0; i < expected.rows().size(); i++) {
            assertThat(actual.row(i).version()).isEqualTo(expected.row(i).version());
            assertThat(actual.row(i).slot()).isEqualTo(Slot.STABLE);
            assertThat(actual.row(i).score()).isEqualTo(expected.row(i).score());
            assertThat(actual.row(i).decision()).isEqualTo(expected.row(i).decision());
        }
    }

    @Test
    void theSampledShareOfRowsIsMirroredWithTheLivePredictionIdsAndScoredByTheShadowsOwnModel() {
        deployWithShadow(1, 2, 2_500);
        List<health.vigil.model.MirroredRows> mirrored = new ArrayList<>();
        ScoringService scoring = withShadow(mirrored::add);

        ScoreResult result = scoring.score(new ScoreRequest(READMISSION, null, patients(400)));

        assertThat(mirrored).hasSize(1);
        health.vigil.model.MirroredRows batch = mirrored.get(0);
        assertThat(batch.shadowVersion()).isEqualTo(2);
        assertThat(batch.time()).isEqualTo(NOW);
        List<String> expected = result.rows().stream().map(ScoredRow::predictionId)
                .filter(id -> health.vigil.routing.MirrorSampling.mirrored(id, 2_500)).toList();
        assertThat(batch.rows()).extracting(health.vigil.model.MirroredRows.Row::livePredictionId)
                .containsExactlyElementsOf(expected);
        assertThat(expected.size()).isBetween(60, 140);

        List<health.vigil.model.ShadowScore> scores = scoring.shadowScores(batch);
        assertThat(scores).hasSize(batch.rows().size());
        for (health.vigil.model.ShadowScore s : scores) {
            double age = ((Number) batch.rows().get(s.row()).values().get("age")).doubleValue();
            assertThat(s.score()).isCloseTo(0.9 - age / 1000.0, within(1e-12));
            assertThat(s.decision()).as("version 2's own threshold, 0.5").isEqualTo(s.score() >= 0.5);
            assertThat(s.inputs()).hasSize(5);
        }
    }

    @Test
    void aShadowThatDroppedAFeatureOfTheLiveVersionIgnoresItAndStillRefusesWhatItsOwnRulesRefuse() {
        // Version 3 is version 1 retrained without bmi, for patients up to 65: score = age/100, threshold 0.5.
        List<Feature> features = new ArrayList<>();
        for (Feature f : schema().features()) {
            if (f.name().equals("age")) {
                features.add(Feature.integer("age", "years", 18, 65));
            } else if (!f.name().equals("bmi")) {
                features.add(f);
            }
        }
        register(3, Stage.REGISTERED, manifest(READMISSION, new FeatureSchema(features), 0.5));
        when(runtime.load(any(), eq(Sha256.hex(onnxBytes(3))), anyString(), anyInt()))
                .thenReturn(new ScoringFixtures.FormulaModel(3, row -> row[0] / 100.0));
        deployWithShadow(1, 3, TrafficSlot.ALL);
        List<health.vigil.model.MirroredRows> mirrored = new ArrayList<>();
        ScoringService scoring = withShadow(mirrored::add);
        List<PatientRow> withBmi = patients(20).stream().map(p -> with(p, "bmi", NODES.numberNode(27.5))).toList();

        scoring.score(new ScoreRequest(READMISSION, null, withBmi));
        List<health.vigil.model.ShadowScore> scores = scoring.shadowScores(mirrored.get(0));

        // Every patient's bmi was sent for the live version: the shadow scores all 20 without it.
        assertThat(scores).hasSize(20);
        for (health.vigil.model.ShadowScore s : scores) {
            double age = ((Number) mirrored.get(0).rows().get(s.row()).values().get("age")).doubleValue();
            assertThat(s.score()).isCloseTo(age / 100.0, within(1e-6));
            assertThat(s.inputs()).hasSize(3);
        }

        // What the shadow's own schema refuses is still left out: patients older than its 65.
        List<PatientRow> older = List.of(with(patient("MRN-70", 70, "female", true), "bmi", NODES.numberNode(31)),
                with(patient("MRN-50", 50, "male", false), "bmi", NODES.numberNode(22)));
        scoring.score(new ScoreRequest(READMISSION, null, older));
        assertThat(scoring.shadowScores(mirrored.get(1))).extracting(health.vigil.model.ShadowScore::row)
                .containsExactly(1);
    }

    @Test
    void aShadowsRowsAreTimedButNotCountedAmongThePatientsScoredForCallers() {
        deployWithShadow(1, 2, TrafficSlot.ALL);
        List<health.vigil.model.MirroredRows> mirrored = new ArrayList<>();
        ScoringService scoring = withShadow(mirrored::add);

        scoring.score(new ScoreRequest(READMISSION, null, patients(20)));
        scoring.shadowScores(mirrored.get(0));

        verify(telemetry).scored(eq(V1), eq(Slot.STABLE), eq(20), anyLong());
        verify(telemetry, never()).scored(any(), eq(Slot.SHADOW), anyInt(), anyLong());
        verify(telemetry).shadowScored(eq(V2), eq(20), anyLong());
    }

    @Test
    void nothingIsMirroredAtShareZeroNorForARequestThatNamesItsVersion() {
        List<health.vigil.model.MirroredRows> mirrored = new ArrayList<>();
        ScoringService scoring = withShadow(mirrored::add);
        deployWithShadow(1, 2, 0);
        scoring.score(new ScoreRequest(READMISSION, null, patients(50)));
        deployWithShadow(1, 2, TrafficSlot.ALL);
        scoring.score(new ScoreRequest(READMISSION, 1, patients(50)));
        assertThat(mirrored).isEmpty();
    }

    @Test
    void aShadowBatchForAVersionNoLongerTheShadowIsRefused() {
        deployWithShadow(1, 2, TrafficSlot.ALL);
        List<health.vigil.model.MirroredRows> mirrored = new ArrayList<>();
        ScoringService scoring = withShadow(mirrored::add);
        scoring.score(new ScoreRequest(READMISSION, null, patients(5)));
        redeploy(List.of(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL)));
        assertThatThrownBy(() -> scoring.shadowScores(mirrored.get(0))).isInstanceOf(ConflictException.class)
                .hasMessageContaining("no longer its shadow");
    }
}
