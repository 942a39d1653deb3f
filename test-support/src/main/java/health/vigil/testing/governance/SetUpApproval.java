package health.vigil.testing.governance;

import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Stage;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Principal;
import health.vigil.testing.samples.SamplePackage;
import java.util.List;

/**
 * For tests and benchmarks about what happens after approval (scoring, deployment, routing): moves a registered
 * version to {@code APPROVED} through the platform's own lifecycle service, so every step is validated, audited and
 * kept in the version's history, with the reason saying it was set up. The governed path itself (datasets, gates,
 * signed approval by someone other than the uploader) is what the end-to-end scenario and the demo walk.
 */
public final class SetUpApproval {
    private static final Principal SET_UP = new Principal("test-set-up", java.util.Set.of());

    private SetUpApproval() {}

    public static void approve(VigilPlatform platform, ModelVersion version) {
        for (Stage to : List.of(Stage.GATES_RUNNING, Stage.GATES_PASSED, Stage.APPROVED)) {
            Stage now = platform.registry().getVersion(version.name(), version.number()).stage();
            if (now == Stage.APPROVED) {
                return;
            }
            if (now.ordinal() < to.ordinal()) {
                platform.lifecycle().move(version, now, to, SET_UP, "set up for a test of what follows approval");
            }
        }
    }

    /** Registers {@code sample} as {@code blob}, approves its version 1 and deploys it as the stable version. */
    public static ModelName deployFirstVersion(VigilPlatform platform, SamplePackage sample, String blob) {
        ModelName model = SetUpRegistration.register(platform, sample, blob);
        approve(platform, new ModelVersion(model, 1));
        platform.deployments().deploy(model, 1, Principal.SYSTEM);
        return model;
    }
}
