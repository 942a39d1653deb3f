package health.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code VIGIL_MONITORING_SETTLE_SECONDS} setting: its default, its range, and values outside it. */
class MonitoringSettleSettingTest {
    private static final String SETTING = "VIGIL_MONITORING_SETTLE_SECONDS";

    @Test
    void aWindowSettlesTwoMinutesAfterItsEndUnlessSetAndADayAtTheMost() {
        assertThat(VigilConfig.fromEnvironment(Map.of()).monitoringSettling()).isEqualTo(Duration.ofMinutes(2));
        assertThat(VigilConfig.local(java.nio.file.Path.of("home")).monitoringSettling())
                .isEqualTo(Duration.ofMinutes(2));
        assertThat(VigilConfig.fromEnvironment(Map.of(SETTING, "1")).monitoringSettling())
                .isEqualTo(Duration.ofSeconds(1));
        assertThat(VigilConfig.fromEnvironment(Map.of(SETTING, "86400")).monitoringSettling())
                .isEqualTo(Duration.ofDays(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"0", "-5", "86401", "9223372036854775807", "2m"})
    void aValueOutsideTheRangeIsRefusedAtStartNamingTheSetting(String value) {
        assertThatThrownBy(() -> VigilConfig.fromEnvironment(Map.of(SETTING, value)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining(SETTING)
                .hasMessageContaining("'" + value + "'");
    }
}
