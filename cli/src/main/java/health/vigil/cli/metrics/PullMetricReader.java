package health.vigil.cli.metrics;

import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.metrics.InstrumentType;
import io.opentelemetry.sdk.metrics.data.AggregationTemporality;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.metrics.export.CollectionRegistration;
import io.opentelemetry.sdk.metrics.export.MetricReader;
import java.util.Collection;
import java.util.List;
import java.util.Objects;

/**
 * A metric reader that sends nothing anywhere: it reads the meter provider it is registered with only when asked
 * ({@link #collect}), as a request for {@code GET /metrics} does. Every instrument is read cumulatively, so each read
 * gives the totals since the meter provider started, as a Prometheus scrape expects.
 */
public final class PullMetricReader implements MetricReader {
    private volatile CollectionRegistration registration = CollectionRegistration.noop();

    @Override
    public void register(CollectionRegistration registration) {
        this.registration = Objects.requireNonNull(registration, "registration");
    }

    @Override
    public AggregationTemporality getAggregationTemporality(InstrumentType instrumentType) {
        return AggregationTemporality.CUMULATIVE;
    }

    /** Every metric recorded so far, with its points; none once the reader is shut down. */
    public Collection<MetricData> collect() {
        Collection<MetricData> all = registration.collectAllMetrics();
        return all == null ? List.of() : all;
    }

    /** Nothing is buffered: there is nothing to flush. */
    @Override
    public CompletableResultCode forceFlush() {
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public CompletableResultCode shutdown() {
        registration = CollectionRegistration.noop();
        return CompletableResultCode.ofSuccess();
    }

    @Override
    public String toString() {
        return "PullMetricReader";
    }
}
