package health.vigil.cli;

import health.vigil.json.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code vigil lineage ID}: where a prediction came from, from a running platform (role Audit.Export). */
@Command(name = "lineage", mixinStandardHelpOptions = true,
        description = "The lineage of a prediction: inputs, output, version, datasets, decisions, deployment.")
final class LineageCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The prediction id a scoring answer returned")
    String predictionId;

    @Mixin
    RunningPlatform.Options target;

    @Override
    public Integer call() throws Exception {
        RunningPlatform.Answer answer = target.platform().send("GET", "/predictions/"
                + URLEncoder.encode(predictionId, StandardCharsets.UTF_8), "compliance");
        if (answer.status() != 200) {
            System.err.println("vigil lineage: " + answer.status() + " " + answer.errorMessage());
            return 1;
        }
        System.out.println(Json.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(answer.body()));
        return 0;
    }
}
