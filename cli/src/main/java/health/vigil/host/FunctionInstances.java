package health.vigil.host;

import com.microsoft.azure.functions.spi.inject.FunctionInstanceInjector;
import health.vigil.error.ValidationException;
import java.net.URL;
import java.security.CodeSource;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Creates function class instances as the Azure Java worker does: through the {@link FunctionInstanceInjector}
 * found with {@link ServiceLoader}, or the public no-argument constructor when there is none, one instance
 * per invocation. Locally both Function Apps share one class path, so when several injectors are present
 * each function class gets the injector packaged in the same jar (or directory) as the class itself, which
 * is the one its app would use in Azure.
 */
final class FunctionInstances {
    private final List<FunctionInstanceInjector> injectors;
    private final FunctionInstanceInjector override;
    private final Map<Class<?>, FunctionInstanceInjector> chosen = new HashMap<>();

    private FunctionInstances(List<FunctionInstanceInjector> injectors, FunctionInstanceInjector override) {
        this.injectors = List.copyOf(injectors);
        this.override = override;
    }

    /** Finds the injectors on the loader, unless an explicit one is given (the composition of a test or of {@code vigil up}). */
    static FunctionInstances load(ClassLoader loader, FunctionInstanceInjector override) {
        if (override != null) {
            return new FunctionInstances(List.of(), override);
        }
        List<FunctionInstanceInjector> found = new ArrayList<>();
        try {
            for (FunctionInstanceInjector injector : ServiceLoader.load(FunctionInstanceInjector.class, loader)) {
                found.add(injector);
            }
        } catch (ServiceConfigurationError e) {
            throw new ValidationException("a FunctionInstanceInjector listed in META-INF/services cannot be created ("
                    + e.getMessage() + "); fix the service file or the injector's constructor");
        }
        return new FunctionInstances(found, null);
    }

    /** Decides, at start, how each function class is instantiated, so that a misconfiguration fails early. */
    void prepare(List<FunctionDefinition> functions) {
        for (FunctionDefinition f : functions) {
            if (f.isStatic() || chosen.containsKey(f.type())) {
                continue;
            }
            FunctionInstanceInjector injector = choose(f.type());
            if (injector == null) {
                try {
                    f.type().getConstructor();
                } catch (NoSuchMethodException e) {
                    throw new ValidationException("function " + f.name() + " (" + f.where() + ") needs a public no-argument "
                            + "constructor, or a FunctionInstanceInjector registered in META-INF/services");
                }
            }
            chosen.put(f.type(), injector);
        }
    }

    /** A new instance for one invocation, or null for a static function method. */
    Object instanceFor(FunctionDefinition f) throws Exception {
        if (f.isStatic()) {
            return null;
        }
        FunctionInstanceInjector injector = chosen.containsKey(f.type()) ? chosen.get(f.type()) : choose(f.type());
        Object instance = injector == null ? f.type().getConstructor().newInstance() : injector.getInstance(f.type());
        if (instance == null) {
            throw new IllegalStateException("the FunctionInstanceInjector returned no instance of " + f.type().getName());
        }
        return instance;
    }

    private FunctionInstanceInjector choose(Class<?> type) {
        if (override != null) {
            return override;
        }
        if (injectors.size() <= 1) {
            return injectors.isEmpty() ? null : injectors.get(0);
        }
        URL home = location(type);
        List<FunctionInstanceInjector> sameJar = injectors.stream()
                .filter(i -> home != null && Objects.equals(home, location(i.getClass())))
                .toList();
        if (sameJar.size() == 1) {
            return sameJar.get(0);
        }
        throw new ValidationException(injectors.size() + " FunctionInstanceInjector implementations are on the class path ("
                + String.join(", ", injectors.stream().map(i -> i.getClass().getName()).toList()) + ") and "
                + (sameJar.isEmpty() ? "none" : "more than one") + " is packaged with " + type.getName()
                + "; the Azure worker allows one per Function App");
    }

    private static URL location(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        return source == null ? null : source.getLocation();
    }
}
