package health.vigil.host;

import java.util.List;
import java.util.Objects;

/**
 * A function the local host serves, described for people (the {@code vigil up} banner, logs): its name,
 * trigger kind and the trigger's details (HTTP methods and route, timer schedule, or the queue's name in
 * {@code route}).
 */
public record LocalFunction(String name, Kind kind, List<String> methods, String route, String schedule, String authLevel) {
    /** The trigger kinds the local host runs. */
    public enum Kind { HTTP, EVENT_GRID, TIMER, QUEUE, WARMUP }

    public LocalFunction {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(kind, "kind");
        methods = methods == null ? List.of() : List.copyOf(methods);
    }

    @Override
    public String toString() {
        return switch (kind) {
            case HTTP -> name + ": " + (methods.isEmpty() ? "ANY" : String.join(",", methods)) + " /" + route
                    + " (authLevel " + authLevel + ")";
            case EVENT_GRID -> name + ": eventGridTrigger";
            case TIMER -> name + ": timerTrigger \"" + schedule + "\"";
            case QUEUE -> name + ": queueTrigger " + route;
            case WARMUP -> name + ": warmupTrigger (once at start, before HTTP opens)";
        };
    }
}
