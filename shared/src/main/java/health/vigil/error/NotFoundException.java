package health.vigil.error;

/** A model, version or other resource that does not exist. */
public class NotFoundException extends VigilException {
    private static final long serialVersionUID = 1L;

    public NotFoundException(ErrorCode code, String message) {
        super(code, message);
    }
}
