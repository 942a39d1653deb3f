package health.vigil.host;

import com.microsoft.azure.functions.ExecutionContext;
import com.microsoft.azure.functions.HttpMethod;
import com.microsoft.azure.functions.HttpRequestMessage;
import com.microsoft.azure.functions.annotation.BindingName;
import com.microsoft.azure.functions.annotation.EventGridTrigger;
import com.microsoft.azure.functions.annotation.FunctionName;
import com.microsoft.azure.functions.annotation.HttpTrigger;
import com.microsoft.azure.functions.annotation.QueueTrigger;
import com.microsoft.azure.functions.annotation.TimerTrigger;
import com.microsoft.azure.functions.annotation.WarmupTrigger;
import health.vigil.error.ValidationException;
import health.vigil.host.FunctionDefinition.Argument;
import health.vigil.host.FunctionDefinition.BodyForm;
import java.lang.annotation.Annotation;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Parameter;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The functions found on the class path, read from their annotations the way the Functions host reads the
 * function.json files the Maven plugin writes from the same annotations. Anything the local host could not
 * run as Azure would (two functions with one name, two with one route and method, an unsupported binding, a
 * schedule that never fires) stops the start with a message that names the method and the fix.
 */
final class FunctionCatalog {
    private static final Pattern FUNCTION_NAME = Pattern.compile("^[A-Za-z][A-Za-z0-9_-]{0,127}$");
    private static final Pattern APP_SETTING = Pattern.compile("^%([A-Za-z0-9_.:-]+)%$");
    private static final String AZURE_ANNOTATIONS = "com.microsoft.azure.functions.annotation.";
    private static final Set<Class<?>> ROUTE_VALUE_TYPES = Set.of(
            String.class, int.class, Integer.class, long.class, Long.class, boolean.class, Boolean.class);

    private final List<FunctionDefinition> functions;
    private final Map<String, FunctionDefinition> byName;
    private final List<FunctionDefinition> httpByPrecedence;
    private final Map<String, List<FunctionDefinition>> httpByFirstSegment;
    private final List<FunctionDefinition> httpWithoutFirstLiteral;

    private FunctionCatalog(List<FunctionDefinition> functions) {
        this.functions = List.copyOf(functions);
        Map<String, FunctionDefinition> names = new HashMap<>();
        functions.forEach(f -> names.put(f.name().toLowerCase(Locale.ROOT), f));
        this.byName = Map.copyOf(names);
        this.httpByPrecedence = functions.stream()
                .filter(f -> f.trigger() instanceof FunctionDefinition.Http)
                .sorted(Comparator.comparing((FunctionDefinition f) -> ((FunctionDefinition.Http) f.trigger()).route())
                        .thenComparing(FunctionDefinition::name))
                .toList();
        this.httpByFirstSegment = byFirstSegment(httpByPrecedence);
        this.httpWithoutFirstLiteral = httpByPrecedence.stream().filter(f -> route(f).firstLiteral().isEmpty()).toList();
    }

    private static RouteTemplate route(FunctionDefinition f) {
        return ((FunctionDefinition.Http) f.trigger()).route();
    }

    /**
     * For each first literal of a route (compared as routes compare them, ignoring case): the functions a path
     * starting with it can match, in precedence order. Those are the routes with that first literal and the
     * routes that start with a parameter or have no segment.
     */
    private static Map<String, List<FunctionDefinition>> byFirstSegment(List<FunctionDefinition> http) {
        Map<String, List<FunctionDefinition>> index = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (FunctionDefinition f : http) {
            route(f).firstLiteral().ifPresent(literal -> index.computeIfAbsent(literal, l -> http.stream()
                    .filter(g -> route(g).firstLiteral().map(l::equalsIgnoreCase).orElse(true))
                    .toList()));
        }
        return index;
    }

    /**
     * Scans the packages on the loader and reads every {@code @FunctionName} method.
     *
     * @param appSettings resolves {@code %NAME%} in timer schedules, as the host resolves app settings
     */
    static FunctionCatalog discover(ClassLoader loader, List<String> packages, UnaryOperator<String> appSettings) {
        List<FunctionDefinition> found = new ArrayList<>();
        for (String className : ClasspathScanner.classNames(loader, packages)) {
            Class<?> type = load(loader, className);
            Method[] methods = type.getDeclaredMethods();
            Arrays.sort(methods, Comparator.comparing(Method::getName).thenComparing(Method::toGenericString));
            for (Method method : methods) {
                FunctionName name = method.getAnnotation(FunctionName.class);
                if (name != null && !method.isSynthetic()) {
                    found.add(read(type, method, name.value(), appSettings));
                }
            }
        }
        checkUnique(found);
        return new FunctionCatalog(found);
    }

    List<FunctionDefinition> all() {
        return functions;
    }

    Optional<FunctionDefinition> byName(String name) {
        return name == null ? Optional.empty() : Optional.ofNullable(byName.get(name.toLowerCase(Locale.ROOT)));
    }

    /** HTTP functions in routing precedence (most specific route first). */
    List<FunctionDefinition> httpFunctions() {
        return httpByPrecedence;
    }

    /**
     * The HTTP functions whose routes can match a path of these segments, in routing precedence: the same first
     * match and the same set of matches as {@link #httpFunctions()}, without trying every route on every request.
     */
    List<FunctionDefinition> httpFunctionsFor(List<String> path) {
        if (path.isEmpty()) {
            return httpByPrecedence;
        }
        return httpByFirstSegment.getOrDefault(path.get(0), httpWithoutFirstLiteral);
    }

    /** The queues that queue-triggered functions listen on. */
    java.util.Set<String> queueNames() {
        java.util.Set<String> names = new java.util.TreeSet<>();
        functions.stream().filter(f -> f.trigger() instanceof FunctionDefinition.Queue)
                .forEach(f -> names.add(((FunctionDefinition.Queue) f.trigger()).queueName()));
        return names;
    }

    /** The function listening on a queue. */
    Optional<FunctionDefinition> queueFunction(String queue) {
        return functions.stream().filter(f -> f.trigger() instanceof FunctionDefinition.Queue q
                && q.queueName().equals(queue)).findFirst();
    }

    /** The functions an instance runs once at start, before it takes traffic. */
    List<FunctionDefinition> warmupFunctions() {
        return functions.stream().filter(f -> f.trigger() instanceof FunctionDefinition.Warmup).toList();
    }

    List<FunctionDefinition> timerFunctions() {
        return functions.stream().filter(f -> f.trigger() instanceof FunctionDefinition.Timer).toList();
    }

    private static Class<?> load(ClassLoader loader, String className) {
        try {
            return Class.forName(className, false, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new ValidationException("class " + className + " was found in a scanned package but cannot be loaded ("
                    + e.getClass().getSimpleName() + ": " + e.getMessage() + "); check the class path");
        }
    }

    private static FunctionDefinition read(Class<?> type, Method method, String name, UnaryOperator<String> appSettings) {
        String where = type.getName() + "." + method.getName();
        if (name == null || !FUNCTION_NAME.matcher(name).matches()) {
            throw new ValidationException("@FunctionName \"" + name + "\" on " + where
                    + " is not a valid function name: start with a letter, then up to 127 letters, digits, '_' or '-'");
        }
        if (!Modifier.isPublic(method.getModifiers()) || !Modifier.isPublic(type.getModifiers())) {
            throw new ValidationException("function " + name + " (" + where + ") must be a public method of a public class");
        }
        if (!Modifier.isStatic(method.getModifiers())
                && (Modifier.isAbstract(type.getModifiers()) || type.isInterface()
                        || (type.getEnclosingClass() != null && !Modifier.isStatic(type.getModifiers())))) {
            throw new ValidationException("function " + name + " (" + where + ") is an instance method of a class that "
                    + "cannot be instantiated; make the class concrete and top-level (or static nested)");
        }
        FunctionDefinition.Trigger trigger = null;
        List<Argument> arguments = new ArrayList<>();
        Parameter[] parameters = method.getParameters();
        for (int i = 0; i < parameters.length; i++) {
            Parameter p = parameters[i];
            String which = "parameter " + (i + 1) + " of function " + name + " (" + where + ")";
            rejectOtherBindings(p, which);
            HttpTrigger http = p.getAnnotation(HttpTrigger.class);
            EventGridTrigger eventGrid = p.getAnnotation(EventGridTrigger.class);
            TimerTrigger timer = p.getAnnotation(TimerTrigger.class);
            QueueTrigger queue = p.getAnnotation(QueueTrigger.class);
            WarmupTrigger warmup = p.getAnnotation(WarmupTrigger.class);
            BindingName bindingName = p.getAnnotation(BindingName.class);
            int triggers = (http != null ? 1 : 0) + (eventGrid != null ? 1 : 0) + (timer != null ? 1 : 0)
                    + (queue != null ? 1 : 0) + (warmup != null ? 1 : 0);
            if (triggers > 0 && trigger != null || triggers > 1) {
                throw new ValidationException("function " + name + " (" + where + ") has more than one trigger; a function has exactly one");
            }
            if (http != null) {
                trigger = httpTrigger(name, where, http);
                arguments.add(new FunctionDefinition.HttpRequest(bodyForm(p, which)));
            } else if (eventGrid != null) {
                requireString(p, which, "@EventGridTrigger");
                trigger = new FunctionDefinition.EventGrid();
                arguments.add(new FunctionDefinition.Payload());
            } else if (timer != null) {
                requireString(p, which, "@TimerTrigger");
                trigger = timerTrigger(name, where, timer.schedule(), appSettings);
                arguments.add(new FunctionDefinition.Payload());
            } else if (queue != null) {
                requireString(p, which, "@QueueTrigger");
                if (queue.queueName().isBlank()) {
                    throw new ValidationException(which + " is a @QueueTrigger without a queueName");
                }
                trigger = new FunctionDefinition.Queue(queue.queueName());
                arguments.add(new FunctionDefinition.Payload());
            } else if (warmup != null) {
                requireString(p, which, "@WarmupTrigger");
                trigger = new FunctionDefinition.Warmup();
                arguments.add(new FunctionDefinition.Payload());
            } else if (bindingName != null) {
                if (!ROUTE_VALUE_TYPES.contains(p.getType())) {
                    throw new ValidationException(which + " is a @BindingName of type " + p.getType().getSimpleName()
                            + "; the local host binds String, int, long and boolean");
                }
                arguments.add(new FunctionDefinition.RouteValue(bindingName.value(), p.getType()));
            } else if (p.getType() == ExecutionContext.class) {
                arguments.add(new FunctionDefinition.Context());
            } else {
                throw new ValidationException(which + " has no binding the local host can supply; use the trigger, "
                        + "@BindingName or ExecutionContext");
            }
        }
        if (trigger == null) {
            throw new ValidationException("function " + name + " (" + where + ") has no trigger; the local host runs "
                    + "@HttpTrigger, @EventGridTrigger, @TimerTrigger, @QueueTrigger and @WarmupTrigger functions");
        }
        if (!(trigger instanceof FunctionDefinition.Http)
                && arguments.stream().anyMatch(a -> a instanceof FunctionDefinition.RouteValue)) {
            throw new ValidationException("function " + name + " (" + where + ") uses @BindingName, which the local host "
                    + "supports on HTTP functions only");
        }
        return new FunctionDefinition(name, type, method, trigger, arguments);
    }

    private static void rejectOtherBindings(Parameter p, String which) {
        for (Annotation a : p.getAnnotations()) {
            Class<? extends Annotation> kind = a.annotationType();
            if (kind.getName().startsWith(AZURE_ANNOTATIONS) && kind != HttpTrigger.class && kind != EventGridTrigger.class
                    && kind != TimerTrigger.class && kind != QueueTrigger.class && kind != WarmupTrigger.class
                    && kind != BindingName.class) {
                throw new ValidationException(which + " uses @" + kind.getSimpleName()
                        + ", a binding the local host does not run; Vigil's functions reach stores through ports instead");
            }
        }
    }

    private static FunctionDefinition.Http httpTrigger(String name, String where, HttpTrigger http) {
        String template = http.route() == null || http.route().isBlank() ? name : http.route();
        RouteTemplate route;
        try {
            route = RouteTemplate.parse(template);
        } catch (ValidationException e) {
            throw new ValidationException("function " + name + " (" + where + "): " + e.getMessage());
        }
        Set<HttpMethod> methods = new LinkedHashSet<>(Arrays.asList(http.methods()));
        return new FunctionDefinition.Http(route, methods, http.authLevel().name());
    }

    private static FunctionDefinition.Timer timerTrigger(String name, String where, String schedule, UnaryOperator<String> appSettings) {
        String resolved = schedule;
        Matcher setting = schedule == null ? null : APP_SETTING.matcher(schedule.trim());
        if (setting != null && setting.matches()) {
            resolved = appSettings.apply(setting.group(1));
            if (resolved == null || resolved.isBlank()) {
                throw new ValidationException("function " + name + " (" + where + ") takes its schedule from the app setting "
                        + setting.group(1) + ", which is not set; set it in the environment");
            }
        }
        NCrontabSchedule parsed;
        try {
            parsed = NCrontabSchedule.parse(resolved);
        } catch (ValidationException e) {
            throw new ValidationException("function " + name + " (" + where + "): " + e.getMessage());
        }
        if (parsed.next(Instant.now(), ZoneOffset.UTC).isEmpty()) {
            throw new ValidationException("function " + name + " (" + where + ") has the schedule \"" + resolved
                    + "\", which never fires (no date matches it); fix the day and month fields");
        }
        return new FunctionDefinition.Timer(resolved, parsed);
    }

    private static BodyForm bodyForm(Parameter p, String which) {
        if (p.getType() != HttpRequestMessage.class) {
            throw new ValidationException(which + " carries @HttpTrigger but is a " + p.getType().getSimpleName()
                    + "; declare it as HttpRequestMessage<Optional<String>>");
        }
        Type generic = p.getParameterizedType();
        Type body = generic instanceof ParameterizedType pt ? pt.getActualTypeArguments()[0] : Object.class;
        if (body == String.class) {
            return BodyForm.STRING;
        }
        if (body == byte[].class) {
            return BodyForm.BYTES;
        }
        if (body instanceof ParameterizedType opt && opt.getRawType() == Optional.class) {
            Type inner = opt.getActualTypeArguments()[0];
            if (inner == String.class) {
                return BodyForm.OPTIONAL_STRING;
            }
            if (inner == byte[].class) {
                return BodyForm.OPTIONAL_BYTES;
            }
        }
        throw new ValidationException(which + " is HttpRequestMessage<" + body.getTypeName() + ">; the local host supplies "
                + "Optional<String>, Optional<byte[]>, String or byte[] bodies");
    }

    private static void requireString(Parameter p, String which, String annotation) {
        if (p.getType() != String.class) {
            throw new ValidationException(which + " carries " + annotation + " but is a " + p.getType().getSimpleName()
                    + "; declare it as String (the JSON the trigger delivers)");
        }
    }

    private static void checkUnique(List<FunctionDefinition> functions) {
        Map<String, FunctionDefinition> names = new HashMap<>();
        for (FunctionDefinition f : functions) {
            FunctionDefinition clash = names.putIfAbsent(f.name().toLowerCase(Locale.ROOT), f);
            if (clash != null) {
                throw new ValidationException("two functions are named " + f.name() + ": " + clash.where() + " and "
                        + f.where() + "; function names must be unique across both Function Apps");
            }
        }
        List<FunctionDefinition> http = functions.stream().filter(f -> f.trigger() instanceof FunctionDefinition.Http).toList();
        for (int i = 0; i < http.size(); i++) {
            for (int j = i + 1; j < http.size(); j++) {
                FunctionDefinition.Http a = (FunctionDefinition.Http) http.get(i).trigger();
                FunctionDefinition.Http b = (FunctionDefinition.Http) http.get(j).trigger();
                if (a.route().shape().equals(b.route().shape()) && a.overlaps(b)) {
                    throw new ValidationException("functions " + http.get(i).name() + " (" + http.get(i).where() + ") and "
                            + http.get(j).name() + " (" + http.get(j).where() + ") both serve route /" + a.route()
                            + " for the same HTTP method; give them different routes or disjoint methods");
                }
            }
        }
    }
}
