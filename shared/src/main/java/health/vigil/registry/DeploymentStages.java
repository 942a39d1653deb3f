package health.vigil.registry;

import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.port.RegistryStore;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Brings the versions' stages in line with the model's deployment as saved, for whoever is about to judge a request on
 * them (a deploy, a rollback, a canary start, a shadow, an experiment): a promotion or deploy whose writer has not yet
 * moved the stages (it is still doing so, or stopped before) has replaced its stable version all the same. Each move
 * is the revision's own, recorded under its {@link Deployment#stageCause() cause} and in the name of whoever wrote it,
 * so it is made and audited once whichever call makes it.
 */
public final class DeploymentStages {
    static final int MAX_ATTEMPTS = 10;

    private final RegistryStore store;
    private final VersionLifecycle lifecycle;

    public DeploymentStages(RegistryStore store, VersionLifecycle lifecycle) {
        this.store = Objects.requireNonNull(store, "store");
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
    }

    /**
     * Makes the stages agree with the model's current deployment: its stable version is in PRODUCTION, any
     * other version in PRODUCTION is RETIRED, and a CANARY version no longer in the deployment is ROLLED_BACK.
     * The deployment is read afresh, and read again afterwards: if another deploy changed it meanwhile, the
     * stages are settled again against the newer one (no move of the replaced revision is written once the newer one
     * is saved, so none undoes a move of the newer one's), so concurrent deploys end with stages that match the
     * deployment that won, whatever order their writes interleave in. A model without a deployment has nothing to settle.
     */
    public void settle(ModelName model) {
        Objects.requireNonNull(model, "model");
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            Optional<Deployment> snapshot = store.findDeployment(model);
            if (snapshot.isEmpty()) {
                return;
            }
            if (!settleOf(snapshot.get())) {
                continue;
            }
            Optional<String> etagNow = store.findDeployment(model).map(Deployment::etag);
            if (etagNow.equals(snapshot.map(Deployment::etag))) {
                return;
            }
        }
        throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "the stages of `" + model + "`'s versions"
                + " could not be brought in line with its deployment because both kept changing; try again");
    }

    /**
     * Moves the stages {@code deployment} implies; false when a version another writer moved meanwhile was out of turn
     * for this pass, which is then settled again against whatever the deployment says by then.
     */
    public boolean settleOf(Deployment deployment) {
        try {
            apply(deployment);
            return true;
        } catch (ConflictException e) {
            if (e.code() != ErrorCode.CONCURRENT_MODIFICATION && e.code() != ErrorCode.INVALID_STATE) {
                throw e;
            }
            return false;
        }
    }

    private void apply(Deployment deployment) {
        int stable = deployment.stable().version();
        String cause = deployment.stageCause();
        for (VersionRecord record : store.listVersions(deployment.modelName())) {
            boolean inDeployment = deployment.holds(record.version());
            Stage target = record.stage();
            if (record.version() == stable) {
                target = Stage.PRODUCTION;
            } else if (record.stage() == Stage.PRODUCTION) {
                target = Stage.RETIRED;
            } else if (record.stage() == Stage.CANARY && !inDeployment) {
                target = Stage.ROLLED_BACK;
            }
            if (target != record.stage() && !record.movedBy(cause, target)) {
                move(deployment, record, target, reasonFor(target, deployment));
            }
        }
    }

    /**
     * Moves {@code record} (the version as read) to {@code target} as one of {@code deployment}'s own moves: under its
     * {@link Deployment#stageCause() cause}, in the name of whoever wrote it, and only while it is the saved revision
     * (otherwise {@code CONCURRENT_MODIFICATION}, and the newer revision's stages are the ones to settle).
     */
    public void move(Deployment deployment, VersionRecord record, Stage target, String reason) {
        Principal actor = new Principal(deployment.updatedBy(), Set.of(Role.DEPLOYMENTS_OPERATE));
        lifecycle.move(record.id(), record.stage(), target, actor, reason, deployment.stageCause(),
                () -> requireCurrent(deployment));
    }

    /**
     * Refuses a move of {@code deployment}'s once a newer revision is saved. Checked after the version is read, before
     * the write conditional on it: a version the newer revision's writer has moved already is then never moved back
     * under this revision's cause (which would leave it there, the newer revision's move being made), and one it has
     * yet to move is moved after this.
     */
    private void requireCurrent(Deployment deployment) {
        long saved = store.findDeployment(deployment.modelName()).map(Deployment::revision).orElse(0L);
        if (saved != deployment.revision()) {
            throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "revision " + saved + " of `"
                    + deployment.modelName() + "`'s deployment replaced revision " + deployment.revision()
                    + " while its stages were being settled; settle again against the newer one");
        }
    }

    private static String reasonFor(Stage target, Deployment deployment) {
        String revision = "deployment revision " + deployment.revision();
        return switch (target) {
            case PRODUCTION -> revision + " puts it on the stable slot";
            case RETIRED -> revision + " puts version " + deployment.stable().version() + " on the stable slot";
            case ROLLED_BACK -> revision + " takes its canary off live traffic";
            default -> revision;
        };
    }
}
