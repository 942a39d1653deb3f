package health.vigil.error;

/** No credentials (401), or credentials without the role the operation needs (403). */
public class AccessDeniedException extends VigilException {
    private static final long serialVersionUID = 1L;

    public AccessDeniedException(ErrorCode code, String message) {
        super(code, message);
    }
}
