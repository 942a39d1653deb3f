package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which requests `vigil up` runs on the selector thread that read them (ADR 0026, 0027). */
class LocalPlatformInlineTest {

    @Test
    void scoringWithoutExplanationsRunsInline() {
        assertThat(LocalPlatform.runsInline("Score", Map.of("explain", "false"))).isTrue();
        assertThat(LocalPlatform.runsInline("Score", Map.of("explain", "FALSE"))).isTrue();
        assertThat(LocalPlatform.runsInline("Score", Map.of("explain", "0"))).isTrue();
        assertThat(LocalPlatform.runsInline("Infer", Map.of())).isTrue();
        assertThat(LocalPlatform.runsInline("InferVersion", Map.of())).isTrue();
    }

    @Test
    void explainedScoresAndEveryOtherFunctionWaitForAWorker() {
        assertThat(LocalPlatform.runsInline("Score", Map.of())).isFalse();
        assertThat(LocalPlatform.runsInline("Score", Map.of("explain", "true"))).isFalse();
        assertThat(LocalPlatform.runsInline("Score", Map.of("explain", "maybe"))).isFalse();
        assertThat(LocalPlatform.runsInline("Deploy", Map.of("explain", "false"))).isFalse();
        assertThat(LocalPlatform.runsInline("PredictionExplanation", Map.of())).isFalse();
    }

    @Test
    void explainedScoresRunInlineOnlyWhenAloneOnTheirSelectorAndNothingElseDoes() {
        assertThat(LocalPlatform.runsInlineWhenAlone("Score", Map.of())).isTrue();
        assertThat(LocalPlatform.runsInlineWhenAlone("Score", Map.of("explain", "true"))).isTrue();
        assertThat(LocalPlatform.runsInlineWhenAlone("Deploy", Map.of())).isFalse();
        assertThat(LocalPlatform.runsInlineWhenAlone("PredictionExplanation", Map.of())).isFalse();
        assertThat(LocalPlatform.runsInlineWhenAlone("Approve", Map.of())).isFalse();
    }
}
