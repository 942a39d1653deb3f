package health.vigil.cli.metrics;

import health.vigil.adapter.azure.OpenTelemetryTelemetry;
import health.vigil.port.Telemetry;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.metrics.MeterProvider;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import java.util.List;

/**
 * The metrics of {@code vigil up}: the same telemetry adapter Azure records through, with the same names and
 * attributes, recording into an SDK meter provider of its own that only {@link #scrape} reads. Nothing is exported
 * and no span is kept (spans are not metrics): the tracer is the API's no-op one.
 */
public final class LocalMetrics implements AutoCloseable {
    private final PullMetricReader reader = new PullMetricReader();
    private final SdkMeterProvider meters = SdkMeterProvider.builder().registerMetricReader(reader).build();
    private final Telemetry telemetry = new OpenTelemetryTelemetry(new OpenTelemetry() {
        @Override
        public TracerProvider getTracerProvider() {
            return TracerProvider.noop();
        }

        @Override
        public MeterProvider getMeterProvider() {
            return meters;
        }

        @Override
        public ContextPropagators getPropagators() {
            return ContextPropagators.noop();
        }
    });

    /** What the platform records through ({@code VigilPlatform.Builder#telemetry}). */
    public Telemetry telemetry() {
        return telemetry;
    }

    /** Every metric recorded since the start, in the Prometheus text exposition format. */
    public String scrape() {
        return PrometheusText.render(reader.collect());
    }

    /**
     * Every metric recorded since the start as rows, read back from {@link #scrape}'s text as {@code vigil metrics}
     * reads it, so a histogram's estimated quantiles are the ones it prints.
     */
    public List<MetricRow> rows() {
        return MetricRow.rows(PrometheusText.parse(scrape()));
    }

    @Override
    public void close() {
        meters.close();
    }
}
