package health.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code vigil rollback MODEL [--version N] [--if-revision N]}: all live traffic back to the previous stable (or a
 * retired) version; with {@code --if-revision}, only while the deployment is still at the revision its operator read.
 */
@Command(name = "rollback",
        description = "Put the previous stable version (or --version N, one of the last five retired) back on all traffic.")
final class RollbackCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The model")
    String model;

    @Mixin
    HelpAndVersionOptions helpAndVersion = new HelpAndVersionOptions();

    @Option(names = "--version", description = "One of the last five retired versions (default: the previous stable one)")
    Integer version;

    @Mixin
    IfRevisionOption ifRevision = new IfRevisionOption();

    @Mixin
    ModelsCommand.Target target = new ModelsCommand.Target();

    @Override
    public Integer call() throws IOException, InterruptedException {
        Map<String, String> precondition = ifRevision.headers();
        HttpResponse<String> response = send(target.client("operator"), model, version, precondition);
        int exit = target.print(response, body -> "rolled back: " + CanaryCommand.statusLines(body) + leftLine(body)
                + ModelsCommand.endedLine(body));
        ifRevision.explain(response, model, target.json);
        return exit;
    }

    /**
     * {@code POST /models/MODEL/rollback} under one new {@code Idempotency-Key}, which its own tries reuse: a rollback
     * whose answer was lost is not made twice (which would go back once more, to the version the first one left).
     * {@code precondition} is sent with every try ({@code If-Match} of {@code --if-revision}, or nothing).
     */
    static HttpResponse<String> send(ControlClient client, String model, Integer version,
            Map<String, String> precondition) throws IOException, InterruptedException {
        return client.postOnce(RunningPlatform.modelPath(model) + "/rollback",
                version == null ? Map.of() : Map.of("version", version), UUID.randomUUID().toString(), precondition);
    }

    /** The version the rollback took off live traffic, as the answer's {@code previousVersion} names it. */
    static String leftLine(JsonNode deployment) {
        JsonNode previous = deployment.path("previousVersion");
        return previous.isIntegralNumber() ? "\nleft: version " + previous.asInt() + ", which served before this"
                + " rollback, takes no live traffic" : "";
    }
}
