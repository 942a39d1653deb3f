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
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
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

    @Test
    void theRouteIndexOffersEveryRouteAPathCanMatchInPrecedenceOrder(@TempDir Path dir) throws Exception {
        // Vigil's own routes, the test routes, and routes that start with a parameter or have no segment at all.
        routesFoundThroughTheIndexAreThoseFoundByTryingEveryRoute(FunctionCatalog.discover(getClass().getClassLoader(),
                List.of("health.vigil.functions.scoring", "health.vigil.functions.control"), name -> "0 */5 * * * *"));
        routesFoundThroughTheIndexAreThoseFoundByTryingEveryRoute(FunctionCatalog.discover(getClass().getClassLoader(),
                List.of("health.vigil.functions.testing"), name -> "0 */5 * * * *"));
        StringBuilder source = new StringBuilder("""
                package health.vigil.functions.routes;
                import com.microsoft.azure.functions.*;
                import com.microsoft.azure.functions.annotation.*;
                import java.util.Optional;
                public class RouteFunctions {
                """);
        List<String> routes = List.of("", "{tenant}/score", "{tenant:int}/score/{name}", "score/{name}", "Score/latest",
                "SCORE/{name}/explain", "{*rest}", "models/{name?}");
        for (int i = 0; i < routes.size(); i++) {
            source.append("    @FunctionName(\"R").append(i).append("\") public HttpResponseMessage r").append(i)
                    .append("(@HttpTrigger(name = \"req\", methods = {HttpMethod.GET}, route = \"").append(routes.get(i))
                    .append("\") HttpRequestMessage<Optional<String>> request) { return null; }\n");
        }
        Path jar = compileToJar(dir, "health.vigil.functions.routes", "RouteFunctions", source.append("}\n").toString());
        try (URLClassLoader loader = new URLClassLoader(new URL[] {jar.toUri().toURL()}, getClass().getClassLoader())) {
            FunctionCatalog catalog = discover(loader, "health.vigil.functions.routes");
            assertThat(catalog.httpFunctions()).hasSize(routes.size());
            routesFoundThroughTheIndexAreThoseFoundByTryingEveryRoute(catalog);
        }
    }

    private static void routesFoundThroughTheIndexAreThoseFoundByTryingEveryRoute(FunctionCatalog catalog) {
        List<FunctionDefinition> all = catalog.httpFunctions();
        // Paths made from every route (parameters filled, literals in three cases) and paths no route serves.
        Set<List<String>> paths = new LinkedHashSet<>();
        for (FunctionDefinition f : all) {
            String template = ((FunctionDefinition.Http) f.trigger()).route().toString();
            for (String value : List.of("7", "abc", "models", "0f0e4a0c-1d2b-4c3d-8e9f-a0b1c2d3e4f5")) {
                String filled = template.replaceAll("\\{\\*?[^}]*}", value);
                List<String> segments = filled.isEmpty() ? List.of() : List.of(filled.split("/"));
                paths.add(segments);
                paths.add(segments.stream().map(seg -> seg.toUpperCase(Locale.ROOT)).toList());
                paths.add(segments.stream().map(seg -> seg.isEmpty() ? seg
                        : seg.substring(0, 1).toUpperCase(Locale.ROOT) + seg.substring(1)).toList());
                if (!segments.isEmpty()) {
                    paths.add(segments.subList(0, segments.size() - 1));
                    List<String> longer = new ArrayList<>(segments);
                    longer.add("extra");
                    paths.add(longer);
                }
            }
        }
        paths.add(List.of());
        paths.add(List.of("no-such-route"));
        paths.add(List.of("no-such-route", "score"));
        paths.add(List.of("ſcore", "x")); // long s: equal to "score" only by upper-casing, which routes do not do

        int matched = 0;
        for (List<String> path : paths) {
            List<String> everyRoute = all.stream()
                    .filter(f -> ((FunctionDefinition.Http) f.trigger()).route().match(path).isPresent())
                    .map(FunctionDefinition::name).toList();
            List<String> indexed = catalog.httpFunctionsFor(path).stream()
                    .filter(f -> ((FunctionDefinition.Http) f.trigger()).route().match(path).isPresent())
                    .map(FunctionDefinition::name).toList();
            assertThat(indexed).as("routes matching /%s", String.join("/", path)).isEqualTo(everyRoute);
            matched += everyRoute.isEmpty() ? 0 : 1;
        }
        assertThat(matched).as("paths that some route serves").isGreaterThan(all.size());
    }
}
