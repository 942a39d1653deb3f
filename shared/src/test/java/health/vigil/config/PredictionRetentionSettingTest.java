package health.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code VIGIL_PREDICTION_RETENTION_DAYS} setting: its default, its range, and values outside it. */
class PredictionRetentionSettingTest {
    private static final String SETTING = "VIGIL_PREDICTION_RETENTION_DAYS";

    @Test
    void keepsPredictionsFor400DaysUnlessSetAndUpTo68Years() {
        assertThat(VigilConfig.fromEnvironment(Map.of()).predictionRetention()).isEqualTo(Duration.ofDays(400));
        assertThat(VigilConfig.fromEnvironment(Map.of(SETTING, "1")).predictionRetention())
                .isEqualTo(Duration.ofDays(1));
        // 2^31 - 1 seconds, Cosmos DB's longest time to live, is 24855 days and 3 hours.
        assertThat(VigilConfig.fromEnvironment(Map.of(SETTING, "24855")).predictionRetention())
                .isEqualTo(Duration.ofDays(24_855));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-30", "24856", "36500", "1000000000000000", "9223372036854775807", "400d"})
    void aValueOutsideTheRangeIsRefusedAtStartNamingTheSetting(String value) {
        assertThatThrownBy(() -> VigilConfig.fromEnvironment(Map.of(SETTING, value)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining(SETTING)
                .hasMessageContaining("'" + value + "'");
    }
}
