package health.vigil.error;

import java.util.Objects;

/**
 * The root of every exception Vigil raises on purpose. Unchecked, with an {@link ErrorCode} that decides
 * the HTTP status. Messages say what was wrong and how to fix it, and never carry patient data.
 */
public class VigilException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final ErrorCode code;

    public VigilException(ErrorCode code, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
    }

    public VigilException(ErrorCode code, String message, Throwable cause) {
        super(message, cause);
        this.code = Objects.requireNonNull(code, "code");
    }

    public ErrorCode code() {
        return code;
    }

    public int httpStatus() {
        return code.httpStatus();
    }
}
