package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vigil demo} runs the whole loop to the end on a fresh home, and again on the same home. */
class DemoIT {
    @Test
    void theDemoWalksTheGovernedPathForTheThreeModels(@TempDir Path home) {
        String first = runDemo(home);
        assertThat(first).contains("uploaded readmission.zip", "uploaded adherence.zip", "uploaded complications.zip")
                .contains("readmission version 1: stage REGISTERED, uploaded by data-scientist")
                .contains("403 SEPARATION_OF_DUTIES: 'data-scientist' uploaded readmission:1")
                .contains("409 INVALID_STATE: readmission:1 cannot move to production")
                .contains("chain valid: true");
        // The data steward's datasets judge each version. Readmission and complications pass, are approved by
        // someone other than their uploader, deployed and scored; the seeded adherence model is over-confident on
        // held-out patients (calibration slope under the policy's floor), so its gates stop it and it is not deployed.
        assertThat(first).contains("registered by data-steward")
                .containsPattern("readmission version 1: gates_passed \\(\\d+ of \\d+ checks passed")
                .containsPattern("adherence version 1: gates_failed \\([^\\n]*failed: \\[[^\\]]*calibration/slope")
                .contains("adherence: 409 INVALID_STATE")
                .contains("signed 'approved for canary' by Avery Approver")
                .contains("readmission: deployed, revision 1", "complications: deployed, revision 1")
                .doesNotContain("adherence: deployed")
                .contains("INVALID_FEATURE")
                // A deliberately over-confident retrained candidate is stopped by its calibration gates.
                .containsPattern("readmission version \\d+: gates_failed; failed \\[[^\\]]*calibration/")
                .contains("the approver cannot sign it: 409 INVALID_STATE");
        // The approver reads each card's JSON summary before signing. The demo ends with the versions serving now (the
        // canary promoted a rebuilt readmission version) and how to look around once the platform has stopped, not
        // with addresses of a platform that is gone.
        assertThat(first).containsPattern("card of readmission version 1: gates passed, AUROC 0\\.\\d{3}, calibration"
                        + " error 0\\.\\d{3}, \\d+ flagged, \\d+ HTI-1 attributes not provided \\[")
                .containsPattern("card of readmission version 1: [^\\n]+\\n[^\\n]*signed 'approved for canary'")
                .containsPattern("versions serving now: readmission version [2-9], complications version 1")
                .contains("serve it again with ./vigil up --home ")
                .doesNotContainPattern("http://127\\.0\\.0\\.1:\\d+/models/readmission/versions/\\d+/card");
        // A rebuilt readmission package passes its gates, is approved, ramps on live traffic and is promoted.
        assertThat(first).containsPattern("uploaded readmission-rebuilt.zip: readmission version \\d+")
                .containsPattern("stable v1 80 %  canary v\\d+ 20 %")
                .containsPattern("canary of version \\d+ against 1: running, step 1 of 3 \\(20 %\\)")
                .containsPattern("canary of version \\d+ against 1: running, step 2 of 3 \\(50 %\\)")
                .containsPattern("canary of version (\\d+) against 1: promoted[^\\n]*\\nlast change: promoted \\(step 2")
                .containsPattern("\\d+ live patients scored meanwhile");
        // A retrained candidate passes its gates but flags more live patients: rolled back by the analysis, shown.
        assertThat(first).containsPattern("uploaded readmission-retrained.zip: readmission version \\d+")
                .containsPattern("canary of version \\d+ against \\d+: rolled_back[^\\n]*\\nlast change: rolled_back"
                        + " \\(step \\d \\(\\d+ %\\) failed on (flag_rate|score_distribution)")
                .containsPattern("step \\d at \\d+ %: fail, \\d+ canary / \\d+ stable predictions")
                .containsPattern("flag_rate +canary 0\\.\\d+  stable 0\\.\\d+");
        // The loop closes: drift in the shifted population, degraded performance against its outcomes, a retraining
        // request, and the retrained candidate uploaded by the platform's retraining identity, judged by its gates on
        // the steward's dataset, not deployable without an approval and not deployed.
        assertThat(first).containsPattern("report readmission/v1/stable/\\S+: ALERT")
                .contains("drift in ")
                .containsPattern("AUROC from 600 outcomes 0\\.[0-4]")
                .containsPattern("segment \\w+=[^:\\n]+: \\d+ labelled \\(\\d+ positive\\)")
                .containsPattern("monitoring.check alert")
                .containsPattern("retrain.request requested")
                .containsPattern("readmission version (\\d+): uploaded by system:retrain, retrained from version 1 on \\d+ rows")
                .contains("(600 labelled rows)")
                .containsPattern("gates of the retrained version \\d+: gates_(passed|failed) \\(\\d+ of \\d+ checks passed on the"
                        + " steward's 5000 rows")
                .containsPattern("deploying it without an approval: 409 INVALID_STATE")
                .containsPattern("it is not deployed: gates_(passed|failed); only a human approver can sign it")
                .containsPattern("chain valid: true \\(\\d+ records\\)");

        String again = runDemo(home);
        assertThat(again).contains("readmission.zip is already uploaded").contains("chain valid: true")
                .containsPattern("readmission version 1: stage (PRODUCTION|RETIRED)")
                .containsPattern("already stopped: readmission version \\d+ is gates_failed")
                .containsPattern("card of readmission version 1: gates passed")
                .containsPattern("versions serving now: readmission version \\d+, complications version 1")
                .containsPattern("readmission-rebuilt.zip is already uploaded: version \\d+")
                .containsPattern("readmission version \\d+ is already (retired|production): no new canary")
                .containsPattern("readmission version \\d+ is already rolled_back: no new canary")
                // A candidate is pending: the new window's alert asks for no second retraining.
                .containsPattern("readmission version \\d+: uploaded by system:retrain, retrained from version 1")
                .containsPattern("it is not deployed: gates_(passed|failed)");
    }

    private static String runDemo(Path home) {
        PrintStream original = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        int exit;
        try {
            exit = Main.commandLine().execute("demo", "--home", home.toString(), "--patients", "2");
        } finally {
            System.setOut(original);
        }
        String output = captured.toString(StandardCharsets.UTF_8);
        assertThat(exit).as(output).isZero();
        return output;
    }
}
