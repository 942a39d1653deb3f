package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.config.VigilConfig;
import health.vigil.functions.common.VigilInstanceInjector;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.scoring.batch.BatchService;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.logging.Level;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The daily retention run as the host runs it, against the platform's local stores. */
class RetentionFunctionsTest {
    private static final Instant NOW = Instant.parse("2026-03-02T02:30:00Z");
    private static final Duration RETENTION = Duration.ofDays(30);

    @TempDir
    Path home;

    /**
     * The run's log line counts the request files that went without a job, and those kept as written again, beside the
     * rest, and names none of them.
     */
    @Test
    void theRunsLogLineCountsTheRequestFilesNoJobNamed() throws Exception {
        VigilConfig config = new VigilConfig(VigilConfig.Mode.LOCAL, home, VigilConfig.Limits.DEFAULTS, RETENTION,
                Map.of());
        try (VigilPlatform platform = VigilPlatform.builder(config).clock(Clock.fixed(NOW, ZoneOffset.UTC))
                .eventPublisher(event -> { }).build()) {
            for (String name : new String[] {"forgotten.csv", "refused.csv"}) {
                String blob = BatchService.REQUESTED_PREFIX + name;
                platform.artifacts().put(ArtifactStore.BATCH_INPUT, blob, new ByteArrayInputStream(
                        "patientId,age\nsecret-patient-1,40\n".getBytes(StandardCharsets.UTF_8)), true);
                Files.setLastModifiedTime(home.resolve("blobs").resolve(ArtifactStore.BATCH_INPUT).resolve(blob),
                        FileTime.from(NOW.minus(RETENTION).minus(Duration.ofDays(1))));
            }
            RetentionFunctions functions = new VigilInstanceInjector(() -> platform)
                    .getInstance(RetentionFunctions.class);
            RecordingContext context = new RecordingContext("PredictionRetention");

            functions.run("timer", context);

            assertThat(context.logged()).singleElement().satisfies(line -> {
                assertThat(line.getLevel()).isEqualTo(Level.INFO);
                assertThat(line.getMessage()).contains("the files of 0 finished batch jobs, 2 batch request files no"
                        + " job named (0 more kept: written again before their removal),")
                        .doesNotContain("forgotten").doesNotContain("secret-patient");
            });
            assertThat(platform.artifacts().list(ArtifactStore.BATCH_INPUT, BatchService.REQUESTED_PREFIX)).isEmpty();
        }
    }
}
