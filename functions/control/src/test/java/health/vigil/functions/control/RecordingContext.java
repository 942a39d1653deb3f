package health.vigil.functions.control;

import com.microsoft.azure.functions.ExecutionContext;
import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/** An invocation's context, as the host gives a function, whose logger keeps what the function logs. */
class RecordingContext implements ExecutionContext {
    private final String functionName;
    private final List<LogRecord> logged = new ArrayList<>();
    private final Logger logger = Logger.getAnonymousLogger();

    RecordingContext(String functionName) {
        this.functionName = functionName;
        logger.setUseParentHandlers(false);
        logger.addHandler(new Handler() {
            @Override
            public void publish(LogRecord record) {
                logged.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        });
    }

    /** What the function logged, in order. */
    List<LogRecord> logged() {
        return logged;
    }

    @Override
    public Logger getLogger() {
        return logger;
    }

    @Override
    public String getInvocationId() {
        return "invocation-1";
    }

    @Override
    public String getFunctionName() {
        return functionName;
    }
}
