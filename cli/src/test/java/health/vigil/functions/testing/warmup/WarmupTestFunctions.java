package health.vigil.functions.testing.warmup;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.HttpStatus;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import com.microsoft.azure.functions.annotation.WarmupTrigger;
import health.vigil.functions.testing.TestRecorder;
import java.util.Optional;

/** A warm-up that takes its time, one that fails, and a request that says which warm-ups had run when it came. */
public class WarmupTestFunctions {
    private final TestRecorder recorder;

    public WarmupTestFunctions(TestRecorder recorder) {
        this.recorder = recorder;
    }

    @FunctionName("SlowWarmup")
    public void slow(@WarmupTrigger(name = "warmup") String warmup, ExecutionContext context) throws InterruptedException {
        Thread.sleep(300);
        recorder.record("SlowWarmup", warmup);
    }

    @FunctionName("FailingWarmup")
    public void failing(@WarmupTrigger(name = "warmup") String warmup) {
        recorder.record("FailingWarmup", warmup);
        throw new IllegalStateException("the model store is not reachable");
    }

    @FunctionName("WarmedUp")
    public HttpResponseMessage warmedUp(
            @HttpTrigger(name = "req", methods = {HttpMethod.GET}, authLevel = AuthorizationLevel.ANONYMOUS,
                    route = "warmed-up") HttpRequestMessage<Optional<String>> request) {
        return request.createResponseBuilder(HttpStatus.OK)
                .body(recorder.calls("SlowWarmup").size() + "," + recorder.calls("FailingWarmup").size())
                .build();
    }
}
