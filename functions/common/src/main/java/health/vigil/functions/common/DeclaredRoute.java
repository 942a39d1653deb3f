package health.vigil.functions.common;

import com.microsoft.azure.functions.annotation.HttpTrigger;
import java.lang.annotation.Annotation;
import java.lang.invoke.MethodType;
import java.lang.reflect.Method;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The route template of the function running a request, as its {@link HttpTrigger} declares it, read from the
 * nearest function method on the call stack. A refused request is recorded under it rather than under the path
 * its caller typed, which may hold anything, and the request log line names it too. Only refusals and that line
 * (written when FINE is switched on) ask, so the walk is off the path of an admitted request.
 */
final class DeclaredRoute {
    /** How far up the stack a function method is looked for: {@link HttpApi#handle} is called from it directly. */
    private static final int MAX_FRAMES = 24;
    private static final StackWalker STACK = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    /** Each class's HttpTrigger routes, by method name and descriptor; read once per class. */
    private static final ClassValue<Map<String, String>> ROUTES = new ClassValue<>() {
        @Override
        protected Map<String, String> computeValue(Class<?> type) {
            Map<String, String> routes = new HashMap<>();
            Method[] methods;
            try {
                methods = type.getDeclaredMethods();
            } catch (LinkageError | SecurityException e) {
                return Map.of(); // a class whose methods cannot be read declares no function here
            }
            for (Method method : methods) {
                trigger(method).ifPresent(trigger -> routes.put(key(method.getName(),
                        MethodType.methodType(method.getReturnType(), method.getParameterTypes())
                                .toMethodDescriptorString()), trigger.route()));
            }
            return Map.copyOf(routes);
        }
    };

    private DeclaredRoute() {}

    /** The route of the nearest function method calling this thread's code, or empty when none is on the stack. */
    static Optional<String> ofCaller() {
        return STACK.walk(frames -> frames.limit(MAX_FRAMES)
                .map(frame -> ROUTES.get(frame.getDeclaringClass()).get(key(frame.getMethodName(), frame.getDescriptor())))
                .filter(java.util.Objects::nonNull)
                .findFirst());
    }

    private static Optional<HttpTrigger> trigger(Method method) {
        for (Annotation[] annotations : method.getParameterAnnotations()) {
            for (Annotation annotation : annotations) {
                if (annotation instanceof HttpTrigger trigger) {
                    return Optional.of(trigger);
                }
            }
        }
        return Optional.empty();
    }

    private static String key(String name, String descriptor) {
        return name + descriptor;
    }
}
