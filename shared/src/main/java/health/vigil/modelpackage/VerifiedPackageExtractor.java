package health.vigil.modelpackage;

import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.hash.Sha256;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestInputStream;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;

/**
 * Takes {@value PackageEntries#MODEL} and {@value PackageEntries#REFERENCE} out of a package that was validated
 * and registered before, and proves it is still that package: the sha256 of the whole blob must be the one the
 * registry recorded. It does not validate again; {@link ZipModelPackageReader} did that at registration.
 */
public final class VerifiedPackageExtractor {
    private final long maxEntryBytes;

    /** @param maxEntryBytes the largest model (or reference profile) read into memory */
    public VerifiedPackageExtractor(long maxEntryBytes) {
        if (maxEntryBytes <= 0) {
            throw new IllegalArgumentException("maxEntryBytes must be positive");
        }
        this.maxEntryBytes = maxEntryBytes;
    }

    /** The model's bytes and, when the package has one, the reference profile's JSON. */
    public record Contents(byte[] onnx, Optional<byte[]> referenceJson) {
        public Contents {
            Objects.requireNonNull(onnx, "onnx");
            Objects.requireNonNull(referenceJson, "referenceJson");
        }
    }

    /**
     * Reads the package from {@code raw} to its end.
     *
     * @param expectedSha256 the package's sha256 as the registry recorded it
     * @param described how messages name the package, for example {@code the package of readmission v3 (blob 'x')}
     * @throws VigilException {@code INTEGRITY_FAILURE} when the bytes are not the registered package or not a zip
     * @throws IOException when the store fails while reading
     */
    public Contents extract(InputStream raw, String expectedSha256, String described) throws IOException {
        Objects.requireNonNull(expectedSha256, "expectedSha256");
        DigestInputStream digested = new DigestInputStream(raw, Sha256.newDigest());
        byte[] onnx = null;
        byte[] reference = null;
        try {
            ZipInputStream zip = new ZipInputStream(digested);
            for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
                if (PackageEntries.MODEL.equals(entry.getName())) {
                    if (onnx != null) {
                        throw integrity(described, "holds " + PackageEntries.MODEL + " twice");
                    }
                    onnx = readCapped(zip, PackageEntries.MODEL, described);
                } else if (PackageEntries.REFERENCE.equals(entry.getName())) {
                    reference = readCapped(zip, PackageEntries.REFERENCE, described);
                }
            }
        } catch (ZipException e) {
            throw new VigilException(ErrorCode.INTEGRITY_FAILURE, described + " is not a readable zip", e);
        }
        // The zip reader stops before the central directory; the digest must cover the whole blob.
        digested.transferTo(OutputStream.nullOutputStream());
        String sha = Sha256.hex(digested.getMessageDigest());
        if (!sha.equals(expectedSha256)) {
            throw integrity(described, "has sha256 " + sha + " but the registry recorded " + expectedSha256
                    + ": the blob was replaced after registration");
        }
        if (onnx == null) {
            throw integrity(described, "has no " + PackageEntries.MODEL);
        }
        return new Contents(onnx, Optional.ofNullable(reference));
    }

    private byte[] readCapped(InputStream in, String entry, String described) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) > 0; ) {
            total += n;
            if (total > maxEntryBytes) {
                throw integrity(described, "has a " + entry + " larger than " + maxEntryBytes + " bytes");
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    private static VigilException integrity(String described, String what) {
        return new VigilException(ErrorCode.INTEGRITY_FAILURE, described + " " + what);
    }
}
