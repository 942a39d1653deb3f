package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.audit.VerificationReport;
import java.time.LocalDate;
import java.util.List;
import org.junit.jupiter.api.Test;

class AuditViewTest {
    private static final LocalDate DAY = LocalDate.parse("2026-12-03");

    @Test
    void oneRecordOnOneDayIsCountedInTheSingular() {
        assertThat(AuditView.verification(new VerificationReport(DAY, DAY, 1, 1, null, List.of())))
                .contains("Intact: 1 record in 1 day checked.");
        assertThat(AuditView.verification(new VerificationReport(DAY, DAY.plusDays(1), 2, 0, null, List.of())))
                .contains("Intact: 0 records in 2 days checked.");
    }

    @Test
    void aBrokenChainLinksToTheRunbookForAFailedVerificationOnTheDashboard() {
        String broken = AuditView.verification(new VerificationReport(DAY, DAY, 1, 3, new VerificationReport.Break(
                DAY.toString(), 2, VerificationReport.Problem.HASH_MISMATCH, "the record changed after it was written"),
                List.of()));

        assertThat(broken).contains("Follow the <a href=\"/dashboard/runbooks/failed-verification\">runbook for a"
                + " failed verification</a>.");
    }
}
