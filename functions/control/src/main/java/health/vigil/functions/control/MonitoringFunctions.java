package health.vigil.functions.control;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import com.microsoft.azure.functions.annotation.QueueTrigger;
import com.microsoft.azure.functions.annotation.TimerTrigger;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.Reply;
import health.vigil.functions.common.Triggers;
import health.vigil.model.ModelName;
import health.vigil.monitoring.MonitoringReport;
import health.vigil.monitoring.MonitoringRun;
import health.vigil.monitoring.MonitoringService;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.WorkQueue;
import health.vigil.registry.ModelRegistry;
import health.vigil.security.Role;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * Monitoring of deployed models: the scheduled {@code DriftCheck} (schedule in the app setting
 * {@code VIGIL_DRIFT_CHECK_SCHEDULE}), a check of a chosen window on request, {@code DriftCheckPartition} on the
 * {@code monitoring-partitions} queue for the partitions of a large window, and the stored reports of a period.
 */
public final class MonitoringFunctions {
    private static final Duration MAX_PERIOD = Duration.ofDays(366);
    /** How long a request waits for a fanned-out check's merge: inside the 230 s a Function App gives an HTTP request. */
    static final Duration RUN_WAIT = Duration.ofSeconds(120);
    private final MonitoringService monitoring;
    private final ModelRegistry registry;
    private final HttpApi http;
    private final java.time.Clock clock;
    private final Triggers triggers;

    public MonitoringFunctions(VigilPlatform platform, HttpApi http) {
        this.triggers = Triggers.of(platform);
        this.monitoring = platform.monitoring();
        this.registry = platform.registry();
        this.http = http;
        this.clock = platform.clock();
    }

    @FunctionName("DriftCheck")
    public void driftCheck(@TimerTrigger(name = "timer", schedule = "%VIGIL_DRIFT_CHECK_SCHEDULE%") String timer,
            ExecutionContext context) {
        triggers.run(context, () -> {
            MonitoringRun run = monitoring.checkAll();
            Map<MonitoringReport.Severity, Long> bySeverity = new java.util.TreeMap<>();
            run.reports().forEach(r -> bySeverity.merge(r.severity(), 1L, Long::sum));
            context.getLogger().info("DriftCheck checked " + run.reports().size() + " model slot(s): " + bySeverity
                    + (run.pending().isEmpty() ? "" : "; " + run.pending().size() + " fanned out over "
                    + run.pending().stream().mapToInt(MonitoringRun.Pending::partitions).sum() + " log partitions"));
        });
    }

    /**
     * One log partition of a fanned-out check; the last one to finish merges the report. A store that is unavailable
     * throws, so the queue delivers the message again.
     */
    @FunctionName("DriftCheckPartition")
    public void checkPartition(
            @QueueTrigger(name = "message", queueName = WorkQueue.MONITORING_PARTITIONS,
                    connection = "AzureWebJobsStorage") String message, ExecutionContext context) {
        triggers.run(context, () -> monitoring.checkPartition(message));
    }

    /** {@code GET /models/{name}/monitoring?from=&to=}: the stored reports whose window starts in the period. */
    @FunctionName("MonitoringReports")
    public HttpResponseMessage reports(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "models/{name}/monitoring",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE), call -> {
            ModelName model = known(name);
            call.requireInstantParams("from", "to");
            Instant to = call.instantParam("to").orElse(clock.instant());
            Instant from = call.instantParam("from").orElse(to.minus(Duration.ofDays(1)));
            if (!from.isBefore(to) || Duration.between(from, to).compareTo(MAX_PERIOD) > 0) {
                throw new ValidationException("'from' must be before 'to' and the period at most 366 days");
            }
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", model.value());
            out.put("from", from.toString());
            out.put("to", to.toString());
            out.put("reports", monitoring.reports().list(model.value(), from, to));
            return out;
        });
    }

    /**
     * {@code POST /models/{name}/monitoring/run?from=&to=}: checks that window now (default: the last whole window
     * of the model's policy, the one the timer checks); a window checked before answers its stored report and writes nothing. A window fanned
     * out over its log partitions is waited for up to {@link #RUN_WAIT}; if its report is not merged by then the
     * answer is 202 with the pending checks, and the report is read later from {@code GET .../monitoring}.
     */
    @FunctionName("RunMonitoring")
    public HttpResponseMessage run(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "models/{name}/monitoring/run",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            @BindingName("name") String name,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.DEPLOYMENTS_OPERATE), call -> {
            call.requireNoBody("give the window as query parameters, ?from=...&to=... (ISO-8601, UTC)");
            ModelName model = known(name);
            call.requireInstantParams("from", "to");
            MonitoringRun run = monitoring.check(model, call.instantParam("from"), call.instantParam("to"), RUN_WAIT,
                    call.principal().id());
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("model", model.value());
            out.put("reports", run.reports());
            if (run.pending().isEmpty()) {
                return out;
            }
            out.put("pending", run.pending());
            return new Reply(202, out, Map.of("Location", "/models/" + model.value() + "/monitoring?from="
                    + run.pending().get(0).from() + "&to=" + run.pending().get(0).from().plusSeconds(1)));
        });
    }

    private ModelName known(String name) {
        return registry.requireRegistered(new ModelName(name));
    }

}
