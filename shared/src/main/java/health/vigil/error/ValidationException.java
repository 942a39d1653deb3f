package health.vigil.error;

/** The caller sent something Vigil cannot accept; the message names the field and the rule. */
public class ValidationException extends VigilException {
    private static final long serialVersionUID = 1L;

    public ValidationException(ErrorCode code, String message) {
        super(code, message);
    }

    public ValidationException(String message) {
        super(ErrorCode.INVALID_REQUEST, message);
    }
}
