package health.vigil.functions.control;

import com.fasterxml.jackson.databind.JsonNode;
import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import com.microsoft.azure.functions.annotation.TimerTrigger;
import health.vigil.audit.AuditEvidence;
import health.vigil.audit.AuditLog;
import health.vigil.audit.EvidenceReport;
import health.vigil.audit.ExportResult;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.HttpApi;
import health.vigil.functions.common.Reply;
import health.vigil.functions.common.Triggers;
import health.vigil.json.Json;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.security.Role;
import java.time.LocalDate;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Audit evidence that leaves the database: signed exports of a period on request and every day, and a signed
 * anchor of the chain head every hour, all in the {@code audit-exports} container.
 */
public final class AuditEvidenceFunctions {
    private final AuditEvidence evidence;
    private final AuditLog audit;
    private final HttpApi http;
    private final java.time.Clock clock;
    private final Triggers triggers;

    public AuditEvidenceFunctions(VigilPlatform platform) {
        this.triggers = Triggers.of(platform);
        this.evidence = platform.auditEvidence();
        this.audit = platform.audit();
        this.http = new HttpApi(platform.authenticator(), platform.config().limits(), platform.telemetry());
        this.clock = platform.clock();
    }

    /** {@code POST /audit/exports} with {@code {"from": "yyyy-MM-dd", "to": "yyyy-MM-dd"}}: 201, or 200 if identical. */
    @FunctionName("AuditExport")
    public HttpResponseMessage export(
            @HttpTrigger(name = "request", methods = HttpMethod.POST, route = "audit/exports",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.AUDIT_EXPORT), call -> {
            JsonNode body = RequestFields.object(call, "{\"from\": \"2026-11-01\", \"to\": \"2026-11-30\"}");
            RequestFields.requireKnown(body, Set.of("from", "to"), "the export request");
            LocalDate from = day(body, "from");
            LocalDate to = day(body, "to");
            AuditFunctions.checkPeriod(from, to);
            ExportResult result = evidence.export(from, to, call.principal().id());
            return Reply.of(result.created() ? 201 : 200, body(result));
        });
    }

    /**
     * {@code GET /audit/evidence/verify?from=&to=} (UTC days, default today): the live store's records of those days checked against the
     * signed anchors and digests, trusting the keys published in {@code audit-exports} (immutable in Azure).
     */
    @FunctionName("AuditEvidenceVerify")
    public HttpResponseMessage verifyStore(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "audit/evidence/verify",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.AUDIT_EXPORT), call -> {
            LocalDate[] period = AuditFunctions.period(call, clock);
            LocalDate from = period[0];
            LocalDate to = period[1];
            EvidenceReport report = evidence.verifyStore(from, to, evidence.publishedKeys());
            audit.record(call.principal().id(), "audit.evidence.verified", "audit/" + from + ".." + to,
                    report.outcome(), Map.of("records", Long.toString(report.records())));
            return report;
        });
    }

    @FunctionName("AuditDailyExport")
    public void daily(@TimerTrigger(name = "timer", schedule = "0 15 0 * * *") String timer, ExecutionContext context) {
        triggers.run(context, () -> {
            ExportResult result = evidence.exportPreviousDay();
            context.getLogger().info("AuditDailyExport " + (result.created() ? "wrote " : "found ") + result.digest()
                    + " (" + result.count() + " records)");
        });
    }

    @FunctionName("AuditAnchor")
    public void anchor(@TimerTrigger(name = "timer", schedule = "0 0 * * * *") String timer, ExecutionContext context) {
        triggers.run(context, () -> {
            Optional<String> anchor = evidence.anchor();
            context.getLogger().info(anchor.map(a -> "AuditAnchor wrote " + a)
                    .orElse("AuditAnchor found this hour's anchor already written"));
        });
    }

    private static Map<String, Object> body(ExportResult result) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("container", ArtifactStore.AUDIT_EXPORTS);
        out.put("digest", result.digest());
        out.put("records", result.records());
        out.put("count", result.count());
        out.put("sha256", result.sha256());
        out.put("keyId", result.keyId());
        out.put("created", result.created());
        return out;
    }

    private static LocalDate day(JsonNode body, String field) {
        JsonNode value = body.get(field);
        if (value == null || !value.isTextual()) {
            throw Json.missingOrWrongType(value, "the body needs '" + field + "' as a date like 2026-11-24");
        }
        try {
            return LocalDate.parse(value.asText());
        } catch (DateTimeParseException e) {
            throw new ValidationException("'" + field + "' must be a date like 2026-11-24");
        }
    }
}
