package health.vigil.bench.http;

import health.vigil.bench.gates.GateEvaluationRatio;
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

    /**
     * Puts the benchmark model live the governed way: a data steward registers its evaluation dataset, the package
     * is dropped into the models folder (the local uploader), its gates run, an approver signs and an operator deploys.
     */
    private static void deploy(Path home, URI base, Path dir) throws Exception {
        String model = Files.readString(dir.resolve("model.name")).trim();
        HttpClient http = HttpClient.newHttpClient();
        Map<String, Object> dataset = new LinkedHashMap<>();
        dataset.put("model", model);
        dataset.put("fileName", "benchmark-evaluation.csv");
        dataset.put("label", "outcome");
        dataset.put("ageColumn", "age");
        dataset.put("sexColumn", "sex");
        dataset.put("segments", List.of("site"));
        dataset.put("csv", new String(GateEvaluationRatio.csv(5_000), java.nio.charset.StandardCharsets.UTF_8));
        expect(http, base, LocalAdapters.apiKey(home, "data-steward"), "POST", "/datasets", Json.write(dataset), 201);
        Path drop = LocalAdapters.blobFolder(home, ArtifactStore.MODELS);
        Files.createDirectories(drop);
        Path partial = drop.resolve("." + BLOB + ".part");
        Files.copy(dir.resolve(BLOB), partial, StandardCopyOption.REPLACE_EXISTING);
        Files.move(partial, drop.resolve(BLOB), StandardCopyOption.ATOMIC_MOVE);
        String operator = LocalAdapters.apiKey(home, "operator");
        String version = "/models/" + model + "/versions/1";
        // Registration and the gates run on the drop folder's events: until they are done the version is not
        // found (404) or still registered or being judged.
        long deadline = System.nanoTime() + 180_000_000_000L;
        String stage = "";
        while (!stage.equals("GATES_PASSED")) {
            HttpResponse<String> read = send(http, base, operator, "GET", version, null);
            stage = read.statusCode() == 200 ? Json.readTree("version", read.body().getBytes(
                    java.nio.charset.StandardCharsets.UTF_8)).get("stage").asText() : "";
            if (stage.equals("GATES_FAILED") || System.nanoTime() > deadline) {
                throw new IllegalStateException("the benchmark model's gates did not pass: " + stage + " "
                        + send(http, base, operator, "GET", version + "/gates", null).body());
            }
            Thread.sleep(200);
        }
        expect(http, base, LocalAdapters.apiKey(home, "approver"), "POST", version + "/approve",
                "{\"justification\": \"benchmark model; gates passed\"}", 200);
        expect(http, base, operator, "POST", version + "/deploy", "{}", 200);
        Files.writeString(dir.resolve("scoring.key"), LocalAdapters.apiKey(home, "clinical-app"));
    }

    private static HttpResponse<String> send(HttpClient http, URI base, String key, String method, String path,
            String body) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve(path)).header("x-api-key", key);
        if (body != null) {
            request.header("Content-Type", "application/json");
        }
        return http.send(request.method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void expect(HttpClient http, URI base, String key, String method, String path, String body,
            int status) throws IOException, InterruptedException {
        HttpResponse<String> response = send(http, base, key, method, path, body);
        if (response.statusCode() != status) {
            throw new IllegalStateException(method + " " + path + " answered " + response.statusCode() + ": "
                    + response.body());
        }
    }
}
