package health.vigil.platform;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.config.VigilConfig;
import health.vigil.error.PackageRejectedException;
import health.vigil.error.PackageRejectedException.Reason;
import health.vigil.model.ModelName;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import health.vigil.modelpackage.ModelPackageWriter;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A package's reference profile is read at registration the way the monitoring check will read it: a profile the
 * drift check cannot use is refused at upload, where its author can fix it, rather than registering, passing its
 * gates and being approved, and then failing every monitoring run of the deployed version.
 */
class ReferenceProfileAtRegistrationTest {
    private static final ModelName MODEL = new ModelName(SampleModels.READMISSION_NAME);
    private static final Principal UPLOADER = new Principal("data-scientist", Set.of(Role.MODELS_UPLOAD));

    @TempDir
    Path home;

    @Test
    void aProfileTheDriftCheckCannotReadIsRefusedAtUploadAndRegistersNothing() {
        SamplePackage sample = SampleModels.readmissionTrees();
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { }).build()) {
            byte[] twice = withReference(sample, profiles -> {
                profiles.add(profiles.get(0));
                return profiles;
            });
            assertThatThrownBy(() -> platform.registration().upload(MODEL, "twice.zip", twice, UPLOADER))
                    .isInstanceOfSatisfying(PackageRejectedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED_REFERENCE))
                    .hasMessageContaining("profiles feature '" + sample.reference().features().get(0).name() + "' twice");

            byte[] unbalanced = withReference(sample, profiles -> {
                int numeric = indexOfNumeric(profiles);
                FeatureProfile p = profiles.get(numeric);
                List<Double> halved = p.proportions().stream().map(share -> share / 2).toList();
                profiles.set(numeric, new FeatureProfile(p.name(), p.binEdges(), halved, null, p.missingRate(), p.mean()));
                return profiles;
            });
            assertThatThrownBy(() -> platform.registration().upload(MODEL, "unbalanced.zip", unbalanced, UPLOADER))
                    .isInstanceOfSatisfying(PackageRejectedException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.MALFORMED_REFERENCE))
                    .hasMessageContaining("they must sum to 1");
            assertThat(platform.registry().listModels()).as("nothing registered").isEmpty();

            RegistrationOutcome good = platform.registration().upload(MODEL, "good.zip",
                    ModelPackageWriter.write(sample.manifest(), sample.onnx(), sample.reference()), UPLOADER);
            assertThat(good.kind()).as(good.message()).isEqualTo(RegistrationOutcome.Kind.REGISTERED);
        }
    }

    private static int indexOfNumeric(List<FeatureProfile> profiles) {
        for (int i = 0; i < profiles.size(); i++) {
            if (profiles.get(i).binEdges() != null) {
                return i;
            }
        }
        throw new AssertionError("the sample profiles no numeric column");
    }

    private static byte[] withReference(SamplePackage sample, UnaryOperator<List<FeatureProfile>> edit) {
        ReferenceProfile reference = sample.reference();
        List<FeatureProfile> profiles = edit.apply(new ArrayList<>(reference.features()));
        return ModelPackageWriter.write(sample.manifest(), sample.onnx(), new ReferenceProfile(reference.rows(), profiles,
                reference.score(), reference.scoreRows()));
    }
}
