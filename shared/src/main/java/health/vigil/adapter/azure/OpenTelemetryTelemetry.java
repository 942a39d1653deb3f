package health.vigil.adapter.azure;

import health.vigil.error.ErrorCode;
import health.vigil.model.ModelVersion;
import health.vigil.model.Slot;
import health.vigil.port.Telemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
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
import java.util.regex.Pattern;

/**
 * Vigil's metrics and spans on the OpenTelemetry API. In Azure the Application Insights Java agent supplies the
 * SDK behind {@code GlobalOpenTelemetry} and exports to Azure Monitor; without an agent everything is a no-op. The
 * names, units and attributes are listed in {@code docs/telemetry.md}, which the workbooks are built on. Attributes
 * are model ids, slots, error codes, outcomes and event types only; free-text values that do not look like an
 * identifier are replaced by {@code other}, so no caller can smuggle patient data into telemetry.
 */
final class OpenTelemetryTelemetry implements Telemetry {
    static final String INSTRUMENTATION = "health.vigil";

    static final String SCORING_DURATION = "vigil.scoring.duration";
    static final String SCORING_ROWS = "vigil.scoring.rows";
    static final String ERRORS = "vigil.errors";
    static final String REGISTRATIONS = "vigil.registrations";
    static final String EVENTS = "vigil.events";
    static final String SCORE_SPAN = "vigil.score";

    static final AttributeKey<String> MODEL = AttributeKey.stringKey("vigil.model.name");
    static final AttributeKey<Long> VERSION = AttributeKey.longKey("vigil.model.version");
    static final AttributeKey<String> SLOT = AttributeKey.stringKey("vigil.traffic_slot");
    static final AttributeKey<Long> ROWS = AttributeKey.longKey("vigil.scoring.rows");
    static final AttributeKey<String> OPERATION = AttributeKey.stringKey("vigil.operation");
    static final AttributeKey<String> ERROR_CODE = AttributeKey.stringKey("vigil.error.code");
    static final AttributeKey<String> OUTCOME = AttributeKey.stringKey("vigil.outcome");
    static final AttributeKey<String> EVENT_TYPE = AttributeKey.stringKey("vigil.event.type");

    static final String OTHER = "other";
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z][A-Za-z0-9._-]{0,63}");

    private final Tracer tracer;
    private final DoubleHistogram scoringDuration;
    private final LongCounter scoringRows;
    private final LongCounter errors;
    private final LongCounter registrations;
    private final LongCounter events;

    OpenTelemetryTelemetry(OpenTelemetry openTelemetry) {
        Objects.requireNonNull(openTelemetry, "openTelemetry");
        Meter meter = openTelemetry.getMeter(INSTRUMENTATION);
        this.tracer = openTelemetry.getTracer(INSTRUMENTATION);
        this.scoringDuration = meter.histogramBuilder(SCORING_DURATION)
                .setUnit("s")
                .setDescription("Time to score one request, all its rows, in the model runtime")
                .setExplicitBucketBoundariesAdvice(List.of(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                        0.5, 1.0, 2.5, 5.0))
                .build();
        this.scoringRows = meter.counterBuilder(SCORING_ROWS).setUnit("{row}")
                .setDescription("Rows (patients) scored").build();
        this.errors = meter.counterBuilder(ERRORS).setUnit("{error}")
                .setDescription("Failed operations by Vigil error code").build();
        this.registrations = meter.counterBuilder(REGISTRATIONS).setUnit("{registration}")
                .setDescription("Model package registrations by outcome").build();
        this.events = meter.counterBuilder(EVENTS).setUnit("{event}")
                .setDescription("Vigil events raised, by type (gate outcomes, approvals, canary steps, drift)").build();
    }

    @Override
    public void scored(ModelVersion version, Slot slot, int rows, long nanos) {
        Objects.requireNonNull(version, "version");
        Objects.requireNonNull(slot, "slot");
        Attributes attributes = Attributes.of(MODEL, version.name().value(), VERSION, (long) version.number(),
                SLOT, slot.wireName());
        scoringDuration.record(Math.max(0, nanos) / 1e9, attributes);
        scoringRows.add(Math.max(0, rows), attributes);
        // The port reports scoring after the fact, so the span is recorded with the time it actually took.
        Instant end = Instant.now();
        Span span = tracer.spanBuilder(SCORE_SPAN)
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
        Attributes attributes = Attributes.of(OPERATION, safe(operation), ERROR_CODE, code.name());
        errors.add(1, attributes);
        Span current = Span.current();
        current.setAttribute(ERROR_CODE, code.name());
        if (!code.isClientError()) {
            current.setStatus(StatusCode.ERROR, code.name());
        }
    }

    @Override
    public void registration(String outcome) {
        registrations.add(1, Attributes.of(OUTCOME, safe(outcome)));
    }

    @Override
    public void event(String eventType) {
        events.add(1, Attributes.of(EVENT_TYPE, safe(eventType)));
    }

    /** Keeps identifiers such as {@code score} or {@code Vigil.Gates.Passed}; anything else becomes {@code other}. */
    static String safe(String value) {
        return value != null && IDENTIFIER.matcher(value).matches() ? value : OTHER;
    }
}
