package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonView;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import java.time.Instant;
import java.util.Objects;

/**
 * An A/B experiment as the deployment document keeps it: the control version (the stable slot) and the treatment
 * version (the canary slot, {@code treatmentBasisPoints} of live traffic, assigned by patient pseudonym), the
 * primary metric and its plan, declared before the first patient was assigned: the control arm's expected value
 * ({@code baseline}), the smallest difference worth detecting, the expected prevalence (AUROC only), alpha, power,
 * and the sample size each arm needs. The last experiment stays in the document after it stops, so its report can
 * still be read. {@code bucketSalt} salts the patients' buckets for this experiment, as a canary ramp's does; absent
 * in experiments started before salts, which keep the unsalted bucket; stored with the document, left out of every
 * answer ({@link Json.Stored}).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Experiment(
        String id,
        int controlVersion,
        int treatmentVersion,
        int treatmentBasisPoints,
        ExperimentMetric primaryMetric,
        double baseline,
        double minimumDetectableEffect,
        Double prevalence,
        double alpha,
        double power,
        long plannedControl,
        long plannedTreatment,
        String status,
        String startedBy,
        Instant startedAt,
        String stoppedBy,
        Instant stoppedAt,
        @JsonView(Json.Stored.class) String bucketSalt) {
    public static final String RUNNING = "running";
    public static final String STOPPED = "stopped";

    public Experiment {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(primaryMetric, "primaryMetric");
        Objects.requireNonNull(startedAt, "startedAt");
        BucketSalt.require(bucketSalt);
        if (controlVersion == treatmentVersion) {
            throw new ValidationException("an experiment compares two versions; control and treatment are both version "
                    + controlVersion);
        }
        if (treatmentBasisPoints < 1 || treatmentBasisPoints >= TrafficSlot.ALL) {
            throw new ValidationException("the treatment arm's share is " + treatmentBasisPoints
                    + " basis points; give 1-9999 (5000 = an even split)");
        }
        if (!RUNNING.equals(status) && !STOPPED.equals(status)) {
            throw new ValidationException("an experiment is running or stopped, not '" + status + "'");
        }
        if (primaryMetric == ExperimentMetric.AUROC && prevalence == null) {
            throw new ValidationException("an AUROC experiment needs the expected prevalence of positive outcomes");
        }
    }

    /** An experiment without a bucket salt, as experiments were before salts. */
    public Experiment(String id, int controlVersion, int treatmentVersion, int treatmentBasisPoints,
            ExperimentMetric primaryMetric, double baseline, double minimumDetectableEffect, Double prevalence,
            double alpha, double power, long plannedControl, long plannedTreatment, String status, String startedBy,
            Instant startedAt, String stoppedBy, Instant stoppedAt) {
        this(id, controlVersion, treatmentVersion, treatmentBasisPoints, primaryMetric, baseline,
                minimumDetectableEffect, prevalence, alpha, power, plannedControl, plannedTreatment, status, startedBy,
                startedAt, stoppedBy, stoppedAt, null);
    }

    @JsonIgnore
    public boolean running() {
        return RUNNING.equals(status);
    }

    /** The same experiment, stopped by {@code by} at {@code at}. */
    public Experiment stopped(String by, Instant at) {
        return new Experiment(id, controlVersion, treatmentVersion, treatmentBasisPoints, primaryMetric, baseline,
                minimumDetectableEffect, prevalence, alpha, power, plannedControl, plannedTreatment, STOPPED,
                startedBy, startedAt, by, at, bucketSalt);
    }
}
