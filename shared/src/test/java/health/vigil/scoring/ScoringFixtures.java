package health.vigil.scoring;

import health.vigil.hash.Sha256;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.port.ModelRuntime;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.ToDoubleFunction;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Model packages and stand-in models for scoring tests; no ONNX involved. */
public final class ScoringFixtures {
    private ScoringFixtures() {}

    /** A zip holding the given entries, in order. */
    public static byte[] zip(Map<String, byte[]> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** Stand-in bytes for a version's model.onnx, distinct per version. */
    public static byte[] onnxBytes(int version) {
        return ("not really onnx, version " + version).getBytes(StandardCharsets.UTF_8);
    }

    /** A package as the registry expects it: manifest, model and reference entries. */
    public static byte[] packageOf(byte[] onnx) {
        return zip(new java.util.LinkedHashMap<>(Map.of(
                "manifest.json", "{}".getBytes(StandardCharsets.UTF_8),
                "model.onnx", onnx,
                "reference.json", "{}".getBytes(StandardCharsets.UTF_8))));
    }

    /** The registry record of a version whose package blob is {@code pkg} with model bytes {@code onnx}. */
    public static VersionRecord record(ModelName name, int version, Stage stage, Manifest manifest, byte[] pkg, byte[] onnx) {
        Instant at = Instant.parse("2026-11-02T10:00:00Z");
        return new VersionRecord(name, version, manifest, Sha256.hex(pkg), Sha256.hex(onnx), name + "/v" + version + ".zip",
                pkg.length, stage, "blob:" + name + "/v" + version + ".zip", at, "evt-" + version, at, null);
    }

    /** A model whose score is a formula of the input row, counting how often it is asked. */
    public static final class FormulaModel implements ModelRuntime.LoadedModel {
        private final int width;
        private final ToDoubleFunction<float[]> formula;
        public final AtomicInteger predictCalls = new AtomicInteger();
        /** The time budget of the last budgeted call; null before one. */
        public volatile java.time.Duration lastBudget;
        public volatile boolean closed;

        public FormulaModel(int width, ToDoubleFunction<float[]> formula) {
            this.width = width;
            this.formula = formula;
        }

        @Override
        public int inputWidth() {
            return width;
        }

        @Override
        public double[] predict(float[] rowMajor, int rows) {
            predictCalls.incrementAndGet();
            if (rowMajor.length != rows * width) {
                throw new AssertionError("matrix of " + rowMajor.length + " values for " + rows + " rows of " + width);
            }
            double[] out = new double[rows];
            for (int r = 0; r < rows; r++) {
                out[r] = formula.applyAsDouble(java.util.Arrays.copyOfRange(rowMajor, r * width, (r + 1) * width));
            }
            return out;
        }

        @Override
        public double[] predict(float[] rowMajor, int rows, java.time.Duration budget) {
            lastBudget = budget;
            return predict(rowMajor, rows);
        }

        @Override
        public void close() {
            closed = true;
        }
    }
}
