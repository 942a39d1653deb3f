package health.vigil.experiment;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.model.Experiment;
import java.time.Instant;
import java.util.List;

/**
 * An experiment's arms compared over its window ({@code from}: its start; {@code to}: its stop, or now). Rates are
 * compared with the two-proportion z-test and a 95 % Wald interval of the difference, AUROC with DeLong's test for
 * independent samples and its 95 % interval; every difference is treatment minus control, and a comparison that
 * cannot be made yet is null. {@code outcomes} says whether this platform joins outcomes to predictions at all. An
 * arm's outcomes follow the monitoring report's small-cell rule (the model's {@code minCellSize}): a count of a few
 * patients' outcomes is absent, with what would give it back, and {@code suppressed} says why.
 */
public record ExperimentReport(
        String model,
        Experiment experiment,
        Instant from,
        Instant to,
        boolean outcomes,
        List<Arm> arms,
        Comparison flagRate,
        Comparison positiveRate,
        Comparison auroc,
        Primary primary) {

    public ExperimentReport {
        arms = List.copyOf(arms);
    }

    /**
     * One arm: its predictions, flags, labelled predictions, positive outcomes and AUROC (null until computable).
     * With 1 to {@code minCellSize} - 1 labelled predictions, neither count is shown, nor the positive rate or AUROC;
     * with that few of either outcome, the labelled count is shown but not the positives, the positive rate or the
     * AUROC (the negatives are the labelled minus the positives). {@code suppressed} says which, absent otherwise.
     */
    public record Arm(String arm, int version, long predictions, long flagged, Double flagRate,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long labelled,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long positives, Double positiveRate, Double auroc,
            @JsonInclude(JsonInclude.Include.NON_NULL) String suppressed) {}

    /** Treatment minus control: the difference, its 95 % interval, the test statistic and p-value. */
    public record Comparison(double control, double treatment, double difference, double lower95, double upper95,
            double z, double pValue, String test) {}

    /**
     * The pre-declared metric: the sample each arm has and needs, whether the plan is reached, and the comparison
     * to read once it is (reading it earlier inflates the false-positive rate the plan was built on). A sample of
     * labelled predictions its arm withholds is absent, and the note gives it as fewer than {@code minCellSize}.
     */
    public record Primary(String metric, String unit,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long controlSample,
            @JsonInclude(JsonInclude.Include.NON_NULL) Long treatmentSample, long plannedControl,
            long plannedTreatment, boolean plannedSampleReached, String note) {}
}
