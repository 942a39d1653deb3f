package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.monitoring.DriftReport;
import health.vigil.monitoring.DriftThresholds;
import health.vigil.monitoring.MonitoringReport;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

class MonitoringViewTest {

    private static MonitoringReport window(String from, MonitoringReport.Severity severity, List<String> reasons,
            DriftReport.Status age) {
        DriftReport.FeatureDrift feature = new DriftReport.FeatureDrift("age", "numeric", 500, 0, 0, 0.31, null, null,
                null, null, null, null, null, null, null, age, List.of());
        DriftReport drift = new DriftReport(500, age == DriftReport.Status.DRIFTED, List.of(feature), null, null,
                List.of(), DriftThresholds.DEFAULTS);
        Instant start = Instant.parse(from);
        return new MonitoringReport("readmission/v1/stable/" + from, "readmission", 1, "stable", start,
                start.plusSeconds(3600), start.plusSeconds(3600), severity, reasons, 500, null,
                age == DriftReport.Status.DRIFTED ? 1 : 0, false, null, drift, null, null, List.of());
    }

    @Test
    void aWindowsDriftedInputsAreNamedOnceInTheReasonsNotAgainInAColumnOfTheirOwn() {
        String html = MonitoringView.windows(List.of(
                window("2026-11-20T10:00:00Z", MonitoringReport.Severity.OK, List.of(), DriftReport.Status.STABLE),
                window("2026-11-20T11:00:00Z", MonitoringReport.Severity.WARNING,
                        List.of("drift in age (1 window in a row)"), DriftReport.Status.DRIFTED)));

        assertThat(html).doesNotContain(">Drifted</th>").contains("<th scope=\"col\">Why</th></tr>")
                .contains("<td>drift in age (1 window in a row)</td></tr>");
        // A window without a reason says so with a dash, as every empty cell of the page does, not with "none".
        String ok = html.substring(html.indexOf("<tr><th scope=\"row\">"), html.indexOf("</tr>",
                html.indexOf("<tr><th scope=\"row\">")));
        assertThat(ok).endsWith("<td>\u2013</td>").doesNotContain("none");
        assertThat(html.split("age", -1)).hasSize(2);
    }

    @Test
    void oneCheckedWindowAndOnePredictionAreCountedInTheSingular() {
        assertThat(MonitoringView.counts(1, 1, 0)).isEqualTo("<strong data-fact=\"windows\">1</strong> checked window,"
                + " <strong data-fact=\"rows\">1</strong> prediction, <strong data-fact=\"labelled\">0</strong> with an"
                + " outcome");
        assertThat(MonitoringView.counts(2, 4129, 600)).startsWith("<strong data-fact=\"windows\">2</strong> checked"
                + " windows, <strong data-fact=\"rows\">4129</strong> predictions,");
    }
}
