package health.vigil.adapter.azure;

import health.vigil.error.ErrorCode;
import health.vigil.events.EventTypes;
import health.vigil.model.Feature;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Slot;
import health.vigil.port.Telemetry;
import health.vigil.port.TelemetryNames;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.metrics.DoubleGauge;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Vigil's metrics and spans on the OpenTelemetry API. In Azure the Application Insights Java agent supplies the
 * SDK behind {@code GlobalOpenTelemetry} and exports to Azure Monitor; without an agent everything is a no-op. The
 * names, units and attributes come from {@link TelemetryNames}, the catalogue the workbooks and alerts are held to.
 * Attributes are model ids, slots, error codes, outcomes and event types only. A value that is not an id is
 * checked against its closed set in {@link TelemetryNames} (outcomes, gates, statistics, event types) or the rule
 * of its kind (a function's name, a schema's feature name) and recorded as {@code other} when it fails, so no caller
 * can smuggle patient data, such as an identifier that merely looks like a name, into telemetry. {@code vigil up}
 * records through this same class into an SDK meter provider of its own, which its {@code GET /metrics} reads.
 */
public final class OpenTelemetryTelemetry implements Telemetry {
    static final AttributeKey<String> MODEL = AttributeKey.stringKey(TelemetryNames.MODEL_NAME);
    static final AttributeKey<Long> VERSION = AttributeKey.longKey(TelemetryNames.MODEL_VERSION);
    static final AttributeKey<String> SLOT = AttributeKey.stringKey(TelemetryNames.TRAFFIC_SLOT);
    static final AttributeKey<Long> ROWS = AttributeKey.longKey(TelemetryNames.ROWS);
    static final AttributeKey<String> OPERATION = AttributeKey.stringKey(TelemetryNames.OPERATION);
    static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey(TelemetryNames.ERROR_CODE);
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey(TelemetryNames.OUTCOME);
    static final AttributeKey<String> EVENT_TYPE = AttributeKey.stringKey(TelemetryNames.EVENT_TYPE);
    static final AttributeKey<String> FEATURE = AttributeKey.stringKey(TelemetryNames.FEATURE);
    static final AttributeKey<String> DRIFT_TEST = AttributeKey.stringKey(TelemetryNames.DRIFT_TEST);
    static final AttributeKey<String> METRIC = AttributeKey.stringKey(TelemetryNames.PERFORMANCE_METRIC);
    static final AttributeKey<String> SOURCE = AttributeKey.stringKey(TelemetryNames.PERFORMANCE_SOURCE);
    static final AttributeKey<String> GATE = AttributeKey.stringKey(TelemetryNames.GATE);

    static final String OTHER = "other";

    private final Tracer tracer;
    private final DoubleHistogram scoringDuration;
    private final LongCounter scoringRows;
    private final LongCounter errors;
    private final LongCounter registrations;
    private final LongCounter events;
    private final LongCounter auditVerifications;
    private final LongCounter driftChecks;
    private final DoubleGauge driftStatistic;
    private final DoubleGauge performance;
    private final LongCounter gateChecks;
    private final DoubleGauge trafficWeight;
    private final LongCounter canaryAnalyses;
    private final LongCounter shadowMirrored;
    private final LongCounter batchRows;
    private final LongCounter approvals;
    private final LongCounter auditExports;
    /**
     * The attributes of a version's scoring in each slot (by the slot's ordinal), made once: every scoring request
     * records them, and building them anew took an allocation and a sort of their keys a request. A process scores a
     * handful of versions, so the map stays small.
     */
    private final ConcurrentHashMap<ModelVersion, Attributes[]> scoringAttributes = new ConcurrentHashMap<>();

    public OpenTelemetryTelemetry(OpenTelemetry openTelemetry) {
        Objects.requireNonNull(openTelemetry, "openTelemetry");
        Meter meter = openTelemetry.getMeter(TelemetryNames.INSTRUMENTATION);
        this.tracer = openTelemetry.getTracer(TelemetryNames.INSTRUMENTATION);
        this.scoringDuration = meter.histogramBuilder(TelemetryNames.SCORING_DURATION)
                .setUnit(unit(TelemetryNames.SCORING_DURATION))
                .setDescription("Time to score one request, all its rows, in the model runtime")
                .setExplicitBucketBoundariesAdvice(List.of(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                        0.5, 1.0, 2.5, 5.0))
                .build();
        this.scoringRows = counter(meter, TelemetryNames.SCORING_ROWS, "Rows (patients) scored");
        this.errors = counter(meter, TelemetryNames.ERRORS, "Failed operations by Vigil error code");
        this.registrations = counter(meter, TelemetryNames.REGISTRATIONS, "Model package registrations by outcome");
        this.events = counter(meter, TelemetryNames.EVENTS, "Vigil events published, by type, model and outcome");
        this.auditVerifications = counter(meter, TelemetryNames.AUDIT_VERIFICATIONS,
                "Audit chain verifications by outcome (intact, broken)");
        this.driftChecks = counter(meter, TelemetryNames.DRIFT_CHECKS,
                "Monitoring checks of deployed versions by outcome (drifted, stable, insufficient_data)");
        this.driftStatistic = meter.gaugeBuilder(TelemetryNames.DRIFT_STATISTIC).setUnit(unit(TelemetryNames.DRIFT_STATISTIC))
                .setDescription("One drift statistic of one feature or of the score, at each check").build();
        this.performance = meter.gaugeBuilder(TelemetryNames.PERFORMANCE).setUnit(unit(TelemetryNames.PERFORMANCE))
                .setDescription("A performance metric of a deployed version, from labels or estimated without them")
                .build();
        this.gateChecks = counter(meter, TelemetryNames.GATE_CHECKS,
                "Gate checks of version evaluations, by model, version, gate and outcome");
        this.trafficWeight = meter.gaugeBuilder(TelemetryNames.TRAFFIC_WEIGHT).setUnit(unit(TelemetryNames.TRAFFIC_WEIGHT))
                .setDescription("Share of live traffic of a model version's slot, set by canary ramps").build();
        this.canaryAnalyses = counter(meter, TelemetryNames.CANARY_ANALYSES,
                "Canary analyses of ramp steps, by model, version and outcome (pass, fail, extend)");
        this.shadowMirrored = counter(meter, TelemetryNames.SHADOW_MIRRORED,
                "Rows mirrored to a shadow version, by model, version and outcome (scored, dropped, failed)");
        this.batchRows = counter(meter, TelemetryNames.BATCH_ROWS,
                "Rows of batch jobs made durable, by model, version and outcome (scored, refused)");
        this.approvals = counter(meter, TelemetryNames.APPROVALS,
                "Governance decisions on versions, by model, version and outcome (approved, rejected, refused)");
        this.auditExports = counter(meter, TelemetryNames.AUDIT_EXPORTS,
                "Audit exports of a period, by outcome (exported, failed)");
    }

    @Override
    public void driftChecked(ModelVersion version, String outcome) {
        driftChecks.add(1, Attributes.of(MODEL, version.name().value(), VERSION, (long) version.number(), OUTCOME,
                outcome(outcome)));
    }

    @Override
    public void driftStatistic(ModelVersion version, String feature, String test, double value) {
        driftStatistic.set(value, Attributes.of(MODEL, version.name().value(), VERSION, (long) version.number(),
                FEATURE, feature(feature), DRIFT_TEST, known(TelemetryNames.DRIFT_TESTS, test)));
    }

    @Override
    public void performance(ModelVersion version, String metric, String source, double value) {
        performance.set(value, Attributes.of(MODEL, version.name().value(), VERSION, (long) version.number(),
                METRIC, known(TelemetryNames.PERFORMANCE_METRICS, metric), SOURCE,
                known(TelemetryNames.PERFORMANCE_SOURCES, source)));
    }

    @Override
    public void scored(ModelVersion version, Slot slot, int rows, long nanos) {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(slot, "slot");
        Attributes attributes = scoringAttributes(version, slot);
        scoringDuration.record(Math.max(0, nanos) / 1e9, attributes);
        scoringRows.add(Math.max(0, rows), attributes);
        span(attributes, rows, nanos);
    }

    /** Only the span: a shadow's rows answer no caller, so they stay out of the scoring duration and rows. */
    @Override
    public void shadowScored(ModelVersion version, int rows, long nanos) {
        Objects.requireNonNull(version, "version");
        span(scoringAttributes(version, Slot.SHADOW), rows, nanos);
    }

    private Attributes scoringAttributes(ModelVersion version, Slot slot) {
        Attributes[] bySlot = scoringAttributes.computeIfAbsent(version, v -> new Attributes[Slot.values().length]);
        Attributes attributes = bySlot[slot.ordinal()];
        if (attributes == null) {
            // Two threads may both build it the first time: the same value, so either write stands.
            attributes = Attributes.of(MODEL, version.name().value(), VERSION, (long) version.number(), SLOT,
                    slot.wireName());
            bySlot[slot.ordinal()] = attributes;
        }
        return attributes;
    }

    private void span(Attributes attributes, int rows, long nanos) {
        // The port reports scoring after the fact, so the span is recorded with the time it actually took.
        Instant end = Instant.now();
        Span span = tracer.spanBuilder(TelemetryNames.SCORE_SPAN)
                .setSpanKind(SpanKind.INTERNAL)
                .setStartTimestamp(end.minus(Math.max(0, nanos), ChronoUnit.NANOS))
                .setAllAttributes(attributes)
                .setAttribute(ROWS, (long) Math.max(0, rows))
                .startSpan();
        span.end(end);
    }

    @Override
    public void failed(String operation, ErrorCode code) {
        Objects.requireNonNull(code, "code");
        Attributes attributes = Attributes.of(OPERATION, operation(operation), ERROR_CODE, code.name());
        errors.add(1, attributes);
        Span current = Span.current();
        current.setAttribute(ERROR_CODE, code.name());
        if (!code.isClientError()) {
            current.setStatus(StatusCode.ERROR, code.name());
        }
    }

    @Override
    public void registration(String outcome) {
        registrations.add(1, Attributes.of(OUTCOME, outcome(outcome)));
    }

    @Override
    public void event(String eventType, Optional<ModelName> model, String outcome) {
        Objects.requireNonNull(model, "model");
        AttributesBuilder attributes = Attributes.builder().put(EVENT_TYPE, known(EventTypes.vigil(), eventType))
                .put(OUTCOME, outcome(outcome));
        model.ifPresent(name -> attributes.put(MODEL, name.value()));
        events.add(1, attributes.build());
    }

    @Override
    public void auditVerified(boolean intact) {
        auditVerifications.add(1, Attributes.of(OUTCOME, intact ? "intact" : "broken"));
    }

    @Override
    public void gateChecked(ModelVersion version, String gate, String outcome) {
        Objects.requireNonNull(version, "version");
        gateChecks.add(1, Attributes.builder().put(MODEL, version.name().value()).put(VERSION, (long) version.number())
                .put(GATE, known(TelemetryNames.GATES, gate)).put(OUTCOME, outcome(outcome)).build());
    }

    @Override
    public void trafficWeight(ModelVersion version, Slot slot, int basisPoints) {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(slot, "slot");
        trafficWeight.set(basisPoints / 100.0, Attributes.of(MODEL, version.name().value(), VERSION,
                (long) version.number(), SLOT, slot.wireName()));
    }

    @Override
    public void canaryAnalysis(ModelVersion version, String outcome) {
        Objects.requireNonNull(version, "version");
        canaryAnalyses.add(1, Attributes.builder().put(MODEL, version.name().value()).put(VERSION, (long) version.number())
                .put(OUTCOME, outcome(outcome)).build());
    }

    @Override
    public void shadowMirrored(ModelVersion version, String outcome, int rows) {
        Objects.requireNonNull(version, "version");
        shadowMirrored.add(rows, Attributes.builder().put(MODEL, version.name().value())
                .put(VERSION, (long) version.number()).put(OUTCOME, outcome(outcome)).build());
    }

    @Override
    public void batchRows(ModelVersion version, String outcome, long rows) {
        Objects.requireNonNull(version, "version");
        if (rows > 0) {
            batchRows.add(rows, Attributes.builder().put(MODEL, version.name().value())
                    .put(VERSION, (long) version.number()).put(OUTCOME, outcome(outcome)).build());
        }
    }

    @Override
    public void approval(ModelVersion version, String outcome) {
        Objects.requireNonNull(version, "version");
        approvals.add(1, Attributes.of(MODEL, version.name().value(), VERSION, (long) version.number(), OUTCOME,
                outcome(outcome)));
    }

    @Override
    public void auditExport(String outcome) {
        auditExports.add(1, Attributes.of(OUTCOME, outcome(outcome)));
    }

    private static LongCounter counter(Meter meter, String name, String description) {
        return meter.counterBuilder(name).setUnit(unit(name)).setDescription(description).build();
    }

    private static String unit(String name) {
        return TelemetryNames.signal(name).orElseThrow(() -> new IllegalStateException(name + " is not catalogued"))
                .unit();
    }

    /** One of the catalogue's outcomes; anything else is {@code other}. */
    static String outcome(String value) {
        return known(TelemetryNames.OUTCOMES, value);
    }

    /** A function's name or a background step ({@link TelemetryNames#isOperation}); anything else is {@code other}. */
    static String operation(String value) {
        return TelemetryNames.isOperation(value) ? value : OTHER;
    }

    /** A feature's name as a schema may give it ({@link Feature#isValidName}), or {@code score}. */
    static String feature(String value) {
        return Feature.isValidName(value) ? value : OTHER;
    }

    /** {@code value} if the closed set {@code allowed} holds it, else {@code other}. */
    static String known(Set<String> allowed, String value) {
        return value != null && allowed.contains(value) ? value : OTHER;
    }
}
