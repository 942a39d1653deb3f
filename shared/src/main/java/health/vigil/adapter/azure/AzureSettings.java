package health.vigil.adapter.azure;

import health.vigil.config.VigilConfig;
import health.vigil.error.ValidationException;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * The Azure adapters' settings, taken from the {@code VIGIL_AZURE_*} app settings that {@link VigilConfig} keeps.
 * In Azure every service is reached with the app's managed identity; keys and connection strings exist only for
 * the local emulators. The names are listed in {@code docs/settings.md}, which the Bicep templates follow.
 */
public record AzureSettings(
        URI cosmosEndpoint,
        String cosmosDatabase,
        String cosmosKey,
        boolean cosmosGatewayMode,
        int predictionShards,
        URI blobEndpoint,
        URI queueEndpoint,
        String storageConnectionString,
        URI eventGridEndpoint,
        URI keyVaultUri,
        String managedIdentityClientId,
        boolean createResources,
        Duration predictionRetention) {

    public static final String COSMOS_ENDPOINT = "VIGIL_AZURE_COSMOS_ENDPOINT";
    public static final String COSMOS_DATABASE = "VIGIL_AZURE_COSMOS_DATABASE";
    public static final String COSMOS_KEY = "VIGIL_AZURE_COSMOS_KEY";
    public static final String COSMOS_CONNECTION_MODE = "VIGIL_AZURE_COSMOS_CONNECTION_MODE";
    public static final String COSMOS_PREDICTION_SHARDS = "VIGIL_AZURE_COSMOS_PREDICTION_SHARDS";
    public static final String BLOB_ENDPOINT = "VIGIL_AZURE_BLOB_ENDPOINT";
    public static final String STORAGE_CONNECTION_STRING = "VIGIL_AZURE_STORAGE_CONNECTION_STRING";
    /** The queue endpoint of the Function App's own storage account, where queue-triggered functions listen. */
    public static final String QUEUE_ENDPOINT = "VIGIL_AZURE_QUEUE_ENDPOINT";
    public static final String EVENTGRID_ENDPOINT = "VIGIL_AZURE_EVENTGRID_ENDPOINT";
    public static final String KEYVAULT_URI = "VIGIL_AZURE_KEYVAULT_URI";
    public static final String CLIENT_ID = "VIGIL_AZURE_CLIENT_ID";
    public static final String CREATE_RESOURCES = "VIGIL_AZURE_CREATE_RESOURCES";

    /** Every setting this record reads, for the documentation check. */
    public static final List<String> NAMES = List.of(COSMOS_ENDPOINT, COSMOS_DATABASE, COSMOS_KEY, COSMOS_CONNECTION_MODE,
            COSMOS_PREDICTION_SHARDS, BLOB_ENDPOINT, QUEUE_ENDPOINT, STORAGE_CONNECTION_STRING, EVENTGRID_ENDPOINT, KEYVAULT_URI,
            CLIENT_ID, CREATE_RESOURCES);

    public static final String DEFAULT_DATABASE = "vigil";
    public static final int DEFAULT_PREDICTION_SHARDS = 4;

    public AzureSettings {
        if (cosmosDatabase == null || cosmosDatabase.isBlank()) {
            cosmosDatabase = DEFAULT_DATABASE;
        }
        if (predictionShards < 1 || predictionShards > 64) {
            throw new ValidationException(COSMOS_PREDICTION_SHARDS + " is " + predictionShards + "; use 1-64");
        }
        if (predictionRetention == null || predictionRetention.isNegative() || predictionRetention.isZero()) {
            throw new ValidationException("the prediction retention must be positive");
        }
    }

    /** Reads the settings; what is malformed fails here, what is missing fails when an adapter needs it. */
    public static AzureSettings from(VigilConfig config) {
        Map<String, String> s = config.azure();
        String mode = value(s, COSMOS_CONNECTION_MODE).orElse("direct").toLowerCase(Locale.ROOT);
        if (!mode.equals("direct") && !mode.equals("gateway")) {
            throw new ValidationException(COSMOS_CONNECTION_MODE + " is '" + mode + "'; use direct (Azure) or gateway"
                    + " (emulators)");
        }
        return new AzureSettings(
                uri(s, COSMOS_ENDPOINT),
                value(s, COSMOS_DATABASE).orElse(DEFAULT_DATABASE),
                value(s, COSMOS_KEY).orElse(null),
                mode.equals("gateway"),
                shards(s),
                uri(s, BLOB_ENDPOINT),
                uri(s, QUEUE_ENDPOINT),
                value(s, STORAGE_CONNECTION_STRING).orElse(null),
                uri(s, EVENTGRID_ENDPOINT),
                uri(s, KEYVAULT_URI),
                value(s, CLIENT_ID).orElse(null),
                bool(s, CREATE_RESOURCES),
                config.predictionRetention());
    }

    /** The Cosmos DB endpoint, or a message naming the setting to set. */
    public URI requireCosmosEndpoint() {
        return require(cosmosEndpoint, COSMOS_ENDPOINT, "the Cosmos DB account endpoint, https://<account>.documents.azure.com:443/");
    }

    public boolean hasBlobStorage() {
        return blobEndpoint != null || storageConnectionString != null;
    }

    static <T> T require(T value, String name, String what) {
        if (value == null) {
            throw new ValidationException(name + " is not set: set it to " + what);
        }
        return value;
    }

    private static Optional<String> value(Map<String, String> s, String name) {
        String v = s.get(name);
        return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
    }

    private static URI uri(Map<String, String> s, String name) {
        Optional<String> v = value(s, name);
        if (v.isEmpty()) {
            return null;
        }
        try {
            URI uri = new URI(v.get());
            if (!"https".equalsIgnoreCase(uri.getScheme()) && !"http".equalsIgnoreCase(uri.getScheme())
                    || uri.getHost() == null) {
                throw new URISyntaxException(v.get(), "not an http(s) URL with a host");
            }
            return uri;
        } catch (URISyntaxException e) {
            throw new ValidationException(name + " is not a URL: use https://<host>/...");
        }
    }

    private static boolean bool(Map<String, String> s, String name) {
        String v = value(s, name).orElse("false").toLowerCase(Locale.ROOT);
        return switch (v) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new ValidationException(name + " is '" + v + "'; use true or false");
        };
    }

    private static int shards(Map<String, String> s) {
        String v = value(s, COSMOS_PREDICTION_SHARDS).orElse(String.valueOf(DEFAULT_PREDICTION_SHARDS));
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new ValidationException(COSMOS_PREDICTION_SHARDS + " is '" + v + "'; use a whole number 1-64");
        }
    }

    @Override
    public String toString() {
        // Never print the key or the connection string.
        return "AzureSettings[cosmos=" + cosmosEndpoint + ", database=" + cosmosDatabase + ", gateway=" + cosmosGatewayMode
                + ", blob=" + (blobEndpoint != null ? blobEndpoint : storageConnectionString != null ? "(connection string)" : null)
                + ", eventGrid=" + eventGridEndpoint + ", keyVault=" + keyVaultUri + ", createResources=" + createResources + "]";
    }
}
