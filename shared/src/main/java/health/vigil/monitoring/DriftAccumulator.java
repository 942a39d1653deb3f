package health.vigil.monitoring;

import health.vigil.statistics.ScoreSketch;
import health.vigil.error.ValidationException;
import health.vigil.model.PredictionRecord;
import health.vigil.text.Words;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Builds a {@link DriftSummary} in one pass over production rows: each row's features are binned against the
 * reference bins, categories counted, missing values counted, and the score added to the score bins and the
 * sketch. Not thread-safe: give each thread (shard) its own accumulator and merge the summaries.
 *
 * <p>Written by hand because no library bins streaming data against arbitrary edges at memory speed. Rows are
 * taken in blocks small enough to stay in the L1 cache, and each feature's column of the block is binned in a
 * tight loop whose parameters stay in registers. A numeric value's bin comes from a per-feature uniform grid
 * over the interior edges: the grid cell gives the number of edges certainly below the value, then only the
 * edges inside that cell are compared (a NaN sentinel ends each feature's edges, so the loop needs no bound).
 * Edges are kept as float thresholds so the float inputs are never widened. The result equals
 * {@link ReferenceBinning#binOf} exactly; the cost is about one multiply, two table loads and one comparison
 * per value. Features whose cells hold one edge at most (the usual case) are binned four to a pass over the
 * block, which gives the core four independent chains of work per row (measured: about 15% less time than one
 * feature per pass; two per pass gave about 7%). Splitting each counter into copies for consecutive rows, and
 * blocks of 64 or 128 rows, were measured and made it slower.
 *
 * <p>When the JVM has the incubating Vector API ({@link Binning#VECTOR}, ADR 0023), runs of eight contiguous columns
 * are instead binned across the row, eight features per vector operation ({@link LaneGroups}, {@link VectorBinning});
 * the columns no group takes go through the scalar code above. Both give the same counts.
 */
public final class DriftAccumulator {
    /** How numeric and categorical values are binned; both give the same counts. */
    public enum Binning {
        /** Column by column with scalar code (the per-feature grids above). */
        SCALAR,
        /**
         * Runs of eight contiguous columns as one {@code FloatVector} of the incubating Vector API, the rest as
         * {@link #SCALAR}; needs the module in the boot layer ({@code --add-modules=jdk.incubator.vector}) and
         * 256-bit vectors.
         */
        VECTOR;

        /**
         * {@link #VECTOR} when the JVM was started with the Vector API module, the processor has 256-bit vectors,
         * C2 compiles, and the system property {@code vigil.drift.vectors} is not {@code false}; otherwise
         * {@link #SCALAR}.
         */
        public static Binning best() {
            return DriftVectors.USABLE ? VECTOR : SCALAR;
        }

        /** Whether this JVM can bin this way at all (C2 or not). */
        public boolean available() {
            return this == SCALAR || DriftVectors.AVAILABLE;
        }
    }

    /** Rows per block: 256 rows of 30 floats (30 KB) stay in a typical 32-48 KB L1 data cache. */
    private static final int BLOCK = 256;

    private final DriftBaseline baseline;
    private final Binning binning;
    private final int width;
    private final int monitored;
    private final int[] countOffset;
    private final int[] binCount;

    // Numeric features (index i), flattened for the hot loop.
    private final int[] numericFeature;
    private final int[] numericColumn;
    private final float[] gridOrigin;
    private final float[] gridScale;
    private final int[] gridLast;
    private final int[] gridOffset;
    /** Per grid cell: the index in {@link #edges} of the first edge not certainly below the cell. */
    private final int[] grid;
    /**
     * Each numeric feature's interior edges as float thresholds (the smallest float at or above the edge, so
     * {@code x >= threshold} exactly when {@code (double) x >= edge}), followed by a NaN sentinel.
     */
    private final float[] edges;
    /** count index = edge index + this. */
    private final int[] countDelta;
    /** True when no grid cell of the feature holds more than one edge: one comparison always suffices. */
    private final boolean[] sparseCells;
    /** Scratch: the numeric features {@link #addBlock} holds for the next {@link #binSparseQuad}. */
    private final int[] quad = new int[4];
    /** The numeric features (index i) and categorical features (index c) no lane group bins. */
    private final int[] scalarNumeric;
    private final int[] scalarCategorical;

    /** The lane groups (none under scalar binning), and the vector code's counts of one block. */
    private final LaneGroups lanes;
    private final float[] laneScratch = new float[(LaneGroups.ROWS + 1) * LaneGroups.LANES];

    // Categorical features (index c).
    private final int[] categoricalFeature;
    private final int[] categoricalColumn;
    private final int[] categories;

    private final long[] counts;
    private final long[] missing;
    private long rows;

    private final double[] scoreEdges;
    /** Score bins by a grid over 0-1 as for features: cell c's first candidate interior edge (1-based). */
    private final int[] scoreGrid;
    private final long[] scoreCounts;
    private long missingScores;
    private final ScoreSketch.Accumulator sketch;

    DriftAccumulator(DriftBaseline baseline) {
        this(baseline, Binning.best());
    }

    DriftAccumulator(DriftBaseline baseline, Binning binning) {
        if (!binning.available()) {
            throw new IllegalArgumentException("vector binning needs the JVM option "
                    + "--add-modules=jdk.incubator.vector and a processor with 256-bit vectors");
        }
        this.baseline = baseline;
        this.binning = binning;
        this.width = baseline.width();
        List<DriftBaseline.Entry> entries = baseline.entries();
        this.monitored = entries.size();
        countOffset = new int[monitored];
        binCount = new int[monitored];
        List<Integer> numeric = new ArrayList<>();
        List<Integer> categorical = new ArrayList<>();
        int totalBins = 0;
        for (int f = 0; f < monitored; f++) {
            DriftBaseline.Entry e = entries.get(f);
            countOffset[f] = totalBins;
            binCount[f] = e.bins();
            totalBins += e.bins();
            (e.kind() == DriftBaseline.Kind.NUMERIC ? numeric : categorical).add(f);
        }
        counts = new long[totalBins];
        missing = new long[monitored];
        lanes = binning == Binning.VECTOR ? LaneGroups.of(entries, width, countOffset) : LaneGroups.none(monitored);

        int n = numeric.size();
        numericFeature = numeric.stream().mapToInt(Integer::intValue).toArray();
        numericColumn = new int[n];
        gridOrigin = new float[n];
        gridScale = new float[n];
        gridLast = new int[n];
        gridOffset = new int[n];
        countDelta = new int[n];
        sparseCells = new boolean[n];
        List<Integer> cells = new ArrayList<>();
        List<Float> allEdges = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            DriftBaseline.Entry e = entries.get(numericFeature[i]);
            numericColumn[i] = e.column();
            float[] thresholds = thresholds(e.edges());
            int edgeOffset = allEdges.size();
            for (float t : thresholds) {
                allEdges.add(t);
            }
            allEdges.add(Float.NaN);
            countDelta[i] = countOffset[numericFeature[i]] - edgeOffset;
            // Grid over [first threshold, last threshold], fine enough that a cell rarely holds two edges.
            float origin = thresholds.length == 0 ? 0 : thresholds[0];
            float range = thresholds.length == 0 ? 0 : thresholds[thresholds.length - 1] - origin;
            int last = gridCells(thresholds, range);
            float scale = range > 0 && Float.isFinite(last / range) ? last / range : 0;
            gridOrigin[i] = origin;
            gridScale[i] = scale;
            gridLast[i] = last;
            gridOffset[i] = cells.size();
            int[] cellOfEdge = new int[thresholds.length];
            for (int k = 0; k < thresholds.length; k++) {
                cellOfEdge[k] = cell(thresholds[k], origin, scale, last);
            }
            boolean sparse = true;
            for (int k = 1; k < thresholds.length; k++) {
                sparse &= cellOfEdge[k] != cellOfEdge[k - 1];
            }
            sparseCells[i] = sparse;
            // Edges in earlier cells are below every value of this cell, because cell() is monotone.
            int below = 0;
            for (int c = 0; c <= last; c++) {
                while (below < thresholds.length && cellOfEdge[below] < c) {
                    below++;
                }
                cells.add(edgeOffset + below);
            }
        }
        grid = cells.stream().mapToInt(Integer::intValue).toArray();
        edges = new float[allEdges.size()];
        for (int k = 0; k < edges.length; k++) {
            edges[k] = allEdges.get(k);
        }

        categoricalFeature = categorical.stream().mapToInt(Integer::intValue).toArray();
        categoricalColumn = new int[categoricalFeature.length];
        categories = new int[categoricalFeature.length];
        for (int i = 0; i < categoricalFeature.length; i++) {
            DriftBaseline.Entry e = entries.get(categoricalFeature[i]);
            categoricalColumn[i] = e.column();
            categories[i] = e.categories().size();
        }
        scalarNumeric = IntStream.range(0, n).filter(i -> !lanes.covered[numericFeature[i]]).toArray();
        scalarCategorical = IntStream.range(0, categoricalFeature.length)
                .filter(i -> !lanes.covered[categoricalFeature[i]]).toArray();

        DriftBaseline.Entry score = baseline.score();
        scoreEdges = score == null ? null : score.edges();
        scoreCounts = score == null ? null : new long[score.bins()];
        scoreGrid = score == null ? null : scoreGrid(scoreEdges);
        sketch = new ScoreSketch.Accumulator(baseline.threshold());
    }

    /** The interior edges of {@code edges} (k+1 edges) as {@link #floatThreshold float thresholds}. */
    static float[] thresholds(double[] edges) {
        float[] thresholds = new float[Math.max(0, edges.length - 2)];
        for (int k = 0; k < thresholds.length; k++) {
            thresholds[k] = floatThreshold(edges[k + 1]);
        }
        return thresholds;
    }

    /** The smallest float at or above {@code edge}: for a float x, {@code x >= it} iff {@code x >= edge}. */
    static float floatThreshold(double edge) {
        float f = (float) edge;
        return (double) f < edge ? Math.nextUp(f) : f;
    }

    /** Twice as many cells as the range holds of the closest gap between edges, within 16-4096. */
    private static int gridCells(float[] thresholds, float range) {
        double closest = Double.POSITIVE_INFINITY;
        for (int k = 1; k < thresholds.length; k++) {
            closest = Math.min(closest, (double) thresholds[k] - thresholds[k - 1]);
        }
        double wanted = Double.isFinite(closest) && closest > 0 ? 2 * range / closest : 16;
        return (int) Math.max(16, Math.min(4096, Math.ceil(wanted)));
    }

    /** The grid cell of x, clamped to [0, last]; monotone in x, which is all the bin lookup relies on. */
    private static int cell(float x, float origin, float scale, int last) {
        int c = (int) ((x - origin) * scale);
        return Math.max(0, Math.min(c, last));
    }

    private static final int SCORE_CELLS = 4096;

    /** For each of 4096 cells over 0-1, the bin every score of the cell is at least in. */
    private static int[] scoreGrid(double[] edges) {
        int[] cells = new int[SCORE_CELLS + 1];
        for (int c = 0; c <= SCORE_CELLS; c++) {
            // The smallest score in cell c is at least c / SCORE_CELLS (cell() truncates a monotone product).
            cells[c] = ReferenceBinning.binOf(edges, (double) c / SCORE_CELLS);
        }
        return cells;
    }

    /** Adds one logged prediction. */
    public void add(PredictionRecord record) {
        add(record.features(), record.score());
    }

    /** Adds one row of model inputs (the model's input columns in order, NaN = missing) and its score (NaN = no score). */
    public void add(float[] row, double score) {
        if (row == null || row.length != width) {
            throw new ValidationException("a production row has " + Words.count(row == null ? 0 : row.length, "value") + "; the"
                    + " model has " + width + " input columns");
        }
        checkScore(score);
        addBlock(row, 0, 1);
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
                    + " all there: got " + Words.count(data.length, "value") + " and " + Words.count(scores.length, "score"));
        }
        for (int r = fromRow; r < toRow; r++) {
            checkScore(scores[r]);
        }
        for (int start = fromRow; start < toRow; start += BLOCK) {
            int end = Math.min(start + BLOCK, toRow);
            addBlock(data, start, end);
            for (int r = start; r < end; r++) {
                addScore(scores[r]);
            }
        }
        rows += toRow - fromRow;
    }

    private void addBlock(float[] data, int start, int end) {
        if (lanes.count > 0) {
            VectorBinning.binRows(lanes, data, start, end, width, counts, missing, laneScratch);
        }
        // Features with single-edge cells four at a time; any left over, and crowded ones, one at a time.
        final int[] quad = this.quad;
        int held = 0;
        for (int i : scalarNumeric) {
            if (!sparseCells[i]) {
                binNumeric(data, start, end, i);
            } else {
                quad[held++] = i;
                if (held == 4) {
                    binSparseQuad(data, start, end, quad);
                    held = 0;
                }
            }
        }
        for (int k = 0; k < held; k++) {
            binNumeric(data, start, end, quad[k]);
        }
        for (int i : scalarCategorical) {
            countCategories(data, start, end, i);
        }
    }

    private void binNumeric(float[] data, int start, int end, int i) {
        final int[] grid = this.grid;
        final float[] edges = this.edges;
        final long[] counts = this.counts;
        final float origin = gridOrigin[i];
        final float scale = gridScale[i];
        final int last = gridLast[i];
        final int offset = gridOffset[i];
        final int delta = countDelta[i];
        final int stride = width;
        final boolean sparse = sparseCells[i];
        long missed = 0;
        for (int r = start, p = start * stride + numericColumn[i]; r < end; r++, p += stride) {
            float x = data[p];
            if (x != x) {
                missed++;
                continue;
            }
            int e = edgesAtOrBelow(x, grid, edges, origin, scale, last, offset);
            if (!sparse) {
                // A crowded cell: step over its further edges at or below x (the NaN sentinel compares false).
                while (x >= edges[e]) {
                    e++;
                }
            }
            counts[e + delta]++;
        }
        missing[numericFeature[i]] += missed;
    }

    /**
     * x's grid cell's first edge not certainly below x (its index in {@link #edges}), stepped over without a branch
     * when x reaches it: when the cell holds at most one edge, the index just past the feature's edges at or below
     * x. x is not NaN.
     */
    private static int edgesAtOrBelow(float x, int[] grid, float[] edges, float origin, float scale, int last,
            int offset) {
        int e = grid[offset + Math.max(0, Math.min((int) ((x - origin) * scale), last))];
        return e + (x >= edges[e] ? 1 : 0);
    }

    /**
     * {@link #binNumeric} for four features whose cells each hold at most one edge ({@code features} names them):
     * four independent chains of work per row keep more of the core busy than one, and the loop's own work
     * (the row, the position, the bound) is shared.
     */
    private void binSparseQuad(float[] data, int start, int end, int[] features) {
        final int[] f = features;
        final int[] grid = this.grid;
        final float[] edges = this.edges;
        final long[] counts = this.counts;
        final int stride = width;
        final float originA = gridOrigin[f[0]];
        final float scaleA = gridScale[f[0]];
        final int lastA = gridLast[f[0]];
        final int offsetA = gridOffset[f[0]];
        final int deltaA = countDelta[f[0]];
        long missedA = 0;
        final float originB = gridOrigin[f[1]];
        final float scaleB = gridScale[f[1]];
        final int lastB = gridLast[f[1]];
        final int offsetB = gridOffset[f[1]];
        final int deltaB = countDelta[f[1]];
        final int gapB = numericColumn[f[1]] - numericColumn[f[0]];
        long missedB = 0;
        final float originC = gridOrigin[f[2]];
        final float scaleC = gridScale[f[2]];
        final int lastC = gridLast[f[2]];
        final int offsetC = gridOffset[f[2]];
        final int deltaC = countDelta[f[2]];
        final int gapC = numericColumn[f[2]] - numericColumn[f[0]];
        long missedC = 0;
        final float originD = gridOrigin[f[3]];
        final float scaleD = gridScale[f[3]];
        final int lastD = gridLast[f[3]];
        final int offsetD = gridOffset[f[3]];
        final int deltaD = countDelta[f[3]];
        final int gapD = numericColumn[f[3]] - numericColumn[f[0]];
        long missedD = 0;
        for (int r = start, p = start * stride + numericColumn[f[0]]; r < end; r++, p += stride) {
            float xA = data[p];
            if (xA == xA) {
                counts[edgesAtOrBelow(xA, grid, edges, originA, scaleA, lastA, offsetA) + deltaA]++;
            } else {
                missedA++;
            }
            float xB = data[p + gapB];
            if (xB == xB) {
                counts[edgesAtOrBelow(xB, grid, edges, originB, scaleB, lastB, offsetB) + deltaB]++;
            } else {
                missedB++;
            }
            float xC = data[p + gapC];
            if (xC == xC) {
                counts[edgesAtOrBelow(xC, grid, edges, originC, scaleC, lastC, offsetC) + deltaC]++;
            } else {
                missedC++;
            }
            float xD = data[p + gapD];
            if (xD == xD) {
                counts[edgesAtOrBelow(xD, grid, edges, originD, scaleD, lastD, offsetD) + deltaD]++;
            } else {
                missedD++;
            }
        }
        missing[numericFeature[f[0]]] += missedA;
        missing[numericFeature[f[1]]] += missedB;
        missing[numericFeature[f[2]]] += missedC;
        missing[numericFeature[f[3]]] += missedD;
    }

    private void countCategories(float[] data, int start, int end, int i) {
        final long[] counts = this.counts;
        final int k = categories[i];
        final int offset = countOffset[categoricalFeature[i]];
        final int stride = width;
        long missed = 0;
        for (int r = start, p = start * stride + categoricalColumn[i]; r < end; r++, p += stride) {
            float x = data[p];
            if (x != x) {
                missed++;
                continue;
            }
            int code = (int) x;
            // Codes that are not categories go to the extra last bin.
            counts[offset + (code == x && code >= 0 && code < k ? code : k)]++;
        }
        missing[categoricalFeature[i]] += missed;
    }

    private static void checkScore(double score) {
        if (!(score >= 0 && score <= 1) && score == score) {
            throw new ValidationException("a production score is outside 0-1; scores must be probabilities");
        }
    }

    private void addScore(double score) {
        if (score != score) {
            missingScores++;
            return;
        }
        sketch.add(score);
        if (scoreCounts != null) {
            int bin = scoreGrid[(int) (score * SCORE_CELLS)];
            while (bin + 1 < scoreEdges.length - 1 && score >= scoreEdges[bin + 1]) {
                bin++;
            }
            scoreCounts[bin]++;
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

    /** The columns binned as vectors (none under scalar binning). */
    LaneGroups lanes() {
        return lanes;
    }

    /** How this accumulator bins. */
    public Binning binning() {
        return binning;
    }

    /** A snapshot of what was added so far. */
    public DriftSummary summary() {
        List<DriftSummary.FeatureCounts> features = new ArrayList<>(monitored);
        List<DriftBaseline.Entry> entries = baseline.entries();
        for (int f = 0; f < monitored; f++) {
            features.add(new DriftSummary.FeatureCounts(entries.get(f).name(),
                    Arrays.copyOfRange(counts, countOffset[f], countOffset[f] + binCount[f]), missing[f]));
        }
        DriftSummary.FeatureCounts score = scoreCounts == null ? null
                : new DriftSummary.FeatureCounts("score", scoreCounts, missingScores);
        return new DriftSummary(baseline.fingerprint(), rows, features, score, sketch.toSketch());
    }
}
