package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** {@code vigil lineage ID}'s summary: a few lines instead of the whole answer, which --json prints. */
class LineageSummaryTest {
    @Test
    void theSummaryNamesThePredictionTheVersionItsDataGatesSignaturesAndDeployment() {
        String summary = LineageCommand.summary(ControlClient.parse("""
                {"prediction": {"predictionId": "p-1", "model": "readmission", "version": 4, "slot": "stable",
                  "time": "2026-12-05T10:00:00Z", "patientPseudonym": "ab12", "inputs": {"age": 71}, "score": 0.21,
                  "decision": true, "explanation": {"topFactors": []}},
                 "version": {"version": 4, "stage": "production", "packageSha256": "aaa", "modelSha256": "bbb",
                  "packageBlob": "retrained-readmission-from-v3-x.zip", "registeredAt": "2026-12-04T09:00:00Z",
                  "registeredBy": "system:retrain", "signatures": [{"signerId": "approver", "meaning":
                  "APPROVED_FOR_CANARY", "signedAt": "2026-12-04T10:00:00Z"}], "provenance": {},
                  "trainingDatasets": ["d1", "d2"], "retrainedFrom": {"parentVersion": "3", "report": "r"}},
                 "gateReport": {"passed": true, "checks": [{}, {}, {}], "policyVersion": 2, "datasetSha256": "e1",
                  "datasetRows": 5000, "curves": {"roc": [1, 2, 3]}},
                 "versionDecisions": [{}, {}, {}, {}],
                 "deploymentAtPrediction": {"action": "deployment.deploy", "subject": "/models/readmission/versions/4",
                  "actor": "operator", "time": "2026-12-04T11:00:00Z"}}"""));

        assertThat(summary.lines()).containsExactly(
                "prediction p-1: readmission version 4 (stable) at 2026-12-05 10:00:00 UTC, risk 0.21, decision true",
                "version 4: production, package retrained-readmission-from-v3-x.zip (sha256 aaa), registered by"
                        + " system:retrain at 2026-12-04 09:00:00 UTC",
                "trained on datasets d1, d2; retrained from version 3",
                "gates passed (3 checks, policy version 2, dataset e1, 5000 rows)",
                "signed APPROVED_FOR_CANARY by approver at 2026-12-04 10:00:00 UTC",
                "served under deployment.deploy /models/readmission/versions/4 by operator at 2026-12-04 11:00:00 UTC",
                "4 audit records of the version; --json prints them, the inputs and the explanation");
        assertThat(summary).doesNotContain("ab12").doesNotContain("roc");
    }

    @Test
    void aGateReportOfOneCheckOnOneRowCountsThemInTheSingular() {
        String summary = LineageCommand.summary(ControlClient.parse("""
                {"prediction": {"predictionId": "p-2", "model": "readmission", "version": 1, "slot": "stable"},
                 "version": {"version": 1, "stage": "production"},
                 "gateReport": {"passed": false, "checks": [{}], "policyVersion": 1, "datasetSha256": "e2",
                  "datasetRows": 1}}"""));

        assertThat(summary.lines()).contains("gates failed (1 check, policy version 1, dataset e2, 1 row)");
    }
}
