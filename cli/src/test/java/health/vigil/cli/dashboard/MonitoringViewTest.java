package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class MonitoringViewTest {

    @Test
    void oneCheckedWindowAndOnePredictionAreCountedInTheSingular() {
        assertThat(MonitoringView.counts(1, 1, 0)).isEqualTo("<strong data-fact=\"windows\">1</strong> checked window,"
                + " <strong data-fact=\"rows\">1</strong> prediction, <strong data-fact=\"labelled\">0</strong> with an"
                + " outcome");
        assertThat(MonitoringView.counts(2, 4129, 600)).startsWith("<strong data-fact=\"windows\">2</strong> checked"
                + " windows, <strong data-fact=\"rows\">4129</strong> predictions,");
    }
}
