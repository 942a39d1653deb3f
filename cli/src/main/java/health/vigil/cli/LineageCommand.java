package health.vigil.cli;

import static health.vigil.cli.TerminalText.shown;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.text.Words;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vigil lineage ID}: where a prediction came from, from a running platform (role Audit.Export). */
@Command(name = "lineage", mixinStandardHelpOptions = true,
        description = "The lineage of a prediction: inputs, output, version, datasets, decisions, deployment;"
                + " as compliance.")
final class LineageCommand implements Callable<Integer> {
    @Parameters(index = "0", description = "The prediction id a scoring answer returned")
    String predictionId;

    @Option(names = "--json", description = "Print the whole answer (inputs, explanation, gate report, every audit"
            + " record) instead of its summary")
    boolean json;

    @Mixin
    RunningPlatform.Options target;

    @Override
    public Integer call() throws Exception {
        RunningPlatform.Answer answer = target.send("GET", "/predictions/"
                + URLEncoder.encode(predictionId, StandardCharsets.UTF_8), "compliance");
        if (answer.status() != 200) {
            System.err.println("vigil lineage: " + answer.status() + " " + shown(answer.errorMessage()));
            return 1;
        }
        System.out.println(json ? TerminalText.json(answer.body(), true)
                : summary(answer.body()));
        return 0;
    }

    /**
     * The lineage in a few lines: the prediction, the version that made it and its package, what it was trained on,
     * its gates, its signatures and the deployment it was served under; the rest (inputs, explanation, the whole gate
     * report and every audit record) is what {@code --json} prints.
     */
    static String summary(JsonNode lineage) {
        JsonNode p = lineage.path("prediction");
        JsonNode v = lineage.path("version");
        List<String> lines = new ArrayList<>();
        lines.add("prediction " + p.path("predictionId").asText() + ": " + p.path("model").asText() + " version "
                + p.path("version").asInt() + " (" + p.path("slot").asText() + ") at " + Words.time(p.path("time").asText())
                + ", risk " + p.path("score").asText() + ", decision " + p.path("decision").asText());
        lines.add("version " + v.path("version").asInt() + ": " + v.path("stage").asText().toLowerCase(java.util.Locale.ROOT)
                + ", package " + v.path("packageBlob").asText() + " (sha256 " + v.path("packageSha256").asText()
                + "), registered by " + shown(v.path("registeredBy").asText()) + " at " + Words.time(v.path("registeredAt").asText()));
        List<String> trained = new ArrayList<>();
        v.path("trainingDatasets").forEach(d -> trained.add(d.asText()));
        lines.add("trained on dataset" + (trained.size() == 1 ? " " : "s ") + (trained.isEmpty() ? "(none recorded)"
                : String.join(", ", trained)) + (v.path("retrainedFrom").isObject() ? "; retrained from version "
                + v.at("/retrainedFrom/parentVersion").asText() : ""));
        JsonNode gates = lineage.path("gateReport");
        lines.add(gates.isObject() ? "gates " + (gates.path("passed").asBoolean() ? "passed" : "failed") + " ("
                + Words.count(gates.path("checks").size(), "check") + ", policy version "
                + gates.path("policyVersion").asInt() + ", dataset " + gates.path("datasetSha256").asText() + ", "
                + Words.count(gates.path("datasetRows").asInt(), "row") + ")" : "gates: no report");
        for (JsonNode s : v.path("signatures")) {
            lines.add("signed " + s.path("meaning").asText() + " by " + shown(s.path("signerId").asText()) + " at "
                    + Words.time(s.path("signedAt").asText()));
        }
        JsonNode deployment = lineage.path("deploymentAtPrediction");
        lines.add(deployment.isObject() ? "served under " + deployment.path("action").asText() + " "
                + shown(deployment.path("subject").asText()) + " by " + shown(deployment.path("actor").asText()) + " at "
                + Words.time(deployment.path("time").asText()) : "served under no recorded deployment");
        lines.add(lineage.path("versionDecisions").size() + " audit records of the version; --json prints them, the"
                + " inputs and the explanation");
        return String.join("\n", lines);
    }
}
