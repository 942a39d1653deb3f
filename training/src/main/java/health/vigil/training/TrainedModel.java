package health.vigil.training;

import health.vigil.model.Manifest;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.TreeEnsemble;
import health.vigil.training.eval.EvaluationReport;
import health.vigil.training.linear.LogisticModel;
import java.util.Objects;

/**
 * A trained clinical model with everything its package needs: the learned model (a tree ensemble or a
 * logistic regression), the manifest with provenance, the reference profile and the evaluation.
 */
public record TrainedModel(
        ClinicalModel model,
        Algorithm algorithm,
        TreeEnsemble ensemble,
        LogisticModel logistic,
        Manifest manifest,
        ReferenceProfile reference,
        EvaluationReport evaluation) {

    public TrainedModel {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(algorithm, "algorithm");
        if ((algorithm == Algorithm.GBT) != (ensemble != null) || (algorithm == Algorithm.LOGISTIC) != (logistic != null)) {
            throw new IllegalArgumentException("a " + algorithm + " model needs exactly its own learned model");
        }
        Objects.requireNonNull(manifest, "manifest");
        Objects.requireNonNull(reference, "reference");
        Objects.requireNonNull(evaluation, "evaluation");
    }

    /**
     * The same model with every prediction's log-odds moved by {@code marginShift}: the ranking (and so the AUROC)
     * is unchanged but the risks are systematically too high (positive shift) or too low. The manifest, its
     * provenance and the uploader's evaluation stay as they were, which is what makes it a test of gates that
     * judge on the platform's data rather than on what a package claims.
     */
    public TrainedModel withMarginShift(double marginShift) {
        return algorithm == Algorithm.GBT
                ? new TrainedModel(model, algorithm, new TreeEnsemble(ensemble.featureCount(),
                        ensemble.baseMargin() + marginShift, ensemble.trees()), null, manifest, reference, evaluation)
                : new TrainedModel(model, algorithm, null, new LogisticModel(logistic.columns(),
                        logistic.coefficients(), logistic.intercept() + marginShift), manifest, reference, evaluation);
    }

    /** The trainer's own probability for one row of model inputs. */
    public double probability(double[] row) {
        return algorithm == Algorithm.GBT ? ensemble.probability(row) : logistic.probability(row);
    }
}
