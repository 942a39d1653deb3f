package health.vigil.error;

/** A store (SQLite, Cosmos DB, Blob Storage, files) failed in a way the caller cannot fix. */
public class StoreException extends VigilException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(ErrorCode.STORE_UNAVAILABLE, message, cause);
    }
}
