package health.vigil.functions.testing.http;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/** HTTP functions written the way Vigil's are, for the local host's routing tests. */
public class HttpTestFunctions {

    @FunctionName("EchoVersion")
    public HttpResponseMessage echo(
            @HttpTrigger(name = "req", methods = {HttpMethod.GET, HttpMethod.POST}, authLevel = AuthorizationLevel.ANONYMOUS,
                    route = "echo/{name}/versions/{version:int}") HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            @BindingName("version") int version,
            ExecutionContext context) {
        Map<String, Object> seen = new LinkedHashMap<>();
        seen.put("function", context.getFunctionName());
        seen.put("invocationId", context.getInvocationId());
        seen.put("name", name);
        seen.put("version", version);
        seen.put("method", request.getHttpMethod().name());
        seen.put("path", request.getUri().getRawPath());
        seen.put("q", request.getQueryParameters().get("q"));
        seen.put("traceHeader", request.getHeaders().get("x-trace"));
        seen.put("headerKeysLowerCase", request.getHeaders().keySet().stream().allMatch(k -> k.equals(k.toLowerCase())));
        seen.put("body", request.getBody().orElse(null));
        // Whether a pool worker runs it (the host's hand-off) or the selector thread that read it (inline).
        seen.put("onPool", StackWalker.getInstance().walk(frames -> frames.anyMatch(f -> f.getMethodName().equals("runOnPool")
                && f.getClassName().endsWith(".HostFront"))));
        context.getLogger().info("echo invoked");
        return request.createResponseBuilder(HttpStatus.OK)
                .header("Content-Type", "application/json")
                .header("X-Echo", "yes")
                .body(Json.write(seen))
                .build();
    }

    @FunctionName("ModelByName")
    public HttpResponseMessage modelByName(
            @HttpTrigger(name = "req", methods = {HttpMethod.GET}, route = "models/{name}") HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name) {
        return request.createResponseBuilder(HttpStatus.OK).body("model " + name).build();
    }

    @FunctionName("LatestModel")
    public HttpResponseMessage latest(
            @HttpTrigger(name = "req", methods = {HttpMethod.GET}, route = "models/latest") HttpRequestMessage<Optional<String>> request) {
        return request.createResponseBuilder(HttpStatus.OK).body("the latest model").build();
    }

    @FunctionName("Greet")
    public HttpResponseMessage greet(
            @HttpTrigger(name = "req", methods = {HttpMethod.GET}, route = "greet/{who?}") HttpRequestMessage<Optional<String>> request,
            @BindingName("who") String who) {
        return request.createResponseBuilder(HttpStatus.OK).body("hello " + (who == null ? "nobody" : who)).build();
    }

    @FunctionName("Explode")
    public HttpResponseMessage explode(
            @HttpTrigger(name = "req", methods = {HttpMethod.POST}, route = "explode") HttpRequestMessage<Optional<String>> request) {
        throw new IllegalStateException("patient MRN-4411 could not be scored");
    }

    @FunctionName("UploadBytes")
    public HttpResponseMessage upload(
            @HttpTrigger(name = "req", methods = {HttpMethod.PUT}, route = "upload", dataType = "binary")
                    HttpRequestMessage<Optional<byte[]>> request) {
        byte[] body = request.getBody().orElse(new byte[0]);
        return request.createResponseBuilder(HttpStatus.CREATED)
                .header("Content-Type", "application/json")
                .body(Json.write(Map.of("length", body.length, "sha256", Sha256.hex(body))))
                .build();
    }

    /** No route: the Functions host serves it at its own name. Returns a POJO, which the host writes as JSON. */
    @FunctionName("DefaultRoute")
    public Map<String, String> defaultRoute(
            @HttpTrigger(name = "req", methods = {HttpMethod.GET}) HttpRequestMessage<Optional<String>> request) {
        return Map.of("served", "by name");
    }
}
