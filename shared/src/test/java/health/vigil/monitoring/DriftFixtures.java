package health.vigil.monitoring;

import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.ReferenceProfile;
import java.util.List;
import java.util.Random;

/** A small readmission-like schema, its training sample and reference profile, and production generators. */
final class DriftFixtures {
    static final FeatureSchema SCHEMA = new FeatureSchema(List.of(
            Feature.numeric("age", "years", 0, 120),
            Feature.numeric("creatinine", "mg/dL", 0, 20).optional(),
            Feature.categorical("sex", List.of("F", "M")),
            Feature.categorical("admission", List.of("elective", "emergency", "urgent")),
            Feature.bool("diabetic"),
            Feature.integer("prior_visits", "count", 0, 100)));
    static final double THRESHOLD = 0.3;
    static final int TRAINING_ROWS = 20_000;

    /** Knobs to move production away from training. */
    record Shift(double ageShift, double emergencyShare, double creatinineMissing) {
        static final Shift NONE = new Shift(0, 0.3, 0.0);
    }

    private DriftFixtures() {}

    static ReferenceProfile reference() {
        float[][] rows = rows(new Random(1), TRAINING_ROWS, Shift.NONE);
        double[] scores = scores(rows);
        double[][] columns = new double[SCHEMA.size()][TRAINING_ROWS];
        for (int r = 0; r < TRAINING_ROWS; r++) {
            for (int f = 0; f < SCHEMA.size(); f++) {
                columns[f][r] = rows[r][f];
            }
        }
        return new ReferenceProfile(TRAINING_ROWS, List.of(
                ReferenceBinning.numericProfile("age", columns[0], 10),
                ReferenceBinning.numericProfile("creatinine", columns[1], 10),
                ReferenceBinning.categoricalProfile("sex", SCHEMA.get(2).categories(), columns[2]),
                ReferenceBinning.categoricalProfile("admission", SCHEMA.get(3).categories(), columns[3]),
                ReferenceBinning.categoricalProfile("diabetic", List.of("false", "true"), columns[4]),
                ReferenceBinning.numericProfile("prior_visits", columns[5], 10)),
                ReferenceBinning.numericProfile("score", scores, 10));
    }

    static float[][] rows(Random random, int n, Shift shift) {
        float[][] rows = new float[n][];
        for (int i = 0; i < n; i++) {
            double u = random.nextDouble();
            float admission = u < 1 - shift.emergencyShare() - 0.15 ? 0 : u < 0.85 ? 1 : 2;
            rows[i] = new float[] {
                (float) Math.min(100, Math.max(18, 62 + 14 * random.nextGaussian() + shift.ageShift())),
                random.nextDouble() < shift.creatinineMissing() ? Float.NaN
                        : (float) Math.exp(0.1 + 0.35 * random.nextGaussian()),
                random.nextDouble() < 0.52 ? 0 : 1,
                admission,
                random.nextDouble() < 0.3 ? 1 : 0,
                (float) Math.min(100, poisson(random, 1.8)),
            };
        }
        return rows;
    }

    static double[] scores(float[][] rows) {
        double[] s = new double[rows.length];
        for (int i = 0; i < rows.length; i++) {
            float[] x = rows[i];
            double creatinine = Float.isNaN(x[1]) ? 1.1 : x[1];
            double logit = -2.2 + 0.03 * (x[0] - 62) + 0.6 * (creatinine - 1.1) + 0.4 * (x[3] == 1 ? 1 : 0)
                    + 0.3 * x[4] + 0.25 * x[5];
            s[i] = 1 / (1 + Math.exp(-logit));
        }
        return s;
    }

    /** Rows laid out row-major in one array, as the bulk API takes them. */
    static float[] flatten(float[][] rows) {
        int width = rows[0].length;
        float[] data = new float[rows.length * width];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, data, r * width, width);
        }
        return data;
    }

    private static int poisson(Random random, double mean) {
        double l = Math.exp(-mean);
        int k = 0;
        double p = 1;
        do {
            k++;
            p *= random.nextDouble();
        } while (p > l);
        return k - 1;
    }
}
