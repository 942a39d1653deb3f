package health.vigil.testing.governance;

import health.vigil.events.BlobCreated;
import health.vigil.model.ModelName;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.testing.samples.SamplePackage;
import java.io.ByteArrayInputStream;

/**
 * For tests of what follows registration: uploads a sample package to {@code models} and registers it through the
 * platform's own registration service, as its BlobCreated would; a package that is not registered fails the set-up.
 */
public final class SetUpRegistration {
    private SetUpRegistration() {}

    public static ModelName register(VigilPlatform platform, SamplePackage sample, String blob) {
        byte[] zip = sample.zip();
        ArtifactStore.StoredArtifact stored = platform.artifacts()
                .put(ArtifactStore.MODELS, blob, new ByteArrayInputStream(zip), false);
        RegistrationOutcome outcome = platform.registration().register(new BlobCreated("upload-" + blob,
                ArtifactStore.MODELS, blob, null, zip.length, stored.etag()));
        if (outcome.kind() != RegistrationOutcome.Kind.REGISTERED) {
            throw new IllegalStateException(blob + " was not registered: " + outcome.message());
        }
        return outcome.version().modelName();
    }
}
