package health.vigil.host;

import com.microsoft.azure.functions.spi.inject.FunctionInstanceInjector;
import health.vigil.functions.testing.TestRecorder;

/** Gives test function classes that take a {@link TestRecorder} the test's recorder, and builds the others plainly. */
final class TestInjector implements FunctionInstanceInjector {
    private final TestRecorder recorder;

    TestInjector(TestRecorder recorder) {
        this.recorder = recorder;
    }

    @Override
    public <T> T getInstance(Class<T> type) throws Exception {
        try {
            return type.getConstructor(TestRecorder.class).newInstance(recorder);
        } catch (NoSuchMethodException e) {
            return type.getConstructor().newInstance();
        }
    }
}
