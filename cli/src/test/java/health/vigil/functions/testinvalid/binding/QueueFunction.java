package health.vigil.functions.testinvalid.binding;

import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.QueueTrigger;

/** A trigger the local host does not run: it must refuse to start rather than silently skip it. */
public class QueueFunction {
    @FunctionName("FromQueue")
    public void fromQueue(@QueueTrigger(name = "msg", queueName = "work", connection = "Storage") String message) {
        // never invoked
    }
}
