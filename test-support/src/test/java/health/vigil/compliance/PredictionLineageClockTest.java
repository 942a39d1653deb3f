package health.vigil.compliance;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.platform.VigilPlatform;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.security.Principal;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.governance.SetUpRegistration;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SyntheticCohort;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A prediction's lineage reads the audit trail up to the platform's today, not the machine's. */
class PredictionLineageClockTest {
    /** Far from the machine's own date, so a read that took today from the machine would miss the whole trail. */
    private static final Instant START = Instant.parse("2100-02-28T23:00:00Z");

    @TempDir
    Path home;

    @Test
    void theLineageOfAPredictionHoldsTheDecisionsOfItsVersionWhateverDateTheMachineShows() {
        MutableClock clock = new MutableClock(START);
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(e -> { })
                .clock(clock).build()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionLogistic(), "a.zip");
            SetUpApproval.approve(platform, new ModelVersion(model, 1));
            platform.deployments().deploy(model, 1, Principal.SYSTEM);
            assertThat(lineageOfOnePrediction(platform, clock, model))
                    .hasEntrySatisfying("versionDecisions", decisions -> assertThat((List<?>) decisions).isNotEmpty())
                    .hasEntrySatisfying("deploymentAtPrediction", deployment -> assertThat(deployment).isNotNull());
        }
    }

    private static Map<String, Object> lineageOfOnePrediction(VigilPlatform platform, MutableClock clock,
            ModelName model) {
        SyntheticCohort cohort = SampleModels.readmissionCohort(1, 7);
        // Scored on 1 March 2100 (no 29 February that year), read the day after.
        clock.set(Instant.parse("2100-03-01T00:00:00Z"));
        String predictionId = platform.scoring().score(new ScoreRequest(model, null, List.of(new PatientRow("patient-1",
                Json.mapper().convertValue(cohort.records().get(0), new TypeReference<Map<String, JsonNode>>() { })))))
                .row(0).predictionId();
        clock.set(Instant.parse("2100-03-02T09:00:00Z"));
        return platform.lineage().of(predictionId, "compliance");
    }
}
