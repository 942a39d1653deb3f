package health.vigil.routing;

import health.vigil.model.Deployment;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Pseudonyms that a ramp's salted routing puts in a chosen bucket, for tests that write predictions of patients on the
 * canary (bucket 0: at every weight) or on stable (bucket 9999: at every step a ramp judges).
 */
public final class RoutedPatients {
    private static final Map<String, String> FOUND = new ConcurrentHashMap<>();

    private RoutedPatients() {}

    /**
     * The first pseudonym in {@code bucket} under the salt, of 0, 1, 2, … spread over 64 bits (the golden-ratio
     * multiple, so that the leading digits an unsalted bucket reads vary too) and padded to 64 hex digits.
     */
    public static String inBucket(String salt, int bucket) {
        return FOUND.computeIfAbsent(salt + "/" + bucket, k -> {
            for (long i = 0; ; i++) {
                String pseudonym = String.format("%016x", i * 0x9E3779B97F4A7C15L) + "0".repeat(48);
                if (TrafficRouter.bucket(salt, pseudonym) == bucket) {
                    return pseudonym;
                }
            }
        });
    }

    /** A patient on the canary slot of the deployment's ramp at every weight. */
    public static String onCanary(Deployment deployment) {
        return inBucket(salt(deployment), 0);
    }

    /** A patient on stable at every step the deployment's ramp judges. */
    public static String onStable(Deployment deployment) {
        return inBucket(salt(deployment), 9_999);
    }

    private static String salt(Deployment deployment) {
        if (deployment.experiment() != null) {
            return deployment.experiment().bucketSalt();
        }
        return deployment.canary() == null ? null : deployment.canary().bucketSalt();
    }
}
