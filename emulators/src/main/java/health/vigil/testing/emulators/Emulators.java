package health.vigil.testing.emulators;

import java.util.Map;
import java.util.TreeMap;

/** Azurite and the Cosmos DB server running together; closing stops both. */
public final class Emulators implements AutoCloseable {
    private final Azurite azurite;
    private final CosmosServer cosmos;

    Emulators(Azurite azurite, CosmosServer cosmos) {
        this.azurite = azurite;
        this.cosmos = cosmos;
    }

    public Azurite azurite() {
        return azurite;
    }

    public CosmosServer cosmos() {
        return cosmos;
    }

    /**
     * The Vigil app settings that point the Azure adapters at these emulators (names as in docs/settings.md);
     * merge them into the environment given to {@code VigilConfig.fromEnvironment}.
     */
    public Map<String, String> settings() {
        Map<String, String> settings = new TreeMap<>();
        settings.put("VIGIL_AZURE_COSMOS_ENDPOINT", cosmos.endpoint());
        settings.put("VIGIL_AZURE_COSMOS_KEY", cosmos.key());
        settings.put("VIGIL_AZURE_COSMOS_CONNECTION_MODE", "gateway");
        settings.put("VIGIL_AZURE_STORAGE_CONNECTION_STRING", azurite.connectionString());
        settings.put("VIGIL_AZURE_CREATE_RESOURCES", "true");
        return settings;
    }

    @Override
    public void close() {
        try {
            cosmos.close();
        } finally {
            azurite.close();
        }
    }
}
