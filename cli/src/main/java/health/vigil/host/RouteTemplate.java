package health.vigil.host;

import health.vigil.error.ValidationException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An HttpTrigger route template as the Functions host reads it (ASP.NET Core route syntax): literal segments
 * matched case-insensitively, {@code {name}} parameters, inline constraints such as {@code {version:int}},
 * optional trailing parameters {@code {x?}} and a trailing catch-all {@code {*rest}}. A parameter must fill
 * its whole segment; defaults ({@code {x=1}}) and regex constraints are refused at start rather than being
 * silently matched differently from Azure.
 */
final class RouteTemplate implements Comparable<RouteTemplate> {
    private static final Pattern PARAMETER = Pattern.compile("^\\{(\\*?)([A-Za-z_][A-Za-z0-9_]*)((?::[a-z]+(?:\\([^():{}]*\\))?)*)(\\??)\\}$");
    private static final Pattern CONSTRAINT = Pattern.compile(":([a-z]+)(?:\\(([^()]*)\\))?");
    private static final Pattern GUID = Pattern.compile(
            "^\\{?[0-9A-Fa-f]{8}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{4}-?[0-9A-Fa-f]{12}\\}?$");
    private static final Pattern ALPHA = Pattern.compile("^[A-Za-z]+$");
    private static final Pattern DECIMAL = Pattern.compile("^[+-]?(\\d+\\.?\\d*|\\.\\d+)([eE][+-]?\\d+)?$");

    private final String text;
    private final List<Segment> segments;

    private RouteTemplate(String text, List<Segment> segments) {
        this.text = text;
        this.segments = List.copyOf(segments);
    }

    /** Parses a template; a blank template is the root path. */
    static RouteTemplate parse(String template) {
        String text = trimSlashes(template == null ? "" : template.trim());
        List<Segment> segments = new ArrayList<>();
        if (!text.isEmpty()) {
            String[] parts = text.split("/", -1);
            for (int i = 0; i < parts.length; i++) {
                segments.add(segment(template, parts[i], i == parts.length - 1));
            }
        }
        boolean optionalSeen = false;
        for (Segment s : segments) {
            if (optionalSeen && !(s instanceof Parameter p && (p.optional || p.catchAll))) {
                throw new ValidationException("route " + template + " has an optional parameter before a required segment; "
                        + "only trailing parameters can be optional");
            }
            optionalSeen |= s instanceof Parameter p && (p.optional || p.catchAll);
        }
        List<String> names = new ArrayList<>();
        for (Segment s : segments) {
            if (s instanceof Parameter p) {
                if (names.contains(p.name.toLowerCase(Locale.ROOT))) {
                    throw new ValidationException("route " + template + " uses the parameter name " + p.name + " twice");
                }
                names.add(p.name.toLowerCase(Locale.ROOT));
            }
        }
        return new RouteTemplate(text, segments);
    }

    private static Segment segment(String template, String part, boolean last) {
        if (part.isEmpty()) {
            throw new ValidationException("route " + template + " has an empty segment (two slashes in a row)");
        }
        if (part.indexOf('{') < 0 && part.indexOf('}') < 0) {
            if (part.contains("?") || part.contains("#")) {
                throw new ValidationException("route " + template + " has '?' or '#' in a literal segment; routes hold paths only");
            }
            return new Literal(part);
        }
        Matcher m = PARAMETER.matcher(part);
        if (!m.matches()) {
            throw new ValidationException("route " + template + " has the segment " + part
                    + ", which the local host does not support: a parameter must fill its segment, as {name}, "
                    + "{name:constraint} or {name?}, without a default value");
        }
        boolean catchAll = !m.group(1).isEmpty();
        boolean optional = !m.group(4).isEmpty();
        if (catchAll && !last) {
            throw new ValidationException("route " + template + " has the catch-all parameter " + m.group(2)
                    + " before its last segment");
        }
        List<Constraint> constraints = new ArrayList<>();
        Matcher c = CONSTRAINT.matcher(m.group(3));
        while (c.find()) {
            constraints.add(constraint(template, c.group(1), c.group(2)));
        }
        return new Parameter(m.group(2), constraints, m.group(3), optional, catchAll);
    }

    private static Constraint constraint(String template, String name, String argument) {
        try {
            return switch (name) {
                case "int" -> noArgument(argument, v -> parsesAs(v, Integer::parseInt));
                case "long" -> noArgument(argument, v -> parsesAs(v, Long::parseLong));
                case "bool" -> noArgument(argument, v -> v.equalsIgnoreCase("true") || v.equalsIgnoreCase("false"));
                case "guid" -> noArgument(argument, v -> GUID.matcher(v).matches());
                case "alpha" -> noArgument(argument, v -> ALPHA.matcher(v).matches());
                case "double", "float", "decimal" -> noArgument(argument, v -> DECIMAL.matcher(v).matches());
                case "minlength" -> { int n = Integer.parseInt(argument.trim()); yield v -> v.length() >= n; }
                case "maxlength" -> { int n = Integer.parseInt(argument.trim()); yield v -> v.length() <= n; }
                case "length" -> length(argument);
                case "min" -> { long n = Long.parseLong(argument.trim()); yield v -> parsesAs(v, Long::parseLong) && Long.parseLong(v) >= n; }
                case "max" -> { long n = Long.parseLong(argument.trim()); yield v -> parsesAs(v, Long::parseLong) && Long.parseLong(v) <= n; }
                case "range" -> range(argument);
                default -> throw new ValidationException("route " + template + " uses the constraint " + name
                        + ", which the local host does not know; use int, long, bool, guid, alpha, double, minlength, "
                        + "maxlength, length, min, max or range");
            };
        } catch (NumberFormatException | NullPointerException e) {
            throw new ValidationException("route " + template + " has the constraint " + name + " with a missing or non-numeric argument");
        }
    }

    private static Constraint noArgument(String argument, Constraint c) {
        if (argument != null) {
            throw new NumberFormatException("unexpected argument");
        }
        return c;
    }

    private static Constraint length(String argument) {
        String[] parts = argument.split(",");
        if (parts.length == 1) {
            int n = Integer.parseInt(parts[0].trim());
            return v -> v.length() == n;
        }
        int min = Integer.parseInt(parts[0].trim());
        int max = Integer.parseInt(parts[1].trim());
        return v -> v.length() >= min && v.length() <= max;
    }

    private static Constraint range(String argument) {
        String[] parts = argument.split(",");
        long min = Long.parseLong(parts[0].trim());
        long max = Long.parseLong(parts[1].trim());
        return v -> parsesAs(v, Long::parseLong) && Long.parseLong(v) >= min && Long.parseLong(v) <= max;
    }

    private static boolean parsesAs(String value, java.util.function.Function<String, ?> parser) {
        try {
            parser.apply(value);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    /** The first segment's text when it is a literal, which every path this route matches starts with (ignoring case). */
    Optional<String> firstLiteral() {
        return !segments.isEmpty() && segments.get(0) instanceof Literal first ? Optional.of(first.text) : Optional.empty();
    }

    /**
     * Matches decoded path segments (the request path split on '/', each percent-decoded); returns the route
     * values on a match, with absent optional parameters left out.
     */
    Optional<Map<String, String>> match(List<String> path) {
        // A route whose first literal differs is refused before anything is allocated.
        if (!path.isEmpty() && !segments.isEmpty() && segments.get(0) instanceof Literal first
                && !first.text.equalsIgnoreCase(path.get(0))) {
            return Optional.empty();
        }
        Map<String, String> values = new LinkedHashMap<>();
        int i = 0;
        for (Segment segment : segments) {
            if (segment instanceof Parameter p && p.catchAll) {
                if (i < path.size()) {
                    values.put(p.name, String.join("/", path.subList(i, path.size())));
                }
                return Optional.of(values);
            }
            if (i >= path.size()) {
                if (segment instanceof Parameter p && p.optional) {
                    continue;
                }
                return Optional.empty();
            }
            String value = path.get(i++);
            if (segment instanceof Literal l) {
                if (!l.text.equalsIgnoreCase(value)) {
                    return Optional.empty();
                }
            } else if (segment instanceof Parameter p) {
                for (Constraint c : p.constraints) {
                    if (!c.accepts(value)) {
                        return Optional.empty();
                    }
                }
                values.put(p.name, value);
            }
        }
        return i == path.size() ? Optional.of(values) : Optional.empty();
    }

    List<String> parameterNames() {
        List<String> names = new ArrayList<>();
        for (Segment s : segments) {
            if (s instanceof Parameter p) {
                names.add(p.name);
            }
        }
        return names;
    }

    boolean isOptional(String parameter) {
        return segments.stream().anyMatch(s -> s instanceof Parameter p && p.name.equals(parameter) && (p.optional || p.catchAll));
    }

    /** Two templates with the same shape match the same paths: the key that duplicate detection compares. */
    String shape() {
        StringBuilder b = new StringBuilder();
        for (Segment s : segments) {
            b.append('/');
            if (s instanceof Literal l) {
                b.append(l.text.toLowerCase(Locale.ROOT));
            } else if (s instanceof Parameter p) {
                b.append(p.catchAll ? "{*" : "{").append(p.constraintText).append(p.optional ? "?}" : "}");
            }
        }
        return b.length() == 0 ? "/" : b.toString();
    }

    @Override
    public String toString() {
        return text;
    }

    /**
     * Routing precedence, as in ASP.NET Core: at the first segment where two templates differ, a literal beats
     * a constrained parameter, which beats a plain one, which beats an optional one and then a catch-all.
     */
    @Override
    public int compareTo(RouteTemplate other) {
        int n = Math.min(segments.size(), other.segments.size());
        for (int i = 0; i < n; i++) {
            int c = Integer.compare(segments.get(i).rank(), other.segments.get(i).rank());
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(other.segments.size(), segments.size());
    }

    private static String trimSlashes(String s) {
        int start = 0;
        int end = s.length();
        while (start < end && s.charAt(start) == '/') {
            start++;
        }
        while (end > start && s.charAt(end - 1) == '/') {
            end--;
        }
        return s.substring(start, end);
    }

    @FunctionalInterface
    private interface Constraint {
        boolean accepts(String value);
    }

    private sealed interface Segment permits Literal, Parameter {
        int rank();
    }

    private record Literal(String text) implements Segment {
        @Override
        public int rank() {
            return 0;
        }
    }

    private static final class Parameter implements Segment {
        final String name;
        final List<Constraint> constraints;
        final boolean optional;
        final boolean catchAll;
        final String constraintText;

        Parameter(String name, List<Constraint> constraints, String constraintText, boolean optional, boolean catchAll) {
            this.name = name;
            this.constraints = List.copyOf(constraints);
            this.optional = optional;
            this.catchAll = catchAll;
            this.constraintText = constraintText;
        }

        @Override
        public int rank() {
            if (catchAll) {
                return 4;
            }
            if (optional) {
                return 3;
            }
            return constraints.isEmpty() ? 2 : 1;
        }
    }
}
