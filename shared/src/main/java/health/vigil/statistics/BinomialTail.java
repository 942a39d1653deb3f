package health.vigil.statistics;

import org.apache.commons.statistics.distribution.BetaDistribution;

/**
 * The upper tail {@code P(X >= x)} of {@code X ~ Binomial(n, p)} for any number of trials a {@code long} holds: the
 * regularized incomplete beta function {@code I_p(x, n - x + 1)}, which is what Commons Statistics' binomial computes
 * too, but that distribution takes its trials as an {@code int}, and a canary's requests over a ramp may pass
 * {@code 2^31 - 1}. The beta's parameters are doubles, exact up to {@code 2^53} trials.
 */
final class BinomialTail {
    private BinomialTail() {}

    /** {@code P(X >= x)} for {@code X ~ Binomial(trials, p)}. */
    static double atLeast(long x, long trials, double p) {
        if (x <= 0) {
            return 1;
        }
        if (x > trials || p <= 0) {
            return 0;
        }
        if (p >= 1) {
            return 1;
        }
        return BetaDistribution.of(x, trials - x + 1.0).cumulativeProbability(p);
    }
}
