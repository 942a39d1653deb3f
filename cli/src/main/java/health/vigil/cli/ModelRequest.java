package health.vigil.cli;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/**
 * A subcommand that sends one request about a model as the operator ({@code GET} to read, {@code POST} with an empty
 * object to act) and prints the answer.
 */
abstract class ModelRequest implements Callable<Integer> {
    @Parameters(index = "0", description = "The model")
    String model;

    @Mixin
    ModelsCommand.Target target = new ModelsCommand.Target();

    private final String method;
    private final String route;
    private final Function<JsonNode, String> text;

    /** @param route the path after {@code /models/NAME} */
    ModelRequest(String method, String route, Function<JsonNode, String> text) {
        this.method = method;
        this.route = route;
        this.text = text;
    }

    @Override
    public Integer call() throws IOException, InterruptedException {
        return target.print(target.client("operator").exchange(method, RunningPlatform.modelPath(model) + route,
                method.equals("GET") ? null : Map.of()), text);
    }
}
