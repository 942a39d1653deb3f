package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.config.VigilConfig;
import health.vigil.testing.samples.SampleModels;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

/**
 * A platform whose clock is not the machine's (a fixed clock, as tests and replays give it): the routes whose period
 * defaults to "now" or "today" take the platform's, as every decision it records does.
 */
class PlatformClockIT {
    private static final Instant NOW = Instant.parse("2031-06-15T12:34:56Z");

    @Test
    void thePeriodsThatDefaultToNowAreThePlatformsNotTheMachines() throws Exception {
        Path home = Files.createTempDirectory("vigil-platform-clock-it-");
        Path zip = Files.createTempFile("readmission", ".zip");
        LocalPlatform platform = null;
        try {
            platform = LocalPlatform.start(VigilConfig.local(home), 0, b -> b.clock(Clock.fixed(NOW, ZoneOffset.UTC)));
            Files.write(zip, SampleModels.readmissionTrees().zip());
            ControlClient api = new ControlClient(platform.baseUri(), null);
            HttpResponse<String> uploaded = ModelsCommand.upload(api.as(LocalAdapters.apiKey(home, "data-scientist")),
                    SampleModels.READMISSION_NAME, zip, "readmission.zip");
            assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);

            JsonNode page = api.as(LocalAdapters.apiKey(home, "compliance")).send("GET", "/audit/records", null, 200);
            assertThat(page.get("from").asText()).isEqualTo("2031-06-15");
            assertThat(page.get("to").asText()).isEqualTo("2031-06-15");
            assertThat(page.get("records")).as("the upload, recorded on the platform's day").isNotEmpty();

            JsonNode reports = api.as(LocalAdapters.apiKey(home, "operator")).send("GET",
                    "/models/" + SampleModels.READMISSION_NAME + "/monitoring", null, 200);
            assertThat(reports.get("to").asText()).isEqualTo(NOW.toString());
            assertThat(reports.get("from").asText()).isEqualTo("2031-06-14T12:34:56Z");
        } finally {
            Files.deleteIfExists(zip);
            GovernedPath.stopAndDelete(platform, home);
        }
    }
}
