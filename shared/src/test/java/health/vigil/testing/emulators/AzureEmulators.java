package health.vigil.testing.emulators;

import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit extension that gives integration tests one Azurite and one Cosmos DB server per test JVM, started on first
 * use and stopped when the test run ends (JUnit closes what the root store holds; a shutdown hook is the fallback).
 * Tests are skipped with the reason when Node.js is missing. {@code -Dvigil.it.cosmos.endpoint=...} (and
 * {@code -Dvigil.it.cosmos.key=...}) points the Cosmos tests at another server — the official emulator in CI —
 * instead of starting one.
 */
public final class AzureEmulators implements BeforeAllCallback {
    public static final String COSMOS_ENDPOINT_PROPERTY = "vigil.it.cosmos.endpoint";
    public static final String COSMOS_KEY_PROPERTY = "vigil.it.cosmos.key";
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(AzureEmulators.class);

    private static volatile ExtensionContext root;

    @Override
    public void beforeAll(ExtensionContext context) {
        root = context.getRoot();
    }

    /** Where a Cosmos DB answers, with its key. */
    public record CosmosTarget(String endpoint, String key, boolean external) {}

    /** The Cosmos DB server for this JVM's tests; skips the calling test if none can run. */
    public static CosmosTarget cosmos() {
        String external = System.getProperty(COSMOS_ENDPOINT_PROPERTY);
        if (external != null && !external.isBlank()) {
            return new CosmosTarget(external, System.getProperty(COSMOS_KEY_PROPERTY, CosmosServer.KEY), true);
        }
        assumeNode();
        CosmosServer server = store().getOrComputeIfAbsent(CosmosServer.class, k -> launcher().startCosmos(),
                CosmosServer.class);
        return new CosmosTarget(server.endpoint(), server.key(), false);
    }

    /** The Azurite for this JVM's tests; skips the calling test if it cannot run. */
    public static Azurite azurite() {
        assumeNode();
        return store().getOrComputeIfAbsent(Azurite.class, k -> launcher().startAzurite(), Azurite.class);
    }

    /** Azurite's Queue service for this JVM's tests (started only by the tests that ask); skips if it cannot run. */
    public static AzuriteQueue azuriteQueue() {
        assumeNode();
        return store().getOrComputeIfAbsent(AzuriteQueue.class, k -> launcher().startAzuriteQueue(), AzuriteQueue.class);
    }

    private static void assumeNode() {
        Optional<String> why = EmulatorLauncher.unavailableReason();
        Assumptions.assumeTrue(why.isEmpty(), () -> "skipped: the Azure emulators cannot run here: " + why.orElse(""));
    }

    private static ExtensionContext.Store store() {
        ExtensionContext context = root;
        if (context == null) {
            throw new IllegalStateException("annotate the test class with @ExtendWith(AzureEmulators.class)");
        }
        return context.getStore(NAMESPACE);
    }

    private static EmulatorLauncher launcher() {
        return EmulatorLauncher.builder().workDir(Path.of("target", "emulators")).build();
    }
}
