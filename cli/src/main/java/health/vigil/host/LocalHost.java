package health.vigil.host;

import com.microsoft.azure.functions.spi.inject.FunctionInstanceInjector;
import health.vigil.adapter.local.EventBusSettings;
import health.vigil.adapter.local.EventBusSubscription;
import health.vigil.adapter.local.InProcessEventBus;
import health.vigil.error.ValidationException;
import health.vigil.port.EventPublisher;
import health.vigil.port.WorkQueue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Runs the Function Apps' classes in one process the way the Azure Functions host runs them: HTTP triggers
 * on 127.0.0.1, Event Grid triggers fed by the in-process event bus (and by the Event Grid webhook), timer
 * triggers on their schedules, and the {@code models} drop folder raising BlobCreated. It discovers functions
 * from their annotations and knows nothing of Vigil's services: those reach the function classes through the
 * {@link FunctionInstanceInjector}, and publish through {@link #eventPublisher()}.
 *
 * <p>Under {@code home}: {@code blobs/models/} (the drop folder) and {@code deadletter/} (undeliverable events).
 */
public final class LocalHost implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(LocalHost.class.getName());
    /** The address the host listens on unless told another. */
    private static final String DEFAULT_HOST = "127.0.0.1";
    /** Where the cli jar carries {@code infra/bicep/event-subscriptions.json}. */
    public static final String SUBSCRIPTIONS_RESOURCE = "health/vigil/host/event-subscriptions.json";
    public static final String MODELS_CONTAINER = "models";
    /** The container whose files of realised outcomes are ingested (IngestOutcomes). */
    public static final String OUTCOMES_CONTAINER = "outcomes";
    /** Files dropped here start batch jobs, as uploads to the {@code batch-input} container do in Azure. */
    public static final String BATCH_INPUT_CONTAINER = "batch-input";

    private final Builder settings;
    private final InProcessEventBus bus;
    private final LocalQueues queues;
    private final Object lifecycle = new Object();
    private volatile FunctionInvoker invoker;
    private FunctionCatalog catalog;
    private Server server;
    private TimerScheduler timers;
    private DropFolderWatcher dropFolder;
    private DropFolderWatcher outcomesFolder;
    private DropFolderWatcher batchDropFolder;
    private boolean started;
    private boolean closed;

    private LocalHost(Builder builder) {
        this.settings = builder;
        List<EventBusSubscription> subscriptions = builder.subscriptions != null ? builder.subscriptions
                : EventBusSubscription.readResource(builder.classLoader, SUBSCRIPTIONS_RESOURCE);
        this.bus = new InProcessEventBus(subscriptions, builder.eventBus, this::deliverEvent,
                builder.home.resolve("deadletter"), builder.clock);
        this.queues = new LocalQueues(builder.home.resolve("queues"), builder.queueWorkers);
    }

    /** Copies a dropped file into the blob store the functions read, before its BlobCreated is raised. */
    @FunctionalInterface
    public interface BlobPublisher {
        void publish(String container, String name, Path file);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * Discovers the functions, checks them and the subscriptions, and starts HTTP, the event bus, the timers
     * and the drop folder. A problem with any function definition stops the start with a message saying what
     * to fix.
     */
    public LocalHost start() {
        synchronized (lifecycle) {
            if (started || closed) {
                throw new IllegalStateException(closed ? "the local host is closed; build a new one" : "the local host is already started");
            }
            started = true;
            try {
                catalog = FunctionCatalog.discover(settings.classLoader, settings.packages, settings.appSettings);
                FunctionInstances instances = FunctionInstances.load(settings.classLoader, settings.injector);
                instances.prepare(catalog.all());
                checkSubscriptions();
                checkRunOnStartup();
                invoker = new FunctionInvoker(instances);
                health.vigil.adapter.local.OwnerOnlyFiles.createFolders(dropFolder());
                health.vigil.adapter.local.OwnerOnlyFiles.createFolders(bus.deadLetterFolder());
                warmUp();
                startHttp();
                bus.start();
                queues.start(this::deliverQueueMessage, catalog.queueNames());
                timers = new TimerScheduler(catalog.timerFunctions(), invoker, settings.runOnStartup, settings.clock);
                timers.start();
                if (settings.watchDropFolder) {
                    dropFolder = new DropFolderWatcher(dropFolder(), MODELS_CONTAINER, settings.dropFolderInterval,
                            (name, file) -> settings.dropFolderPublisher.publish(MODELS_CONTAINER, name, file),
                            bus::publishEventGridEvent, settings.clock, hostState().resolve("drop-folder-raised.json"));
                    dropFolder.start();
                    outcomesFolder = new DropFolderWatcher(outcomesFolder(), OUTCOMES_CONTAINER,
                            settings.dropFolderInterval,
                            (name, file) -> settings.dropFolderPublisher.publish(OUTCOMES_CONTAINER, name, file),
                            bus::publishEventGridEvent, settings.clock, hostState().resolve("outcomes-folder-raised.json"));
                    outcomesFolder.start();
                    batchDropFolder = new DropFolderWatcher(batchInputFolder(), BATCH_INPUT_CONTAINER,
                            settings.dropFolderInterval,
                            (name, file) -> settings.dropFolderPublisher.publish(BATCH_INPUT_CONTAINER, name, file),
                            bus::publishEventGridEvent, settings.clock, hostState().resolve("batch-input-raised.json"));
                    batchDropFolder.start();
                }
            } catch (IOException e) {
                closeQuietly();
                throw new UncheckedIOException("the local host could not start: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                closeQuietly();
                throw e;
            }
            LOG.info(() -> "local host listening on " + baseUri() + " with " + catalog.all().size() + " functions");
            functions().forEach(f -> LOG.info(() -> "  " + f));
            return this;
        }
    }

    /** The port HTTP listens on (the chosen one when the builder asked for port 0). */
    public int port() {
        synchronized (lifecycle) {
            if (server == null) {
                throw new IllegalStateException("the local host is not started");
            }
            return ((ServerConnector) server.getConnectors()[0]).getLocalPort();
        }
    }

    public URI baseUri() {
        return URI.create("http://" + settings.host + ":" + port() + "/");
    }

    /** The publisher Vigil's services use in local mode; usable before start (events wait for the host). */
    public EventPublisher eventPublisher() {
        return bus;
    }

    /**
     * The queues the queue-triggered functions listen on, kept under {@code home/queues/}; usable before start
     * (messages wait for the host).
     */
    public WorkQueue workQueue() {
        return queues;
    }

    /** The bus itself, for waiting until deliveries are done and for raising storage events. */
    public InProcessEventBus eventBus() {
        return bus;
    }

    public Path home() {
        return settings.home;
    }

    /** The folder whose files become blobs of the {@code models} container. */
    public Path dropFolder() {
        return settings.home.resolve("blobs").resolve(MODELS_CONTAINER);
    }

    /** Where the host keeps what it must remember across restarts (which dropped files were raised). */
    private Path hostState() {
        return settings.home.toAbsolutePath().resolve("host-state");
    }

    /** The folder whose files become blobs of the {@code outcomes} container. */
    public Path outcomesFolder() {
        return settings.home.resolve("blobs").resolve(OUTCOMES_CONTAINER);
    }

    /** The folder whose files become blobs of the {@code batch-input} container (each starts a batch job). */
    public Path batchInputFolder() {
        return settings.home.resolve("blobs").resolve(BATCH_INPUT_CONTAINER);
    }

    /** What the host serves, for banners and logs. */
    public List<LocalFunction> functions() {
        synchronized (lifecycle) {
            if (catalog == null) {
                return List.of();
            }
            List<LocalFunction> list = new ArrayList<>();
            for (FunctionDefinition f : catalog.all()) {
                if (f.trigger() instanceof FunctionDefinition.Http http) {
                    list.add(new LocalFunction(f.name(), LocalFunction.Kind.HTTP,
                            http.methods().stream().map(Enum::name).sorted().toList(), http.route().toString(), null,
                            http.authLevel()));
                } else if (f.trigger() instanceof FunctionDefinition.Queue queue) {
                    list.add(new LocalFunction(f.name(), LocalFunction.Kind.QUEUE, List.of(), queue.queueName(), null,
                            null));
                } else if (f.trigger() instanceof FunctionDefinition.Timer timer) {
                    list.add(new LocalFunction(f.name(), LocalFunction.Kind.TIMER, List.of(), null, timer.schedule(), null));
                } else if (f.trigger() instanceof FunctionDefinition.Warmup) {
                    list.add(new LocalFunction(f.name(), LocalFunction.Kind.WARMUP, List.of(), null, null, null));
                } else {
                    list.add(new LocalFunction(f.name(), LocalFunction.Kind.EVENT_GRID, List.of(), null, null, null));
                }
            }
            return List.copyOf(list);
        }
    }

    /** Stops accepting work, lets running deliveries finish, and dead-letters what is still waiting. */
    @Override
    public void close() {
        synchronized (lifecycle) {
            if (closed) {
                return;
            }
            closed = true;
            closeQuietly();
        }
    }

    private void closeQuietly() {
        if (outcomesFolder != null) {
            outcomesFolder.close();
        }
        if (dropFolder != null) {
            dropFolder.close();
        }
        if (batchDropFolder != null) {
            batchDropFolder.close();
        }
        if (timers != null) {
            timers.close();
        }
        queues.close();
        if (server != null) {
            try {
                server.stop();
            } catch (Exception e) {
                LOG.log(Level.WARNING, "stopping HTTP failed: " + e.getClass().getSimpleName());
            }
        }
        bus.close();
    }

    private void deliverQueueMessage(String queue, String message) throws Exception {
        FunctionDefinition function = catalog.queueFunction(queue).orElseThrow(() -> new IllegalStateException(
                "no function listens on queue " + queue));
        deliverEvent(function.name(), message);
    }

    private void deliverEvent(String functionName, String eventJson) throws Exception {
        FunctionInvoker current = invoker;
        FunctionDefinition function = catalog == null ? null : catalog.byName(functionName).orElse(null);
        if (current == null || function == null) {
            throw new IllegalStateException("function " + functionName + " is not running");
        }
        String invocationId = java.util.UUID.randomUUID().toString();
        try {
            current.invoke(function, FunctionInvoker.Input.payload(eventJson), LocalExecutionContext.of(invocationId, function.name()));
        } catch (FunctionInvoker.FunctionFailure failure) {
            HttpFunctionHandler.logFailure(function, invocationId, failure.getCause());
            Throwable cause = failure.getCause();
            if (cause instanceof Exception e) {
                throw e;
            }
            throw failure;
        }
    }

    private void checkSubscriptions() {
        for (EventBusSubscription s : bus.subscriptions()) {
            FunctionDefinition f = catalog.byName(s.function()).orElseThrow(() -> new ValidationException(
                    "event subscription " + s.name() + " delivers to function " + s.function()
                            + ", which is not among the discovered functions; fix event-subscriptions.json or add the function"));
            if (!(f.trigger() instanceof FunctionDefinition.EventGrid)) {
                throw new ValidationException("event subscription " + s.name() + " delivers to function " + s.function()
                        + ", which is not an EventGridTrigger function");
            }
        }
    }

    private void checkRunOnStartup() {
        for (String name : settings.runOnStartup) {
            boolean timer = catalog.byName(name).map(f -> f.trigger() instanceof FunctionDefinition.Timer).orElse(false);
            if (!timer) {
                throw new ValidationException("runOnStartup names " + name + ", which is not a TimerTrigger function");
            }
        }
    }

    /**
     * Runs every warm-up function once, before HTTP opens, as the Functions host runs a WarmupTrigger on an instance
     * before it routes traffic to it. A failing warm-up is logged and the start goes on: what it could not prepare
     * is prepared (or refused, saying why) by the first request that needs it.
     */
    private void warmUp() {
        for (FunctionDefinition f : catalog.warmupFunctions()) {
            String invocationId = "warmup-" + java.util.UUID.randomUUID();
            try {
                invoker.invoke(f, FunctionInvoker.Input.payload("{}"), LocalExecutionContext.of(invocationId, f.name()));
            } catch (FunctionInvoker.FunctionFailure failure) {
                HttpFunctionHandler.logFailure(f, invocationId, failure.getCause());
            }
        }
    }

    private void startHttp() throws IOException {
        QueuedThreadPool threads = new QueuedThreadPool(settings.httpThreads, 2);
        threads.setName("vigil-http");
        threads.setDaemon(true);
        server = new Server(threads);
        // However steadily a body arrives above the rate, reading it ends when this time is up (RequestBody).
        server.setAttribute(RequestBody.TIMEOUT, settings.requestBodyTimeout());
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        config.setSendDateHeader(true);
        // A body that trickles in slower than this is cut off with 408, whatever the idle timeout. Jetty 12's core only
        // keeps the setting: RequestBody reads it from the connection and enforces it.
        config.setMinRequestDataRate(settings.minRequestBytesPerSecond);
        int selectors = selectors(settings);
        ServerConnector connector = new ServerConnector(server, ACCEPTORS, selectors,
                new HeadDeadline(config, settings.requestHeadTimeout)) {
            @Override
            protected SocketChannelEndPoint newEndPoint(SocketChannel channel, ManagedSelector selector,
                    SelectionKey key) {
                // As Jetty's own, plus the selector, for the rule that runs a request inline when it is alone there.
                SocketChannelEndPoint endPoint = new SelectorAwareEndPoint(channel, selector, key, getScheduler());
                endPoint.setIdleTimeout(getIdleTimeout());
                return endPoint;
            }
        };
        connector.setHost(settings.host);
        connector.setPort(settings.port);
        // A connection silent this long is closed: bounds both a half-sent header and a stalled body. A head that keeps
        // trickling in is bounded by the request head timeout (HeadDeadline), a body by the minimum data rate and the
        // request body timeout.
        connector.setIdleTimeout(settings.idleTimeout.toMillis());
        server.addConnector(connector);
        // Workers kept for health probes: a quarter of the pool, at least two.
        int kept = Math.max(2, settings.httpThreads / 4);
        HttpFunctionHandler functions = new HttpFunctionHandler(catalog, invoker, settings.maxRequestBodyBytes,
                SystemKeys.eventGrid(settings.home), settings.knownCaller, settings.allowedCaller(),
                settings.probeFunctions, Math.max(1, settings.httpThreads - kept - ACCEPTORS - selectors),
                settings.inline, settings.inlineWhenAlone);
        // Pages first: they answer only their own paths and leave every other one to the functions. They run on the
        // workers the functions share, so slow pages or sign-in forms cannot take the workers kept for the probes.
        Handler onPool = settings.pages == null ? functions
                : new Handler.Sequence(functions.onSharedWorkers(settings.pages, settings.pagePaths), functions);
        server.setHandler(new HostFront(functions, onPool, threads));
        server.setErrorHandler(new JsonErrorHandler());
        try {
            server.start();
        } catch (IOException e) {
            if (e instanceof BindException || e.getCause() instanceof BindException) {
                throw new IOException(portInUse(settings.host, settings.port), e);
            }
            throw e;
        } catch (Exception e) {
            throw new IOException("HTTP did not start (" + e.getClass().getSimpleName() + ")", e);
        }
    }

    /**
     * Refuses {@code port} on the host's default address when another process listens there, before anything of a
     * platform (its home, keys, stores) is created: the port is bound and let go at once. Port 0, any free port, is
     * never refused. Another process may still take the port before the host binds it; the host then refuses it too.
     */
    public static void refusePortInUse(int port) {
        if (port == 0) {
            return;
        }
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true);
            probe.bind(new InetSocketAddress(DEFAULT_HOST, port));
        } catch (BindException e) {
            throw new ValidationException(portInUse(DEFAULT_HOST, port) + " (--port, or 0 for any free port)");
        } catch (IOException e) {
            throw new UncheckedIOException("could not check whether port " + port + " is free", e);
        }
    }

    private static String portInUse(String host, int port) {
        return "port " + port + " on " + host + " is in use; stop the other process or choose another port";
    }

    /**
     * How long a request's head (request line and headers) may take from its first byte before the connection is
     * closed, by default: ample for any client that sends its head at once, short for one that sends a byte now and
     * then to hold the connection.
     */
    public static final Duration REQUEST_HEAD_TIMEOUT = Duration.ofSeconds(10);

    /** The least time a request body is given by default, however small the body size limit. */
    public static final Duration REQUEST_BODY_TIMEOUT_MINIMUM = Duration.ofSeconds(30);

    /** The rate, in bytes a second, at which a body of the largest size allowed must arrive by default: 64 KiB. */
    static final long REQUEST_BODY_TIMEOUT_RATE = 64 * 1024;

    /**
     * The time for reading a request body by default: a body of {@code maxRequestBodyBytes} arriving at 64 KiB a
     * second, and never less than {@link #REQUEST_BODY_TIMEOUT_MINIMUM} (64 s for the 4 MiB default limit).
     */
    static Duration defaultRequestBodyTimeout(int maxRequestBodyBytes) {
        Duration forTheLimit = Duration.ofMillis(maxRequestBodyBytes * 1000L / REQUEST_BODY_TIMEOUT_RATE);
        return forTheLimit.compareTo(REQUEST_BODY_TIMEOUT_MINIMUM) > 0 ? forTheLimit : REQUEST_BODY_TIMEOUT_MINIMUM;
    }

    /** The acceptor thread Jetty takes from the pool; the selectors take one each. */
    private static final int ACCEPTORS = 1;

    /**
     * The selector threads: as asked, but at most a quarter of the pool (after the acceptor), so that the workers
     * and the probes' share keep their threads; at least one.
     */
    static int selectors(Builder settings) {
        return Math.max(1, Math.min(settings.selectors, (settings.httpThreads - ACCEPTORS) / 4));
    }

    /** Errors Jetty raises before a request reaches the host (malformed requests, oversized headers), in Vigil's shape. */
    private static final class JsonErrorHandler extends ErrorHandler {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Object attribute = request.getAttribute(ERROR_STATUS);
            int status = attribute instanceof Integer i ? i : response.getStatus();
            health.vigil.error.ErrorCode code = switch (status) {
                case 404 -> health.vigil.error.ErrorCode.NOT_FOUND;
                case 405 -> health.vigil.error.ErrorCode.METHOD_NOT_ALLOWED;
                case 408 -> health.vigil.error.ErrorCode.REQUEST_TIMEOUT;
                case 413 -> health.vigil.error.ErrorCode.PAYLOAD_TOO_LARGE;
                case 414 -> health.vigil.error.ErrorCode.URI_TOO_LONG;
                case 415 -> health.vigil.error.ErrorCode.UNSUPPORTED_MEDIA_TYPE;
                case 431 -> health.vigil.error.ErrorCode.HEADERS_TOO_LARGE;
                // The client's HTTP version, not a failure of the host's.
                case 505 -> health.vigil.error.ErrorCode.INVALID_REQUEST;
                default -> status >= 500 ? health.vigil.error.ErrorCode.INTERNAL : health.vigil.error.ErrorCode.INVALID_REQUEST;
            };
            String requestId = health.vigil.model.RandomIds.uuid();
            HttpConfiguration config = request.getConnectionMetaData().getHttpConfiguration();
            HostReply reply = HostReply.error(status < 400 || status > 599 ? 500 : status, code,
                    message(status, request.getAttribute(ERROR_MESSAGE), config.getRequestHeaderSize()), requestId,
                    Map.of());
            response.getHeaders().remove(HttpHeader.CONTENT_TYPE);
            HttpFunctionHandler.write(request, response, callback, reply);
            return true;
        }
    }

    /**
     * What to tell a caller whose request Jetty refused before it reached the host: by the status, and for a 400 by the
     * reason Jetty gives, what was wrong and what to send instead; otherwise the status alone. The request's own text is
     * never repeated.
     *
     * @param headBytes the most a request head (request line and headers) may hold, which 414 and 431 enforce
     */
    static String message(int status, Object jettyReason, int headBytes) {
        String known = switch (status) {
            case 400 -> jettyReason instanceof String reason ? badRequest(reason) : null;
            case 414 -> "the request URL is too long: the request line and headers may hold " + headBytes + " bytes;"
                    + " send data in the body instead of the URL";
            case 417 -> "the host understands only 'Expect: 100-continue'; send that or no Expect header";
            case 426, 505 -> "the request's HTTP version is not one the host speaks; send HTTP/1.1 (or HTTP/1.0)";
            case 431 -> "the request headers are too large: the request line and headers may hold " + headBytes
                    + " bytes; send fewer or shorter headers";
            default -> null;
        };
        return known != null ? known : "the request could not be processed (HTTP " + status + "); check the URL and"
                + " headers against the API reference";
    }

    /** What was wrong with a request Jetty refused with 400 for {@code reason}, and what to send; null if not known. */
    private static String badRequest(String reason) {
        if (reason.startsWith("Illegal character") || reason.equals("Line Folding not supported")) {
            return "the request line or a header holds a character HTTP does not allow there (a control character, a"
                    + " space in a header name, a header without a colon, a header folded onto a second line); send each"
                    + " header as 'Name: value' on one line";
        }
        if (reason.startsWith("Bad Transfer-Encoding")) {
            return "the Transfer-Encoding header is not 'chunked' alone; send a chunked body with 'Transfer-Encoding:"
                    + " chunked', or the body with a Content-Length";
        }
        return switch (reason) {
            case "Ambiguous URI path separator" -> "the request path holds an encoded '/' (%2F); no name holds a"
                    + " '/', so send the path without it";
            case "Ambiguous URI path segment" -> "the request path holds an encoded '.' or '..' segment (%2E);"
                    + " name the resource instead";
            case "Ambiguous URI empty segment" -> "the request path holds an empty segment ('//'); remove the extra"
                    + " '/'";
            case "Ambiguous URI path parameter", "Ambiguous URI path encoding" -> "the request path holds an"
                    + " ambiguous encoding (an encoded ';' or '%'); send names as the API reference gives them";
            case "Suspicious Path Character" -> "the request path holds a backslash or a control character;"
                    + " send names as the API reference gives them";
            case "Bad UTF-8 encoding", "Illegal Path Character" -> "the request URL is not percent-encoded UTF-8;"
                    + " encode each character outside ASCII as its UTF-8 bytes (é is %C3%A9)";
            case "UTF-16 encoding" -> "the request URL uses %u escapes, which are not URL encoding; encode each"
                    + " character outside ASCII as its UTF-8 bytes (é is %C3%A9)";
            case "Bad Request" -> "the request line could not be read; send a path that starts with '/' and does not"
                    + " climb above the root with '..', percent-encode the path and query (a '%' is followed by two hex"
                    + " digits) and send no NUL or control characters";
            case "Invalid Content-Length Value" -> "the Content-Length header is not a whole number of bytes; send the"
                    + " body's length in bytes, or no Content-Length with a chunked body";
            case "Multiple Content-Lengths" -> "the request has more than one Content-Length header; send exactly one"
                    + " Content-Length";
            case "Transfer-Encoding and Content-Length" -> "the request has both a Transfer-Encoding and a Content-Length"
                    + " header, which can be read two ways; send 'Transfer-Encoding: chunked' alone or a Content-Length"
                    + " alone";
            case "No Host" -> "an HTTP/1.1 request must carry a Host header; send one, such as 'Host: 127.0.0.1'";
            case "Duplicate Host Header" -> "the request has more than one Host header; send exactly one Host header";
            case "Authority!=Host" -> "the request target names another host than the Host header; send the path alone"
                    + " ('/score/readmission'), not a full URL or a host and port";
            default -> null;
        };
    }

    /** Settings of a local host; every one has a default except {@code home}. */
    public static final class Builder {
        private Path home;
        private String host = DEFAULT_HOST;
        private int port = 7071;
        private List<String> packages = List.of("health.vigil.functions");
        private ClassLoader classLoader = defaultLoader();
        private FunctionInstanceInjector injector;
        private List<EventBusSubscription> subscriptions;
        private EventBusSettings eventBus = EventBusSettings.DEFAULTS;
        private int maxRequestBodyBytes = 4 * 1024 * 1024;
        private Duration dropFolderInterval = Duration.ofSeconds(1);
        private BlobPublisher dropFolderPublisher = (container, name, file) -> { };
        private boolean watchDropFolder = true;
        private Set<String> runOnStartup = Set.of();
        private UnaryOperator<String> appSettings = System::getenv;
        private Clock clock = Clock.systemUTC();
        private int httpThreads = 32;
        private java.util.function.Predicate<Map<String, String>> knownCaller = headers -> true;
        /** Null unless set, and then every caller {@link #knownCaller} knows. */
        private java.util.function.BiPredicate<String, Map<String, String>> allowedCaller;
        private Set<String> probeFunctions = Set.of();
        private java.util.function.BiPredicate<String, Map<String, String>> inline = (function, query) -> false;
        private java.util.function.BiPredicate<String, Map<String, String>> inlineWhenAlone = (function, query) -> false;
        private int selectors = Math.min(8, 2 * Runtime.getRuntime().availableProcessors());
        private Duration idleTimeout = Duration.ofSeconds(30);
        private long minRequestBytesPerSecond = 1024;
        private Duration requestHeadTimeout = REQUEST_HEAD_TIMEOUT;
        /** Null unless set, and then derived from the body size limit. */
        private Duration requestBodyTimeout;
        private Handler pages;
        private java.util.function.Predicate<String> pagePaths;
        private int queueWorkers = 2;

        private Builder() {}

        private static ClassLoader defaultLoader() {
            ClassLoader context = Thread.currentThread().getContextClassLoader();
            return context != null ? context : LocalHost.class.getClassLoader();
        }

        /** The Vigil home folder ({@code .vigil}): drop folder and dead letters live under it. */
        public Builder home(Path value) {
            this.home = Objects.requireNonNull(value, "home").toAbsolutePath();
            return this;
        }

        /**
         * Web pages served beside the functions (the dashboard): asked first for every request whose path {@code paths}
         * says is theirs (the path as {@link Request#getPathInContext} gives it), they answer those paths. They run on
         * the workers the functions share, never on those kept for the probes; a body they read is to be read with
         * {@link RequestBody}, so the minimum data rate holds for it as for a function's. {@code paths} is asked
         * without a worker, so it looks at the path alone; every other path is left to the functions, which answer an
         * unknown one with 404 (or 405) without a worker, however busy the workers are.
         */
        public Builder pages(Handler value, java.util.function.Predicate<String> paths) {
            this.pages = Objects.requireNonNull(value, "pages");
            this.pagePaths = Objects.requireNonNull(paths, "paths");
            return this;
        }

        /** The port on 127.0.0.1; 0 picks a free one (see {@link LocalHost#port()}). */
        public Builder port(int value) {
            if (value < 0 || value > 65535) {
                throw new ValidationException("port is " + value + "; allowed range is 0-65535");
            }
            this.port = value;
            return this;
        }

        /** How many queue messages are handled at once (the instances a Function App would scale to). */
        public Builder queueWorkers(int value) {
            if (value < 1) {
                throw new ValidationException("queueWorkers must be at least 1");
            }
            this.queueWorkers = value;
            return this;
        }

        /** Packages (with their subpackages) scanned for {@code @FunctionName} methods. */
        public Builder packages(List<String> value) {
            if (value == null || value.isEmpty()) {
                throw new ValidationException("name at least one package to scan for functions");
            }
            this.packages = List.copyOf(value);
            return this;
        }

        public Builder packages(String... value) {
            return packages(List.of(value));
        }

        public Builder classLoader(ClassLoader value) {
            this.classLoader = Objects.requireNonNull(value, "classLoader");
            return this;
        }

        /** Uses this injector for every function class instead of looking one up with ServiceLoader. */
        public Builder instanceInjector(FunctionInstanceInjector value) {
            this.injector = Objects.requireNonNull(value, "instanceInjector");
            return this;
        }

        /** Replaces the subscriptions read from the class path's {@value LocalHost#SUBSCRIPTIONS_RESOURCE}. */
        public Builder subscriptions(List<EventBusSubscription> value) {
            this.subscriptions = List.copyOf(value);
            return this;
        }

        public Builder eventBus(EventBusSettings value) {
            this.eventBus = Objects.requireNonNull(value, "eventBus");
            return this;
        }

        public Builder maxRequestBodyBytes(int value) {
            if (value < 1) {
                throw new ValidationException("maxRequestBodyBytes must be at least 1");
            }
            this.maxRequestBodyBytes = value;
            return this;
        }

        /** How often the drop folder is scanned; a file must stay unchanged this long to count as complete. */
        /**
         * Called with the container, blob name and file for every complete file in a drop folder, before its
         * BlobCreated is raised: where blobs are read from another store (the storage emulator), this copies the
         * file there.
         */
        public Builder dropFolderPublisher(BlobPublisher value) {
            this.dropFolderPublisher = java.util.Objects.requireNonNull(value, "dropFolderPublisher");
            return this;
        }

        public Builder dropFolderInterval(Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new ValidationException("dropFolderInterval must be positive");
            }
            this.dropFolderInterval = value;
            return this;
        }

        public Builder watchDropFolder(boolean value) {
            this.watchDropFolder = value;
            return this;
        }

        /** Timer functions that also run once at start (function.json's runOnStartup). */
        public Builder runOnStartup(Set<String> functionNames) {
            this.runOnStartup = Set.copyOf(new LinkedHashSet<>(functionNames));
            return this;
        }

        /** Resolves {@code %NAME%} schedules; the environment by default, as app settings are in Azure. */
        public Builder appSettings(UnaryOperator<String> value) {
            this.appSettings = Objects.requireNonNull(value, "appSettings");
            return this;
        }

        public Builder clock(Clock value) {
            this.clock = Objects.requireNonNull(value, "clock");
            return this;
        }

        /**
         * Whether a request's headers (lower-case names) carry credentials the platform knows. A request with a
         * body from an unknown caller is refused with 401 before its body is read. By default every caller is known.
         */
        public Builder knownCaller(java.util.function.Predicate<Map<String, String>> value) {
            this.knownCaller = Objects.requireNonNull(value, "knownCaller");
            return this;
        }

        /**
         * Whether a request's headers (lower-case names) carry credentials allowed to call the named function: a caller
         * {@link #knownCaller} knows that holds the role the function requires. Only such a request runs on the
         * selector thread ({@link #inline}, {@link #inlineWhenAlone}): the function's refusal of any other writes its
         * evidence to the disk, which would hold every connection on that selector, so it goes to the workers. By
         * default every caller {@link #knownCaller} knows.
         */
        public Builder allowedCaller(java.util.function.BiPredicate<String, Map<String, String>> value) {
            this.allowedCaller = Objects.requireNonNull(value, "allowedCaller");
            return this;
        }

        private java.util.function.BiPredicate<String, Map<String, String>> allowedCaller() {
            java.util.function.Predicate<Map<String, String>> known = knownCaller;
            return allowedCaller != null ? allowedCaller : (function, headers) -> known.test(headers);
        }

        /** The health probe functions, which run on workers kept for them whatever else is going on. */
        public Builder probeFunctions(Set<String> names) {
            this.probeFunctions = Set.copyOf(names);
            return this;
        }

        /** How long a connection may stay silent (mid-header, mid-body or between requests) before it is closed. */
        public Builder idleTimeout(Duration value) {
            if (value.isNegative() || value.isZero()) {
                throw new ValidationException("idleTimeout must be positive");
            }
            this.idleTimeout = value;
            return this;
        }

        /**
         * How long a request's head may take from its first byte; a connection whose head is not complete by then is
         * closed, however steadily its bytes come ({@link #REQUEST_HEAD_TIMEOUT} by default). Bodies are not
         * concerned.
         */
        public Builder requestHeadTimeout(Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new ValidationException("requestHeadTimeout must be positive");
            }
            this.requestHeadTimeout = value;
            return this;
        }

        /**
         * How long reading a request body may take in all, from when the host starts reading it; a body still arriving
         * then is cut off with 408, however steadily it comes, and one over the size limit being thrown away stops
         * there. By default {@link LocalHost#defaultRequestBodyTimeout} of the body size limit.
         */
        public Builder requestBodyTimeout(Duration value) {
            if (value == null || value.isNegative() || value.isZero()) {
                throw new ValidationException("requestBodyTimeout must be positive");
            }
            this.requestBodyTimeout = value;
            return this;
        }

        private Duration requestBodyTimeout() {
            return requestBodyTimeout != null ? requestBodyTimeout : defaultRequestBodyTimeout(maxRequestBodyBytes);
        }

        /** The slowest a request body may arrive; a slower one is cut off with 408. */
        public Builder minRequestBytesPerSecond(long value) {
            if (value < 1) {
                throw new ValidationException("minRequestBytesPerSecond must be at least 1");
            }
            this.minRequestBytesPerSecond = value;
            return this;
        }

        /**
         * Which POST requests run on the selector thread that read them, by function name and query parameters, when
         * the caller is allowed to call the function ({@link #allowedCaller}; docs/adr/0026; the body is gathered as it
         * arrives, without a thread waiting for it): short, CPU-bound work such as scoring, never work that waits on a
         * disk, a database or another service for long. None by default.
         */
        public Builder inline(java.util.function.BiPredicate<String, Map<String, String>> rule) {
            this.inline = Objects.requireNonNull(rule, "rule");
            return this;
        }

        /**
         * Which further POST requests run on the selector thread that read them when their connection is the only one
         * that selector serves, the caller being allowed to call the function (docs/adr/0027): work too long for other
         * connections to wait behind, such as an explained score, which a connection alone on its selector makes no one
         * wait for. Where another connection shares the selector, they go to the pool as before. None by default.
         */
        public Builder inlineWhenAlone(java.util.function.BiPredicate<String, Map<String, String>> rule) {
            this.inlineWhenAlone = Objects.requireNonNull(rule, "rule");
            return this;
        }

        /**
         * Selector threads, which read requests and run the inline functions; default twice the processors, at most
         * 8 (fewer connections per selector, so one connection's requests wait behind fewer others'). The host uses
         * at most a quarter of {@link #httpThreads}.
         */
        public Builder selectors(int value) {
            if (value < 1 || value > 64) {
                throw new ValidationException("selectors is " + value + "; allowed range is 1-64");
            }
            this.selectors = value;
            return this;
        }

        public Builder httpThreads(int value) {
            if (value < 4 || value > 512) {
                throw new ValidationException("httpThreads is " + value + "; allowed range is 4-512");
            }
            this.httpThreads = value;
            return this;
        }

        public LocalHost build() {
            if (home == null) {
                throw new ValidationException("the local host needs a home folder (the .vigil directory)");
            }
            return new LocalHost(copy());
        }

        /** The host keeps its own copy, so later changes to this builder do not reach a built host. */
        private Builder copy() {
            Builder b = new Builder();
            b.home = home;
            b.pages = pages;
            b.pagePaths = pagePaths;
            b.host = host;
            b.port = port;
            b.packages = packages;
            b.classLoader = classLoader;
            b.injector = injector;
            b.subscriptions = subscriptions;
            b.eventBus = eventBus;
            b.maxRequestBodyBytes = maxRequestBodyBytes;
            b.dropFolderInterval = dropFolderInterval;
            b.dropFolderPublisher = dropFolderPublisher;
            b.watchDropFolder = watchDropFolder;
            b.runOnStartup = runOnStartup;
            b.appSettings = appSettings;
            b.clock = clock;
            b.httpThreads = httpThreads;
            b.inline = inline;
            b.inlineWhenAlone = inlineWhenAlone;
            b.selectors = selectors;
            b.knownCaller = knownCaller;
            b.allowedCaller = allowedCaller;
            b.probeFunctions = probeFunctions;
            b.idleTimeout = idleTimeout;
            b.minRequestBytesPerSecond = minRequestBytesPerSecond;
            b.requestHeadTimeout = requestHeadTimeout;
            b.requestBodyTimeout = requestBodyTimeout;
            return b;
        }
    }
}
