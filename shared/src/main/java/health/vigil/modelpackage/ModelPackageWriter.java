package health.vigil.modelpackage;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.Manifest;
import health.vigil.model.ReferenceProfile;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.LocalDateTime;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Writes a model package: a zip of {@value PackageEntries#MANIFEST}, {@value PackageEntries#MODEL} and
 * {@value PackageEntries#REFERENCE}, in that order, and optionally {@value PackageEntries#EVALUATION}.
 * The same inputs always give the same bytes, on any machine: fixed entry order and timestamps, map keys
 * sorted, {@code \n} line ends, and entries stored rather than deflated (deflate output depends on the zlib
 * build), so a retrained model that did not change has the same package sha256.
 */
public final class ModelPackageWriter {
    /** Every entry carries this time; a zip cannot leave it out, so it is fixed. */
    private static final LocalDateTime ENTRY_TIME = LocalDateTime.of(2000, 1, 1, 0, 0);

    private static final ObjectWriter JSON = Json.mapper().writer()
            .with(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .with(new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n")));

    private ModelPackageWriter() {}

    public static byte[] write(Manifest manifest, byte[] onnx, ReferenceProfile reference) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(onnx == null ? 1024 : onnx.length + 16 * 1024);
        write(manifest, onnx, reference, out);
        return out.toByteArray();
    }

    /** A package with an {@value PackageEntries#EVALUATION} entry holding {@code evaluation} as JSON. */
    public static byte[] write(Manifest manifest, byte[] onnx, ReferenceProfile reference, Object evaluation) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(onnx == null ? 1024 : onnx.length + 32 * 1024);
        write(manifest, onnx, reference, evaluation, out);
        return out.toByteArray();
    }

    /** Writes the package to {@code out} and leaves it open. */
    public static void write(Manifest manifest, byte[] onnx, ReferenceProfile reference, OutputStream out) {
        write(manifest, onnx, reference, null, out);
    }

    /**
     * Writes the package, with an {@value PackageEntries#EVALUATION} entry when {@code evaluation} is not null,
     * to {@code out}.
     */
    public static void write(Manifest manifest, byte[] onnx, ReferenceProfile reference, Object evaluation,
            OutputStream out) {
        if (manifest == null || reference == null || onnx == null || onnx.length == 0) {
            throw new ValidationException("a package needs a manifest, the ONNX model bytes and a reference profile");
        }
        try (ZipOutputStream zip = new ZipOutputStream(new NonClosing(out))) {
            entry(zip, PackageEntries.MANIFEST, json(manifest));
            entry(zip, PackageEntries.MODEL, onnx);
            entry(zip, PackageEntries.REFERENCE, json(reference));
            if (evaluation != null) {
                entry(zip, PackageEntries.EVALUATION, json(evaluation));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not write the model package", e);
        }
    }

    /** The JSON exactly as a package holds it (sorted map keys, two-space indent, {@code \n}). */
    public static byte[] json(Object value) {
        try {
            return JSON.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write " + value.getClass().getSimpleName() + " as JSON", e);
        }
    }

    private static void entry(ZipOutputStream zip, String name, byte[] content) throws IOException {
        CRC32 crc = new CRC32();
        crc.update(content);
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(content.length);
        entry.setCompressedSize(content.length);
        entry.setCrc(crc.getValue());
        entry.setTimeLocal(ENTRY_TIME);
        zip.putNextEntry(entry);
        zip.write(content);
        zip.closeEntry();
    }

    /** Lets the zip be finished without closing the caller's stream. */
    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
