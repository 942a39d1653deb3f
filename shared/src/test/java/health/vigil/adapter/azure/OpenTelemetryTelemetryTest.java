package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.error.ErrorCode;
import health.vigil.events.EventTypes;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Slot;
import health.vigil.port.TelemetryNames;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.HistogramPointData;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The metrics and spans the workbooks are built on, read back through the OpenTelemetry SDK's in-memory exporters. */
class OpenTelemetryTelemetryTest {
    private static final Set<String> ALLOWED_ATTRIBUTES = TelemetryNames.attributes();

    private InMemoryMetricReader metrics;
    private InMemorySpanExporter spans;
    private OpenTelemetrySdk sdk;
    private OpenTelemetryTelemetry telemetry;

    @BeforeEach
    void sdk() {
        metrics = InMemoryMetricReader.create();
        spans = InMemorySpanExporter.create();
        sdk = OpenTelemetrySdk.builder()
                .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
                .build();
        telemetry = new OpenTelemetryTelemetry(sdk);
    }

    @AfterEach
    void close() {
        sdk.close();
    }

    private MetricData metric(Collection<MetricData> all, String name) {
        return all.stream().filter(m -> m.getName().equals(name)).findFirst().orElseThrow(
                () -> new AssertionError("no metric " + name + " among " + all.stream().map(MetricData::getName).toList()));
    }

    @Test
    void scoringRecordsLatencyInSecondsAndRowsPerModelVersionAndSlot() {
        telemetry.scored(ModelVersion.of("readmission", 3), Slot.CANARY, 10, 2_500_000L);
        telemetry.scored(ModelVersion.of("readmission", 3), Slot.CANARY, 1, 7_500_000L);
        telemetry.scored(ModelVersion.of("readmission", 2), Slot.STABLE, 4, 1_000_000L);

        Collection<MetricData> all = metrics.collectAllMetrics();
        MetricData duration = metric(all, "vigil.scoring.duration");
        assertThat(duration.getUnit()).isEqualTo("s");
        Attributes canary = Attributes.of(OpenTelemetryTelemetry.MODEL, "readmission", OpenTelemetryTelemetry.VERSION, 3L,
                OpenTelemetryTelemetry.SLOT, "canary");
        HistogramPointData canaryLatency = duration.getHistogramData().getPoints().stream()
                .filter(p -> p.getAttributes().equals(canary)).findFirst().orElseThrow();
        assertThat(canaryLatency.getCount()).isEqualTo(2);
        assertThat(canaryLatency.getSum()).isCloseTo(0.010, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(duration.getHistogramData().getPoints()).hasSize(2);

        MetricData rows = metric(all, "vigil.scoring.rows");
        assertThat(rows.getUnit()).isEqualTo("{row}");
        assertThat(rows.getLongSumData().getPoints()).extracting(LongPointData::getValue).containsExactlyInAnyOrder(11L, 4L);
    }

    @Test
    void oneVersionScoredInEachSlotInTurnIsRecordedUnderEachSlotEveryTime() {
        ModelVersion version = ModelVersion.of("readmission", 3);
        for (int round = 0; round < 2; round++) {
            telemetry.scored(version, Slot.STABLE, 1, 1_000_000L);
            telemetry.scored(version, Slot.CANARY, 2, 1_000_000L);
            telemetry.shadowScored(version, 3, 1_000_000L);
        }
        telemetry.scored(ModelVersion.of("readmission", 4), Slot.CANARY, 5, 1_000_000L);

        assertThat(metric(metrics.collectAllMetrics(), "vigil.scoring.rows").getLongSumData().getPoints())
                .extracting(p -> p.getAttributes().get(OpenTelemetryTelemetry.VERSION) + " "
                        + p.getAttributes().get(OpenTelemetryTelemetry.SLOT) + " " + p.getValue())
                .containsExactlyInAnyOrder("3 stable 2", "3 canary 4", "4 canary 5");
        assertThat(spans.getFinishedSpanItems()).filteredOn(s -> s.getName().equals("vigil.score"))
                .extracting(s -> s.getAttributes().get(OpenTelemetryTelemetry.VERSION) + " "
                        + s.getAttributes().get(OpenTelemetryTelemetry.SLOT))
                .containsExactly("3 stable", "3 canary", "3 shadow", "3 stable", "3 canary", "3 shadow", "4 canary");
    }

    @Test
    void scoringLeavesASpanThatLastsAsLongAsTheScoringDid() {
        telemetry.scored(ModelVersion.of("readmission", 3), Slot.STABLE, 2, 4_000_000L);

        SpanData span = spans.getFinishedSpanItems().get(0);
        assertThat(span.getName()).isEqualTo("vigil.score");
        assertThat(span.getEndEpochNanos() - span.getStartEpochNanos()).isEqualTo(4_000_000L);
        assertThat(span.getAttributes().get(OpenTelemetryTelemetry.ROWS)).isEqualTo(2L);
        assertThat(span.getAttributes().get(OpenTelemetryTelemetry.SLOT)).isEqualTo("stable");
    }

    @Test
    void errorsAreCountedByOperationAndCodeAndMarkTheCurrentSpanOnlyForServerErrors() {
        Span request = sdk.getTracer("test").spanBuilder("POST /score/readmission").startSpan();
        try (Scope ignored = request.makeCurrent()) {
            telemetry.failed("Score", ErrorCode.INVALID_FEATURE);
            telemetry.failed("Score", ErrorCode.INVALID_FEATURE);
            telemetry.failed("RegisterModel", ErrorCode.STORE_UNAVAILABLE);
        } finally {
            request.end();
        }

        MetricData errors = metric(metrics.collectAllMetrics(), "vigil.errors");
        assertThat(errors.getLongSumData().getPoints()).anySatisfy(p -> {
            assertThat(p.getAttributes()).isEqualTo(Attributes.of(OpenTelemetryTelemetry.OPERATION, "Score",
                    OpenTelemetryTelemetry.ERROR_CODE, "INVALID_FEATURE"));
            assertThat(p.getValue()).isEqualTo(2);
        });
        SpanData span = spans.getFinishedSpanItems().get(0);
        assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        assertThat(span.getAttributes().get(OpenTelemetryTelemetry.ERROR_CODE)).isEqualTo("STORE_UNAVAILABLE");
    }

    @Test
    void registrationsAndEventsAreCountedByOutcomeAndType() {
        telemetry.registration("registered");
        telemetry.registration("rejected");
        telemetry.registration("registered");
        Optional<ModelName> readmission = Optional.of(ModelName.of("readmission"));
        telemetry.event("Vigil.Gates.Passed", readmission, "published");
        telemetry.event("Vigil.Gates.Failed", readmission, "published");
        telemetry.event("Vigil.Gates.Failed", readmission, "published");
        telemetry.event("Vigil.Retrain.Requested", Optional.empty(), "failed");

        Collection<MetricData> all = metrics.collectAllMetrics();
        assertThat(metric(all, "vigil.registrations").getLongSumData().getPoints())
                .extracting(p -> p.getAttributes().get(OpenTelemetryTelemetry.OUTCOME) + "=" + p.getValue())
                .containsExactlyInAnyOrder("registered=2", "rejected=1");
        assertThat(metric(all, "vigil.events").getLongSumData().getPoints())
                .extracting(p -> p.getAttributes().get(OpenTelemetryTelemetry.EVENT_TYPE) + " "
                        + p.getAttributes().get(OpenTelemetryTelemetry.MODEL) + " "
                        + p.getAttributes().get(OpenTelemetryTelemetry.OUTCOME) + "=" + p.getValue())
                .containsExactlyInAnyOrder("Vigil.Gates.Passed readmission published=1",
                        "Vigil.Gates.Failed readmission published=2", "Vigil.Retrain.Requested null failed=1");
    }

    @Test
    void monitoringChecksAreCountedAndTheirStatisticsAndPerformanceAreGauges() {
        ModelVersion v = ModelVersion.of("readmission", 3);
        telemetry.driftChecked(v, "drifted");
        telemetry.driftChecked(v, "stable");
        telemetry.driftChecked(v, "drifted");
        telemetry.driftStatistic(v, "age", "psi", 0.12);
        telemetry.driftStatistic(v, "age", "psi", 0.31);
        telemetry.performance(v, "auroc", "label_free", 0.74);

        Collection<MetricData> all = metrics.collectAllMetrics();
        assertThat(metric(all, "vigil.drift.checks").getLongSumData().getPoints())
                .extracting(p -> p.getAttributes().get(OpenTelemetryTelemetry.OUTCOME) + "=" + p.getValue())
                .containsExactlyInAnyOrder("drifted=2", "stable=1");
        assertThat(metric(all, "vigil.drift.statistic").getDoubleGaugeData().getPoints()).singleElement()
                .satisfies(p -> {
                    assertThat(p.getValue()).isEqualTo(0.31);
                    assertThat(p.getAttributes().get(OpenTelemetryTelemetry.FEATURE)).isEqualTo("age");
                    assertThat(p.getAttributes().get(OpenTelemetryTelemetry.DRIFT_TEST)).isEqualTo("psi");
                });
        assertThat(metric(all, "vigil.performance").getDoubleGaugeData().getPoints()).singleElement()
                .satisfies(p -> assertThat(p.getAttributes().get(OpenTelemetryTelemetry.SOURCE)).isEqualTo("label_free"));
    }

    @Test
    void auditVerificationsAreCountedByOutcome() {
        telemetry.auditVerified(true);
        telemetry.auditVerified(true);
        telemetry.auditVerified(false);

        assertThat(metric(metrics.collectAllMetrics(), "vigil.audit.verifications").getLongSumData().getPoints())
                .extracting(p -> p.getAttributes().get(OpenTelemetryTelemetry.OUTCOME) + "=" + p.getValue())
                .containsExactlyInAnyOrder("intact=2", "broken=1");
    }

    /**
     * What the catalogue calls emitted is what the adapter records: every emitted name with its unit and only its
     * catalogued attributes, and nothing that is not catalogued or only planned.
     */
    @Test
    void theAdapterRecordsExactlyTheCataloguesEmittedSignals() {
        Span request = sdk.getTracer("test").spanBuilder("POST /score/readmission").startSpan();
        try (Scope ignored = request.makeCurrent()) {
            telemetry.scored(ModelVersion.of("readmission", 3), Slot.CANARY, 2, 1_000_000L);
            telemetry.failed("score", ErrorCode.INVALID_FEATURE);
        } finally {
            request.end();
        }
        telemetry.registration("registered");
        telemetry.event("Vigil.Model.Registered", Optional.of(ModelName.of("readmission")), "published");
        telemetry.auditVerified(true);
        telemetry.driftChecked(ModelVersion.of("readmission", 3), "drifted");
        telemetry.driftStatistic(ModelVersion.of("readmission", 3), "age", "psi", 0.31);
        telemetry.performance(ModelVersion.of("readmission", 3), "auroc", "labels", 0.71);
        telemetry.gateChecked(ModelVersion.of("readmission", 3), "calibration", "failed");
        telemetry.trafficWeight(ModelVersion.of("readmission", 3), Slot.CANARY, 500);
        telemetry.canaryAnalysis(ModelVersion.of("readmission", 3), "pass");
        telemetry.shadowMirrored(ModelVersion.of("readmission", 4), "dropped", 5);
        telemetry.batchRows(ModelVersion.of("readmission", 3), "refused", 2);
        telemetry.approval(ModelVersion.of("readmission", 3), "approved");
        telemetry.auditExport("exported");

        Collection<MetricData> all = metrics.collectAllMetrics();
        Set<String> recorded = new java.util.TreeSet<>(all.stream().map(MetricData::getName).toList());
        recorded.add(spans.getFinishedSpanItems().stream().filter(s -> s.getName().startsWith("vigil."))
                .findFirst().orElseThrow().getName());
        assertThat(recorded).containsExactlyInAnyOrderElementsOf(TelemetryNames.emitted());
        for (MetricData data : all) {
            TelemetryNames.Signal signal = TelemetryNames.signal(data.getName()).orElseThrow();
            assertThat(data.getUnit()).as(data.getName()).isEqualTo(signal.unit());
            data.getData().getPoints().forEach(p -> assertThat(p.getAttributes().asMap().keySet())
                    .extracting(AttributeKey::getKey).as(data.getName()).allMatch(signal.attributes()::contains));
        }
        SpanData score = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals("vigil.score"))
                .findFirst().orElseThrow();
        assertThat(score.getAttributes().asMap().keySet()).extracting(AttributeKey::getKey)
                .containsExactlyInAnyOrderElementsOf(TelemetryNames.signal("vigil.score").orElseThrow().attributes());
    }

    @Test
    void aShadowsBatchIsASpanOfTheShadowSlotAndNeverAmongTheRequestsOrPatientsScored() {
        telemetry.scored(ModelVersion.of("readmission", 3), Slot.STABLE, 4, 1_000_000L);
        telemetry.shadowScored(ModelVersion.of("readmission", 4), 7, 2_000_000L);

        Collection<MetricData> all = metrics.collectAllMetrics();
        assertThat(metric(all, "vigil.scoring.duration").getHistogramData().getPoints()).singleElement()
                .satisfies(p -> assertThat(p.getAttributes().get(OpenTelemetryTelemetry.SLOT)).isEqualTo("stable"));
        assertThat(metric(all, "vigil.scoring.rows").getLongSumData().getPoints()).singleElement()
                .satisfies(p -> assertThat(p.getValue()).isEqualTo(4));
        assertThat(spans.getFinishedSpanItems()).filteredOn(s -> s.getName().equals("vigil.score"))
                .extracting(s -> s.getAttributes().get(OpenTelemetryTelemetry.SLOT) + " "
                        + s.getAttributes().get(OpenTelemetryTelemetry.ROWS))
                .containsExactlyInAnyOrder("stable 4", "shadow 7");
    }

    @Test
    void freeTextThatCouldCarryPatientDataNeverBecomesAnAttribute() {
        telemetry.failed("score patient 12345 (Jane Doe)", ErrorCode.INVALID_FEATURE);
        telemetry.registration("age=87; mrn=00123");
        telemetry.event(null, Optional.empty(), "sent for patient 12345");
        telemetry.scored(ModelVersion.of("readmission", 1), Slot.SHADOW, 1, 1);

        Collection<MetricData> all = metrics.collectAllMetrics();
        List<Attributes> attributes = all.stream().flatMap(m -> m.getData().getPoints().stream())
                .map(p -> p.getAttributes()).collect(Collectors.toList());
        spans.getFinishedSpanItems().forEach(s -> attributes.add(s.getAttributes()));
        assertThat(attributes).allSatisfy(a -> assertThat(a.asMap().keySet()).extracting(AttributeKey::getKey)
                .allMatch(ALLOWED_ATTRIBUTES::contains));
        assertThat(attributes.stream().flatMap(a -> a.asMap().values().stream()).map(String::valueOf))
                .noneMatch(v -> v.contains("Jane") || v.contains("12345") || v.contains("87") || v.contains("mrn"));
        assertThat(metric(all, "vigil.errors").getLongSumData().getPoints()).singleElement()
                .satisfies(p -> assertThat(p.getAttributes().get(OpenTelemetryTelemetry.OPERATION)).isEqualTo("other"));
    }

    /**
     * A value shaped like an identifier is no name: a patient's record number passed where an outcome, a gate, an event
     * type, a statistic or an operation goes is recorded as {@code other}, and so is a feature name no schema could
     * hold. The names the platform does record are kept.
     */
    @Test
    void anIdentifierShapedValueIsRecordedAsOtherWhereverItIsPassed() {
        String mrn = "MRN00123";
        ModelVersion v = ModelVersion.of("readmission", 2);
        telemetry.failed(mrn, ErrorCode.INTERNAL);
        telemetry.failed("ScoreBatchPartition", ErrorCode.STORE_UNAVAILABLE);
        telemetry.failed("batch", ErrorCode.MODEL_NOT_FOUND);
        telemetry.registration(mrn);
        telemetry.event(mrn, Optional.empty(), mrn);
        telemetry.gateChecked(v, mrn, mrn);
        telemetry.canaryAnalysis(v, mrn);
        telemetry.shadowMirrored(v, mrn, 1);
        telemetry.approval(v, mrn);
        telemetry.auditExport(mrn);
        telemetry.driftChecked(v, mrn);
        telemetry.driftStatistic(v, "MRN-00123", mrn, 0.5);
        telemetry.performance(v, mrn, mrn, 0.7);

        Collection<MetricData> all = metrics.collectAllMetrics();
        List<String> values = all.stream().flatMap(m -> m.getData().getPoints().stream())
                .flatMap(p -> p.getAttributes().asMap().entrySet().stream())
                .filter(e -> !e.getKey().getKey().equals(TelemetryNames.MODEL_NAME)
                        && !e.getKey().getKey().equals(TelemetryNames.MODEL_VERSION)
                        && !e.getKey().getKey().equals(TelemetryNames.ERROR_CODE))
                .map(e -> e.getKey().getKey() + "=" + e.getValue()).toList();
        assertThat(values).noneMatch(v2 -> v2.contains("MRN")).contains("vigil.operation=ScoreBatchPartition",
                "vigil.operation=batch");
        assertThat(values).filteredOn(v2 -> !v2.startsWith("vigil.operation=ScoreBatchPartition")
                && !v2.startsWith("vigil.operation=batch")).isNotEmpty().allMatch(v2 -> v2.endsWith("=other"));
        assertThat(all.stream().map(MetricData::getName)).contains("vigil.registrations", "vigil.events",
                "vigil.gates.checks", "vigil.canary.analyses", "vigil.shadow.mirrored", "vigil.approvals",
                "vigil.audit.exports", "vigil.drift.checks", "vigil.drift.statistic", "vigil.performance");
    }

    @Test
    void theNamesThePlatformRecordsAreKept() throws IllegalAccessException {
        ModelVersion v = ModelVersion.of("readmission", 2);
        TelemetryNames.GATES.forEach(gate -> TelemetryNames.OUTCOMES.forEach(outcome ->
                telemetry.gateChecked(v, gate, outcome)));
        for (java.lang.reflect.Field field : EventTypes.class.getFields()) {
            if (field.getType() == String.class && field.get(null).toString().startsWith("Vigil.")) {
                telemetry.event(field.get(null).toString(), Optional.empty(), "published");
            }
        }
        TelemetryNames.DRIFT_TESTS.forEach(test -> telemetry.driftStatistic(v, "hba1c", test, 0.1));
        TelemetryNames.DRIFT_TESTS.forEach(test -> telemetry.driftStatistic(v, "score", test, 0.1));
        TelemetryNames.PERFORMANCE_METRICS.forEach(metric -> TelemetryNames.PERFORMANCE_SOURCES.forEach(source ->
                telemetry.performance(v, metric, source, 0.7)));

        assertThat(metrics.collectAllMetrics().stream().flatMap(m -> m.getData().getPoints().stream())
                .flatMap(p -> p.getAttributes().asMap().values().stream())).doesNotContain("other");
    }
}
