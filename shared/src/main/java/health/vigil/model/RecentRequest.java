package health.vigil.model;

import com.fasterxml.jackson.annotation.JsonInclude;
import health.vigil.error.ValidationException;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * A deploy, rollback or canary start a caller sent under an {@link IdempotencyKey}, as the deployment remembers it:
 * what it asked ({@code request}, and the version it named, absent for a rollback to the previous version; for a canary
 * start, {@code bodySha256}, the digest of its ramp, bake time and policy as well), the revision it wrote, the version
 * that revision put on all live traffic (the canary slot, for a canary start), and when; and {@code previousVersion},
 * the stable version the revision replaced (absent for the first deployment, and in documents written before it was
 * kept), and {@code displaced}, the canary ramp or experiment it ended (absent when it ended none, and in documents
 * written before it was kept), so that the revision's record, completed later by the request sent again, the timer or a
 * repeated deploy, says what the first call's would have. {@code request} is absent only for a request that a
 * deployment document from before this history named by its key alone.
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
        @JsonInclude(JsonInclude.Include.NON_NULL) Displaced displaced,
        @JsonInclude(JsonInclude.Include.NON_NULL) String bodySha256) {
    public static final String DEPLOY = "deploy";
    public static final String ROLLBACK = "rollback";
    public static final String CANARY_START = "canary-start";

    public RecentRequest {
        new IdempotencyKey(key);
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(at, "at");
        if (request != null && !request.equals(DEPLOY) && !request.equals(ROLLBACK) && !request.equals(CANARY_START)) {
            throw new ValidationException("a remembered request is a deploy, a rollback or a canary start, not `"
                    + request + "`");
        }
    }

    /**
     * The canary start {@code caller} sent under {@code key}: of {@code version}, with the ramp, bake time and policy
     * whose digest is {@code bodySha256}, written as {@code revision} at {@code at}.
     */
    public static RecentRequest canaryStart(IdempotencyKey key, String caller, int version, String bodySha256,
            long revision, Instant at) {
        Objects.requireNonNull(bodySha256, "bodySha256");
        return new RecentRequest(key.value(), caller, CANARY_START, version, revision, version, at, null, null,
                bodySha256);
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
                revision, served, at, previous.isPresent() ? previous.getAsInt() : null, displaced.orElse(null), null);
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
     * it names no version or the one it put on live traffic. A canary start is answered by {@link #asksCanaryStart}.
     */
    public boolean asks(String request, OptionalInt asked) {
        if (this.request == null) {
            return asked.isEmpty() || asked.getAsInt() == served;
        }
        return this.request.equals(request) && !CANARY_START.equals(request)
                && (asked.isPresent() ? Integer.valueOf(asked.getAsInt()).equals(version) : version == null);
    }

    /** Whether a canary start of {@code asked} whose body has the digest {@code sha256} is this request sent again. */
    public boolean asksCanaryStart(int asked, String sha256) {
        return CANARY_START.equals(request) && Integer.valueOf(asked).equals(version) && sha256.equals(bodySha256);
    }

    /** What it asked, in words: "a rollback to the previous version", "a deploy of version 3". */
    public String asked() {
        if (request == null) {
            return "a request";
        }
        String target = version == null ? "the previous version" : "version " + version;
        return switch (request) {
            case DEPLOY -> "a deploy of " + target;
            case CANARY_START -> "a canary start of " + target;
            default -> "a rollback to " + target;
        };
    }

    /** What its revision did, in words: "put version 3 of `readmission` on all live traffic (revision 7)". */
    public String did(ModelName model) {
        String what = CANARY_START.equals(request) ? "started a canary of version " + served + " of `" + model + "`"
                : "put version " + served + " of `" + model + "` on all live traffic";
        return what + " (revision " + revision + ")";
    }
}
