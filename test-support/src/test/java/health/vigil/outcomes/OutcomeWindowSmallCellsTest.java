package health.vigil.outcomes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoredRow;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SyntheticCohort;
import health.vigil.testing.samples.PatientRows;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The outcome feed's window as an operator reads it ({@code GET /models/{name}/outcomes}), on the platform's real
 * local stores and the model's default monitoring policy: counts of a few outcomes are withheld as a monitoring
 * report's window totals are, with the share that would give them back, and {@code suppressed} says why.
 */
class OutcomeWindowSmallCellsTest {
    private static final Instant SCORED = Instant.parse("2026-12-01T10:10:00Z");

    @TempDir
    Path home;

    private final MutableClock clock = new MutableClock(SCORED);
    private VigilPlatform platform;
    private ModelName model;
    private List<ScoredRow> scored;

    @BeforeEach
    void fortyPredictionsOfADeployedModel() {
        platform = VigilPlatform.builder(VigilConfig.local(home)).clock(clock).eventPublisher(event -> { }).build();
        model = SetUpApproval.deployFirstVersion(platform, SampleModels.readmissionLogistic(), "readmission.zip");
        SyntheticCohort cohort = SampleModels.readmissionCohort(40, 3);
        List<PatientRow> rows = new ArrayList<>();
        for (int i = 0; i < cohort.rows(); i++) {
            rows.add(PatientRows.of("patient-" + i, cohort.records().get(i)));
        }
        scored = platform.scoring().score(new ScoreRequest(model, null, rows)).rows();
        clock.advance(Duration.ofMinutes(5));
    }

    @AfterEach
    void close() {
        platform.close();
    }

    @Test
    void aFewOutcomesShowNeitherCountNorTheShareAndAFewPositivesAreWithheld() {
        label(0, 3, 1);

        JsonNode three = window();
        assertThat(three.get("predictions").asLong()).isEqualTo(40);
        assertThat(three.has("labelled")).as(three.toString()).isFalse();
        assertThat(three.has("positives")).isFalse();
        assertThat(three.get("labelledFraction").isNull()).isTrue();
        assertThat(three.get("suppressed").asText()).isEqualTo("fewer than 11 outcomes");
        assertThat(three.get("parts")).singleElement().satisfies(part -> {
            assertThat(part.get("predictions").asLong()).isEqualTo(40);
            assertThat(part.has("labelled")).isFalse();
            assertThat(part.has("positives")).isFalse();
            assertThat(part.get("labelledFraction").isNull()).isTrue();
            assertThat(part.get("suppressed").asText()).isEqualTo("fewer than 11 outcomes");
        });

        // 30 outcomes, still 1 positive: the outcomes are shown, the positives (and so the negatives) are not.
        label(3, 27, 0);

        JsonNode thirty = window();
        assertThat(thirty.get("labelled").asLong()).isEqualTo(30);
        assertThat(thirty.get("labelledFraction").asDouble()).isEqualTo(0.75);
        assertThat(thirty.has("positives")).as(thirty.toString()).isFalse();
        assertThat(thirty.get("suppressed").asText())
                .isEqualTo("fewer than 11 positive or fewer than 11 negative outcomes");
        assertThat(thirty.at("/parts/0/labelled").asLong()).isEqualTo(30);
        assertThat(thirty.at("/parts/0").has("positives")).isFalse();
    }

    /** Outcomes for the predictions {@code from} to {@code from + count - 1}, the first {@code positives} positive. */
    private void label(int from, int count, int positives) {
        List<Map<String, Object>> outcomes = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            outcomes.add(Map.of("predictionId", scored.get(from + i).predictionId(), "outcome", i < positives ? 1 : 0));
        }
        String body = Json.write(Map.of("model", model.value(), "outcomes", outcomes));
        assertThat(platform.outcomes().submit("outcomes-feed", body,
                Json.readTree("outcomes", body.getBytes(StandardCharsets.UTF_8))).recorded()).isEqualTo(count);
    }

    /** The window around the predictions, as the route writes it. */
    private JsonNode window() {
        return Json.readTree("window", Json.write(platform.outcomeJoin().labelled(model,
                SCORED.minus(Duration.ofHours(1)), SCORED.plus(Duration.ofHours(1)))));
    }
}
