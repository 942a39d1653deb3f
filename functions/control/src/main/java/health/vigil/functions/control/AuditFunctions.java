package health.vigil.functions.control;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.HttpResponseMessage;
import com.microsoft.azure.functions.annotation.AuthorizationLevel;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import health.vigil.audit.AuditLog;
import health.vigil.audit.AuditPage;
import health.vigil.error.ValidationException;
import health.vigil.functions.common.Access;
import health.vigil.functions.common.Call;
import health.vigil.functions.common.HttpApi;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Role;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;

/** Compliance's view of the audit log: the records of a period, and a verification of their hash chain. */
public final class AuditFunctions {
    private final AuditLog audit;
    private final HttpApi http;
    private final java.time.Clock clock;

    public AuditFunctions(VigilPlatform platform, HttpApi http) {
        this.audit = platform.audit();
        this.http = http;
        this.clock = platform.clock();
    }

    @FunctionName("AuditRecords")
    public HttpResponseMessage records(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "audit/records",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.AUDIT_EXPORT), call -> {
            LocalDate[] period = period(call, clock);
            int limit = pageSize(call);
            AuditPage page = audit.readPage(period[0], period[1], call.queryParam("continuationToken").orElse(null), limit);
            // Reading the log is itself evidence: who looked at which period.
            audit.record(call.principal().id(), "audit.read", "audit/" + period[0] + ".." + period[1], "read",
                    Map.of("records", Integer.toString(page.records().size())));
            return page;
        });
    }

    @FunctionName("AuditVerify")
    public HttpResponseMessage verify(
            @HttpTrigger(name = "request", methods = HttpMethod.GET, route = "audit/verify",
                    authLevel = AuthorizationLevel.ANONYMOUS) HttpRequestMessage<Optional<String>> request,
            ExecutionContext context) {
        return http.handle(request, context, Access.role(Role.AUDIT_EXPORT), call -> {
            LocalDate[] period = period(call, clock);
            var report = audit.verify(period[0], period[1]);
            audit.record(call.principal().id(), "audit.verified", "audit/" + period[0] + ".." + period[1],
                    report.valid() ? "valid" : "broken", Map.of("records", Long.toString(report.recordsChecked())));
            return report;
        });
    }

    /** {@code limit}: records per page, 1 to {@link AuditLog#MAX_PAGE_SIZE} (the default). */
    private static int pageSize(Call call) {
        return call.queryParam("limit").map(HttpApi::positiveWholeNumber).map(n -> {
            if (n < 1 || n > AuditLog.MAX_PAGE_SIZE) {
                throw new ValidationException("query parameter 'limit' must be a whole number from 1 to "
                        + AuditLog.MAX_PAGE_SIZE);
            }
            return n;
        }).orElse(AuditLog.MAX_PAGE_SIZE);
    }

    /** {@code from} and {@code to} (inclusive, UTC days, default the platform's today), at most a year apart. */
    static LocalDate[] period(Call call, java.time.Clock clock) {
        LocalDate today = LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC);
        LocalDate from = day(call, "from", today);
        LocalDate to = day(call, "to", today);
        checkPeriod(from, to);
        return new LocalDate[] {from, to};
    }

    /** A period of the audit log a caller may ask for: in order, at most a year. */
    static void checkPeriod(LocalDate from, LocalDate to) {
        if (to.isBefore(from)) {
            throw new ValidationException("'to' (" + to + ") is before 'from' (" + from + "); swap them");
        }
        AuditLog.checkBoundedPeriod(from, to);
    }

    private static LocalDate day(Call call, String name, LocalDate fallback) {
        return call.queryParam(name).map(v -> {
            try {
                return LocalDate.parse(v);
            } catch (DateTimeParseException e) {
                throw new ValidationException("query parameter '" + name + "' must be a date like 2026-11-24");
            }
        }).orElse(fallback);
    }
}
