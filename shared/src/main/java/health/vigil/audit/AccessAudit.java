package health.vigil.audit;

import health.vigil.error.ErrorCode;
import health.vigil.model.ModelName;
import health.vigil.security.Authenticator;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The platform's authenticator with evidence: it authenticates like the one it wraps, and records every
 * refused request (401 or 403) in the audit log with the method, the route as declared and the principal when
 * known. The record never holds a header, key or token, the query string, or the path as the caller typed it.
 * Scoring requests that succeed are not recorded here: each decision is already in the prediction log
 * (docs/compliance/README.md says why).
 */
public final class AccessAudit implements Authenticator {
    /** The actor of a refusal whose caller could not be identified. */
    public static final String UNKNOWN_CALLER = "unauthenticated";
    /** The route of a refused request that matched no declared route; nothing of its path is kept. */
    public static final String NO_ROUTE = "(no route)";
    /** The method of a refused request whose method is not one HTTP defines. */
    static final String OTHER_METHOD = "OTHER";
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS");
    /** The one route parameter whose value is kept, when it is a well-formed model name. */
    private static final String MODEL_PARAMETER = "{name}";

    private final Authenticator delegate;
    private final AuditLog log;

    public AccessAudit(Authenticator delegate, AuditLog log) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.log = Objects.requireNonNull(log, "log");
    }

    @Override
    public Principal authenticate(Map<String, String> headers) {
        return delegate.authenticate(headers);
    }

    @Override
    public Principal require(Map<String, String> headers, Role role) {
        return delegate.require(headers, role);
    }

    @Override
    public void refused(String method, String route, String path, String principalId, ErrorCode code) {
        String recordedMethod = method != null && METHODS.contains(method) ? method : OTHER_METHOD;
        String recordedRoute = recordedRoute(route, path);
        Map<String, String> details = new LinkedHashMap<>();
        details.put("method", recordedMethod);
        details.put("route", recordedRoute);
        details.put("status", Integer.toString(code.httpStatus()));
        details.put("code", code.name());
        log.record(principalId == null ? UNKNOWN_CALLER : principalId, "access.refused",
                recordedMethod + " " + recordedRoute, "refused", details);
    }

    /**
     * The route as the record keeps it: the template as declared ({@code /models/{name}/versions/{version}}), with
     * the model's name in place of {@code {name}} when the path holds a well-formed model name there. Anyone may send a
     * request that is refused, and a URL may carry anything typed or pasted into it (a patient's name, a record
     * number), so no other value of the path is kept: a version or an id says little that the model and the time do
     * not, and a number there may as well be a record number. A model name is kept because "who tried to approve
     * readmission" is what compliance asks, and a well-formed one (3-63 lower-case letters, digits and hyphens,
     * starting with a letter) cannot hold the upper-case letters, spaces, leading digits, dots or slashes of a record
     * number, a date or a name as people write them. The HTTP plumbing's request log line names a request the same way.
     */
    public static String recordedRoute(String route, String path) {
        if (route == null) {
            return NO_ROUTE;
        }
        String[] template = trimSlashes(route).split("/", -1);
        String[] typed = path == null ? new String[0] : trimSlashes(path).split("/", -1);
        StringBuilder recorded = new StringBuilder();
        for (int i = 0; i < template.length; i++) {
            boolean keep = template[i].equals(MODEL_PARAMETER) && typed.length == template.length
                    && ModelName.isValid(typed[i]);
            recorded.append('/').append(keep ? typed[i] : template[i]);
        }
        return recorded.toString();
    }

    private static String trimSlashes(String text) {
        int start = text.startsWith("/") ? 1 : 0;
        int end = text.length() > start && text.endsWith("/") ? text.length() - 1 : text.length();
        return text.substring(start, end);
    }
}
