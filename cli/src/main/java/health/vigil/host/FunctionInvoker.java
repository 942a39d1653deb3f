package health.vigil.host;

import health.vigil.error.ValidationException;
import health.vigil.host.FunctionDefinition.Argument;
import java.lang.reflect.InvocationTargetException;
import java.util.Map;
import java.util.Objects;

/**
 * Calls a function method with its bindings filled in: the trigger input, the ExecutionContext and the
 * {@code @BindingName} values. Binding problems (a route value that does not convert) are the caller's,
 * reported as {@link ValidationException}s before the function runs; whatever the function itself throws
 * comes back as a {@link FunctionFailure}.
 */
final class FunctionInvoker {
    private final FunctionInstances instances;

    FunctionInvoker(FunctionInstances instances) {
        this.instances = Objects.requireNonNull(instances, "instances");
    }

    /** What one invocation receives: an HTTP request with its route values, or a trigger payload (event or timer JSON). */
    record Input(LocalHttpRequest request, Map<String, String> routeValues, String payload) {
        static Input http(LocalHttpRequest request, Map<String, String> routeValues) {
            return new Input(request, Map.copyOf(routeValues), null);
        }

        static Input payload(String json) {
            return new Input(null, Map.of(), json);
        }
    }

    /** The function threw (or its instance could not be created); the cause is kept for logs, never for responses. */
    static final class FunctionFailure extends Exception {
        private static final long serialVersionUID = 1L;

        FunctionFailure(Throwable cause) {
            super(cause.getClass().getName(), cause);
        }
    }

    Object invoke(FunctionDefinition function, Input input, LocalExecutionContext context) throws FunctionFailure {
        Object[] args = new Object[function.arguments().size()];
        for (int i = 0; i < args.length; i++) {
            args[i] = bind(function, function.arguments().get(i), input, context);
        }
        Object target;
        try {
            target = instances.instanceFor(function);
        } catch (Exception | LinkageError e) {
            throw new FunctionFailure(e);
        }
        try {
            return function.method().invoke(target, args);
        } catch (InvocationTargetException e) {
            Throwable cause = e.getCause() == null ? e : e.getCause();
            if (cause instanceof VirtualMachineError fatal) {
                throw fatal;
            }
            throw new FunctionFailure(cause);
        } catch (IllegalAccessException e) {
            throw new FunctionFailure(e);
        }
    }

    private static Object bind(FunctionDefinition f, Argument argument, Input input, LocalExecutionContext context) {
        if (argument instanceof FunctionDefinition.HttpRequest) {
            return input.request();
        }
        if (argument instanceof FunctionDefinition.Payload) {
            return input.payload();
        }
        if (argument instanceof FunctionDefinition.Context) {
            return context;
        }
        FunctionDefinition.RouteValue rv = (FunctionDefinition.RouteValue) argument;
        String raw = input.routeValues().get(rv.name());
        if (raw == null && input.request() != null) {
            raw = input.request().getQueryParameters().get(rv.name());
        }
        return convert(rv, raw);
    }

    private static Object convert(FunctionDefinition.RouteValue rv, String raw) {
        Class<?> type = rv.type();
        if (raw == null) {
            if (type.isPrimitive()) {
                throw new ValidationException("the path parameter `" + rv.name() + "` is missing");
            }
            return null;
        }
        if (type == String.class) {
            return raw;
        }
        try {
            if (type == int.class || type == Integer.class) {
                return Integer.parseInt(raw);
            }
            if (type == long.class || type == Long.class) {
                return Long.parseLong(raw);
            }
        } catch (NumberFormatException e) {
            throw new ValidationException("the path parameter `" + rv.name() + "` must be a whole number");
        }
        if (raw.equalsIgnoreCase("true") || raw.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(raw);
        }
        throw new ValidationException("the path parameter `" + rv.name() + "` must be true or false");
    }
}
