package health.vigil.functions.common;

import com.microsoft.azure.functions.spi.inject.FunctionInstanceInjector;
import health.vigil.config.VigilConfig;
import health.vigil.platform.VigilPlatform;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * Gives function classes their services. The Azure Functions Java worker finds this class through
 * {@link java.util.ServiceLoader} and asks it for every function instance; it builds one
 * {@link VigilPlatform} per worker process from the app settings on first use. The local host hands it the
 * platform it composed itself. Function classes take the platform in their only constructor, and those that
 * serve HTTP also the platform's one {@link HttpApi}.
 */
public final class VigilInstanceInjector implements FunctionInstanceInjector {
    private final Supplier<VigilPlatform> platform;
    private volatile HttpFront http;

    /** Used by the Azure Functions worker: the platform comes from the app settings. */
    public VigilInstanceInjector() {
        this(new Lazy<VigilPlatform>(() -> VigilPlatform.builder(VigilConfig.fromEnvironment(System.getenv())).build()));
    }

    /**
     * Used by the local host: the platform it composes (after the host exists, since the platform publishes
     * through the host's event bus). Asked for on every new function instance.
     */
    public VigilInstanceInjector(Supplier<VigilPlatform> platform) {
        this.platform = Objects.requireNonNull(platform, "platform");
    }

    /** How a function class is made: which constructor, and what it takes. */
    private record Maker(Constructor<?> constructor, int arguments) {}

    /**
     * Each class's constructor, found once: the worker asks for an instance on every invocation, and looking the
     * constructors up each time copied them (reflection hands out copies) on every request.
     */
    private static final ClassValue<Maker> MAKERS = new ClassValue<>() {
        @Override
        protected Maker computeValue(Class<?> functionClass) {
            Constructor<?>[] constructors = functionClass.getConstructors();
            for (Constructor<?> constructor : constructors) {
                Class<?>[] parameters = constructor.getParameterTypes();
                if (parameters.length == 2 && parameters[0] == VigilPlatform.class && parameters[1] == HttpApi.class) {
                    return new Maker(constructor, 2);
                }
            }
            for (Constructor<?> constructor : constructors) {
                Class<?>[] parameters = constructor.getParameterTypes();
                if (parameters.length == 1 && parameters[0] == VigilPlatform.class) {
                    return new Maker(constructor, 1);
                }
            }
            return new Maker(null, 0);
        }
    };

    @Override
    public <T> T getInstance(Class<T> functionClass) throws Exception {
        try {
            Maker maker = MAKERS.get(functionClass);
            return switch (maker.arguments()) {
                case 2 -> {
                    VigilPlatform current = current();
                    yield functionClass.cast(maker.constructor().newInstance(current, http(current)));
                }
                case 1 -> functionClass.cast(maker.constructor().newInstance(current()));
                default -> functionClass.getConstructor().newInstance();
            };
        } catch (InvocationTargetException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    private VigilPlatform current() {
        VigilPlatform current = platform.get();
        if (current == null) {
            throw new IllegalStateException("the Vigil platform is not built yet; functions cannot run before it");
        }
        return current;
    }

    /** The one HTTP front of a platform, shared by every function class that serves HTTP. */
    private HttpApi http(VigilPlatform current) {
        HttpFront front = http;
        if (front == null || front.platform() != current) {
            front = new HttpFront(current, new HttpApi(current.authenticator(), current.config().limits(),
                    current.telemetry()));
            // Two threads may both make one for a new platform: either serves, and the last one stays.
            http = front;
        }
        return front.api();
    }

    /** A platform and its HTTP front, published together. */
    private record HttpFront(VigilPlatform platform, HttpApi api) {}

    /** Builds a value once, on first use, thread-safely. */
    private static final class Lazy<T> implements Supplier<T> {
        private final Supplier<T> factory;
        private volatile T value;

        Lazy(Supplier<T> factory) {
            this.factory = factory;
        }

        @Override
        public T get() {
            T result = value;
            if (result == null) {
                synchronized (this) {
                    result = value;
                    if (result == null) {
                        value = result = factory.get();
                    }
                }
            }
            return result;
        }
    }
}
