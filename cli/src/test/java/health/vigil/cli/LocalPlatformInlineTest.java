package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.config.VigilConfig;
import health.vigil.security.Authenticator;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    @Test
    void onlyACallerHoldingTheScoringRoleRunsInline(@TempDir Path home) throws Exception {
        Files.writeString(home.resolve("keys.json"), "{\"keys\": ["
                + "{\"id\": \"scorer\", \"key\": \"k-scorer-0123456789abcdef\", \"roles\": [\"Scoring.Invoke\"]},"
                + "{\"id\": \"uploader\", \"key\": \"k-uploader-0123456789abcdef\", \"roles\": [\"Models.Upload\"]}]}");
        Authenticator keys = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT).authenticator();
        Map<String, String> scorer = Map.of("x-api-key", "k-scorer-0123456789abcdef");
        Map<String, String> uploader = Map.of("x-api-key", "k-uploader-0123456789abcdef");

        for (String function : new String[] {"Score", "Infer", "InferVersion"}) {
            assertThat(LocalPlatform.allowedInline(keys, function, scorer)).as(function).isTrue();
            // Known, but refused with 403 and an audit record by the function: on a worker, not the selector.
            assertThat(LocalPlatform.allowedInline(keys, function, uploader)).as(function).isFalse();
            assertThat(LocalPlatform.allowedInline(keys, function, Map.of("x-api-key", "k-unknown"))).isFalse();
            assertThat(LocalPlatform.allowedInline(keys, function, Map.of())).isFalse();
        }
        // A function the rule does not name is never allowed inline, whatever the caller's roles.
        assertThat(LocalPlatform.allowedInline(keys, "Deploy", scorer)).isFalse();
    }
}
