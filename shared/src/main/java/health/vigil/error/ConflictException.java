package health.vigil.error;

/** The request clashes with the current state (wrong stage, lost optimistic-concurrency race). */
public class ConflictException extends VigilException {
    private static final long serialVersionUID = 1L;

    public ConflictException(ErrorCode code, String message) {
        super(code, message);
    }
}
