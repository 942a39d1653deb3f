package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
import health.vigil.model.Deployment;
import health.vigil.model.Experiment;
import health.vigil.model.ExperimentMetric;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.TrafficSlot;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What {@code GET /models/{name}/canary} answers about the canary slot: the ramp while one is in force, and the
 * experiment whose treatment holds the slot while one runs, never the ramp kept from before it as if it routed
 * patients.
 */
class CanaryViewTest {
    private static final ModelName MODEL = new ModelName("readmission");
    private static final Instant AT = Instant.parse("2026-12-05T10:00:00Z");
    /** Version 2's ramp, promoted to all traffic before the experiment. */
    private static final CanaryRamp PROMOTED = new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS, 600,
            CanaryPolicy.DEFAULT, CanaryStatus.PROMOTED, 4, AT, AT, 0, "ops-oncall", AT.minusSeconds(3_600), "promoted",
            "promoted by ops-oncall", List.of());
    private static final Experiment RUNNING = new Experiment("readmission-9", 2, 3, 2_000, ExperimentMetric.FLAG_RATE,
            0.2, 0.05, null, 0.05, 0.8, 1_000, 1_000, Experiment.RUNNING, "ops-lead", AT.plusSeconds(60), null, null);

    private static JsonNode view(Deployment d) {
        return Json.readTree("the canary view", Json.write(CanaryFunctions.view(d)));
    }

    private static Deployment experimentAfter(CanaryRamp ramp, Experiment experiment) {
        return new Deployment(MODEL, List.of(new TrafficSlot(Slot.STABLE, 2, 8_000),
                new TrafficSlot(Slot.CANARY, 3, 2_000)), 7, "ops-lead", AT.plusSeconds(60), "etag", ramp, experiment,
                "experiment.started");
    }

    @Test
    void whileAnExperimentRunsTheAnswerNamesItsArmsAndWhereToFollowItAndGivesTheOldRampOnlyAsHowItEnded() {
        JsonNode answer = view(experimentAfter(PROMOTED, RUNNING));

        JsonNode e = answer.path("experiment");
        assertThat(e.path("id").asText()).isEqualTo("readmission-9");
        assertThat(e.path("status").asText()).isEqualTo("running");
        assertThat(e.path("controlVersion").asInt()).isEqualTo(2);
        assertThat(e.path("controlBasisPoints").asInt()).isEqualTo(8_000);
        assertThat(e.path("treatmentVersion").asInt()).isEqualTo(3);
        assertThat(e.path("treatmentBasisPoints").asInt()).isEqualTo(2_000);
        assertThat(e.path("primaryMetric").asText()).isEqualTo("flag_rate");
        assertThat(e.path("startedBy").asText()).isEqualTo("ops-lead");
        assertThat(e.path("startedAt").asText()).isEqualTo("2026-12-05T10:01:00Z");
        assertThat(e.path("read").asText()).isEqualTo("GET /models/readmission/experiments");
        assertThat(e.path("report").asText()).isEqualTo("GET /models/readmission/experiments/report");
        assertThat(e.path("stop").asText()).isEqualTo("POST /models/readmission/experiments/stop");
        // A promoted ramp at "100 %" beside a canary slot at 20 % is not what routes patients.
        assertThat(answer.has("canary")).as(answer.toString()).isFalse();
        assertThat(answer.path("lastCanary").path("version").asInt()).isEqualTo(2);
        assertThat(answer.path("lastCanary").path("status").asText()).isEqualTo("promoted");
        assertThat(answer.path("lastCanary").path("read").asText())
                .isEqualTo("GET /models/readmission/versions/2/canary");
    }

    @Test
    void theAnalysesOfARampThatEndedBeforeARunningExperimentNameTheExperimentRoutingPatientsNow() {
        JsonNode answer = Json.readTree("the canary analysis",
                Json.write(CanaryFunctions.analysis(experimentAfter(PROMOTED, RUNNING))));

        assertThat(answer.path("version").asInt()).isEqualTo(2);
        assertThat(answer.path("status").asText()).isEqualTo("promoted");
        JsonNode e = answer.path("experiment");
        assertThat(e.path("id").asText()).as(answer.toString()).isEqualTo("readmission-9");
        assertThat(e.path("treatmentVersion").asInt()).isEqualTo(3);
        assertThat(e.path("treatmentBasisPoints").asInt()).isEqualTo(2_000);
        assertThat(e.path("report").asText()).isEqualTo("GET /models/readmission/experiments/report");

        Deployment ramping = new Deployment(MODEL, List.of(new TrafficSlot(Slot.STABLE, 2, TrafficSlot.ALL)), 8,
                "ops-lead", AT.plusSeconds(120), "etag", PROMOTED, RUNNING.stopped("ops-lead", AT.plusSeconds(120)),
                "experiment.stopped");
        assertThat(Json.readTree("the canary analysis", Json.write(CanaryFunctions.analysis(ramping))).has("experiment"))
                .isFalse();
    }

    @Test
    void aRampInForceIsShownAsBeforeAndAStoppedExperimentIsNotNamed() {
        CanaryRamp running = new CanaryRamp(3, 2, CanaryRamp.DEFAULT_STEPS, 600, CanaryPolicy.DEFAULT,
                CanaryStatus.RUNNING, 0, AT, AT.plusSeconds(600), 0, "ops-oncall", AT, "started", "started", List.of());
        Deployment ramping = new Deployment(MODEL, List.of(new TrafficSlot(Slot.STABLE, 2, 9_900),
                new TrafficSlot(Slot.CANARY, 3, 100)), 9, "ops-oncall", AT, "etag", running,
                RUNNING.stopped("ops-lead", AT.minusSeconds(60)), null);

        JsonNode answer = view(ramping);

        assertThat(answer.path("canary").path("status").asText()).isEqualTo("running");
        assertThat(answer.path("canary").path("weightBasisPoints").asInt()).isEqualTo(100);
        assertThat(answer.has("experiment")).isFalse();
        assertThat(answer.has("lastCanary")).isFalse();
    }

    @Test
    void theShadowAnswerNamesARunningExperimentWhoseTreatmentHoldsTheCanarySlot() {
        Deployment withShadow = new Deployment(MODEL, List.of(new TrafficSlot(Slot.STABLE, 2, 8_000),
                new TrafficSlot(Slot.CANARY, 3, 2_000), new TrafficSlot(Slot.SHADOW, 4, 1_000)), 8, "ops-lead",
                AT.plusSeconds(120), "etag", PROMOTED, RUNNING, "shadow.started");

        JsonNode answer = Json.readTree("the shadow view", Json.write(ShadowFunctions.view(withShadow)));

        assertThat(answer.path("shadowVersion").asInt()).isEqualTo(4);
        assertThat(answer.path("experiment").path("id").asText()).isEqualTo("readmission-9");
        assertThat(answer.path("experiment").path("treatmentBasisPoints").asInt()).isEqualTo(2_000);
        assertThat(answer.path("experiment").path("stop").asText())
                .isEqualTo("POST /models/readmission/experiments/stop");
        JsonNode stopped = Json.readTree("the shadow view", Json.write(ShadowFunctions.view(new Deployment(MODEL,
                withShadow.slots(), 9, "ops-lead", AT.plusSeconds(180), "etag", PROMOTED,
                RUNNING.stopped("ops-lead", AT.plusSeconds(170)), null))));
        assertThat(stopped.has("experiment")).isFalse();
    }
}
