package health.vigil.platform;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.config.VigilConfig;
import health.vigil.error.ConflictException;
import health.vigil.events.BlobCreated;
import health.vigil.hash.Sha256;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.security.Principal;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.samples.SampleModels;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The bytes a version was registered with stay available whatever happens to its upload: replacing the uploaded
 * blob with other content registers that content as a new version, and the first version still loads and scores
 * from the copy kept under its sha256.
 */
class RegisteredPackageKeptTest {
    private static final ModelName MODEL = new ModelName(SampleModels.READMISSION_NAME);

    @TempDir
    Path home;

    @Test
    void replacingAnUploadedPackageLeavesTheVersionItWasRegisteredAsServable() throws Exception {
        byte[] first = SampleModels.readmissionLogistic().zip();
        byte[] second = SampleModels.readmissionTrees().zip();
        VersionRecord v1;
        try (VigilPlatform platform = platform()) {
            v1 = register(platform, "readmission.zip", first, false, "upload-1");
            VersionRecord v2 = register(platform, "readmission.zip", second, true, "upload-2");
            assertThat(v2.version()).isEqualTo(2);
            try (InputStream upload = platform.artifacts().open(ArtifactStore.MODELS, "readmission.zip")) {
                assertThat(Sha256.hex(upload)).as("the upload now holds the second package").isEqualTo(v2.packageSha256());
            }
            try (InputStream kept = platform.artifacts().open(ArtifactStore.PACKAGES,
                    ArtifactStore.registeredPackage(v1.packageSha256()))) {
                assertThat(Sha256.hex(kept)).isEqualTo(v1.packageSha256());
            }
            assertThatThrownBy(() -> platform.artifacts().put(ArtifactStore.PACKAGES,
                    ArtifactStore.registeredPackage(v1.packageSha256()), new ByteArrayInputStream(second), false))
                    .isInstanceOf(ConflictException.class);
        }
        // A new process: nothing is loaded, so version 1 is read from storage again.
        try (VigilPlatform platform = platform()) {
            SetUpApproval.approve(platform, v1.id());
            platform.deployments().deploy(MODEL, 1, Principal.SYSTEM);
            assertThat(TestPatient.scoredVersion(platform, MODEL)).isEqualTo(1);
        }
    }

    private VigilPlatform platform() {
        return VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { }).build();
    }

    private static VersionRecord register(VigilPlatform platform, String blob, byte[] zip, boolean overwrite,
            String eventId) {
        ArtifactStore.StoredArtifact stored = platform.artifacts()
                .put(ArtifactStore.MODELS, blob, new ByteArrayInputStream(zip), overwrite);
        RegistrationOutcome outcome = platform.registration().register(new BlobCreated(eventId,
                ArtifactStore.MODELS, blob, null, zip.length, stored.etag()));
        assertThat(outcome.kind()).as(outcome.message()).isEqualTo(RegistrationOutcome.Kind.REGISTERED);
        return outcome.version();
    }
}
