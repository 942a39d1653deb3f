package health.vigil.monitoring;

import health.vigil.error.ValidationException;

/**
 * When a feature counts as drifted. Over millions of rows every test is "significant", so a test only flags
 * drift when its p-value is below {@code alpha} and its effect size also reaches a floor.
 *
 * @param psi PSI at or above which a feature has drifted (0.2: the conventional "significant shift")
 * @param ksStatistic smallest KS distance that counts, together with a KS p-value below alpha (numeric)
 * @param jsDistance smallest Jensen-Shannon distance that counts, together with a chi-square p-value below
 *     alpha (categorical)
 * @param missingRateChange smallest absolute change of the missing rate that counts, together with a
 *     two-proportion p-value below alpha
 * @param alpha significance level of the tests
 * @param minRows below this many non-missing production rows a feature's distribution is not judged: the feature
 *     is reported as having too little data, unless its missing rate (judged when the window has this many rows)
 *     drifted
 */
public record DriftThresholds(double psi, double ksStatistic, double jsDistance, double missingRateChange,
        double alpha, long minRows) {

    public static final DriftThresholds DEFAULTS = new DriftThresholds(0.2, 0.1, 0.1, 0.05, 0.01, 100);

    public DriftThresholds {
        positive(psi, "psi");
        fraction(ksStatistic, "ksStatistic");
        fraction(jsDistance, "jsDistance");
        fraction(missingRateChange, "missingRateChange");
        fraction(alpha, "alpha");
        if (minRows < 1) {
            throw new ValidationException("drift threshold minRows is " + minRows + "; it must be at least 1");
        }
    }

    private static void positive(double v, String name) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new ValidationException("drift threshold " + name + " must be a positive number");
        }
    }

    private static void fraction(double v, String name) {
        if (!(v > 0 && v < 1)) {
            throw new ValidationException("drift threshold " + name + " must be between 0 and 1 (exclusive)");
        }
    }
}
