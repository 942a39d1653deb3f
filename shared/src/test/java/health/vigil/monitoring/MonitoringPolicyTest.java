package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** What a monitoring policy accepts, when it judges the realised AUROC, and how a stored one reads back. */
class MonitoringPolicyTest {
    private static final MonitoringPolicy POLICY = MonitoringPolicy.DEFAULTS;

    private static LabelledPerformance outcomes(long labelled, long positives) {
        return new LabelledPerformance(labelled, positives, 0.5, 0.4, 0.6, null, 0.1, 0.05, 0.15, null, null);
    }

    @Test
    void theRealisedAurocIsJudgedOnlyWithTheMinimumOfOutcomesAndOfEachClass() {
        assertThat(POLICY.minLabelled()).isEqualTo(50);
        assertThat(POLICY.minLabelledPerClass()).isEqualTo(10);

        assertThat(POLICY.judgesAuroc(outcomes(60, 1))).as("one positive").isFalse();
        assertThat(POLICY.judgesAuroc(outcomes(60, 59))).as("one negative").isFalse();
        assertThat(POLICY.judgesAuroc(outcomes(60, 9))).as("nine positives").isFalse();
        assertThat(POLICY.judgesAuroc(outcomes(60, 10))).as("ten positives, fifty negatives").isTrue();
        assertThat(POLICY.judgesAuroc(outcomes(60, 50))).as("fifty positives, ten negatives").isTrue();
        assertThat(POLICY.judgesAuroc(outcomes(49, 20))).as("fewer outcomes than minLabelled").isFalse();
    }

    @Test
    void aPerClassMinimumBelowOneIsRefusedWithTheSettingNamed() {
        assertThatThrownBy(() -> new MonitoringPolicy(Duration.ofHours(1), DriftThresholds.DEFAULTS, 1, 50, 0, 0.6,
                0.25, 0.6)).isInstanceOf(ValidationException.class)
                .hasMessage("minLabelledPerClass must be at least 1; it is 0");
    }

    @Test
    void aStoredPolicyReadsBackAndOneStoredBeforeThePerClassMinimumJudgedWithOneOfEach() {
        String stored = Json.write(POLICY);
        assertThat(Json.read("policy", stored, MonitoringPolicy.class)).isEqualTo(POLICY);

        ObjectNode older = (ObjectNode) Json.readTree("policy", stored);
        older.remove("minLabelledPerClass");
        MonitoringPolicy read = Json.read("policy", Json.write(older), MonitoringPolicy.class);

        assertThat(read.minLabelledPerClass()).isEqualTo(1);
        assertThat(read.minLabelled()).isEqualTo(POLICY.minLabelled());
        assertThat(read.minAuroc()).isEqualTo(POLICY.minAuroc());
        assertThat(read.window()).isEqualTo(POLICY.window());
    }
}
