package health.vigil.model;

import health.vigil.error.ValidationException;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The {@code Idempotency-Key} a client sends with a request that changes something, so that sending it again (its
 * answer was lost) answers the first outcome instead of doing it twice. One key names one request of one caller.
 */
public record IdempotencyKey(String value) {
    /** The longest key taken. */
    public static final int MAX_LENGTH = 128;

    private static final Pattern FORM = Pattern.compile("[A-Za-z0-9._:-]{1," + MAX_LENGTH + "}");

    public IdempotencyKey {
        if (value == null || !FORM.matcher(value).matches()) {
            throw new ValidationException("the Idempotency-Key header must be 1 to " + MAX_LENGTH + " letters, digits,"
                    + " '.', '_', ':' or '-' (a UUID is a good key); send a new one for each new request");
        }
    }

    /** The key a request's header holds, if it sent one (null: none). */
    public static Optional<IdempotencyKey> of(String header) {
        return Optional.ofNullable(header).map(IdempotencyKey::new);
    }
}
