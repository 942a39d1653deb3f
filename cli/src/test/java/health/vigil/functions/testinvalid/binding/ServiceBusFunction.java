package health.vigil.functions.testinvalid.binding;

import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.ServiceBusQueueTrigger;

/** A trigger the local host does not run: it must refuse to start rather than silently skip it. */
public class ServiceBusFunction {
    @FunctionName("FromServiceBus")
    public void fromServiceBus(@ServiceBusQueueTrigger(name = "msg", queueName = "work", connection = "Bus")
            String message) {
        // never invoked
    }
}
