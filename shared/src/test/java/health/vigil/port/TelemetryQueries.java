package health.vigil.port;

import health.vigil.events.EventTypes;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks a KQL query of a workbook or an alert rule against what the code records: the tables Application Insights
 * writes Vigil's telemetry to, the metric and span names and attributes of {@link TelemetryNames}, the event types
 * of {@link EventTypes} and the function names of the Function Apps. A name reserved for a capability not built yet
 * passes only when the caller lists it, with that capability, in its allow-list.
 */
final class TelemetryQueries {
    static final Path REPO = Path.of("..").toAbsolutePath().normalize();

    /** Metrics land in AppMetrics, spans in AppDependencies, the Functions host's requests in AppRequests. */
    private static final Set<String> TABLES = Set.of("AppMetrics", "AppDependencies", "AppRequests");
    private static final Pattern FIRST_WORD = Pattern.compile("^\\s*([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern STRING = Pattern.compile("\"((?:[^\"\\\\]|\\\\.)*)\"");
    private static final Pattern NAME_EQUALS = Pattern.compile("\\bName\\s*==\\s*\"([^\"]*)\"");
    private static final Pattern NAME_IN = Pattern.compile("\\bName\\s+in\\s*\\(([^)]*)\\)");
    private static final Pattern DIMENSION = Pattern.compile("\\b(?:Properties|customDimensions)\\s*\\[\\s*\"([^\"]*)\"\\s*]");
    private static final Pattern DOTTED_DIMENSION = Pattern.compile("\\b(?:Properties|customDimensions)\\.([A-Za-z_][\\w]*)");
    private static final Pattern VIGIL_EVENT = Pattern.compile("Vigil\\.[A-Za-z.]+");
    private static final Pattern FUNCTION_NAME = Pattern.compile("@FunctionName\\(\"([^\"]+)\"\\)");

    private final Map<String, String> plannedAllowed;
    private final Function<String, Optional<TelemetryNames.Signal>> catalogue;
    private final Set<String> eventTypes = eventTypes();
    private final Set<String> functionNames = functionNames();

    /** {@code plannedAllowed}: reserved name → the capability that will record it. */
    TelemetryQueries(Map<String, String> plannedAllowed) {
        this(plannedAllowed, TelemetryNames::signal);
    }

    /** Against another catalogue than {@link TelemetryNames}: one with a reserved name, for the check's own tests. */
    TelemetryQueries(Map<String, String> plannedAllowed, Function<String, Optional<TelemetryNames.Signal>> catalogue) {
        this.plannedAllowed = Map.copyOf(plannedAllowed);
        this.catalogue = catalogue;
    }

    /** What is wrong with {@code kql} (found at {@code where}), one sentence each; empty when nothing is. */
    List<String> problems(String where, String kql) {
        List<String> problems = new ArrayList<>();
        Matcher first = FIRST_WORD.matcher(kql);
        String table = first.find() ? first.group(1) : "";
        if (!TABLES.contains(table)) {
            problems.add(where + ": reads `" + table + "`; Vigil's telemetry is in " + new TreeSet<>(TABLES));
        }
        Set<String> named = namedSignals(kql);
        List<TelemetryNames.Signal> signals = new ArrayList<>();
        for (String name : named) {
            if (table.equals("AppRequests")) {
                if (!functionNames.contains(name)) {
                    problems.add(where + ": AppRequests has no requests named `" + name + "`: no function is called"
                            + " that; functions are " + functionNames);
                }
                continue;
            }
            Optional<TelemetryNames.Signal> signal = catalogue.apply(name);
            if (signal.isEmpty()) {
                problems.add(where + ": `" + name + "` is not a metric or span the code records (TelemetryNames)");
                continue;
            }
            signals.add(signal.get());
            boolean span = signal.get().kind() == TelemetryNames.Kind.SPAN;
            String expected = span ? "AppDependencies" : "AppMetrics";
            if (!table.equals(expected)) {
                problems.add(where + ": `" + name + "` is a " + (span ? "span" : "metric") + "; it is in " + expected
                        + ", not " + table);
            }
            signal.get().plannedFor().ifPresent(capability -> {
                if (!capability.equals(plannedAllowed.get(name))) {
                    problems.add(where + ": `" + name + "` is not recorded yet (reserved for the " + capability
                            + "); a query may use it only when it is on the allow-list of planned names");
                }
            });
        }
        if (!table.equals("AppRequests") && named.isEmpty()) {
            problems.add(where + ": names no Vigil metric or span (`| where Name == \"...\"`)");
        }
        Set<String> dimensions = new LinkedHashSet<>();
        signals.forEach(s -> dimensions.addAll(s.attributes()));
        boolean unknownSignal = signals.size() < named.size() && !table.equals("AppRequests");
        for (Pattern pattern : unknownSignal ? List.<Pattern>of() : List.of(DIMENSION, DOTTED_DIMENSION)) {
            Matcher m = pattern.matcher(kql);
            while (m.find()) {
                if (!dimensions.contains(m.group(1))) {
                    problems.add(where + ": dimension `" + m.group(1) + "` is not recorded with "
                            + (signals.isEmpty() ? "this table" : signals.stream().map(TelemetryNames.Signal::name).toList())
                            + "; recorded dimensions are " + dimensions);
                }
            }
        }
        Matcher literal = STRING.matcher(kql);
        while (literal.find()) {
            String value = literal.group(1);
            if (value.startsWith("vigil.") && !named.contains(value) && catalogue.apply(value).isEmpty()
                    && !TelemetryNames.attributes().contains(value)) {
                problems.add(where + ": `" + value + "` is neither a metric, a span nor a dimension the code records");
            }
            if (VIGIL_EVENT.matcher(value).matches() && !eventTypes.contains(value)) {
                problems.add(where + ": `" + value + "` is not an event type Vigil publishes (EventTypes)");
            }
        }
        return problems;
    }

    /** Group 1 of every match of {@code pattern} in {@code text}, in order. */
    static Set<String> found(Pattern pattern, String text) {
        return pairs(pattern, text, 1).keySet();
    }

    /** Group 1 → group {@code valueGroup} of every match, in order; the first match of a key wins. */
    static Map<String, String> pairs(Pattern pattern, String text, int valueGroup) {
        Map<String, String> pairs = new java.util.LinkedHashMap<>();
        Matcher m = pattern.matcher(text);
        while (m.find()) {
            pairs.putIfAbsent(m.group(1), m.group(valueGroup));
        }
        return pairs;
    }

    private static Set<String> namedSignals(String kql) {
        Set<String> names = new LinkedHashSet<>();
        Matcher equals = NAME_EQUALS.matcher(kql);
        while (equals.find()) {
            names.add(equals.group(1));
        }
        Matcher in = NAME_IN.matcher(kql);
        while (in.find()) {
            Matcher item = STRING.matcher(in.group(1));
            while (item.find()) {
                names.add(item.group(1));
            }
        }
        return names;
    }

    private static Set<String> eventTypes() {
        Set<String> types = new TreeSet<>();
        for (Field field : EventTypes.class.getFields()) {
            if (Modifier.isStatic(field.getModifiers()) && field.getType() == String.class) {
                try {
                    types.add((String) field.get(null));
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
        return types;
    }

    /** The names of the functions of every Function App, as the host names their requests. */
    static Set<String> functionNames() {
        Set<String> names = new TreeSet<>();
        try (Stream<Path> files = Files.walk(REPO.resolve("functions"))) {
            for (Path file : files.filter(p -> p.toString().endsWith(".java"))
                    .filter(p -> p.toString().contains("/src/main/java/")).toList()) {
                Matcher m = FUNCTION_NAME.matcher(Files.readString(file));
                while (m.find()) {
                    names.add(m.group(1));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return names;
    }
}
