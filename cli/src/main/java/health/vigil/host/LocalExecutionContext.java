package health.vigil.host;

import com.microsoft.azure.functions.ExecutionContext;
import java.util.Objects;
import java.util.logging.Logger;

/** The ExecutionContext of one invocation: its id, the function's name and the function's logger. */
record LocalExecutionContext(String invocationId, String functionName, Logger logger) implements ExecutionContext {
    LocalExecutionContext {
        Objects.requireNonNull(invocationId, "invocationId");
        Objects.requireNonNull(functionName, "functionName");
        Objects.requireNonNull(logger, "logger");
    }

    static LocalExecutionContext of(String invocationId, String functionName) {
        // One logger per function, named as the Functions host names its function loggers.
        return new LocalExecutionContext(invocationId, functionName, Logger.getLogger("Function." + functionName));
    }

    @Override
    public Logger getLogger() {
        return logger;
    }

    @Override
    public String getInvocationId() {
        return invocationId;
    }

    @Override
    public String getFunctionName() {
        return functionName;
    }
}
