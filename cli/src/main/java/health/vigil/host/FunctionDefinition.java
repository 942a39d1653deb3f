package health.vigil.host;

import com.microsoft.azure.functions.HttpMethod;
import java.lang.reflect.Method;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * One discovered function: its name, the method to call and how each of the method's parameters is bound,
 * as the Functions host would derive it from the annotations.
 */
record FunctionDefinition(String name, Class<?> type, Method method, Trigger trigger, List<Argument> arguments) {

    FunctionDefinition {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(trigger, "trigger");
        arguments = List.copyOf(arguments);
    }

    String where() {
        return type.getName() + "." + method.getName();
    }

    /** The form its HTTP request's body is handed in: the request argument's, else an optional string. */
    BodyForm requestBodyForm() {
        for (int i = 0; i < arguments.size(); i++) { // per request: no stream
            if (arguments.get(i) instanceof HttpRequest request) {
                return request.body();
            }
        }
        return BodyForm.OPTIONAL_STRING;
    }

    boolean isStatic() {
        return java.lang.reflect.Modifier.isStatic(method.getModifiers());
    }

    /** The trigger binding. */
    sealed interface Trigger permits Http, EventGrid, Timer, Queue, Warmup {}

    /** An HttpTrigger: an empty method set means every method. authLevel is recorded, not enforced (Vigil checks keys itself). */
    record Http(RouteTemplate route, Set<HttpMethod> methods, String authLevel) implements Trigger {
        Http {
            methods = Set.copyOf(methods);
        }

        boolean accepts(HttpMethod method) {
            return methods.isEmpty() || methods.contains(method);
        }

        boolean overlaps(Http other) {
            return methods.isEmpty() || other.methods.isEmpty() || methods.stream().anyMatch(other.methods::contains);
        }
    }

    /** An EventGridTrigger: one event's JSON per invocation. */
    record EventGrid() implements Trigger {}

    /** A QueueTrigger: one message of the named queue per invocation. */
    record Queue(String queueName) implements Trigger {}

    /** A WarmupTrigger: run once when an instance starts, before it takes traffic. */
    record Warmup() implements Trigger {}

    /** A TimerTrigger with its (resolved) NCRONTAB schedule. */
    record Timer(String schedule, NCrontabSchedule parsed) implements Trigger {}

    /** How one method parameter gets its value. */
    sealed interface Argument permits HttpRequest, Payload, Context, RouteValue {}

    /** The HttpRequestMessage, with the body in the form the method declared. */
    record HttpRequest(BodyForm body) implements Argument {}

    /** The trigger's payload as a JSON string: the event, or the timer information. */
    record Payload() implements Argument {}

    /** The ExecutionContext. */
    record Context() implements Argument {}

    /** A @BindingName parameter: a route value, or else a query parameter of that name. */
    record RouteValue(String name, Class<?> type) implements Argument {}

    /** The body type parameter of HttpRequestMessage&lt;T&gt;. */
    enum BodyForm {
        OPTIONAL_STRING, OPTIONAL_BYTES, STRING, BYTES
    }
}
