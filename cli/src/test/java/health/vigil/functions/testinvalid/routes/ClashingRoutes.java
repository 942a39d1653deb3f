package health.vigil.functions.testinvalid.routes;

import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import java.util.Optional;

/** Two functions on one route shape and method (parameter names differ, paths do not). */
public class ClashingRoutes {
    @FunctionName("GetModel")
    public HttpResponseMessage get(@HttpTrigger(name = "req", methods = {HttpMethod.GET}, route = "models/{name}")
            HttpRequestMessage<Optional<String>> request) {
        return null;
    }

    @FunctionName("GetModelAgain")
    public HttpResponseMessage again(@HttpTrigger(name = "req", methods = {HttpMethod.GET, HttpMethod.DELETE}, route = "Models/{id}/")
            HttpRequestMessage<Optional<String>> request) {
        return null;
    }
}
