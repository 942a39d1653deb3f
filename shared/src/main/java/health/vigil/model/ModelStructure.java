package health.vigil.model;

/**
 * What a model computes, in a form Vigil can reason about (to explain a prediction): a tree ensemble or a
 * linear model, both in margin space with a logistic link.
 */
public sealed interface ModelStructure permits TreeEnsemble, LinearModel {
    /** The number of input columns. */
    int featureCount();
}
