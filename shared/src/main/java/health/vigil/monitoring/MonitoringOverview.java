package health.vigil.monitoring;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.model.ModelName;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;

/**
 * A model version's monitoring over a period of UTC days (see {@link ModelMonitoring}).
 *
 * @param days every day of the period, in order, also those without predictions
 * @param period the drift report over the whole period (null without a reference profile or without rows)
 * @param scores the score's distribution over the reference's bins, production against training (null as above)
 * @param unavailable why drift is not computed, when it is not
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record MonitoringOverview(ModelName model, int version, LocalDate from, LocalDate to, double threshold,
        long rows, List<Day> days, DriftReport period, ScoreDistribution scores, String unavailable) {

    public MonitoringOverview {
        days = List.copyOf(days);
    }

    /**
     * One day: its predictions, their mean score and flagged share (null without predictions), the score's PSI and
     * each monitored input's PSI against the reference (empty without a reference or predictions), and the day's
     * verdict: drifted, stable, or not judged when the day had fewer rows than the thresholds' minimum (null
     * without predictions or reference).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Day(LocalDate day, long rows, Double meanScore, Double flaggedRate, Double scorePsi,
            Map<String, Double> featurePsi, DriftReport.Status status) {
        public Day {
            featurePsi = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(featurePsi));
        }
    }

    /** Shares of the score per reference bin: {@code edges} has one more entry than each list of shares. */
    public record ScoreDistribution(List<Double> edges, List<Double> reference, List<Double> production) {
        public ScoreDistribution {
            edges = List.copyOf(edges);
            reference = List.copyOf(reference);
            production = List.copyOf(production);
        }
    }
}
