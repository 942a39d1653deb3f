package health.vigil.adapter.azure;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.config.VigilConfig;
import health.vigil.events.BlobCreated;
import health.vigil.events.VigilEvent;
import health.vigil.platform.VigilPlatform;
import health.vigil.testing.samples.SampleModels;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.LongPointData;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Collection;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The platform as wired records the telemetry the workbooks and alerts are built on where it happens: an event
 * when it is published, a registration when it ends, an audit verification when it is run, an audit export when it
 * ends.
 */
class PlatformTelemetryTest {
    @TempDir
    Path home;

    @Test
    void registeringAPackageAndVerifyingAndExportingTheAuditLogAreCountedByTheWiredPlatform() {
        InMemoryMetricReader metrics = InMemoryMetricReader.create();
        List<VigilEvent> published = new CopyOnWriteArrayList<>();
        byte[] good = SampleModels.readmissionLogistic().zip();
        byte[] bad = "not a zip".getBytes(StandardCharsets.UTF_8);
        try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                        .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build()).build();
                VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(published::add)
                        .telemetry(new OpenTelemetryTelemetry(sdk)).build()) {
            platform.artifacts().put("models", "uploads/good.zip", new ByteArrayInputStream(good), false);
            platform.artifacts().put("models", "uploads/bad.zip", new ByteArrayInputStream(bad), false);
            platform.registration().register(new BlobCreated("evt-1", "models", "uploads/good.zip", null, good.length, null));
            platform.registration().register(new BlobCreated("evt-2", "models", "uploads/bad.zip", null, bad.length, null));
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            platform.audit().verify(today, today);
            platform.auditEvidence().export(today, today, "compliance-officer");

            Collection<MetricData> all = metrics.collectAllMetrics();
            assertThat(published).extracting(VigilEvent::type)
                    .containsExactlyInAnyOrder("Vigil.Model.Registered", "Vigil.Model.RegistrationRejected");
            assertThat(points(all, "vigil.events")).containsExactlyInAnyOrder(
                    "vigil.event.type=Vigil.Model.Registered vigil.model.name=" + SampleModels.READMISSION_NAME
                            + " vigil.outcome=published =1",
                    "vigil.event.type=Vigil.Model.RegistrationRejected vigil.outcome=published =1");
            assertThat(points(all, "vigil.registrations"))
                    .containsExactlyInAnyOrder("vigil.outcome=registered =1", "vigil.outcome=rejected =1");
            assertThat(points(all, "vigil.audit.verifications")).containsExactly("vigil.outcome=intact =1");
            assertThat(points(all, "vigil.audit.exports")).containsExactly("vigil.outcome=exported =1");
        }
    }

    /** Each point as its attributes in key order and its value, e.g. {@code vigil.outcome=rejected =1}. */
    private static List<String> points(Collection<MetricData> all, String name) {
        return all.stream().filter(m -> m.getName().equals(name)).flatMap(m -> m.getLongSumData().getPoints().stream())
                .map(p -> describe(p)).toList();
    }

    private static String describe(LongPointData point) {
        StringBuilder text = new StringBuilder();
        point.getAttributes().asMap().entrySet().stream()
                .sorted((a, b) -> a.getKey().getKey().compareTo(b.getKey().getKey()))
                .forEach(e -> text.append(e.getKey().getKey()).append('=').append(e.getValue()).append(' '));
        return text.append('=').append(point.getValue()).toString();
    }
}
