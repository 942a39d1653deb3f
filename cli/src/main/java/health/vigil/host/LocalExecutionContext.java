package health.vigil.host;

import health.vigil.functions.common.FinalRefusalHost;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * The ExecutionContext of one invocation: its id, the function's name and the function's logger. The local host takes
 * an event function's 4xx as final (its webhook answers it, its bus dead-letters the event at once), so the function
 * throws its refusal here.
 */
record LocalExecutionContext(String invocationId, String functionName, Logger logger) implements FinalRefusalHost {
    /** Function loggers by name: looking one up in the LogManager for every request is a synchronised map walk. */
    private static final ConcurrentHashMap<String, Logger> LOGGERS = new ConcurrentHashMap<>();

    LocalExecutionContext {
        Objects.requireNonNull(invocationId, "invocationId");
        Objects.requireNonNull(functionName, "functionName");
        Objects.requireNonNull(logger, "logger");
    }

    static LocalExecutionContext of(String invocationId, String functionName) {
        // One logger per function, named as the Functions host names its function loggers.
        return new LocalExecutionContext(invocationId, functionName,
                LOGGERS.computeIfAbsent(functionName, name -> Logger.getLogger("Function." + name)));
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
