package health.vigil.functions.testinvalid.names;

import com.microsoft.azure.functions.annotation.EventGridTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;

/** The other half of the name clash (names compare case-insensitively, as in Azure). */
public class SecondApp {
    @FunctionName("register")
    public void register(@EventGridTrigger(name = "event") String event) {
        // never invoked: the host refuses to start
    }
}
