package health.vigil.cli.dashboard;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class ChartsTest {
    /** A label of the x axis: drawn just under the plot, at y 268 of the charts' 300. */
    private static final Pattern X_LABEL = Pattern.compile("<text x=\"([0-9.]+)\" y=\"268\\.0\"[^>]*>([^<]*)</text>");
    /** A character of 12 px sans-serif text is at most about 7.2 px wide (0.6 em). */
    private static final double CHARACTER = 7.2;

    /** The x axis's labels, in order: where each is centred and its text. */
    private static List<String[]> xLabels(String svg) {
        List<String[]> labels = new ArrayList<>();
        Matcher m = X_LABEL.matcher(svg);
        while (m.find()) {
            labels.add(new String[] {m.group(1), m.group(2)});
        }
        return labels;
    }

    private static void noTwoLabelsTouch(List<String[]> labels) {
        for (int i = 1; i < labels.size(); i++) {
            double apart = Double.parseDouble(labels.get(i)[0]) - Double.parseDouble(labels.get(i - 1)[0]);
            double needed = (labels.get(i)[1].length() + labels.get(i - 1)[1].length()) / 2.0 * CHARACTER;
            assertThat(apart).as(labels.get(i - 1)[1] + " beside " + labels.get(i)[1]).isGreaterThanOrEqualTo(needed);
        }
    }

    @Test
    void theScoreDistributionsAxisIsMarkedAtTheRiskBandsEdgesWithoutLabelsRunningIntoEachOther() {
        // The demo's readmission reference: ten bands, some narrow.
        List<Double> edges = List.of(0.02, 0.06, 0.08, 0.09, 0.10, 0.12, 0.14, 0.16, 0.21, 0.33, 0.79);
        List<Double> shares = Collections.nCopies(10, 0.1);

        String svg = Charts.distribution("score-chart", "Share per band", "bands", edges, shares, shares);

        List<String[]> labels = xLabels(svg);
        assertThat(labels).extracting(l -> l[1]).containsExactly("0.02", "0.06", "0.08", "0.09", "0.10", "0.12", "0.14",
                "0.16", "0.21", "0.33", "0.79");
        noTwoLabelsTouch(labels);
        assertThat(svg).contains(">predicted risk (edges of the risk bands)</text>").contains(">20.0\u00a0%</text>");
    }

    @Test
    void aWeekOfHourlyWindowsOrADayOfThemLabelsItsFirstAndLastWindowAndNoTwoLabelsTouch() {
        for (int windows : new int[] {1, 2, 7, 24, 168}) {
            List<String> names = new ArrayList<>();
            List<Double> values = new ArrayList<>();
            for (int i = 0; i < windows; i++) {
                names.add(String.format("12-%02d %02d:10", 1 + i / 24, i % 24));
                values.add(0.1);
            }

            List<String[]> labels = xLabels(Charts.lines("drift-chart", "PSI", "PSI per window", names,
                    List.of(new Charts.Series("score", values)), "PSI", 0.2, "drift at 0.20"));

            assertThat(labels.get(0)[1]).as(windows + " windows").isEqualTo(names.get(0));
            assertThat(labels.get(labels.size() - 1)[1]).as(windows + " windows").isEqualTo(names.get(windows - 1));
            noTwoLabelsTouch(labels);
        }
    }
}
