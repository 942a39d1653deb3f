package health.vigil.platform;

import health.vigil.error.ValidationException;
import health.vigil.events.VigilEvent;
import health.vigil.model.ModelName;
import health.vigil.port.EventPublisher;
import health.vigil.port.Telemetry;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts every Vigil event where it is published, by type, model and outcome ({@code published} or {@code failed}),
 * whichever transport carries it and whichever capability raised it, so the count cannot be forgotten by one of
 * them or made twice. The model comes from the event's subject ({@code /models/{name}/...}), never from its data.
 */
final class MeteredEventPublisher implements EventPublisher {
    static final String PUBLISHED = "published";
    static final String FAILED = "failed";
    private static final Pattern MODEL_SUBJECT = Pattern.compile("^/models/([^/]+)(?:/.*)?$");

    private final EventPublisher transport;
    private final Telemetry telemetry;

    MeteredEventPublisher(EventPublisher transport, Telemetry telemetry) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    @Override
    public void publish(VigilEvent event) {
        Objects.requireNonNull(event, "event");
        try {
            transport.publish(event);
        } catch (RuntimeException e) {
            telemetry.event(event.type(), model(event.subject()), FAILED);
            throw e;
        }
        telemetry.event(event.type(), model(event.subject()), PUBLISHED);
    }

    static Optional<ModelName> model(String subject) {
        if (subject == null) {
            return Optional.empty();
        }
        Matcher m = MODEL_SUBJECT.matcher(subject);
        if (!m.matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(ModelName.of(m.group(1)));
        } catch (ValidationException e) {
            return Optional.empty();
        }
    }
}
