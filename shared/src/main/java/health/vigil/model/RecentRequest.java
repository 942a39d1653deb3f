package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.error.ValidationException;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A deploy or rollback request a caller sent under an {@link IdempotencyKey}, as the deployment remembers it: what it
 * asked ({@code request}, and the version it named, absent for a rollback to the previous version), the revision it
 * wrote, the version that revision put on all live traffic, and when; and {@code previousVersion}, the stable version
 * the revision replaced (absent for the first deployment, and in documents written before it was kept), and
 * {@code displaced}, the canary ramp or experiment it ended (absent when it ended none, and in documents written before
 * it was kept), so that the revision's record, completed later by the request sent again, the timer or a repeated deploy,
 * says what the first call's would have. {@code request}
 * is absent only for a request that a deployment document from before this history named by its key alone.
 */
public record RecentRequest(
        String key,
        String caller,
        @JsonInclude(JsonInclude.Include.NON_NULL) String request,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer version,
        long revision,
        int served,
        Instant at,
        @JsonInclude(JsonInclude.Include.NON_NULL) Integer previousVersion,
        @JsonInclude(JsonInclude.Include.NON_NULL) Displaced displaced) {
    public static final String DEPLOY = "deploy";
    public static final String ROLLBACK = "rollback";

    public RecentRequest {
        new IdempotencyKey(key);
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(at, "at");
        if (request != null && !request.equals(DEPLOY) && !request.equals(ROLLBACK)) {
            throw new ValidationException("a remembered request is a deploy or a rollback, not `" + request + "`");
        }
    }

    /** The request {@code caller} sent under {@code key}: a {@code request} naming {@code version} (or none). */
    public static RecentRequest of(IdempotencyKey key, String caller, String request, OptionalInt version,
            long revision, int served, Instant at) {
        return of(key, caller, request, version, revision, served, at, OptionalInt.empty(), Optional.empty());
    }

    /** {@link #of(IdempotencyKey, String, String, OptionalInt, long, int, Instant)} of a revision that replaced the
     * stable version {@code previous} and ended {@code displaced}. */
    public static RecentRequest of(IdempotencyKey key, String caller, String request, OptionalInt version,
            long revision, int served, Instant at, OptionalInt previous, Optional<Displaced> displaced) {
        return new RecentRequest(key.value(), caller, request, version.isPresent() ? version.getAsInt() : null,
                revision, served, at, previous.isPresent() ? previous.getAsInt() : null, displaced.orElse(null));
    }

    /** The stable version the revision replaced, if it replaced one and the document kept it. */
    public OptionalInt previous() {
        return previousVersion == null ? OptionalInt.empty() : OptionalInt.of(previousVersion);
    }

    /** The canary ramp or experiment the revision ended, if it ended one and the document kept it. */
    public Optional<Displaced> ended() {
        return Optional.ofNullable(displaced);
    }

    /** Whether this is {@code caller}'s request under {@code key} (the same key of another caller is not). */
    public boolean sentBy(String caller, IdempotencyKey key) {
        return this.key.equals(key.value()) && this.caller.equals(caller);
    }

    /**
     * Whether {@code request} naming {@code asked} is this request sent again. One remembered by its key alone is, when
     * it names no version or the one it put on live traffic.
     */
    public boolean asks(String request, OptionalInt asked) {
        if (this.request == null) {
            return asked.isEmpty() || asked.getAsInt() == served;
        }
        return this.request.equals(request)
                && (asked.isPresent() ? Integer.valueOf(asked.getAsInt()).equals(version) : version == null);
    }

    /** What it asked, in words: "a rollback to the previous version", "a deploy of version 3". */
    public String asked() {
        if (request == null) {
            return "a request";
        }
        String target = version == null ? "the previous version" : "version " + version;
        return request.equals(DEPLOY) ? "a deploy of " + target : "a rollback to " + target;
    }
}
