package health.vigil.cli;

import static health.vigil.cli.TerminalText.shown;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ValidationException;
import java.net.http.HttpResponse;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --if-revision N} of a deploy, rollback or canary start: made only while the deployment is still at the
 * revision its operator read ({@code If-Match}), so that two operators answering one alert, or an operator and a
 * script, cannot undo each other's change unknowingly, nor start a canary against a stable version not seen.
 */
final class IfRevisionOption {
    @Option(names = "--if-revision", paramLabel = "N", description = "Only while the deployment is still at this"
            + " revision, as vigil models show prints it; once anyone has changed it since, nothing is changed and the"
            + " platform answers 409 CONFLICT")
    Long revision;

    /** The request headers that carry the revision: {@code If-Match: "N"}, or none when the option was not given. */
    Map<String, String> headers() {
        if (revision == null) {
            return Map.of();
        }
        if (revision < 1) {
            throw new ValidationException("--if-revision must be a revision of the deployment, 1 or more, as vigil"
                    + " models show MODEL prints it (" + revision + " is none)");
        }
        return Map.of("If-Match", "\"" + revision + "\"");
    }

    /**
     * After {@code response} was printed: when the platform refused the change because the deployment moved on from
     * the revision given, says how to read it again from the command line (the platform's message names its route).
     */
    void explain(HttpResponse<String> response, String model, boolean json) {
        if (revision == null || json || response.statusCode() != 409) {
            return;
        }
        JsonNode error = ControlClient.parse(response).path("error");
        if (error.path("code").asText().equals("CONFLICT")) {
            System.err.println("the deployment was changed after revision " + revision + ": read it again with vigil"
                    + " models show " + shown(model) + ", and if this change is still wanted run it again with"
                    + " --if-revision set to the revision it prints");
        }
    }
}
