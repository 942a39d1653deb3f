package health.vigil.bench.http;

import health.vigil.json.Json;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.port.ArtifactStore;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the HTTP load benchmark ({@code bench/http/run.sh}) needs from Java:
 * <ul>
 *   <li>{@code prepare DIR}: the benchmark model ({@code model.onnx}, and its package {@code benchmark.zip}), and
 *       one patient's request bodies: {@code score.json} for {@code POST /score/{name}} (which the floor and
 *       the Node peer take too) and {@code infer.json} for the Open Inference Protocol;</li>
 *   <li>{@code deploy HOME BASE_URL DIR}: drops the package into a running {@code vigil up}, waits until it is
 *       registered, deploys it, and writes the scoring key to {@code DIR/scoring.key}.</li>
 * </ul>
 */
public final class HttpLoadFixture {
    static final String BLOB = "benchmark.zip";
    private static final long ROW_SEED = 7L;

    private HttpLoadFixture() {}

    public static void main(String[] args) throws Exception {
        switch (args[0]) {
            case "prepare" -> prepare(Path.of(args[1]));
            case "deploy" -> deploy(Path.of(args[1]), URI.create(args[2]), Path.of(args[3]));
            default -> throw new IllegalArgumentException("usage: prepare DIR | deploy HOME BASE_URL DIR");
        }
    }

    private static void prepare(Path dir) throws IOException {
        Files.createDirectories(dir);
        SamplePackage sample = SampleModels.benchmarkPackage();
        Files.write(dir.resolve("model.onnx"), sample.onnx());
        Files.write(dir.resolve(BLOB), sample.zip());
        float[] row = SampleModels.benchmarkRows(1, ROW_SEED);
        Map<String, Object> features = new LinkedHashMap<>();
        List<Map<String, Object>> inputs = new ArrayList<>();
        for (int c = 0; c < row.length; c++) {
            if (!Float.isNaN(row[c])) {
                String name = String.format("x%02d", c);
                features.put(name, (double) row[c]);
                inputs.add(Map.of("name", name, "shape", List.of(1), "datatype", "FP64", "data", List.of((double) row[c])));
            }
        }
        Files.write(dir.resolve("score.json"), Json.writeBytes(Map.of("patientId", "MRN-0000001", "features", features)));
        Files.write(dir.resolve("infer.json"), Json.writeBytes(Map.of("id", "bench-1",
                "parameters", Map.of("patient_ids", List.of("MRN-0000001")), "inputs", inputs)));
        Files.writeString(dir.resolve("model.name"), sample.manifest().name().value());
        Files.writeString(dir.resolve("model.width"), Integer.toString(row.length));
    }

    private static void deploy(Path home, URI base, Path dir) throws Exception {
        String model = Files.readString(dir.resolve("model.name")).trim();
        HttpClient http = HttpClient.newHttpClient();
        Path drop = LocalAdapters.blobFolder(home, ArtifactStore.MODELS);
        Files.createDirectories(drop);
        Path partial = drop.resolve("." + BLOB + ".part");
        Files.copy(dir.resolve(BLOB), partial, StandardCopyOption.REPLACE_EXISTING);
        Files.move(partial, drop.resolve(BLOB), StandardCopyOption.ATOMIC_MOVE);
        String operator = LocalAdapters.apiKey(home, "operator");
        // Registration runs on the drop folder's event; until it is done the version is not found (404) or
        // not deployable yet (409): try again.
        long deadline = System.nanoTime() + 120_000_000_000L;
        while (true) {
            HttpResponse<String> deployed = http.send(HttpRequest.newBuilder(base.resolve("/models/" + model
                    + "/versions/1/deploy")).header("x-api-key", operator).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{}")).build(), HttpResponse.BodyHandlers.ofString());
            if (deployed.statusCode() / 100 == 2) {
                break;
            }
            if ((deployed.statusCode() != 404 && deployed.statusCode() != 409) || System.nanoTime() > deadline) {
                throw new IllegalStateException("deploying the benchmark model failed: " + deployed.statusCode() + " "
                        + deployed.body());
            }
            Thread.sleep(200);
        }
        Files.writeString(dir.resolve("scoring.key"), LocalAdapters.apiKey(home, "clinical-app"));
    }
}
