package health.vigil.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What a version's gates judge it on: the production version it is compared with (null when none serves), the
 * evaluation dataset (its sha256; null when none is registered) and the gate policy version. A gate report records
 * the basis it was judged on; an approval is signed only while that basis is still the one in force.
 */
public record GateBasis(Integer productionVersion, String datasetSha256, int policyVersion) {

    /** The basis {@code report} was judged on. */
    public static GateBasis of(GateReport report) {
        Objects.requireNonNull(report, "report");
        return new GateBasis(report.productionVersion(), report.datasetSha256(), report.policyVersion());
    }

    /**
     * What differs in this basis (the one in force) from {@code judged} (the one a report was judged on), one sentence
     * a change; empty when the report is still current.
     */
    public List<String> changesSince(GateBasis judged) {
        Objects.requireNonNull(judged, "judged");
        List<String> changes = new ArrayList<>();
        if (!Objects.equals(productionVersion, judged.productionVersion)) {
            changes.add((productionVersion == null ? "no version is in production now"
                    : "version " + productionVersion + " is in production now") + ", and the gates compared it with "
                    + (judged.productionVersion == null ? "no production version" : "version " + judged.productionVersion));
        }
        if (!Objects.equals(datasetSha256, judged.datasetSha256)) {
            changes.add((datasetSha256 == null ? "no evaluation dataset is registered now"
                    : "the evaluation dataset in force is now " + datasetSha256) + ", and the gates judged it on "
                    + (judged.datasetSha256 == null ? "none" : judged.datasetSha256));
        }
        if (policyVersion != judged.policyVersion) {
            changes.add("gate policy version " + policyVersion + " is in force now, and the gates applied version "
                    + judged.policyVersion);
        }
        return List.copyOf(changes);
    }
}
