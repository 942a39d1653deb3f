package health.vigil.functions.testinvalid.names;

import com.microsoft.azure.functions.annotation.EventGridTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;

/** One half of a name clash across two classes, as two Function Apps could clash on one host. */
public class FirstApp {
    @FunctionName("Register")
    public void register(@EventGridTrigger(name = "event") String event) {
        // never invoked: the host refuses to start
    }
}
