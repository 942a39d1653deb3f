package health.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The {@code VIGIL_MONITORING_AWAIT_SECONDS} setting: its default, its range, and values outside it. */
class MonitoringAwaitSettingTest {
    private static final String SETTING = "VIGIL_MONITORING_AWAIT_SECONDS";

    @Test
    void aDayUnlessSetFromNoWaitToThirtyOneDays() {
        assertThat(VigilConfig.fromEnvironment(Map.of()).monitoringAwaitLimit()).isEqualTo(Duration.ofDays(1));
        assertThat(VigilConfig.local(java.nio.file.Path.of("home")).monitoringAwaitLimit())
                .isEqualTo(Duration.ofDays(1));
        assertThat(VigilConfig.fromEnvironment(Map.of(SETTING, " ")).monitoringAwaitLimit())
                .isEqualTo(Duration.ofDays(1));
        assertThat(VigilConfig.fromEnvironment(Map.of(SETTING, "0")).monitoringAwaitLimit()).isZero();
        assertThat(VigilConfig.fromEnvironment(Map.of(SETTING, "3600")).monitoringAwaitLimit())
                .isEqualTo(Duration.ofHours(1));
        assertThat(VigilConfig.fromEnvironment(Map.of(SETTING, "2678400")).monitoringAwaitLimit())
                .isEqualTo(Duration.ofDays(31));
    }

    @ParameterizedTest
    @ValueSource(strings = {"-1", "-86400", "2678401", "9223372036854775807", "1d", "1.5", "a day"})
    void aNegativeUnparsableOrTooLongValueIsRefusedAtStartNamingTheSettingAndItsRange(String value) {
        assertThatThrownBy(() -> VigilConfig.fromEnvironment(Map.of(SETTING, value)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining(SETTING)
                .hasMessageContaining("'" + value + "'")
                .hasMessageContaining("whole number of seconds from 0 to 2678400 (31 days)");
    }

    @Test
    void aConfigurationWithANegativeLimitIsRefused() {
        VigilConfig config = VigilConfig.local(java.nio.file.Path.of("home"));
        assertThatThrownBy(() -> config.withMonitoringAwaitLimit(Duration.ofSeconds(-1)))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("zero or more");
    }
}
