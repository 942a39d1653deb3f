package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.functions.testing.TestRecorder;
import health.vigil.json.Json;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.eclipse.jetty.http.HttpTester;
import org.eclipse.jetty.server.LocalConnector;
import org.eclipse.jetty.server.Server;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Event Grid webhook's key check, on an in-memory connector. */
class EventGridWebhookTest {
    @TempDir
    Path home;

    private final TestRecorder recorder = new TestRecorder();
    private Server server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.stop();
        }
    }

    private LocalConnector serve(String key) throws Exception {
        FunctionCatalog catalog = FunctionCatalog.discover(getClass().getClassLoader(),
                List.of("health.vigil.functions.testing.events"), name -> null);
        FunctionInstances instances = FunctionInstances.load(getClass().getClassLoader(), new TestInjector(recorder));
        instances.prepare(catalog.all());
        server = new Server();
        LocalConnector connector = new LocalConnector(server);
        server.addConnector(connector);
        server.setHandler(new HttpFunctionHandler(catalog, new FunctionInvoker(instances), 1024 * 1024, key,
                headers -> true, (function, headers) -> true, Set.of(), 4, (function, query) -> false,
                (function, query) -> false));
        server.start();
        return connector;
    }

    @Test
    void aKeyFileLeftEmptyDoesNotOpenTheWebhookToAnEmptyCode() throws Exception {
        // What a crash between creating the key file and writing it left behind.
        Files.createDirectories(home.resolve("host-keys"));
        Files.writeString(home.resolve("host-keys").resolve("eventgrid_extension.key"), "");
        LocalConnector connector = serve(SystemKeys.eventGrid(home));
        String event = "[{\"id\":\"e-1\",\"eventType\":\"Vigil.Model.Registered\",\"subject\":\"/models/readmission"
                + "/versions/1\",\"eventTime\":\"2024-01-01T00:00:00Z\",\"dataVersion\":\"1\",\"data\":{}}]";
        int length = event.getBytes(StandardCharsets.UTF_8).length;

        for (String code : List.of("&code=", "&code=%20")) {
            HttpTester.Response response = HttpTester.parseResponse(connector.getResponse("POST /runtime/webhooks"
                    + "/eventgrid?functionName=RecordEvent" + code + " HTTP/1.1\r\nHost: localhost\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + length + "\r\n\r\n" + event));

            assertThat(response.getStatus()).as(code).isEqualTo(401);
            assertThat(Json.mapper().readTree(response.getContent()).at("/error/code").asText())
                    .isEqualTo("UNAUTHENTICATED");
        }
        assertThat(recorder.calls("RecordEvent")).isEmpty();
    }
}
