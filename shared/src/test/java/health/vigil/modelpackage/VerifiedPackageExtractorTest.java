package health.vigil.modelpackage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ErrorCode;
import health.vigil.error.VigilException;
import health.vigil.hash.Sha256;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The extractor hands out a registered package's model only when the blob is still that package. */
class VerifiedPackageExtractorTest {
    private static final String DESCRIBED = "the package of readmission v1 (blob 'b')";
    private static final byte[] ONNX = {1, 2, 3, 4};
    private static final byte[] REFERENCE = "{\"features\":[]}".getBytes(StandardCharsets.UTF_8);

    private final VerifiedPackageExtractor extractor = new VerifiedPackageExtractor(1024);

    @Test
    void returnsTheModelAndReferenceOfTheRegisteredPackage() throws IOException {
        byte[] zip = zip(PackageEntries.MANIFEST, "{}".getBytes(StandardCharsets.UTF_8), PackageEntries.MODEL, ONNX,
                PackageEntries.REFERENCE, REFERENCE);

        VerifiedPackageExtractor.Contents contents = extractor.extract(new ByteArrayInputStream(zip), Sha256.hex(zip),
                DESCRIBED);

        assertThat(contents.onnx()).isEqualTo(ONNX);
        assertThat(contents.referenceJson()).hasValueSatisfying(json -> assertThat(json).isEqualTo(REFERENCE));
    }

    @Test
    void refusesABlobReplacedAfterRegistration() throws IOException {
        byte[] registered = zip(PackageEntries.MODEL, ONNX);
        byte[] replaced = zip(PackageEntries.MODEL, new byte[] {9, 9});

        assertThatThrownBy(() -> extractor.extract(new ByteArrayInputStream(replaced), Sha256.hex(registered), DESCRIBED))
                .isInstanceOfSatisfying(VigilException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INTEGRITY_FAILURE))
                .hasMessageStartingWith(DESCRIBED + " has sha256 " + Sha256.hex(replaced))
                .hasMessageContaining("the blob was replaced after registration");
    }

    @Test
    void refusesAPackageWithoutAModelOrWithTwo() throws IOException {
        byte[] none = zip(PackageEntries.REFERENCE, REFERENCE);
        byte[] twice = zip(PackageEntries.MODEL, ONNX, PackageEntries.MODEL, ONNX);

        assertThatThrownBy(() -> extractor.extract(new ByteArrayInputStream(none), Sha256.hex(none), DESCRIBED))
                .hasMessage(DESCRIBED + " has no model.onnx");
        assertThatThrownBy(() -> extractor.extract(new ByteArrayInputStream(twice), Sha256.hex(twice), DESCRIBED))
                .hasMessage(DESCRIBED + " holds model.onnx twice");
    }

    @Test
    void refusesAModelLargerThanTheLimit() throws IOException {
        byte[] zip = zip(PackageEntries.MODEL, new byte[2048]);

        assertThatThrownBy(() -> extractor.extract(new ByteArrayInputStream(zip), Sha256.hex(zip), DESCRIBED))
                .hasMessage(DESCRIBED + " has a model.onnx larger than 1024 bytes");
    }

    private static byte[] zip(Object... nameThenBytes) {
        RawZip zip = new RawZip();
        for (int i = 0; i < nameThenBytes.length; i += 2) {
            zip.stored((String) nameThenBytes[i], (byte[]) nameThenBytes[i + 1]);
        }
        return zip.bytes();
    }
}
