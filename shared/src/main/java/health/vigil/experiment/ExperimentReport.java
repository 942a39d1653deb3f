package health.vigil.experiment;

import health.vigil.model.Experiment;
import java.time.Instant;
import java.util.List;

/**
 * An experiment's arms compared over its window ({@code from}: its start; {@code to}: its stop, or now). Rates are
 * compared with the two-proportion z-test and a 95 % Wald interval of the difference, AUROC with DeLong's test for
 * independent samples and its 95 % interval; every difference is treatment minus control, and a comparison that
 * cannot be made yet is null. {@code outcomes} says whether this platform joins outcomes to predictions at all.
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

    /** One arm: its predictions, flags, labelled predictions, positive outcomes and AUROC (null until computable). */
    public record Arm(String arm, int version, long predictions, long flagged, Double flagRate, long labelled,
            long positives, Double positiveRate, Double auroc) {}

    /** Treatment minus control: the difference, its 95 % interval, the test statistic and p-value. */
    public record Comparison(double control, double treatment, double difference, double lower95, double upper95,
            double z, double pValue, String test) {}

    /**
     * The pre-declared metric: the sample each arm has and needs, whether the plan is reached, and the comparison
     * to read once it is (reading it earlier inflates the false-positive rate the plan was built on).
     */
    public record Primary(String metric, String unit, long controlSample, long treatmentSample, long plannedControl,
            long plannedTreatment, boolean plannedSampleReached, String note) {}
}
