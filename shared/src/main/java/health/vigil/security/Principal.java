package health.vigil.security;

import java.util.Objects;
import java.util.Set;

/** Who is calling: a stable id (never a patient) and the roles granted to it. */
public record Principal(String id, Set<Role> roles) {
    public static final Principal SYSTEM = new Principal("vigil-system", Set.of());

    public Principal {
        Objects.requireNonNull(id, "id");
        roles = Set.copyOf(roles);
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }
}
