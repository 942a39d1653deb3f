package health.vigil.functions.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.EventGridTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import com.microsoft.azure.functions.annotation.QueueTrigger;
import health.vigil.events.EventEnvelopes;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.Call;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.Reply;
import health.vigil.functions.common.Triggers;
import health.vigil.json.Json;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.WorkQueue;
import health.vigil.scoring.batch.BatchRequest;
import health.vigil.scoring.batch.BatchService;
import health.vigil.scoring.batch.BatchStatus;
import health.vigil.security.Role;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Batch scoring of files (role {@code Batches.Submit}): {@code POST /batches} names a file in {@code batch-input},
 * a file uploaded there starts a job by itself (BlobCreated), each partition of a job is scored by one invocation
 * of the {@code batch-partitions} queue, and the status, summary and results are read back in pages by the caller
 * who submitted the job, or with {@code Batches.ReadAll} (the service decides who may read which job).
 */
public final class BatchFunctions {
    /** The most a page of results holds; the client asks again from {@code nextOffset}. */
    static final int RESULTS_PAGE_BYTES = 4 * 1024 * 1024;

    private final BatchService batches;
    private final HttpApi http;
    private final Triggers triggers;

    public BatchFunctions(VigilPlatform platform, HttpApi http) {
        this.triggers = Triggers.of(platform);
        this.batches = platform.batches();
        this.http = http;
    }

    @FunctionName("SubmitBatch")
    public HttpResponseMessage submit(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "batches",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.BATCHES_SUBMIT), call -> {
            JsonNode body = RequestFields.object(call, "{\"model\": \"readmission\", \"input\": \"nightly.csv\"}");
            RequestFields.requireKnown(body, Set.of("model", "input", "version", "explain"), "the batch request");
            JsonNode model = body.path("model");
            JsonNode input = body.path("input");
            JsonNode version = body.path("version");
            JsonNode explain = body.path("explain");
            if (!model.isTextual() || !input.isTextual()) {
                throw Json.missingOrWrongType(model.isTextual() ? input : model, "send {\"model\":"
                        + " \"readmission\", \"input\": \"<blob in batch-input>\"}, optionally with \"version\" (an"
                        + " approved version to pin) and \"explain\": true");
            }
            if (!version.isMissingNode() && !version.isNull()
                    && !(version.isIntegralNumber() && version.canConvertToInt())) {
                throw RequestFields.malformed("\"version\" must be a whole number (an approved version), or left out");
            }
            if (!explain.isMissingNode() && !explain.isBoolean()) {
                throw RequestFields.malformed("\"explain\" must be true or false");
            }
            BatchService.Submission submitted = batches.submit(new BatchRequest(new ModelName(model.asText()),
                    version.canConvertToInt() ? version.asInt() : null, input.asText(), explain.asBoolean(false)),
                    call.principal().id(), call.header(Call.IDEMPOTENCY_KEY).orElse(null));
            String id = submitted.job().id();
            Map<String, String> headers = submitted.replayed()
                    ? Map.of("Location", "/batches/" + id, Call.IDEMPOTENT_REPLAYED, "true")
                    : Map.of("Location", "/batches/" + id);
            return new Reply(202, batches.status(id), headers);
        });
    }

    @FunctionName("GetBatch")
    public HttpResponseMessage status(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "batches/{id}",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("id") String id, ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> batches.status(id, call.principal()));
    }

    @FunctionName("GetBatchSummary")
    public HttpResponseMessage summary(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "batches/{id}/summary",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("id") String id, ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> batches.summary(id, call.principal()));
    }

    /** A page of the per-row results (JSON Lines), from {@code ?offset=} (default 0) to a whole line. */
    @FunctionName("GetBatchResults")
    public HttpResponseMessage results(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "batches/{id}/results",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("id") String id, ExecutionContext context) {
        return http.handle(request, context, Access.AUTHENTICATED, call -> {
            // One spelling, as numbers in paths and queries have (Long.parseLong also reads "+5", "-0" and digits of
            // other scripts). Any other is -1, which the service refuses once it has checked the caller may read the
            // job: a caller without a batch role learns nothing from a 400 about the offset.
            long offset = HttpApi.wholeNumber(call.queryParam("offset").orElse("0"));
            BatchService.ResultsPage page = batches.readResults(id, offset, RESULTS_PAGE_BYTES, call.principal());
            return Reply.text("application/x-ndjson", new String(page.lines(), StandardCharsets.UTF_8),
                    Map.of("x-vigil-next-offset", Long.toString(page.nextOffset()),
                            "x-vigil-total-bytes", Long.toString(page.totalBytes())));
        });
    }

    /** A file landed in {@code batch-input}: its job starts (a replayed event finds the job and adds nothing). */
    @FunctionName("StartBatchOnUpload")
    public void onUpload(@EventGridTrigger(name = "event") String event, ExecutionContext context) {
        triggers.onEvent(context, event, () -> {
            var blob = EventEnvelopes.blobCreated(EventEnvelopes.parseSingle(event));
            Optional<BatchStatus> status = batches.submitUpload(blob);
            context.getLogger().info("StartBatchOnUpload event " + blob.eventId() + ": "
                    + status.map(s -> "batch " + s.id() + " " + s.state()).orElse("starts nothing (a file under "
                    + BatchService.REQUESTED_PREFIX + " waits for POST /batches; a file that is gone starts no job)"));
        });
    }

    /**
     * Scores one partition of a job. A store that is unavailable throws, so the queue delivers the message again
     * and the partition resumes from its checkpoint. A late message of a job retention has purged is done, and says
     * so in one line naming the job.
     */
    @FunctionName("ScoreBatchPartition")
    public void scorePartition(
            @QueueTrigger(name = "message", queueName = WorkQueue.BATCH_PARTITIONS, connection = "AzureWebJobsStorage")
            String message, ExecutionContext context) {
        triggers.run(context, () -> {
            BatchService.PartitionDelivery delivery = batches.scorePartition(message);
            if (delivery.jobPurged()) {
                context.getLogger().info("ScoreBatchPartition: batch " + delivery.batchId() + " was purged by"
                        + " retention; its partition message is done with nothing to score");
            }
        });
    }

    /**
     * A partition message the host moved to the poison queue after its last retry: the job is failed (audited and
     * announced once) rather than left running with a partition nobody will score. One of a job retention has purged
     * is nothing to warn about, and says so in one INFO line naming the job; any other outcome is one WARNING line
     * naming the job and the partition, so that an operator can find the job from the log.
     */
    @FunctionName("FailAbandonedBatchPartition")
    public void partitionAbandoned(
            @QueueTrigger(name = "message", queueName = WorkQueue.BATCH_PARTITIONS + "-poison",
                    connection = "AzureWebJobsStorage") String message, ExecutionContext context) {
        triggers.run(context, () -> {
            BatchService.AbandonedPartition abandoned = batches.partitionAbandoned(message);
            if (abandoned.outcome() == BatchService.Abandoned.JOB_PURGED) {
                context.getLogger().info("FailAbandonedBatchPartition: batch " + abandoned.batchId() + " was purged"
                        + " by retention; its partition message is done with nothing to score");
            } else {
                context.getLogger().warning("FailAbandonedBatchPartition: partition " + abandoned.partition()
                        + " of batch " + abandoned.batchId() + " failed every retry; " + abandoned.outcome().words());
            }
        });
    }
}
