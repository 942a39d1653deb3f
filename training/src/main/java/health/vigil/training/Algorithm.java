package health.vigil.training;

/** The learners a clinical model can be trained with. */
public enum Algorithm {
    /** XGBoost gradient-boosted trees: the default, usually the most accurate. */
    GBT("gradient-boosted trees (XGBoost)"),
    /** L2-regularised logistic regression: the interpretable fallback. */
    LOGISTIC("logistic regression (L2, Newton)");

    private final String description;

    Algorithm(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }
}
