package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Each decision of the retraining policy, one at a time. */
class RetrainPolicyTest {
    private static final Instant NOW = Instant.parse("2026-12-01T11:05:00Z");
    private static final Instant TRAINED = Instant.parse("2026-10-01T00:00:00Z");
    private final RetrainPolicy policy = new RetrainPolicy(true, true, Duration.ofDays(180), Duration.ofDays(1));

    @Test
    void aDriftAlertAsksForRetraining() {
        assertThat(policy.decide(report(MonitoringReport.Severity.ALERT, true, false), TRAINED, false, NOW))
                .contains("drift alert in 1 consecutive window");
    }

    @Test
    void aDriftWarningDoesNot() {
        assertThat(policy.decide(report(MonitoringReport.Severity.WARNING, true, false), TRAINED, false, NOW)).isEmpty();
    }

    @Test
    void degradedPerformanceAsksForRetraining() {
        assertThat(policy.decide(report(MonitoringReport.Severity.ALERT, false, true), TRAINED, false, NOW))
                .contains("performance below the monitoring policy");
    }

    @Test
    void aModelOlderThanTheMaximumAgeAsksForRetrainingEvenWhenAllIsWell() {
        assertThat(policy.decide(report(MonitoringReport.Severity.OK, false, false), NOW.minus(Duration.ofDays(181)),
                false, NOW)).contains("model older than 180 days");
        assertThat(policy.decide(report(MonitoringReport.Severity.OK, false, false), NOW.minus(Duration.ofDays(179)),
                false, NOW)).isEmpty();
    }

    @Test
    void nothingIsAskedWhileACandidateIsPending() {
        assertThat(policy.decide(report(MonitoringReport.Severity.ALERT, true, true), NOW.minus(Duration.ofDays(400)),
                true, NOW)).isEmpty();
    }

    @Test
    void switchedOffTriggersAskForNothing() {
        RetrainPolicy off = new RetrainPolicy(false, false, null, Duration.ofDays(1));
        assertThat(off.decide(report(MonitoringReport.Severity.ALERT, true, true), Instant.EPOCH, false, NOW)).isEmpty();
    }

    @Test
    void twoMomentsInOneIntervalShareItsKeyAndTheNextIntervalHasAnother() {
        assertThat(policy.intervalOf(Instant.parse("2026-12-01T00:00:00Z")))
                .isEqualTo(policy.intervalOf(Instant.parse("2026-12-01T23:59:59Z")))
                .isNotEqualTo(policy.intervalOf(Instant.parse("2026-12-02T00:00:00Z")));
    }

    @Test
    void anIntervalUnderAMinuteOrANonPositiveAgeIsRefused() {
        assertThatThrownBy(() -> new RetrainPolicy(true, true, null, Duration.ofSeconds(5)))
                .isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> new RetrainPolicy(true, true, Duration.ZERO, Duration.ofDays(1)))
                .isInstanceOf(ValidationException.class);
    }

    private static MonitoringReport report(MonitoringReport.Severity severity, boolean drifted, boolean degraded) {
        DriftReport drift = new DriftReport(500, drifted, List.of(), null, null, List.of(), DriftThresholds.DEFAULTS);
        return new MonitoringReport("readmission/v1/stable/x", "readmission", 1, "stable",
                NOW.minus(Duration.ofHours(1)), NOW, NOW, severity, List.of(), 500, 0.0, drifted ? 1 : 0, degraded,
                null, drift, null, MonitoringPolicy.DEFAULTS, List.of());
    }
}
