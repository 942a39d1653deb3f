package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.config.VigilConfig;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.RefusedEvents;
import health.vigil.functions.common.Triggers;
import health.vigil.port.ArtifactStore;
import health.vigil.port.Telemetry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The local host answers an event function's refusal with its 4xx at the webhook and dead-letters the event at once
 * on its bus, so the function is given the refusal to throw, where under the Functions host it completes the delivery.
 */
class LocalExecutionContextTest {
    @TempDir
    Path home;

    @Test
    void anEventFunctionThrowsItsRefusalUnderTheLocalHost() {
        List<String> counted = new ArrayList<>();
        ArtifactStore store = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT).artifactStore();
        Triggers triggers = new Triggers(new Telemetry() {
            @Override
            public void failed(String operation, ErrorCode code) {
                counted.add(operation + " " + code);
            }
        }, new RefusedEvents(store, Clock.systemUTC()));

        assertThatThrownBy(() -> triggers.onEvent(LocalExecutionContext.of("i-1", "RegisterModel"), "{\"id\": \"e-1\"}",
                () -> {
                    throw new ValidationException("the blob name has an empty folder name (a trailing or doubled '/')");
                })).isInstanceOf(ValidationException.class).hasMessageContaining("empty folder name");
        assertThat(counted).containsExactly("RegisterModel INVALID_REQUEST");
        // The bus writes the dead-letter file: the function keeps no record of its own.
        assertThat(store.list(RefusedEvents.CONTAINER, "")).isEmpty();
    }
}
