package health.vigil.testing.emulators;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * This JVM's trust store settings ({@code javax.net.ssl.trustStore}, its password and type) while the Cosmos DB servers
 * it started and trusts run: the store of the latest one still running is in force, and once the last one stops the
 * settings the JVM had before are back. Left naming a stopped server's store, whose folder its owner may delete, the
 * settings would make every TLS client built afterwards fall back to the JDK's own store and fail to open it with that
 * store's password ("Keystore was tampered with, or password was incorrect").
 */
final class JvmTrustStore {
    static final String STORE = "javax.net.ssl.trustStore";
    static final String PASSWORD = "javax.net.ssl.trustStorePassword";
    static final String TYPE = "javax.net.ssl.trustStoreType";

    /** The stores in force, latest last; guarded by the class. */
    private static final List<Trust> IN_FORCE = new ArrayList<>();
    private static Map<String, String> before;

    private JvmTrustStore() {}

    /** Puts the PKCS#12 {@code store} in force for this JVM until the returned trust is closed. */
    static synchronized Trust trust(Path store, String password) {
        if (IN_FORCE.isEmpty()) {
            before = settingsNow();
        }
        Map<String, String> settings = new HashMap<>();
        settings.put(STORE, store.toString());
        settings.put(PASSWORD, password);
        settings.put(TYPE, "PKCS12");
        Trust trust = new Trust(settings);
        IN_FORCE.add(trust);
        apply(settings);
        return trust;
    }

    private static synchronized void release(Trust trust) {
        if (!IN_FORCE.remove(trust)) {
            return;
        }
        apply(IN_FORCE.isEmpty() ? before : IN_FORCE.get(IN_FORCE.size() - 1).settings);
    }

    private static Map<String, String> settingsNow() {
        Map<String, String> settings = new HashMap<>();
        for (String name : List.of(STORE, PASSWORD, TYPE)) {
            settings.put(name, System.getProperty(name));
        }
        return settings;
    }

    private static void apply(Map<String, String> settings) {
        settings.forEach((name, value) -> {
            if (value == null) {
                System.clearProperty(name);
            } else {
                System.setProperty(name, value);
            }
        });
    }

    /** One store put in force; closing it (once or more) takes it out again. */
    static final class Trust implements AutoCloseable {
        private final Map<String, String> settings;

        private Trust(Map<String, String> settings) {
            this.settings = settings;
        }

        @Override
        public void close() {
            release(this);
        }
    }
}
