package health.vigil.functions.testing.events;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.annotation.EventGridTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import health.vigil.events.EventEnvelope;
import health.vigil.events.EventEnvelopes;
import health.vigil.functions.testing.TestRecorder;
import java.util.Objects;

/** Event Grid functions for the bus and webhook tests; they get their recorder through the injector. */
public class EventTestFunctions {
    private final TestRecorder recorder;

    public EventTestFunctions(TestRecorder recorder) {
        this.recorder = Objects.requireNonNull(recorder, "recorder");
    }

    @FunctionName("RecordEvent")
    public void recordEvent(@EventGridTrigger(name = "event") String event, ExecutionContext context) {
        EventEnvelope envelope = EventEnvelopes.parseSingle(event);
        recorder.record("RecordEvent", event);
        context.getLogger().fine("recorded " + envelope.type());
    }

    @FunctionName("OnBlobCreated")
    public void onBlobCreated(@EventGridTrigger(name = "event") String event) {
        EventEnvelopes.blobCreated(EventEnvelopes.parseSingle(event));
        recorder.record("OnBlobCreated", event);
    }

    /** Fails the first two deliveries of each event, then succeeds: at-least-once must get it through. */
    @FunctionName("FlakyHandler")
    public void flaky(@EventGridTrigger(name = "event") String event) {
        String id = EventEnvelopes.parseSingle(event).id();
        int attempt = recorder.attempt("FlakyHandler/" + id);
        if (attempt <= 2) {
            throw new IllegalStateException("transient failure " + attempt);
        }
        recorder.record("FlakyHandler", event);
    }

    @FunctionName("AlwaysFails")
    public void alwaysFails(@EventGridTrigger(name = "event") String event) {
        recorder.attempt("AlwaysFails/" + EventEnvelopes.parseSingle(event).id());
        throw new IllegalArgumentException("secret patient detail 1234");
    }
}
