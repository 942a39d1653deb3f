package health.vigil.port;

/** Reads secrets (the pseudonymisation key) from Key Vault, or locally from generated key files. */
public interface SecretProvider {
    String PSEUDONYMISATION_KEY = "pseudonymisation-key";

    byte[] secret(String name);
}
