package health.vigil.audit;

import health.vigil.error.ErrorCode;
import health.vigil.security.Authenticator;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The platform's authenticator with evidence: it authenticates like the one it wraps, and records every
 * refused request (401 or 403) in the audit log with the method, the path and the principal when known. The
 * record never holds a header, key or token. Scoring requests that succeed are not recorded here: each
 * decision is already in the prediction log (docs/compliance/README.md says why).
 */
public final class AccessAudit implements Authenticator {
    /** The actor of a refusal whose caller could not be identified. */
    public static final String UNKNOWN_CALLER = "unauthenticated";
    static final int MAX_PATH = 300;

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
    public void refused(String method, String path, String principalId, ErrorCode code) {
        String route = route(path);
        Map<String, String> details = new LinkedHashMap<>();
        details.put("method", method == null ? "" : method);
        details.put("route", route);
        details.put("status", Integer.toString(code.httpStatus()));
        details.put("code", code.name());
        log.record(principalId == null ? UNKNOWN_CALLER : principalId, "access.refused",
                (method == null ? "" : method + " ") + route, "refused", details);
    }

    /**
     * The path as the record keeps it: each segment that looks like a name, a version or an id (letters, digits and
     * {@code . _ ~ -}, at most 80) as it came, any other as {@code *}. Anyone may send a request that is refused,
     * and what a stranger typed into a URL (a patient's name, a record number) is not written into the signed trail.
     */
    static String route(String path) {
        if (path == null) {
            return "";
        }
        String[] segments = path.split("/", -1);
        for (int i = 0; i < segments.length; i++) {
            if (!segments[i].isEmpty() && !NAME_LIKE.matcher(segments[i]).matches()) {
                segments[i] = "*";
            }
        }
        String route = String.join("/", segments);
        return route.length() > MAX_PATH ? route.substring(0, MAX_PATH) + "..." : route;
    }

    private static final java.util.regex.Pattern NAME_LIKE = java.util.regex.Pattern.compile("[A-Za-z0-9._~-]{1,80}");
}
