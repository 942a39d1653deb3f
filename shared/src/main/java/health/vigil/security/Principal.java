package health.vigil.security;

import java.util.Objects;
import java.util.Set;

/**
 * Who is calling: a stable id (never a patient), the name a person signs with (an electronic signature shows it
 * printed), and the roles granted to it.
 */
public record Principal(String id, String name, Set<Role> roles) {
    public static final Principal SYSTEM = new Principal("vigil-system", Set.of());

    public Principal {
        Objects.requireNonNull(id, "id");
        name = name == null || name.isBlank() ? id : name;
        roles = Set.copyOf(roles);
    }

    /** A principal known by its id only, which is also its printed name. */
    public Principal(String id, Set<Role> roles) {
        this(id, id, roles);
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }
}
