package health.vigil.bench.http;

import health.vigil.bench.BenchArguments;
import health.vigil.bench.gates.GateEvaluationRatio;
import health.vigil.json.Json;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.port.ArtifactStore;
import health.vigil.training.ClinicalModel;
import health.vigil.training.HeldOutEvaluationData;
import health.vigil.training.TrainingProgress;
import health.vigil.training.models.ReferenceModels;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.stream.Stream;
import java.util.zip.ZipInputStream;

/**
 * What the HTTP load benchmark ({@code bench/http/run.sh}) needs from Java:
 * <ul>
 *   <li>{@code prepare DIR [MODEL]}: the model ({@code model.onnx}, and its package {@code benchmark.zip}), and
 *       one patient's request bodies: {@code score.json} for {@code POST /score/{name}}, {@code peer.json} for the
 *       floor and the Node peer (the row the model takes, by column: {@code x00}, {@code x01}...) and
 *       {@code infer.json} for the Open Inference Protocol. MODEL is {@code benchmark} (the default: the 200-tree,
 *       depth-6 model on 30 numbers with an identity pipeline, so that all three bodies carry the same values) or
 *       a clinical model ({@code readmission}, {@code adherence}, {@code complications}: trained here on seeded
 *       synthetic data as {@code vigil demo} trains it, 300 trees of depth 4; Vigil takes a raw clinical record
 *       and the peers the row its feature pipeline makes of it); and the model's evaluation dataset as
 *       {@code POST /datasets} takes it ({@code dataset.json});</li>
 *   <li>{@code deploy HOME BASE_URL DIR}: registers the model's evaluation dataset, drops the package into a
 *       running {@code vigil up}, waits until its gates passed, has it approved and deployed, and writes the
 *       scoring key to {@code DIR/scoring.key}.</li>
 * </ul>
 */
public final class HttpLoadFixture {
    static final String BLOB = "benchmark.zip";
    private static final String BENCHMARK = "benchmark";
    private static final long ROW_SEED = 7L;
    /** The seed {@code vigil demo} trains with by default. */
    private static final long CLINICAL_SEED = 20261124L;

    private HttpLoadFixture() {}

    /** What was asked for: {@code prepare} or {@code deploy}, with their arguments. */
    sealed interface Task permits Prepare, Deploy {}

    record Prepare(Path dir, String model) implements Task {}

    record Deploy(Path home, URI base, Path dir) implements Task {}

    /** The mode and its arguments, each checked before anything is written or sent. */
    static Task parse(String[] args) {
        BenchArguments arguments = new BenchArguments("HttpLoadFixture prepare DIR [MODEL] | deploy HOME BASE_URL DIR",
                args);
        if (arguments.oneOf(0, "the mode", null, List.of("prepare", "deploy")).equals("prepare")) {
            Path dir = arguments.path(1, "DIR", "the folder to write the model and the request bodies to");
            List<String> models = Stream.concat(Stream.of(BENCHMARK), Arrays.stream(ClinicalModel.values())
                    .map(m -> m.modelName().value())).toList();
            return new Prepare(dir, arguments.oneOf(2, "MODEL", BENCHMARK, models));
        }
        String home = "the home folder of the running vigil up";
        String url = "the http URL the running vigil up listens on, such as http://127.0.0.1:18071";
        String prepared = "the folder prepare wrote (it holds model.name)";
        Path homeDir = arguments.path(1, "HOME", home);
        String baseText = arguments.required(2, "BASE_URL", url);
        Path dir = arguments.path(3, "DIR", prepared);
        URI base;
        try {
            base = new URI(baseText);
        } catch (URISyntaxException e) {
            base = null;
        }
        if (base == null || base.getHost() == null || !List.of("http", "https").contains(base.getScheme())) {
            throw arguments.refused("BASE_URL is \"" + baseText + "\" and must be " + url);
        }
        if (!Files.isDirectory(homeDir)) {
            throw arguments.refused("HOME is \"" + homeDir + "\" and must be " + home);
        }
        if (!Files.isRegularFile(dir.resolve("model.name"))) {
            throw arguments.refused("DIR is \"" + dir + "\" and must be " + prepared);
        }
        return new Deploy(homeDir, base, dir);
    }

    public static void main(String[] args) throws Exception {
        Task task = parse(args);
        if (task instanceof Prepare p) {
            prepare(p.dir(), p.model());
        } else if (task instanceof Deploy d) {
            deploy(d.home(), d.base(), d.dir());
        }
    }

    private static void prepare(Path dir, String model) throws IOException {
        Files.createDirectories(dir);
        if (model.equals(BENCHMARK)) {
            prepareBenchmark(dir);
        } else {
            prepareClinical(dir, ClinicalModel.of(model));
        }
    }

    private static void prepareBenchmark(Path dir) throws IOException {
        SamplePackage sample = SampleModels.benchmarkPackage();
        Files.write(dir.resolve("model.onnx"), sample.onnx());
        Files.write(dir.resolve(BLOB), sample.zip());
        float[] row = SampleModels.benchmarkRows(1, ROW_SEED);
        Map<String, Object> features = new LinkedHashMap<>();
        for (int c = 0; c < row.length; c++) {
            if (!Float.isNaN(row[c])) {
                features.put(column(c), (double) row[c]);
            }
        }
        writeBodies(dir, features, row);
        writeDataset(dir, sample.manifest().name().value(), GateEvaluationRatio.csv(5_000), "outcome", "age", "sex",
                List.of("site"));
        Files.writeString(dir.resolve("model.name"), sample.manifest().name().value());
    }

    /** A clinical model trained as {@code vigil demo} trains it, one synthetic patient and its held-out dataset. */
    private static void prepareClinical(Path dir, ClinicalModel model) throws IOException {
        Path zip = dir.resolve(BLOB);
        ReferenceModels.train(model, zip, CLINICAL_SEED, ReferenceModels.DEMO_ROWS, TrainingProgress.NONE);
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry entry; (entry = in.getNextEntry()) != null; ) {
                if (entry.getName().equals("model.onnx")) {
                    Files.write(dir.resolve("model.onnx"), in.readAllBytes());
                }
            }
        }
        Map<String, Object> record = model.synthetic(1, ROW_SEED).dataset().records().get(0);
        float[] row = new float[model.pipeline().columns().size()];
        model.pipeline().transform(record, row, 0);
        writeBodies(dir, record, row);
        HeldOutEvaluationData data = HeldOutEvaluationData.generate(model, 5_000, CLINICAL_SEED);
        writeDataset(dir, model.modelName().value(), data.csv(), data.label(), data.ageColumn(), data.sexColumn(),
                data.segments());
        Files.writeString(dir.resolve("model.name"), model.modelName().value());
    }

    /** The model's evaluation dataset as {@code POST /datasets} takes it ({@code dataset.json}, the CSV in it). */
    private static void writeDataset(Path dir, String model, byte[] csv, String label, String ageColumn,
            String sexColumn, List<String> segments) throws IOException {
        Map<String, Object> dataset = new LinkedHashMap<>();
        dataset.put("model", model);
        dataset.put("fileName", model + "-evaluation.csv");
        dataset.put("label", label);
        if (ageColumn != null) {
            dataset.put("ageColumn", ageColumn);
        }
        if (sexColumn != null) {
            dataset.put("sexColumn", sexColumn);
        }
        dataset.put("segments", segments);
        dataset.put("csv", new String(csv, java.nio.charset.StandardCharsets.UTF_8));
        Files.write(dir.resolve("dataset.json"), Json.writeBytes(dataset));
    }

    /** The three bodies of one patient: Vigil's record, the Open Inference Protocol's inputs and the peers' row. */
    private static void writeBodies(Path dir, Map<String, Object> record, float[] row) throws IOException {
        List<Map<String, Object>> inputs = new ArrayList<>();
        record.forEach((name, value) -> inputs.add(Map.of("name", name, "shape", List.of(1), "datatype",
                value instanceof Boolean ? "BOOL" : value instanceof Number ? "FP64" : "BYTES",
                "data", List.of(value instanceof Number n ? n.doubleValue() : value))));
        Map<String, Object> peer = new LinkedHashMap<>();
        for (int c = 0; c < row.length; c++) {
            if (!Float.isNaN(row[c])) {
                peer.put(column(c), (double) row[c]);
            }
        }
        Files.write(dir.resolve("score.json"), Json.writeBytes(Map.of("patientId", "MRN-0000001", "features", record)));
        Files.write(dir.resolve("peer.json"), Json.writeBytes(Map.of("features", peer)));
        Files.write(dir.resolve("infer.json"), Json.writeBytes(Map.of("id", "bench-1",
                "parameters", Map.of("patient_ids", List.of("MRN-0000001")), "inputs", inputs)));
        Files.writeString(dir.resolve("model.width"), Integer.toString(row.length));
    }

    /** The name the floor and the Node peer read column {@code c} of the model's row under. */
    private static String column(int c) {
        return String.format("x%02d", c);
    }

    /**
     * Puts the benchmark model live the governed way: a data steward registers its evaluation dataset, the package
     * is dropped into the models folder (the local uploader), its gates run, an approver signs and an operator deploys.
     */
    private static void deploy(Path home, URI base, Path dir) throws Exception {
        String model = Files.readString(dir.resolve("model.name")).trim();
        HttpClient http = HttpClient.newHttpClient();
        expect(http, base, LocalAdapters.apiKey(home, "data-steward"), "POST", "/datasets",
                Files.readString(dir.resolve("dataset.json")), 201);
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
                throw new IllegalStateException("the model's gates did not pass: " + stage + " "
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
