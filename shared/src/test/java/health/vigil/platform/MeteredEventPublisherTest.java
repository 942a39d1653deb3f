package health.vigil.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.Mockito.doThrow;
import static org.mockito.Mockito.inOrder;
import static org.mockito.Mockito.mock;
import static org.mockito.Mockito.verify;
import static org.mockito.Mockito.verifyNoMoreInteractions;

import health.vigil.error.StoreException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.port.EventPublisher;
import health.vigil.port.Telemetry;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.mockito.InOrder;

class MeteredEventPublisherTest {
    private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");

    private final EventPublisher transport = mock(EventPublisher.class);
    private final Telemetry telemetry = mock(Telemetry.class);
    private final MeteredEventPublisher publisher = new MeteredEventPublisher(transport, telemetry);

    @Test
    void aPublishedEventIsCountedByTypeModelAndOutcomeAfterTheTransportTookIt() {
        VigilEvent event = VigilEvent.of(EventTypes.GATES_FAILED, ModelVersion.of("readmission", 4).subject(), NOW,
                Map.of("model", "readmission", "version", 4));

        publisher.publish(event);

        InOrder order = inOrder(transport, telemetry);
        order.verify(transport).publish(event);
        order.verify(telemetry).event(EventTypes.GATES_FAILED, Optional.of(ModelName.of("readmission")), "published");
        verifyNoMoreInteractions(telemetry);
    }

    @Test
    void anEventTheTransportRefusedIsCountedAsFailedAndTheFailureReachesTheCaller() {
        VigilEvent event = VigilEvent.of(EventTypes.CANARY_ROLLED_BACK, "/models/adherence/versions/2", NOW, Map.of());
        StoreException refused = new StoreException("publishing failed with HTTP 503 after retries", null);
        doThrow(refused).when(transport).publish(any());

        assertThatThrownBy(() -> publisher.publish(event)).isSameAs(refused);

        verify(telemetry).event(EventTypes.CANARY_ROLLED_BACK, Optional.of(ModelName.of("adherence")), "failed");
        verifyNoMoreInteractions(telemetry);
    }

    @Test
    void theModelIsTakenFromAModelSubjectOnly() {
        assertThat(MeteredEventPublisher.model("/models/complications")).contains(ModelName.of("complications"));
        assertThat(MeteredEventPublisher.model("/models/readmission/versions/3")).contains(ModelName.of("readmission"));
        assertThat(MeteredEventPublisher.model(null)).isEmpty();
        assertThat(MeteredEventPublisher.model("/retrain/requests/7")).isEmpty();
        assertThat(MeteredEventPublisher.model("/models/Patient 12345/versions/1")).isEmpty();
    }
}
