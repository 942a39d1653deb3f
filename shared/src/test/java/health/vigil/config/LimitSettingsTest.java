package health.vigil.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The request and package limits held as counts: a value they cannot hold stops the start, naming the setting. */
class LimitSettingsTest {

    @ParameterizedTest
    @ValueSource(strings = {"VIGIL_MAX_PACKAGE_ENTRIES", "VIGIL_MAX_BATCH_ROWS", "VIGIL_MAX_BODY_BYTES"})
    void aCountPastTheLargestIntIsRefusedNotWrappedToANegative(String setting) {
        assertThat(VigilConfig.fromEnvironment(Map.of(setting, "2147483647")).limits()).isNotNull();
        for (String value : new String[] {"2147483648", "4294967297", "9223372036854775807", "0", "-1", "4MiB"}) {
            assertThatThrownBy(() -> VigilConfig.fromEnvironment(Map.of(setting, value)))
                    .as("%s=%s", setting, value)
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining(setting)
                    .hasMessageContaining("'" + value + "'");
        }
    }
}
