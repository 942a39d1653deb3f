package health.vigil.functions.common;

import health.vigil.security.Role;

/** Who may call a route: anyone (health probes), any authenticated caller, or callers holding a role. */
public record Access(boolean authenticate, Role role) {
    public static final Access ANONYMOUS = new Access(false, null);
    public static final Access AUTHENTICATED = new Access(true, null);

    public static Access role(Role role) {
        return new Access(true, java.util.Objects.requireNonNull(role, "role"));
    }
}
