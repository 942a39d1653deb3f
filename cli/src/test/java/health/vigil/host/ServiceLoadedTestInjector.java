package health.vigil.host;

import com.microsoft.azure.functions.spi.inject.FunctionInstanceInjector;
import health.vigil.functions.testing.TestRecorder;

/** Registered in META-INF/services of the test classes, to show the host finds injectors as the Azure worker does. */
public final class ServiceLoadedTestInjector implements FunctionInstanceInjector {
    private final TestInjector delegate = new TestInjector(new TestRecorder());

    @Override
    public <T> T getInstance(Class<T> type) throws Exception {
        return delegate.getInstance(type);
    }
}
