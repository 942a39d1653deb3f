package health.vigil.explain;

/**
 * Gauss–Legendre quadrature on [0, 1]: {@code n} nodes and weights that integrate every polynomial of degree
 * at most {@code 2n - 1} exactly. TreeSHAP uses it to integrate the per-leaf Shapley polynomials.
 */
final class GaussLegendre {

    /** Read directly by TreeShap's inner loops. */
    final double[] nodes;
    final double[] weights;

    private GaussLegendre(double[] nodes, double[] weights) {
        this.nodes = nodes;
        this.weights = weights;
    }

    /** The rule with {@code n} points, 1 ≤ n ≤ 256; nodes and weights accurate to a few units of 1e-16. */
    static GaussLegendre of(int n) {
        if (n < 1 || n > 256) {
            throw new IllegalArgumentException("Gauss-Legendre needs 1 to 256 points, not " + n);
        }
        double[] nodes = new double[n];
        double[] weights = new double[n];
        for (int i = 0; i < (n + 1) / 2; i++) {
            // Newton's method on the Legendre polynomial P_n from the classical estimate of its i-th root.
            double x = Math.cos(Math.PI * (i + 0.75) / (n + 0.5));
            double derivative = 0;
            for (int iteration = 0; iteration < 100; iteration++) {
                double previous = 1;
                double current = x;
                for (int k = 2; k <= n; k++) {
                    double next = ((2 * k - 1) * x * current - (k - 1) * previous) / k;
                    previous = current;
                    current = next;
                }
                derivative = n * (x * current - previous) / (x * x - 1);
                double step = current / derivative;
                x -= step;
                if (Math.abs(step) < 1e-17) {
                    break;
                }
            }
            double weight = 1.0 / ((1 - x * x) * derivative * derivative);
            // Map the symmetric pair ±x on [-1, 1] to [0, 1]; the weights halve with the interval.
            nodes[i] = (1 - x) / 2;
            nodes[n - 1 - i] = (1 + x) / 2;
            weights[i] = weight;
            weights[n - 1 - i] = weight;
        }
        return new GaussLegendre(nodes, weights);
    }

    int size() {
        return nodes.length;
    }

    double node(int i) {
        return nodes[i];
    }

    double weight(int i) {
        return weights[i];
    }
}
