package health.vigil.contract;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.port.SecretProvider;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every {@link SecretProvider} must do for the pseudonymisation key. */
public abstract class SecretProviderContract {

    /** A provider for one test, able to serve {@link SecretProvider#PSEUDONYMISATION_KEY}. */
    protected abstract SecretProvider newProvider();

    protected SecretProvider provider;

    @BeforeEach
    void openProvider() {
        provider = newProvider();
    }

    @Test
    void thePseudonymisationKeyHasAtLeast256Bits() {
        assertThat(provider.secret(SecretProvider.PSEUDONYMISATION_KEY)).hasSizeGreaterThanOrEqualTo(32);
    }

    @Test
    void givesTheSameKeyOnEveryCall() {
        byte[] first = provider.secret(SecretProvider.PSEUDONYMISATION_KEY);

        assertThat(provider.secret(SecretProvider.PSEUDONYMISATION_KEY)).isEqualTo(first);
    }

    @Test
    void aCallerWipingItsCopyDoesNotChangeTheKey() {
        byte[] first = provider.secret(SecretProvider.PSEUDONYMISATION_KEY);
        byte[] kept = first.clone();

        Arrays.fill(first, (byte) 0);

        assertThat(provider.secret(SecretProvider.PSEUDONYMISATION_KEY)).isEqualTo(kept);
    }
}
