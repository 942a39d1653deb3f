package health.vigil.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.when;

import health.vigil.error.StoreException;
import health.vigil.port.RegistryStore;
import java.util.List;
import org.junit.jupiter.api.Test;

class ModelRegistryReadinessTest {
    @Test
    void isReadyWhileTheStoreAnswersAndNotWhenItFails() {
        RegistryStore store = mock(RegistryStore.class);
        ModelRegistry registry = new ModelRegistry(store);

        when(store.listModels()).thenReturn(List.of());
        assertThat(registry.isReady()).isTrue();

        when(store.listModels()).thenThrow(new StoreException("the registry database is unreachable", null));
        assertThat(registry.isReady()).isFalse();
    }
}
