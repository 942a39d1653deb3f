package health.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.config.VigilConfig.PredictionLogDurability;
import health.vigil.error.ValidationException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code VIGIL_PREDICTION_LOG_DURABILITY} setting: its default, its two values, and a wrong value. */
class PredictionLogDurabilitySettingTest {

    @Test
    void survivingAKilledProcessIsTheDefault() {
        assertThat(VigilConfig.fromEnvironment(Map.of()).predictionLogDurability())
                .isEqualTo(PredictionLogDurability.PROCESS_CRASH);
        assertThat(VigilConfig.local(Path.of("home")).predictionLogDurability())
                .isEqualTo(PredictionLogDurability.PROCESS_CRASH);
    }

    @Test
    void powerLossDurabilityIsChosenBySetting() {
        assertThat(VigilConfig.fromEnvironment(Map.of("VIGIL_PREDICTION_LOG_DURABILITY", " Power-Loss "))
                .predictionLogDurability()).isEqualTo(PredictionLogDurability.POWER_LOSS);
        assertThat(VigilConfig.fromEnvironment(Map.of("VIGIL_PREDICTION_LOG_DURABILITY", "process-crash"))
                .predictionLogDurability()).isEqualTo(PredictionLogDurability.PROCESS_CRASH);
    }

    @Test
    void anUnknownValueNamesTheSettingAndItsValues() {
        assertThatThrownBy(() -> VigilConfig.fromEnvironment(Map.of("VIGIL_PREDICTION_LOG_DURABILITY", "fsync")))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("VIGIL_PREDICTION_LOG_DURABILITY")
                .hasMessageContaining("process-crash")
                .hasMessageContaining("power-loss");
    }

    @Test
    void changingTheLimitsKeepsTheDurability() {
        VigilConfig config = VigilConfig.local(Path.of("home"))
                .withPredictionLogDurability(PredictionLogDurability.POWER_LOSS)
                .withLimits(VigilConfig.Limits.DEFAULTS);
        assertThat(config.predictionLogDurability()).isEqualTo(PredictionLogDurability.POWER_LOSS);
    }
}
