package health.vigil.security;

import java.util.Objects;
import java.util.Set;

/**
 * Who is calling: a stable id (never a patient), the name a person signs with (an electronic signature shows it
 * printed), and the roles granted to it.
 */
public record Principal(String id, String name, Set<Role> roles) {
    public static final Principal SYSTEM = new Principal("vigil-system", Set.of());
    /** The prefix of the platform's own identities (its timers and event handlers), which act but never sign. */
    public static final String PLATFORM_PREFIX = "system:";
    /** The platform's retraining identity: the uploader recorded for every package the platform retrained. */
    public static final String RETRAINING = PLATFORM_PREFIX + "retrain";

    public Principal {
        Objects.requireNonNull(id, "id");
        name = name == null || name.isBlank() ? id : name;
        roles = Set.copyOf(roles);
    }

    /** A principal known by its id only, which is also its printed name. */
    public Principal(String id, Set<Role> roles) {
        this(id, id, roles);
    }

    /** Whether {@code id} is one of the platform's own identities rather than a person or a client application. */
    public static boolean isPlatform(String id) {
        return id != null && (id.startsWith(PLATFORM_PREFIX) || id.equals(SYSTEM.id()));
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }
}
