package health.vigil.security;

import java.text.Normalizer;
import java.util.Locale;
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
        return id != null && (canonical(id).startsWith(PLATFORM_PREFIX) || sameIdentity(id, SYSTEM.id()));
    }

    /**
     * Whether two principal ids name the same caller as a reader of the audit trail would take them: compared in
     * Unicode compatibility form (NFKC), without white space or invisible formatting characters, and without regard
     * to case ({@code Alice}, {@code alice } and {@code a\u200Blice} are one person; Entra object ids are GUIDs, whose
     * case means nothing). Separation of duties compares ids this way, so another spelling of the uploader is the
     * uploader.
     */
    public static boolean sameIdentity(String a, String b) {
        return a != null && b != null && canonical(a).equals(canonical(b));
    }

    /**
     * {@code id} in the one form {@link #sameIdentity} compares, so that whatever is kept once per caller (a record
     * made once a day per reader) is kept once however the caller's id is spelled.
     */
    public static String canonical(String id) {
        String normalised = Normalizer.normalize(id, Normalizer.Form.NFKC);
        StringBuilder kept = new StringBuilder(normalised.length());
        normalised.codePoints()
                .filter(c -> !Character.isWhitespace(c) && !Character.isSpaceChar(c)
                        && Character.getType(c) != Character.FORMAT && !Character.isISOControl(c))
                .forEach(kept::appendCodePoint);
        return kept.toString().toUpperCase(Locale.ROOT).toLowerCase(Locale.ROOT);
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }
}
