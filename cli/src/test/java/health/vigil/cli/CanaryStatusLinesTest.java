package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.json.Json;
import org.junit.jupiter.api.Test;

/** {@code vigil canary status}'s lines: a running ramp's next judgement, and none for a ramp that is not running. */
class CanaryStatusLinesTest {
    private static String lines(String status) {
        return CanaryCommand.statusLines(Json.readTree("a canary view", "{\"model\": \"readmission\", \"revision\": 5,"
                + " \"slots\": [{\"slot\": \"stable\", \"version\": 1, \"weightBasisPoints\": 8000}, {\"slot\": \"canary\","
                + " \"version\": 2, \"weightBasisPoints\": 2000}], \"canary\": {\"version\": 2, \"stableVersion\": 1,"
                + " \"status\": \"" + status + "\", \"step\": 1, \"steps\": [2000, 10000], \"weightBasisPoints\": 2000,"
                + " \"judgeAt\": \"2026-12-05T10:20:00Z\", \"lastChange\": \"2026-12-05T10:10:00Z\", \"reason\": \"started\"}}"));
    }

    @Test
    void aStoppedShadowIsCalledStoppedNotZeroPercent() {
        String lines = CanaryCommand.statusLines(Json.readTree("a deployment", "{\"model\": \"readmission\","
                + " \"revision\": 7, \"slots\": [{\"slot\": \"stable\", \"version\": 1, \"weightBasisPoints\": 10000},"
                + " {\"slot\": \"shadow\", \"version\": 3, \"weightBasisPoints\": 0}]}"));
        assertThat(lines).isEqualTo("readmission revision 7: stable v1 100 %  shadow v3 stopped  ");
        assertThat(ModelsCommand.deploymentLine(Json.readTree("a deployment", "{\"model\": \"readmission\","
                + " \"revision\": 8, \"slots\": [{\"slot\": \"stable\", \"version\": 1, \"weightBasisPoints\": 10000},"
                + " {\"slot\": \"shadow\", \"version\": 3, \"weightBasisPoints\": 1000}]}")))
                .isEqualTo("readmission revision 8: stable v1 100 % shadow v3 10 %");
    }

    @Test
    void aDeployThatEndedARunningCanarySaysSoAndOneThatEndedNothingAddsNothing() {
        String answer = "{\"model\": \"readmission\", \"revision\": 9, \"slots\": [{\"slot\": \"stable\","
                + " \"version\": 3, \"weightBasisPoints\": 10000}]%s}";
        assertThat(ModelsCommand.endedLine(Json.readTree("a deployment", String.format(answer, ", \"ended\":"
                + " {\"kind\": \"canary\", \"version\": 2, \"message\": \"the running canary of version 2 of"
                + " `readmission` has ended\"}")))).isEqualTo("\nended: the running canary of version 2 of `readmission`"
                + " has ended");
        assertThat(ModelsCommand.endedLine(Json.readTree("a deployment", String.format(answer, "")))).isEmpty();
    }

    @Test
    void aRunningRampSaysWhenItIsJudgedNextAndAPausedOneDoesNot() {
        assertThat(lines("running")).contains("step 1 of 2 (20 %), next judgement at 2026-12-05 10:20:00 UTC")
                .doesNotContain("judged at");
        assertThat(lines("paused")).contains("step 1 of 2 (20 %)\nlast change").doesNotContain("judgement");
    }

    @Test
    void aKeptCanaryNoLongerInTheDeploymentShowsItsFailingMetricAndNoNextJudgement() {
        String lines = CanaryCommand.keptLines(Json.readTree("a kept canary", "{\"model\": \"readmission\", \"version\": 3,"
                + " \"revision\": 6, \"inDeployment\": false, \"canary\": {\"version\": 3, \"stableVersion\": 2,"
                + " \"status\": \"running\", \"step\": 2, \"steps\": [100, 500, 10000], \"weightBasisPoints\": 500,"
                + " \"judgeAt\": \"2026-12-05T10:20:00Z\", \"lastChange\": \"stepped\", \"reason\": \"step 1 passed\"},"
                + " \"analysis\": {\"rampBudget\": 0.01, \"steps\": [{\"step\": 0, \"weightBasisPoints\": 100,"
                + " \"decision\": \"fail\", \"canaryCount\": 240, \"stableCount\": 23760, \"reason\": \"mean_score\","
                + " \"metrics\": [{\"name\": \"mean_score\", \"canary\": 0.41, \"stable\": 0.18, \"statistic\": 9.7,"
                + " \"pValue\": 1.5e-9, \"level\": 6.0e-4, \"failed\": true}]}]}}"));

        assertThat(lines).startsWith("readmission version 3: its last canary as deployment revision 6 left it (no longer"
                + " in the deployment)\ncanary of version 3 against 2: running when a deploy or rollback ended it, step 2 of 3"
                + " (5 %)\nlast change: stepped")
                .doesNotContain("judgement")
                .contains("step 1 at 1 %: fail, 240 canary / 23760 stable predictions")
                .containsPattern("mean_score +canary 0\\.4100  stable 0\\.1800  statistic 9\\.700  p 1\\.50e-09"
                        + "  level 0\\.000600  FAILED");
    }

    @Test
    void theAnalysesOfARampThatEndedBeforeARunningExperimentNameTheExperimentFirst() {
        String lines = CanaryCommand.analysisLines(Json.readTree("a canary analysis", "{\"model\": \"readmission\","
                + " \"version\": 2, \"stableVersion\": 1, \"status\": \"promoted\", \"rampBudget\": 0.01,"
                + " \"steps\": [], \"experiment\": {\"id\": \"readmission-9\", \"status\": \"running\","
                + " \"controlVersion\": 2, \"controlBasisPoints\": 8000, \"treatmentVersion\": 3,"
                + " \"treatmentBasisPoints\": 2000, \"primaryMetric\": \"flag_rate\", \"startedBy\": \"ops-lead\","
                + " \"startedAt\": \"2026-12-05T10:01:00Z\"}}"));

        assertThat(lines).startsWith("no canary is in force: experiment readmission-9 holds the canary slot, treatment"
                + " version 3 at 20 % against control version 2 at 80 %")
                .contains("\nthe analyses below are of the last canary, of version 2 (promoted), from before it\n"
                        + "analyses (false-rollback budget");
    }
}
