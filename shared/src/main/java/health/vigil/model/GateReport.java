package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of a version's gates: what it was judged on (the registered evaluation dataset, the policy
 * version, the production version it was compared with), every check, and whether all passed. The
 * uploader's own {@code evaluation.json}, when the package has one, is not part of it. {@code curves} holds the
 * candidate's calibration and ROC curves when it was scored (absent in reports stored before they were kept).
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record GateReport(
        String model,
        int version,
        boolean passed,
        Instant evaluatedAt,
        String datasetSha256,
        Integer datasetRows,
        Integer productionVersion,
        int policyVersion,
        List<GateCheck> checks,
        List<String> notes,
        GateCurves curves) {

    public GateReport {
        Objects.requireNonNull(model, "model");
        checks = List.copyOf(checks);
        notes = notes == null ? List.of() : List.copyOf(notes);
    }

    /** The checks of one gate, in the order they were made. */
    public List<GateCheck> checksOf(String gate) {
        return checks.stream().filter(c -> c.gate().equals(gate)).toList();
    }

    /** The gates that failed, by name, in the order they were checked. */
    public List<String> failedGates() {
        return checks.stream().filter(GateCheck::failed).map(GateCheck::gate).distinct().toList();
    }
}
