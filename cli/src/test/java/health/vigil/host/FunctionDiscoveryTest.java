package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import com.microsoft.azure.functions.spi.inject.FunctionInstanceInjector;
import health.vigil.adapter.local.EventBusSubscription;
import health.vigil.error.ValidationException;
import health.vigil.functions.testing.events.EventTestFunctions;
import java.io.OutputStream;
import java.net.URI;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Discovery reads functions from annotations, in directories and jars, and refuses what Azure would not run. */
class FunctionDiscoveryTest {

    private static FunctionCatalog discover(ClassLoader loader, String... packages) {
        return FunctionCatalog.discover(loader, List.of(packages), name -> null);
    }

    private static FunctionCatalog discover(String... packages) {
        return discover(FunctionDiscoveryTest.class.getClassLoader(), packages);
    }

    @Test
    void findsEveryTriggerKindWithItsBindings() {
        FunctionCatalog catalog = FunctionCatalog.discover(getClass().getClassLoader(),
                List.of("health.vigil.functions.testing"), Map.of("NEW_YEAR_SCHEDULE", "0 0 0 1 1 *")::get);

        assertThat(catalog.all()).extracting(FunctionDefinition::name).contains(
                "EchoVersion", "Greet", "RecordEvent", "AlwaysFails", "EverySecond", "NewYear");
        FunctionDefinition echo = catalog.byName("echoversion").orElseThrow();
        FunctionDefinition.Http http = (FunctionDefinition.Http) echo.trigger();
        assertThat(http.route()).hasToString("echo/{name}/versions/{version:int}");
        assertThat(http.methods()).containsExactlyInAnyOrder(HttpMethod.GET, HttpMethod.POST);
        assertThat(http.authLevel()).isEqualTo("ANONYMOUS");
        assertThat(echo.arguments()).containsExactly(
                new FunctionDefinition.HttpRequest(FunctionDefinition.BodyForm.OPTIONAL_STRING),
                new FunctionDefinition.RouteValue("name", String.class),
                new FunctionDefinition.RouteValue("version", int.class),
                new FunctionDefinition.Context());
        assertThat(catalog.byName("UploadBytes").orElseThrow().arguments())
                .containsExactly(new FunctionDefinition.HttpRequest(FunctionDefinition.BodyForm.OPTIONAL_BYTES));
        assertThat(catalog.byName("RecordEvent").orElseThrow().trigger()).isInstanceOf(FunctionDefinition.EventGrid.class);
        assertThat(((FunctionDefinition.Timer) catalog.byName("NewYear").orElseThrow().trigger()).schedule()).isEqualTo("0 0 0 1 1 *");
    }

    @Test
    void duplicateFunctionNamesStopTheStart() {
        assertThatThrownBy(() -> discover("health.vigil.functions.testinvalid.names"))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("two functions are named")
                .hasMessageContaining("FirstApp.register")
                .hasMessageContaining("SecondApp.register");
    }

    @Test
    void twoFunctionsOnOneRouteAndMethodStopTheStart() {
        assertThatThrownBy(() -> discover("health.vigil.functions.testinvalid.routes"))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("GetModel")
                .hasMessageContaining("GetModelAgain")
                .hasMessageContaining("same HTTP method");
    }

    @Test
    void triggersTheHostCannotRunStopTheStart() {
        assertThatThrownBy(() -> discover("health.vigil.functions.testinvalid.binding"))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("@ServiceBusQueueTrigger")
                .hasMessageContaining("ServiceBusFunction.fromServiceBus");
    }

    @Test
    void aScheduleFromAnUnsetAppSettingStopsTheStart() {
        assertThatThrownBy(() -> discover("health.vigil.functions.testing.timers"))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("NEW_YEAR_SCHEDULE");
    }

    @Test
    void functionsInAJarAreFoundWithoutAnyWiring(@TempDir Path dir) throws Exception {
        Path jar = compileToJar(dir, "health.vigil.functions.jarred", "JarredFunctions", """
                package health.vigil.functions.jarred;
                import com.microsoft.azure.functions.*;
                import com.microsoft.azure.functions.annotation.*;
                import java.util.Optional;
                public class JarredFunctions {
                    @FunctionName("FromJar")
                    public HttpResponseMessage run(
                            @HttpTrigger(name = "req", methods = {HttpMethod.GET}, route = "jar/{id:int}")
                            HttpRequestMessage<Optional<String>> request,
                            @BindingName("id") long id) {
                        return request.createResponseBuilder(HttpStatus.OK).body("jar " + (id + 1)).build();
                    }
                }
                """);
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
            FunctionCatalog catalog = discover(loader, "health.vigil.functions.jarred");

            FunctionDefinition fromJar = catalog.byName("FromJar").orElseThrow();
            FunctionDefinition.Http http = (FunctionDefinition.Http) fromJar.trigger();
            Map<String, String> values = http.route().match(List.of("jar", "41")).orElseThrow();
            // The cli's test class path carries two injectors (Vigil's and a test one), neither packaged with
            // this jar, so the instances come from a plain constructor call here; discovery needed no wiring.
            com.microsoft.azure.functions.spi.inject.FunctionInstanceInjector plain = new com.microsoft.azure.functions.spi.inject.FunctionInstanceInjector() {
                @Override
                public <T> T getInstance(Class<T> type) throws Exception {
                    return type.getConstructor().newInstance();
                }
            };
            FunctionInvoker invoker = new FunctionInvoker(FunctionInstances.load(loader, plain));
            LocalHttpRequest request = new LocalHttpRequest(URI.create("http://127.0.0.1/jar/41"), HttpMethod.GET,
                    Map.of(), Map.of(), java.util.Optional.empty());

            Object response = invoker.invoke(fromJar, FunctionInvoker.Input.http(request, values),
                    LocalExecutionContext.of("i-1", "FromJar"));

            assertThat(((com.microsoft.azure.functions.HttpResponseMessage) response).getBody()).isEqualTo("jar 42");
        }
    }

    @Test
    void instancesComeFromTheInjectorFoundWithServiceLoader() throws Exception {
        FunctionCatalog catalog = discover("health.vigil.functions.testing.events");
        FunctionInstances instances = FunctionInstances.load(getClass().getClassLoader(), null);
        instances.prepare(catalog.all());

        // EventTestFunctions has no no-argument constructor: only an injector can build it.
        assertThat(instances.instanceFor(catalog.byName("RecordEvent").orElseThrow())).isInstanceOf(EventTestFunctions.class);
    }

    @Test
    void withoutAnInjectorAClassNeedsANoArgumentConstructor() throws Exception {
        FunctionCatalog catalog = discover("health.vigil.functions.testing.events");
        try (URLClassLoader noServices = new URLClassLoader(new URL[0], ClassLoader.getPlatformClassLoader())) {
            FunctionInstances instances = FunctionInstances.load(noServices, null);

            assertThatThrownBy(() -> instances.prepare(catalog.all()))
                    .isInstanceOf(ValidationException.class)
                    .hasMessageContaining("public no-argument constructor");
        }
    }

    @Test
    void anExplicitInjectorWins() throws Exception {
        FunctionCatalog catalog = discover("health.vigil.functions.testing.http");
        Object marker = new health.vigil.functions.testing.http.HttpTestFunctions();
        FunctionInstanceInjector fixed = new FunctionInstanceInjector() {
            @Override
            public <T> T getInstance(Class<T> type) {
                return type.cast(marker);
            }
        };
        FunctionInstances instances = FunctionInstances.load(getClass().getClassLoader(), fixed);
        instances.prepare(catalog.all());

        assertThat(instances.instanceFor(catalog.byName("Greet").orElseThrow())).isSameAs(marker);
    }

    @Test
    void theSubscriptionsFileSendsModelUploadsToRegisterModel() {
        List<EventBusSubscription> subscriptions = EventBusSubscription.readResource(getClass().getClassLoader(),
                LocalHost.SUBSCRIPTIONS_RESOURCE);

        EventBusSubscription register = subscriptions.stream().filter(s -> s.function().equals("RegisterModel"))
                .findFirst().orElseThrow();
        assertThat(register.app()).isEqualTo("control");
        assertThat(register.schema()).isEqualTo(EventBusSubscription.DeliverySchema.EVENT_GRID);
        assertThat(register.matches("Microsoft.Storage.BlobCreated", "/blobServices/default/containers/models/blobs/r.zip")).isTrue();
        assertThat(register.matches("Microsoft.Storage.BlobCreated", "/blobServices/default/containers/datasets/blobs/r.zip")).isFalse();
        assertThat(register.matches("Microsoft.Storage.BlobDeleted", "/blobServices/default/containers/models/blobs/r.zip")).isFalse();
    }

    @Test
    void aSubscriptionToAFunctionThatIsNotThereStopsTheStart(@TempDir Path home) {
        LocalHost host = LocalHost.builder().home(home).port(0)
                .packages("health.vigil.functions.testing.events")
                .instanceInjector(new TestInjector(new health.vigil.functions.testing.TestRecorder()))
                .build();

        assertThatThrownBy(host::start)
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("RegisterModel")
                .hasMessageContaining("not among the discovered functions");
        host.close();
    }

    private static Path compileToJar(Path dir, String pkg, String className, String source) throws Exception {
        Path src = dir.resolve("src").resolve(pkg.replace('.', '/'));
        Files.createDirectories(src);
        Path file = src.resolve(className + ".java");
        Files.writeString(file, source);
        Path classes = Files.createDirectories(dir.resolve("classes"));
        String classpath = Stream.of(HttpTrigger.class, HttpRequestMessage.class)
                .map(c -> {
                    try {
                        return Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                })
                .distinct().collect(Collectors.joining(java.io.File.pathSeparator));
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        int status = compiler.run(null, null, null, "-d", classes.toString(), "-cp", classpath, "-parameters", file.toString());
        assertThat(status).as("test source compiles").isZero();
        Path jar = dir.resolve("functions.jar");
        try (OutputStream out = Files.newOutputStream(jar); JarOutputStream zip = new JarOutputStream(out)) {
            // Directory entries first, as the jar tool and Maven write them.
            String folder = "";
            for (String part : pkg.split("\\.")) {
                folder += part + "/";
                zip.putNextEntry(new JarEntry(folder));
                zip.closeEntry();
            }
            String entry = pkg.replace('.', '/') + "/" + className + ".class";
            zip.putNextEntry(new JarEntry(entry));
            zip.write(Files.readAllBytes(classes.resolve(entry)));
            zip.closeEntry();
        }
        return jar;
    }
}
