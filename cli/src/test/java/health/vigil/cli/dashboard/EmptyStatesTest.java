package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import health.vigil.platform.VigilPlatform;
import health.vigil.registry.InMemoryRegistryStore;
import health.vigil.registry.ModelRegistry;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the pages say on a home with nothing in it yet: what is missing and what to do, never an empty table. */
class EmptyStatesTest {
    private static final PageRequest OPERATOR = new PageRequest(new Principal("operator", "Olu",
            Set.of(Role.DEPLOYMENTS_OPERATE)), Map.of(), Map.of());

    @TempDir
    Path home;

    private VigilPlatform emptyPlatform() {
        VigilPlatform platform = mock(VigilPlatform.class);
        when(platform.registry()).thenReturn(new ModelRegistry(new InMemoryRegistryStore()));
        return platform;
    }

    @Test
    void withoutModelsTheModelsMonitoringAndOverviewPagesSayHowToRegisterTheFirst() {
        VigilPlatform platform = emptyPlatform();

        for (View view : new View[] {new ModelsView(() -> platform), new MonitoringView(() -> platform),
                new OverviewView(() -> platform, home.resolve("deadletter"))}) {
            String body = view.render(OPERATOR).body();
            assertThat(body).as(view.route()).contains("No model is registered yet.")
                    .contains("<code>vigil models upload PACKAGE.zip --model NAME</code>")
                    .doesNotContain("<table").doesNotContain("<ul id=\"monitored\"></ul>");
        }
    }

    @Test
    void withoutDeadLettersThePageSaysEveryEventWasDeliveredOrIsBeingRetried() {
        String body = new DeadLettersView(home.resolve("deadletter")).render(OPERATOR).body();

        assertThat(body).contains("No event is dead-lettered").doesNotContain("<table");
    }
}
