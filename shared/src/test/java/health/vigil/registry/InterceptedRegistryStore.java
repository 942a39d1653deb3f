package health.vigil.registry;

import health.vigil.port.RegistryStore;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.concurrent.Callable;

/**
 * A real registry store whose every call is made through an {@link Interception}: to play a race at a chosen point
 * (another writer's whole call inside this one's read, a connection lost after a write) without timing.
 */
public final class InterceptedRegistryStore {
    /** One call to the store, made in place of the real one ({@code call}), by the name of its method. */
    public interface Interception {
        Object around(String method, Object[] args, Callable<Object> call) throws Exception;
    }

    private InterceptedRegistryStore() {
    }

    public static RegistryStore of(RegistryStore real, Interception interception) {
        return (RegistryStore) Proxy.newProxyInstance(RegistryStore.class.getClassLoader(),
                new Class<?>[] {RegistryStore.class}, (proxy, method, args) -> interception.around(method.getName(),
                        args == null ? new Object[0] : args, () -> {
                            try {
                                return method.invoke(real, args);
                            } catch (InvocationTargetException e) {
                                throw e.getCause() instanceof Exception cause ? cause : e;
                            }
                        }));
    }
}
