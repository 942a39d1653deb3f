package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.microsoft.azure.functions.annotation.EventGridTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.QueueTrigger;
import com.microsoft.azure.functions.annotation.TimerTrigger;
import health.vigil.config.VigilConfig;
import health.vigil.error.ErrorCode;
import health.vigil.functions.common.VigilInstanceInjector;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.Telemetry;
import health.vigil.port.TelemetryNames;
import java.lang.annotation.Annotation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every event-, queue- and timer-triggered function of the control app counts its failure in {@code vigil.errors}
 * once, under its own name and an error code, and a queue or timer function still throws, so the host retries the
 * delivery or moves the message to its poison queue.
 * The functions are found by their trigger annotations, so a new one is held to the same rule.
 */
class TriggerFailuresCountedTest {
    private static final List<Class<? extends Annotation>> TRIGGERS = List.of(EventGridTrigger.class,
            QueueTrigger.class, TimerTrigger.class);

    @TempDir
    Path home;

    @Test
    void everyBackgroundFunctionCountsItsFailureOnceUnderItsName() throws Exception {
        List<String> counted = new ArrayList<>();
        Telemetry recording = new Telemetry() {
            @Override
            public void failed(String operation, ErrorCode code) {
                counted.add(operation);
            }
        };
        VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { })
                .telemetry(recording).build();
        VigilInstanceInjector injector = new VigilInstanceInjector(() -> platform);
        Map<String, Method> methods = backgroundFunctions();
        Map<String, Object> functions = new TreeMap<>();
        for (Map.Entry<String, Method> function : methods.entrySet()) {
            functions.put(function.getKey(), injector.getInstance(function.getValue().getDeclaringClass()));
        }
        assertThat(methods.keySet()).contains("ScoreBatchPartition", "StartBatchOnUpload", "FailAbandonedBatchPartition",
                "RegisterModel", "EvaluateGates", "DriftCheck", "DriftCheckPartition", "Retrain", "CanaryController",
                "AdvanceCanary", "AuditDailyExport", "AuditAnchor", "PredictionRetention", "IngestOutcomes");
        // A closed platform fails every store call: the timers fail as a store outage would make them, the event and
        // queue functions already on the payload, which is no event and no partition message.
        platform.close();

        for (Map.Entry<String, Method> function : methods.entrySet()) {
            counted.clear();
            Throwable thrown = catchThrowable(() -> function.getValue().invoke(functions.get(function.getKey()), "{}",
                    new RecordingContext(function.getKey())));
            assertThat(counted).as(function.getKey()).containsExactly(function.getKey());
            if (!isEventTriggered(function.getValue())) {
                // An event function's refusal that no retry can change completes instead (EventRefusalsCompleteTest).
                assertThat(thrown).as(function.getKey()).isInstanceOf(InvocationTargetException.class);
            }
        }
    }

    /** Telemetry records any other operation as {@code other}; a function's own name must never be one. */
    @Test
    void everyFunctionsNameIsAnOperationTelemetryRecordsAsItIs() throws Exception {
        List<String> names = new ArrayList<>();
        for (Class<?> type : functionClasses()) {
            for (Method method : type.getMethods()) {
                FunctionName name = method.getAnnotation(FunctionName.class);
                if (name != null) {
                    names.add(name.value());
                }
            }
        }
        assertThat(names).hasSizeGreaterThan(40).allMatch(TelemetryNames::isOperation);
    }

    /** The alert on failed background functions names each of them: one left out would fail unheard. */
    @Test
    void theAlertOnBackgroundFailuresWatchesEveryBackgroundFunction() throws Exception {
        String bicep = Files.readString(Path.of("../../infra/bicep/modules/observability.bicep"));
        Matcher list = Pattern.compile("\\| where operation in \\(([^)]*)\\)").matcher(bicep);

        assertThat(list.find()).as("the background-function-failures alert's list of functions").isTrue();
        assertThat(Pattern.compile("\"([A-Za-z]+)\"").matcher(list.group(1)).results().map(r -> r.group(1)))
                .containsExactlyInAnyOrderElementsOf(backgroundFunctions().keySet());
    }

    /** Function name → method, for every function of this app with an event, queue or timer trigger. */
    private static Map<String, Method> backgroundFunctions() throws Exception {
        Map<String, Method> methods = new TreeMap<>();
        for (Class<?> type : functionClasses()) {
            for (Method method : type.getMethods()) {
                FunctionName name = method.getAnnotation(FunctionName.class);
                if (name != null && isBackground(method)) {
                    methods.put(name.value(), method);
                }
            }
        }
        return methods;
    }

    private static boolean isEventTriggered(Method method) {
        return Stream.of(method.getParameterAnnotations()).flatMap(Stream::of)
                .anyMatch(a -> a.annotationType() == EventGridTrigger.class);
    }

    private static boolean isBackground(Method method) {
        return Stream.of(method.getParameterAnnotations()).flatMap(Stream::of)
                .anyMatch(a -> TRIGGERS.contains(a.annotationType()));
    }

    private static List<Class<?>> functionClasses() throws Exception {
        Path classes = Path.of(BatchFunctions.class.getProtectionDomain().getCodeSource().getLocation().toURI())
                .resolve(BatchFunctions.class.getPackageName().replace('.', '/'));
        List<Class<?>> found = new ArrayList<>();
        try (Stream<Path> files = Files.list(classes)) {
            for (Path file : files.filter(f -> f.getFileName().toString().matches("[A-Za-z]+Functions\\.class"))
                    .toList()) {
                String simple = file.getFileName().toString().replace(".class", "");
                found.add(Class.forName(BatchFunctions.class.getPackageName() + "." + simple));
            }
        }
        return found;
    }
}
