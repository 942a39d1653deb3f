package health.vigil.outcomes;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.samples.SampleModels;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Through the platform's real local stores: the daily retention run removes the realised outcomes of predictions past
 * the period and the outcome files written before its cut-off, with the prediction records, and keeps the rest.
 */
class OutcomesGoWithTheirPredictionsTest {
    private static final Duration RETENTION = Duration.ofDays(30);

    @TempDir
    Path home;

    private final MutableClock clock = new MutableClock(Instant.parse("2026-03-02T08:00:00Z"));
    private VigilPlatform platform;
    private ModelName model;

    @BeforeEach
    void aDeployedModel() {
        VigilConfig config = new VigilConfig(VigilConfig.Mode.LOCAL, home, VigilConfig.Limits.DEFAULTS, RETENTION,
                Map.of());
        platform = VigilPlatform.builder(config).clock(clock).eventPublisher(event -> { }).build();
        model = SetUpApproval.deployFirstVersion(platform, SampleModels.readmissionTrees(), "trees.zip");
    }

    @AfterEach
    void close() {
        platform.close();
    }

    @Test
    void theRetentionRunRemovesOutcomesAndOutcomeFilesPastThePeriod() {
        submit("patient-0001", "2026-03-01T10:00:00Z", "feed");
        upload("old.csv");
        clock.advance(RETENTION.plusDays(2));
        submit("patient-0002", clock.instant().minus(Duration.ofDays(1)).toString(), "feed");
        upload("recent.csv");

        assertThat(platform.predictionRetention().purgeExpired().outcomes()).isEqualTo(1);

        assertThat(platform.artifacts().describe(ArtifactStore.OUTCOMES, "old.csv")).isEmpty();
        assertThat(platform.artifacts().describe(ArtifactStore.OUTCOMES, "recent.csv")).isPresent();
        // Sent again: the old outcome is past the cut-off, so it is refused rather than stored to label nothing; the
        // recent one is still there.
        assertThat(submit("patient-0001", "2026-03-01T10:00:00Z", "feed again").invalid()).isEqualTo(1);
        assertThat(submit("patient-0002", clock.instant().minus(Duration.ofDays(1)).toString(), "feed again")
                .alreadyRecorded()).isEqualTo(1);
    }

    private OutcomeReceipt submit(String patient, String indexTime, String caller) {
        String body = "{\"model\": \"" + model.value() + "\", \"outcomes\": [{\"patientId\": \"" + patient
                + "\", \"indexTime\": \"" + indexTime + "\", \"outcome\": 1}]}";
        return platform.outcomes().submit(caller, body,
                Json.readTree("outcomes", body.getBytes(StandardCharsets.UTF_8)));
    }

    private void upload(String name) {
        byte[] csv = "model,patientId,indexTime,outcome\n".getBytes(StandardCharsets.UTF_8);
        platform.artifacts().put(ArtifactStore.OUTCOMES, name, new ByteArrayInputStream(csv), true);
        try {
            Files.setLastModifiedTime(home.resolve("blobs").resolve(ArtifactStore.OUTCOMES).resolve(name),
                    FileTime.from(clock.instant()));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
