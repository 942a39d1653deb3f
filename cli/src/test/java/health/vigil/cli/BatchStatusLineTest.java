package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The one line `vigil batch status` prints for a job. */
class BatchStatusLineTest {

    @Test
    void aPlannedJobShowsItsVersionAndRowsAndOneThatFailedBeforeItsPlanSaysSo() {
        assertThat(BatchCommand.statusLine(ControlClient.parse("""
                {"id": "j-1", "model": "readmission", "version": 3, "state": "RUNNING", "rows": 10, "rowsDone": 4,
                 "scored": 3, "refused": 1}""")))
                .isEqualTo("batch j-1 running: readmission version 3, 4 of 10 rows (3 scored, 1 refused); follow it with:"
                        + " vigil batch status j-1 --wait");
        // Failed before it was planned (the file could not be scored at all): no model, version 0, no rows.
        assertThat(BatchCommand.statusLine(ControlClient.parse("""
                {"id": "j-2", "model": null, "version": 0, "state": "FAILED", "rows": 0, "rowsDone": 0, "scored": 0,
                 "refused": 0, "failure": "no model is named no-such-model"}""")))
                .isEqualTo("batch j-2 failed: not planned; no model is named no-such-model");
    }

    @Test
    void aCompletedJobSaysHowToDownloadItsResults() {
        // The results are named as a blob of the platform's container, which is no file in the operator's folder.
        assertThat(BatchCommand.statusLine(ControlClient.parse("""
                {"id": "j-4", "model": "readmission", "version": 3, "state": "COMPLETED", "rows": 10, "rowsDone": 10,
                 "scored": 10, "refused": 0, "results": "batch-output/j-4/results.jsonl"}""")))
                .isEqualTo("batch j-4 completed: readmission version 3, 10 of 10 rows (10 scored, 0 refused); results in"
                        + " batch-output/j-4/results.jsonl; download them with: vigil batch download j-4 --out"
                        + " results.jsonl");
    }

    @Test
    void refusedRowsAreCountedByReasonFromTheSummary() {
        assertThat(BatchCommand.refusalLine(ControlClient.parse("""
                {"id": "j-3", "rows": 5, "scored": 0, "refused": 5,
                 "refusalsByKind": {"INVALID_FEATURE: age out of range": 3, "INVALID_FEATURE: hba1c missing": 2}}""")))
                .isEqualTo("refused rows by reason: INVALID_FEATURE: age out of range 3, INVALID_FEATURE: hba1c missing 2"
                        + " (each row under its first reason; the results name every refused row)");
    }

    @Test
    void aJobOfOneRowCountsItInTheSingular() {
        assertThat(BatchCommand.statusLine(ControlClient.parse("""
                {"id": "j-5", "model": "readmission", "version": 3, "state": "RUNNING", "rows": 1, "rowsDone": 0,
                 "scored": 0, "refused": 0}""")))
                .startsWith("batch j-5 running: readmission version 3, 0 of 1 row (0 scored, 0 refused)");
    }
}
