package health.vigil.error;

import java.util.Objects;

/** A model package that is not valid; {@link #reason()} is a stable machine-readable reason. */
public class PackageRejectedException extends VigilException {
    private static final long serialVersionUID = 1L;

    /** Why a package was rejected; stable names used in audit records and events. */
    public enum Reason {
        NOT_A_ZIP,
        TOO_LARGE,
        TOO_MANY_ENTRIES,
        UNSAFE_ENTRY_NAME,
        DUPLICATE_ENTRY,
        MISSING_ENTRY,
        UNEXPECTED_ENTRY,
        MALFORMED_MANIFEST,
        INVALID_MANIFEST,
        MALFORMED_REFERENCE,
        MALFORMED_EVALUATION,
        ONNX_UNLOADABLE,
        ONNX_SCHEMA_MISMATCH,
        ONNX_EXTERNAL_DATA,
        ONNX_UNSUPPORTED_OPERATOR_DOMAIN,
        NAME_MISMATCH,
        UNSUPPORTED_FEATURE_PIPELINE
    }

    private final Reason reason;

    public PackageRejectedException(Reason reason, String message) {
        super(ErrorCode.INVALID_PACKAGE, message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public PackageRejectedException(Reason reason, String message, Throwable cause) {
        super(ErrorCode.INVALID_PACKAGE, message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}
