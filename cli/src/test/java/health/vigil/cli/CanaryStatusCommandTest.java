package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil canary status MODEL} against a server on loopback that answers as the platform's
 * {@code GET /models/{name}/canary} then does: after a rollback replaced the deployment that held the canary, 404 naming
 * the kept canary's route, which the command line reads with {@code --version}; while an A/B experiment's treatment
 * holds the canary slot, the experiment, and the ramp from before it only as how it ended.
 */
class CanaryStatusCommandTest {
    private static final String DURING_EXPERIMENT = "{\"model\": \"readmission\", \"slots\": [{\"slot\": \"stable\","
            + " \"version\": 2, \"weightBasisPoints\": 8000}, {\"slot\": \"canary\", \"version\": 3,"
            + " \"weightBasisPoints\": 2000}], \"revision\": 7, \"updatedBy\": \"ops-lead\", \"updatedAt\":"
            + " \"2026-12-05T10:01:00Z\", \"experiment\": {\"id\": \"readmission-7\", \"status\": \"running\","
            + " \"controlVersion\": 2, \"controlBasisPoints\": 8000, \"treatmentVersion\": 3, \"treatmentBasisPoints\":"
            + " 2000, \"primaryMetric\": \"flag_rate\", \"startedBy\": \"ops-lead\", \"startedAt\": \"2026-12-05T10:01:00Z\","
            + " \"read\": \"GET /models/readmission/experiments\", \"report\": \"GET /models/readmission/experiments/report\","
            + " \"stop\": \"POST /models/readmission/experiments/stop\"}, \"lastCanary\": {\"version\": 2, \"status\":"
            + " \"promoted\", \"read\": \"GET /models/readmission/versions/2/canary\"}}";

    /** What the canary and shadow status print of the running experiment those answers name. */
    private static final String EXPERIMENT_LINES = "experiment readmission-7 holds the canary slot, treatment version 3 at 20 % against control version 2"
                + " at 80 %, primary metric flag_rate, started by ops-lead at 2026-12-05 10:01:00 UTC; canary actions are"
                + " refused until it is stopped\n"
                + "follow it with: vigil experiment status readmission (its report: vigil experiment report readmission;"
                + " to end it: vigil experiment stop readmission)\n";

    private final Server server = new Server();
    private final AtomicInteger requests = new AtomicInteger();

    @TempDir
    Path home;

    private URI answering(int status, String json) throws Exception {
        return LoopbackServer.answeringTheOperator(server, home, status, json, body -> requests.incrementAndGet());
    }

    @AfterEach
    void stop() throws Exception {
        server.stop();
    }

    @Test
    void aStatusAfterTheCanaryWasReplacedSaysHowTheCommandLineReadsTheKeptOne() throws Exception {
        URI base = answering(404, "{\"error\": {\"code\": \"NOT_FOUND\", \"message\": \"no canary of `readmission` has"
                + " been started since its last deployment; the last canary, of version 2 (aborted), and its analysis are"
                + " kept: GET /models/readmission/versions/2/canary; start one with POST /models/readmission/canary\"}}");

        CommandRun run = CommandRun.at(base, home, "canary", "status", "readmission");

        assertThat(run.exit()).isEqualTo(1);
        assertThat(run.err()).startsWith("404 NOT_FOUND: no canary of `readmission`")
                .contains("\na canary kept after a rollback, deploy or later canary (its version is named above when"
                        + " there is one) is read with: vigil canary status readmission --version N");
    }

    @Test
    void aStatusDuringAnExperimentNamesItAndTheCommandsThatFollowItAndShowsNoRampOrAnalyses() throws Exception {
        URI base = answering(200, DURING_EXPERIMENT);

        CommandRun run = CommandRun.at(base, home, "canary", "status", "readmission");

        assertThat(run.exit()).isEqualTo(0);
        assertThat(run.out()).isEqualTo("readmission revision 7: stable v2 80 %  canary v3 20 %  \n"
                + "no canary is in force: " + EXPERIMENT_LINES
                + "the last canary, of version 2 (promoted), is read with: vigil canary status readmission --version 2\n");
        assertThat(requests.get()).as("no analysis of a ramp that is not in force is asked for").isEqualTo(1);
    }

    @Test
    void aShadowStatusDuringAnExperimentSaysTheCanarySlotIsItsTreatment() throws Exception {
        URI base = answering(200, "{\"model\": \"readmission\", \"slots\": [{\"slot\": \"stable\", \"version\": 2,"
                + " \"weightBasisPoints\": 8000}, {\"slot\": \"canary\", \"version\": 3, \"weightBasisPoints\": 2000},"
                + " {\"slot\": \"shadow\", \"version\": 4, \"weightBasisPoints\": 1000}], \"shadowVersion\": 4,"
                + " \"basisPoints\": 1000, \"mirroring\": true, \"revision\": 8, \"updatedBy\": \"ops-lead\","
                + " \"updatedAt\": \"2026-12-05T10:02:00Z\", \"experiment\": {\"id\": \"readmission-7\", \"status\":"
                + " \"running\", \"controlVersion\": 2, \"controlBasisPoints\": 8000, \"treatmentVersion\": 3,"
                + " \"treatmentBasisPoints\": 2000, \"primaryMetric\": \"flag_rate\", \"startedBy\": \"ops-lead\","
                + " \"startedAt\": \"2026-12-05T10:01:00Z\"}}");

        CommandRun run = CommandRun.at(base, home, "shadow", "status", "readmission");

        assertThat(run.exit()).isEqualTo(0);
        assertThat(run.out()).isEqualTo("readmission revision 8: stable v2 80 %  canary v3 20 %  shadow v4 10 %  \n"
                + EXPERIMENT_LINES);
    }
}
