package health.vigil.monitoring;

import health.vigil.error.ValidationException;
import health.vigil.model.PredictionRecord;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a {@link DriftSummary} in one pass over production rows: each row's features are binned against the
 * reference bins, categories counted, missing values counted, and the score added to the score bins and the
 * sketch. Not thread-safe: give each thread (shard) its own accumulator and merge the summaries.
 *
 * <p>Written by hand (no library bins streaming data against arbitrary edges this fast): numeric binning uses
 * a per-feature uniform grid over the interior edges whose cell gives a lower bound of the bin, then at most
 * the few edges inside that cell are compared, so the result equals {@link ReferenceBinning#binOf} exactly
 * while costing about one multiply, one table load and one comparison per value.
 */
public final class DriftAccumulator {
    private static final int NUMERIC = 0;
    private static final int CATEGORICAL = 1;

    private final DriftBaseline baseline;
    private final int width;
    private final int monitored;
    // Per monitored feature, flattened for the hot loop.
    private final int[] column;
    private final int[] kind;
    private final int[] countOffset;
    private final int[] categoryCount;
    private final double[] gridOrigin;
    private final double[] gridScale;
    private final int[] gridLast;
    private final int[] gridOffset;
    private final int[] gridBase;
    private final int[] edgeOffset;
    private final int[] edgeEnd;
    private final double[] interiorEdges;

    private final long[] counts;
    private final long[] missing;
    private long rows;

    private final double[] scoreEdges;
    private final long[] scoreCounts;
    private long missingScores;
    private final ScoreSketch.Accumulator sketch;

    DriftAccumulator(DriftBaseline baseline) {
        this.baseline = baseline;
        this.width = baseline.width();
        List<DriftBaseline.Entry> entries = baseline.entries();
        this.monitored = entries.size();
        column = new int[monitored];
        kind = new int[monitored];
        countOffset = new int[monitored];
        categoryCount = new int[monitored];
        gridOrigin = new double[monitored];
        gridScale = new double[monitored];
        gridLast = new int[monitored];
        gridOffset = new int[monitored];
        edgeOffset = new int[monitored];
        edgeEnd = new int[monitored];
        List<Integer> grids = new ArrayList<>();
        List<Double> edges = new ArrayList<>();
        int totalBins = 0;
        for (int f = 0; f < monitored; f++) {
            DriftBaseline.Entry e = entries.get(f);
            column[f] = e.column();
            countOffset[f] = totalBins;
            totalBins += e.bins();
            if (e.kind() == DriftBaseline.Kind.CATEGORICAL) {
                kind[f] = CATEGORICAL;
                categoryCount[f] = e.categories().size();
                continue;
            }
            kind[f] = NUMERIC;
            double[] interior = Arrays.copyOfRange(e.edges(), 1, e.edges().length - 1);
            edgeOffset[f] = edges.size();
            for (double v : interior) {
                edges.add(v);
            }
            edgeEnd[f] = edges.size();
            // Grid over [first interior edge, last interior edge]; cell c's base counts edges in earlier cells.
            int cells = Math.max(16, Math.min(1024, 16 * interior.length));
            double origin = interior.length == 0 ? 0 : interior[0];
            double range = interior.length == 0 ? 0 : interior[interior.length - 1] - origin;
            double scale = range > 0 && Double.isFinite(cells / range) ? cells / range : 0;
            gridOrigin[f] = origin;
            gridScale[f] = scale;
            gridLast[f] = cells;
            gridOffset[f] = grids.size();
            int[] cellOfEdge = new int[interior.length];
            for (int i = 0; i < interior.length; i++) {
                cellOfEdge[i] = cell(interior[i], origin, scale, cells);
            }
            int below = 0;
            for (int c = 0; c <= cells; c++) {
                while (below < interior.length && cellOfEdge[below] < c) {
                    below++;
                }
                grids.add(below);
            }
        }
        gridBase = grids.stream().mapToInt(Integer::intValue).toArray();
        interiorEdges = edges.stream().mapToDouble(Double::doubleValue).toArray();
        counts = new long[totalBins];
        missing = new long[monitored];
        DriftBaseline.Entry score = baseline.score();
        scoreEdges = score == null ? null : score.edges();
        scoreCounts = score == null ? null : new long[score.bins()];
        sketch = new ScoreSketch.Accumulator(baseline.threshold());
    }

    /** The grid cell of x, clamped to [0, last]; monotone in x, which is all the bin lookup relies on. */
    private static int cell(double x, double origin, double scale, int last) {
        int c = (int) ((x - origin) * scale);
        return Math.max(0, Math.min(c, last));
    }

    /** Adds one logged prediction. */
    public void add(PredictionRecord record) {
        add(record.features(), record.score());
    }

    /** Adds one row of model inputs (NaN = missing) and its score (NaN = no score). */
    public void add(float[] row, double score) {
        if (row == null || row.length != width) {
            throw new ValidationException("a production row has " + (row == null ? 0 : row.length) + " values; the"
                    + " model's schema has " + width + " features");
        }
        addFeatures(row, 0);
        addScore(score);
        rows++;
    }

    /**
     * Adds rows {@code fromRow} (inclusive) to {@code toRow} (exclusive) of {@code data}, which holds rows
     * row-major (row r's feature i at {@code r*width + i}), with {@code scores[r]} the score of row r.
     */
    public void addRows(float[] data, double[] scores, int fromRow, int toRow) {
        if (data == null || scores == null) {
            throw new ValidationException("give the rows and one score per row");
        }
        if (fromRow < 0 || toRow < fromRow || (long) toRow * width > data.length || toRow > scores.length) {
            throw new ValidationException("rows " + fromRow + " to " + toRow + " of " + width + " features are not"
                    + " all there: got " + data.length + " values and " + scores.length + " scores");
        }
        for (int r = fromRow; r < toRow; r++) {
            addFeatures(data, r * width);
            addScore(scores[r]);
        }
        rows += toRow - fromRow;
    }

    private void addFeatures(float[] data, int base) {
        final long[] counts = this.counts;
        for (int f = 0; f < monitored; f++) {
            float x = data[base + column[f]];
            if (x != x) {
                missing[f]++;
                continue;
            }
            int bin;
            if (kind[f] == NUMERIC) {
                int c = (int) ((x - gridOrigin[f]) * gridScale[f]);
                c = Math.max(0, Math.min(c, gridLast[f]));
                bin = gridBase[gridOffset[f] + c];
                int e = edgeOffset[f] + bin;
                int end = edgeEnd[f];
                while (e < end && interiorEdges[e] <= x) {
                    e++;
                }
                bin = e - edgeOffset[f];
            } else {
                int code = (int) x;
                int categories = categoryCount[f];
                bin = code == x && code >= 0 && code < categories ? code : categories;
            }
            counts[countOffset[f] + bin]++;
        }
    }

    private void addScore(double score) {
        if (score != score) {
            missingScores++;
            return;
        }
        if (!(score >= 0 && score <= 1)) {
            throw new ValidationException("a production score is outside 0-1; scores must be probabilities");
        }
        sketch.add(score);
        if (scoreCounts != null) {
            scoreCounts[ReferenceBinning.binOf(scoreEdges, score)]++;
        }
    }

    /** Adds a summary built elsewhere against the same baseline (another shard or day). */
    public void addAll(DriftSummary summary) {
        if (!summary.fingerprint().equals(baseline.fingerprint())) {
            throw new ValidationException("this drift summary was built against a different reference profile;"
                    + " merge only summaries of the same model version");
        }
        for (int f = 0; f < monitored; f++) {
            long[] c = summary.features().get(f).counts();
            for (int b = 0; b < c.length; b++) {
                counts[countOffset[f] + b] += c[b];
            }
            missing[f] += summary.features().get(f).missing();
        }
        if (scoreCounts != null) {
            long[] c = summary.score().counts();
            for (int b = 0; b < c.length; b++) {
                scoreCounts[b] += c[b];
            }
        }
        missingScores += summary.rows() - summary.sketch().total();
        sketch.addAll(summary.sketch());
        rows += summary.rows();
    }

    public long rows() {
        return rows;
    }

    /** A snapshot of what was added so far. */
    public DriftSummary summary() {
        List<DriftSummary.FeatureCounts> features = new ArrayList<>(monitored);
        List<DriftBaseline.Entry> entries = baseline.entries();
        for (int f = 0; f < monitored; f++) {
            DriftBaseline.Entry e = entries.get(f);
            features.add(new DriftSummary.FeatureCounts(e.name(),
                    Arrays.copyOfRange(counts, countOffset[f], countOffset[f] + e.bins()), missing[f]));
        }
        DriftSummary.FeatureCounts score = scoreCounts == null ? null
                : new DriftSummary.FeatureCounts("score", scoreCounts, missingScores);
        return new DriftSummary(baseline.fingerprint(), rows, features, score, sketch.toSketch());
    }
}
