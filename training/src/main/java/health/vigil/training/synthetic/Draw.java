package health.vigil.training.synthetic;

import java.util.SplittableRandom;

/** The few sampling primitives the generators need, on a seeded {@link SplittableRandom}. */
final class Draw {
    private final SplittableRandom random;

    Draw(long seed) {
        this.random = new SplittableRandom(seed);
    }

    double uniform() {
        return random.nextDouble();
    }

    double uniform(double from, double to) {
        return from + (to - from) * random.nextDouble();
    }

    int integer(int fromInclusive, int toInclusive) {
        return fromInclusive + random.nextInt(toInclusive - fromInclusive + 1);
    }

    boolean chance(double p) {
        return random.nextDouble() < p;
    }

    double gaussian(double mean, double sd) {
        return mean + sd * random.nextGaussian();
    }

    /** An index drawn with the given (not necessarily normalised) weights. */
    int weighted(double... weights) {
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double u = random.nextDouble() * total;
        for (int i = 0; i < weights.length; i++) {
            u -= weights[i];
            if (u < 0) {
                return i;
            }
        }
        return weights.length - 1;
    }

    /** Poisson by inversion; fine for the small means used here. */
    int poisson(double mean) {
        double l = Math.exp(-mean);
        double p = random.nextDouble();
        int k = 0;
        double cumulative = l;
        double term = l;
        while (p > cumulative && k < 1000) {
            k++;
            term *= mean / k;
            cumulative += term;
        }
        return k;
    }

    /** Failures before the first success, with mean {@code mean}. */
    int geometric(double mean) {
        double p = 1.0 / (1.0 + mean);
        return (int) Math.floor(Math.log(1 - random.nextDouble()) / Math.log(1 - p));
    }

    double exponential(double mean) {
        return -mean * Math.log(1 - random.nextDouble());
    }

    static double logistic(double margin) {
        return 1.0 / (1.0 + Math.exp(-margin));
    }
}
