package health.vigil.registry;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.model.VersionRecord;
import java.util.Objects;
import java.util.Optional;

/**
 * What registering one uploaded blob did. {@code version} is set for REGISTERED and DUPLICATE;
 * {@code reason} is a stable machine-readable word and {@code message} explains it to a person.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record RegistrationOutcome(Kind kind, VersionRecord version, String reason, String message) {

    public enum Kind {
        /** A new version was created from the package. */
        REGISTERED,
        /** The same package (same sha256) was registered before; {@code version} is that version. */
        DUPLICATE,
        /** The package is not valid; {@code reason} is a {@link health.vigil.error.PackageRejectedException.Reason}. */
        REJECTED,
        /** Nothing to do: the event was handled already, the blob is gone, or its package is registered. */
        IGNORED
    }

    /** Reasons of IGNORED outcomes. */
    public static final String EVENT_ALREADY_HANDLED = "EVENT_ALREADY_HANDLED";
    public static final String BLOB_GONE = "BLOB_GONE";
    public static final String ALREADY_REGISTERED = "ALREADY_REGISTERED";
    /** Reason of DUPLICATE outcomes. */
    public static final String SAME_PACKAGE = "SAME_PACKAGE";

    public RegistrationOutcome {
        Objects.requireNonNull(kind, "kind");
        boolean needsVersion = kind == Kind.REGISTERED || kind == Kind.DUPLICATE;
        if (needsVersion && version == null) {
            throw new IllegalArgumentException(kind + " outcome needs the version record");
        }
        if (!needsVersion && version != null) {
            throw new IllegalArgumentException(kind + " outcome has no version record");
        }
        if (kind != Kind.REGISTERED && (reason == null || message == null)) {
            throw new IllegalArgumentException(kind + " outcome needs a reason and a message");
        }
    }

    public static RegistrationOutcome registered(VersionRecord version) {
        return new RegistrationOutcome(Kind.REGISTERED, version, null,
                "registered " + version.id() + " from " + version.packageBlob());
    }

    public static RegistrationOutcome duplicate(VersionRecord version, String blobName) {
        return new RegistrationOutcome(Kind.DUPLICATE, version, SAME_PACKAGE, "blob '" + blobName
                + "' holds the same package (sha256 " + version.packageSha256() + ") as " + version.id()
                + "; no new version was created");
    }

    public static RegistrationOutcome rejected(String reason, String message) {
        return new RegistrationOutcome(Kind.REJECTED, null, reason, message);
    }

    public static RegistrationOutcome ignored(String reason, String message) {
        return new RegistrationOutcome(Kind.IGNORED, null, reason, message);
    }

    public Optional<VersionRecord> versionRecord() {
        return Optional.ofNullable(version);
    }
}
