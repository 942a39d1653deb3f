package health.vigil.adapter.azure;

import health.vigil.error.StoreException;
import health.vigil.error.VigilException;

/** How the Azure adapters answer a service that gave no answer at all. */
final class AzureFailures {
    private AzureFailures() {}

    /**
     * A failure with no answer from the service (a refused or dropped connection, a timeout, after the SDK's
     * retries: azure-core throws them unchecked, often a bare RuntimeException around the I/O exception) is a store
     * that is away, retried by callers as a status 503 is, never a fault of Vigil's code; Vigil's own exceptions
     * pass unchanged.
     */
    static VigilException unreachable(String what, String service, RuntimeException e) {
        if (e instanceof VigilException own) {
            return own;
        }
        Throwable cause = e.getCause() != null ? e.getCause() : e;
        return new StoreException(what + " failed: " + service + " could not be reached ("
                + cause.getClass().getSimpleName() + ") after retries", e);
    }
}
