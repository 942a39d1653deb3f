package health.vigil.adapter.azure;

import com.azure.cosmos.CosmosException;
import health.vigil.error.StoreException;

/**
 * Turns Cosmos DB failures that Vigil cannot handle into {@link StoreException}s that say what failed and what to
 * do about it, keeping the SDK's exception as the cause. Throttling (429) and transient failures reach this point
 * only after the SDK's own retry policies gave up.
 */
final class CosmosFailures {
    /** Sub-status of a 404 whose database or container, not item, is missing. */
    private static final int OWNER_RESOURCE_NOT_FOUND = 1003;

    private CosmosFailures() {}

    static StoreException translate(String what, CosmosException e) {
        int status = e.getStatusCode();
        String message = switch (status) {
            case 429 -> what + " was throttled by Cosmos DB (429) and still failed after the SDK's retries; raise the"
                    + " container's throughput (RU/s) or retry later";
            case 401, 403 -> what + " was refused by Cosmos DB (" + status + "): give the app's managed identity its"
                    + " data-plane roles on the container ('Identities and roles' in docs/azure.md; the Bicep templates"
                    + " make them)";
            case 404 -> e.getSubStatusCode() == OWNER_RESOURCE_NOT_FOUND || e.getSubStatusCode() == 0
                    ? what + " failed: the Cosmos DB database or container does not exist; deploy the Bicep templates,"
                            + " or set VIGIL_AZURE_CREATE_RESOURCES=true when running on emulators"
                    : what + " failed: Cosmos DB answered 404/" + e.getSubStatusCode();
            case 408, 503 -> what + " failed: Cosmos DB was unreachable or timed out (" + status + ") after retries";
            default -> what + " failed with Cosmos DB status " + status + "/" + e.getSubStatusCode();
        };
        return new StoreException(message, e);
    }

    static boolean isStatus(CosmosException e, int status) {
        return e.getStatusCode() == status;
    }
}
