package health.vigil.cli.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pull reader reads the SDK's totals when asked, and the text it is rendered as is Prometheus's exposition
 * format: dots as underscores, counters as {@code _total}, histograms as cumulative buckets, sum and count, and label
 * values escaped as the format escapes them.
 */
class PrometheusTextTest {
    private static final AttributeKey<String> MODEL = AttributeKey.stringKey("vigil.model.name");
    private static final AttributeKey<Long> VERSION = AttributeKey.longKey("vigil.model.version");

    private final PullMetricReader reader = new PullMetricReader();
    private final SdkMeterProvider provider = SdkMeterProvider.builder().registerMetricReader(reader).build();
    private final Meter meter = provider.get("health.vigil");

    @AfterEach
    void close() {
        provider.close();
    }

    @Test
    void aCounterIsItsTotalSinceTheStartUnderItsNameWithDotsAsUnderscoresAndTotal() {
        LongCounter rows = meter.counterBuilder("vigil.scoring.rows").setUnit("{row}").setDescription("Rows scored")
                .build();
        rows.add(2, Attributes.of(MODEL, "readmission", VERSION, 3L));
        rows.add(1, Attributes.of(MODEL, "readmission", VERSION, 3L));
        rows.add(5, Attributes.of(MODEL, "sepsis", VERSION, 1L));

        assertThat(PrometheusText.render(reader.collect())).isEqualTo("""
                # HELP vigil_scoring_rows_total Rows scored
                # TYPE vigil_scoring_rows_total counter
                vigil_scoring_rows_total{vigil_model_name="readmission",vigil_model_version="3"} 3
                vigil_scoring_rows_total{vigil_model_name="sepsis",vigil_model_version="1"} 5
                """);

        // Cumulative: the next read still holds what the first one read, plus what came since.
        rows.add(4, Attributes.of(MODEL, "sepsis", VERSION, 1L));
        assertThat(PrometheusText.render(reader.collect()))
                .contains("vigil_scoring_rows_total{vigil_model_name=\"sepsis\",vigil_model_version=\"1\"} 9\n");
    }

    @Test
    void aHistogramIsCumulativeBucketsUpToInfinityThenItsSumAndCount() {
        DoubleHistogram duration = meter.histogramBuilder("vigil.scoring.duration").setUnit("s")
                .setDescription("Time to score").setExplicitBucketBoundariesAdvice(List.of(0.005, 0.01, 0.5)).build();
        Attributes stable = Attributes.of(MODEL, "readmission", AttributeKey.stringKey("vigil.traffic_slot"), "stable");
        // Powers of two, so the sum is exact.
        duration.record(0.00390625, stable);
        duration.record(0.0078125, stable);
        duration.record(0.25, stable);
        duration.record(2.0, stable);

        String labels = "vigil_model_name=\"readmission\",vigil_traffic_slot=\"stable\"";
        assertThat(PrometheusText.render(reader.collect())).isEqualTo("""
                # HELP vigil_scoring_duration Time to score
                # TYPE vigil_scoring_duration histogram
                vigil_scoring_duration_bucket{%1$s,le="0.005"} 1
                vigil_scoring_duration_bucket{%1$s,le="0.01"} 2
                vigil_scoring_duration_bucket{%1$s,le="0.5"} 3
                vigil_scoring_duration_bucket{%1$s,le="+Inf"} 4
                vigil_scoring_duration_sum{%1$s} 2.26171875
                vigil_scoring_duration_count{%1$s} 4
                """.formatted(labels));
    }

    @Test
    void labelValuesEscapeBackslashQuoteAndLineFeedAndReadBackAsTheyWere() {
        String awkward = "a\\b\"c\nd";
        meter.counterBuilder("vigil.errors").build().add(1, Attributes.of(AttributeKey.stringKey("vigil.error.code"),
                awkward));
        meter.gaugeBuilder("vigil.traffic.weight").build().set(12.5, Attributes.empty());

        String text = PrometheusText.render(reader.collect());

        assertThat(text).contains("vigil_errors_total{vigil_error_code=\"a\\\\b\\\"c\\nd\"} 1\n")
                .contains("# TYPE vigil_traffic_weight gauge\nvigil_traffic_weight 12.5\n")
                .doesNotContain("c\nd");
        assertThat(PrometheusText.parse(text)).containsExactly(
                new PrometheusText.Sample("vigil_errors_total", "counter", Map.of("vigil_error_code", awkward), 1),
                new PrometheusText.Sample("vigil_traffic_weight", "gauge", Map.of(), 12.5));
    }

    @Test
    void aHistogramsSamplesReadBackAsOfTheHistogramsFamily() {
        meter.histogramBuilder("vigil.scoring.duration").setExplicitBucketBoundariesAdvice(List.of(1.0)).build()
                .record(0.5);

        assertThat(PrometheusText.parse(PrometheusText.render(reader.collect())))
                .extracting(s -> s.name() + " " + s.type() + " " + s.labels() + " " + s.value())
                .containsExactly("vigil_scoring_duration_bucket histogram {le=1} 1.0",
                        "vigil_scoring_duration_bucket histogram {le=+Inf} 1.0",
                        "vigil_scoring_duration_sum histogram {} 0.5",
                        "vigil_scoring_duration_count histogram {} 1.0");
    }

    @Test
    void aReaderThatIsShutDownReadsNothingAndTextThatIsNotSamplesIsRefusedWithItsLine() {
        meter.counterBuilder("vigil.registrations").build().add(1);
        assertThat(reader.collect()).hasSize(1);
        provider.shutdown();
        assertThat(reader.collect()).isEmpty();

        assertThatThrownBy(() -> PrometheusText.parse("# TYPE x counter\nx 1\n<html>oops</html>\n"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("line 3");
    }
}
