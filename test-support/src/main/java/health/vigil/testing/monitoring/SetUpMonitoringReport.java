package health.vigil.testing.monitoring;

import health.vigil.audit.OnceKeys;
import health.vigil.model.ModelVersion;
import health.vigil.model.Slot;
import health.vigil.monitoring.MonitoringReport;
import health.vigil.monitoring.MonitoringService;
import health.vigil.monitoring.RetrainPolicy;
import health.vigil.platform.VigilPlatform;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;

/**
 * For tests of what follows a monitoring check, without the predictions that would make one: stores the report of a
 * version's stable slot over one UTC day and records it as the check records the reports it makes, and, for a report
 * that asked for retraining, the request the retraining policy records for it (in the interval of
 * {@link RetrainPolicy#DEFAULTS}, the platform's unless its builder was given another policy).
 */
public final class SetUpMonitoringReport {
    private SetUpMonitoringReport() {}

    /** The id of the report stored and recorded for {@code version}'s stable slot over {@code day}. */
    public static String stable(VigilPlatform platform, ModelVersion version, LocalDate day, boolean askedForRetraining) {
        Instant from = day.atStartOfDay(ZoneOffset.UTC).toInstant();
        Instant to = from.plus(Duration.ofDays(1));
        Instant checkedAt = to.plus(Duration.ofMinutes(5));
        String slot = Slot.STABLE.wireName();
        String id = MonitoringReport.idOf(version.name().value(), version.number(), slot, from, to);
        MonitoringReport.Severity severity = askedForRetraining ? MonitoringReport.Severity.ALERT
                : MonitoringReport.Severity.OK;
        List<String> reasons = List.of(askedForRetraining ? "performance below the monitoring policy"
                : "no drift and performance within the monitoring policy");
        platform.monitoring().reports().create(new MonitoringReport(id, version.name().value(), version.number(), slot,
                from, to, checkedAt, severity, reasons, 0, null, 0, askedForRetraining, null, null, null, null, null));
        String subject = version.subject();
        platform.audit().recordOnce(OnceKeys.monitoringCheck(id), MonitoringService.ACTOR, MonitoringService.CHECK_ACTION,
                subject, severity.name().toLowerCase(java.util.Locale.ROOT), Map.of("reportId", id, "slot", slot));
        if (askedForRetraining) {
            platform.audit().recordOnce(OnceKeys.retrainRequest(version.name().value(),
                    RetrainPolicy.DEFAULTS.intervalOf(checkedAt)), MonitoringService.ACTOR, MonitoringService.RETRAIN_ACTION,
                    subject, "requested", Map.of("reportId", id, "parentVersion", Integer.toString(version.number()),
                            "reason", reasons.get(0)));
        }
        return id;
    }
}
