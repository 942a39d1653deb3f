package health.vigil.bench.http;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import health.vigil.bench.BenchArguments;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.util.Callback;

/**
 * The floor of the HTTP load benchmark: the least a Java server can do to score a patient over HTTP. Jetty on
 * loopback reads the same JSON body Vigil's {@code POST /score/{name}} takes, puts the features in the model's
 * order into a tensor (no validation, no pipeline, no log), runs ONNX Runtime with the session options Vigil
 * uses, and answers the probability. Usage: {@code FloorServer MODEL.onnx PORT FEATURES} (features count).
 */
public final class FloorServer {
    private static final String MODEL = "an ONNX model file";

    private FloorServer() {}

    /** What the floor serves: the model file, the loopback port to listen on (0: any free one) and its row width. */
    record Settings(Path model, int port, int width) {}

    /** The arguments, each checked before the model is loaded or the port bound. */
    static Settings parse(String[] args) {
        BenchArguments arguments = new BenchArguments("FloorServer MODEL.onnx PORT FEATURES", args);
        Path model = arguments.path(0, "MODEL.onnx", MODEL);
        int port = arguments.wholeNumber(1, "PORT", 0, 65_535);
        int width = arguments.atLeast(2, "FEATURES", 1);
        if (!Files.isRegularFile(model)) {
            throw arguments.refused("MODEL.onnx is \"" + model + "\" and must be " + MODEL);
        }
        return new Settings(model, port, width);
    }

    public static void main(String[] args) throws Exception {
        Settings settings = parse(args);
        Path model = settings.model();
        int port = settings.port();
        int width = settings.width();
        OrtEnvironment environment = OrtEnvironment.getEnvironment();
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        options.setExecutionMode(OrtSession.SessionOptions.ExecutionMode.SEQUENTIAL);
        options.setIntraOpNumThreads(1);
        options.setInterOpNumThreads(1);
        options.addConfigEntry("session.intra_op.allow_spinning", "0");
        OrtSession session = environment.createSession(Files.readAllBytes(model), options);
        String input = session.getInputNames().iterator().next();
        Set<String> probabilities = Set.of("probabilities");
        ObjectMapper json = new ObjectMapper();
        String[] names = new String[width];
        for (int c = 0; c < width; c++) {
            names[c] = String.format("x%02d", c);
        }

        Server server = new Server();
        ServerConnector connector = new ServerConnector(server);
        connector.setHost("127.0.0.1");
        connector.setPort(port);
        server.addConnector(connector);
        server.setHandler(new Handler.Abstract() {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                JsonNode features = json.readTree(Content.Source.asInputStream(request)).get("features");
                float[] row = new float[width];
                for (int c = 0; c < width; c++) {
                    JsonNode v = features.get(names[c]);
                    row[c] = v == null ? Float.NaN : (float) v.doubleValue();
                }
                float risk;
                try (OnnxTensor tensor = OnnxTensor.createTensor(environment, FloatBuffer.wrap(row), new long[] {1, width});
                        OrtSession.Result result = session.run(Map.of(input, tensor), probabilities)) {
                    risk = ((OnnxTensor) result.get(0)).getFloatBuffer().get(1);
                } catch (OrtException e) {
                    Response.writeError(request, response, callback, 500);
                    return true;
                }
                byte[] body = ("{\"risk\":" + risk + "}").getBytes(StandardCharsets.UTF_8);
                response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
                response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
                response.write(true, ByteBuffer.wrap(body), callback);
                return true;
            }
        });
        server.start();
        System.out.println("floor server on 127.0.0.1:" + connector.getLocalPort());
        server.join();
    }
}
