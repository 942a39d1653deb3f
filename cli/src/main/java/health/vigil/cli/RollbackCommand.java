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

/** {@code vigil rollback MODEL [--version N]}: all live traffic back to the previous stable (or a retired) version. */
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
    ModelsCommand.Target target = new ModelsCommand.Target();

    @Override
    public Integer call() throws IOException, InterruptedException {
        return target.print(send(target.client("operator"), model, version), body -> "rolled back: "
                + CanaryCommand.statusLines(body) + leftLine(body) + ModelsCommand.endedLine(body));
    }

    /**
     * {@code POST /models/MODEL/rollback} under one new {@code Idempotency-Key}, which its own tries reuse: a rollback
     * whose answer was lost is not made twice (which would go back once more, to the version the first one left).
     */
    static HttpResponse<String> send(ControlClient client, String model, Integer version)
            throws IOException, InterruptedException {
        return client.postOnce(RunningPlatform.modelPath(model) + "/rollback",
                version == null ? Map.of() : Map.of("version", version), UUID.randomUUID().toString());
    }

    /** The version the rollback took off live traffic, as the answer's {@code previousVersion} names it. */
    static String leftLine(JsonNode deployment) {
        JsonNode previous = deployment.path("previousVersion");
        return previous.isIntegralNumber() ? "\nleft: version " + previous.asInt() + ", which served before this"
                + " rollback, takes no live traffic" : "";
    }
}
