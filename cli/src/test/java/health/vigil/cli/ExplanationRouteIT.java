package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.json.Json;
import health.vigil.testing.samples.SampleModels;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The clinician's view of a prediction as a clinical application asks for it over HTTP on the local platform: the
 * section it embeds in its own page, what a misspelt request gets (a page for a browser, JSON for a client that asks
 * for it), and what the view says once the version that
 * scored the patient has left live traffic.
 */
class ExplanationRouteIT {

    @Test
    void theSectionAClinicalApplicationEmbedsRefusesAMisspeltParameterAndSaysWhenItsVersionWasReplaced() throws Exception {
        Path home = Files.createTempDirectory("vigil-explanation-it-");
        LocalPlatform platform = null;
        try {
            platform = GovernedPath.startWithStableAndApprovedCandidate(home);
            Map<String, Object> features = new LinkedHashMap<>(SampleModels.readmissionCohort(1, 7).records().get(0));
            features.values().removeIf(java.util.Objects::isNull);
            String clinicalApp = LocalAdapters.apiKey(home, "clinical-app");
            HttpResponse<String> scored = GovernedPath.score(platform, clinicalApp, "patient-1", features);
            assertThat(scored.statusCode()).as(scored.body()).isEqualTo(200);
            String path = "/predictions/" + Json.readTree("the answer", scored.body().getBytes(StandardCharsets.UTF_8))
                    .findValue("predictionId").asText() + "/explanation";
            ControlClient clinician = new ControlClient(platform.baseUri(), clinicalApp);

            HttpResponse<String> section = clinician.get(path + "?fragment=true", "text/html");
            assertThat(section.statusCode()).as(section.body()).isEqualTo(200);
            assertThat(section.body()).startsWith("<style>").doesNotContain("<html", "<h1")
                    .contains(">Why the model gave this risk</h2>").doesNotContain("version-now");

            // Parameter names are case-sensitive, as on every route: ?Fragment=true once gave the whole page. A browser
            // is told so in a page of the same status and words; a client that asks for JSON gets the JSON error.
            HttpResponse<String> misspelt = clinician.get(path + "?Fragment=true", "text/html");
            assertThat(misspelt.statusCode()).as(misspelt.body()).isEqualTo(400);
            assertThat(misspelt.headers().firstValue("Content-Type")).hasValue("text/html; charset=utf-8");
            assertThat(misspelt.body()).startsWith("<!DOCTYPE html>").contains("query parameter &#39;Fragment&#39; is"
                    + " not one this route takes; it takes fragment", "INVALID_REQUEST");
            HttpResponse<String> misspeltJson = clinician.get(path + "?Fragment=true", "application/json");
            assertThat(misspeltJson.statusCode()).isEqualTo(400);
            assertThat(misspeltJson.body()).startsWith("{\"error\":").contains("query parameter 'Fragment' is not one"
                    + " this route takes").doesNotContain("<html");
            HttpResponse<String> unknown = clinician.get("/predictions/0190a3c4-0000-7000-8000-00000000dead/explanation",
                    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8");
            assertThat(unknown.statusCode()).isEqualTo(404);
            assertThat(unknown.body()).startsWith("<!DOCTYPE html>").contains("PREDICTION_NOT_FOUND",
                    "no prediction with this id is in the prediction log");

            // Version 2 replaces version 1, which scored the patient: the explanation is still version 1's, and says
            // that its risk is no longer the one the model gives.
            new ControlClient(platform.baseUri(), LocalAdapters.apiKey(home, "operator"))
                    .send("POST", "/models/" + GovernedPath.READMISSION + "/versions/2/deploy", null, 200);
            HttpResponse<String> replaced = clinician.get(path, "text/html");
            assertThat(replaced.statusCode()).as(replaced.body()).isEqualTo(200);
            assertThat(replaced.body()).contains("data-fact=\"version-now\">Version 1 no longer scores patients",
                    "Score the patient again for the risk the model gives now.",
                    GovernedPath.READMISSION + " version 1");
            assertThat(clinician.exchange("GET", path, null).body()).contains("\"versionStage\":\"RETIRED\"");
        } finally {
            GovernedPath.stopAndDelete(platform, home);
        }
    }
}
