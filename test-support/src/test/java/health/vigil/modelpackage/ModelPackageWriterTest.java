package health.vigil.modelpackage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import health.vigil.model.ReferenceProfile;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

class ModelPackageWriterTest {

    @Test
    void theSameContentAlwaysGivesTheSameBytes() {
        SamplePackage first = SampleModels.readmissionTrees();
        SamplePackage rebuilt = SampleModels.readmissionTrees();

        byte[] a = ModelPackageWriter.write(first.manifest(), first.onnx(), first.reference());
        byte[] b = ModelPackageWriter.write(rebuilt.manifest(), rebuilt.onnx(), rebuilt.reference());

        assertThat(a).isEqualTo(b);
        assertThat(first.withName("readmission-other").zip()).isNotEqualTo(a);
    }

    @Test
    void entriesComeInAFixedOrderStoredWithAFixedTime() throws IOException {
        SamplePackage sample = SampleModels.readmissionLogistic();
        List<String> names = new ArrayList<>();
        Map<String, byte[]> contents = new HashMap<>();
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(sample.zip()))) {
            for (ZipEntry entry; (entry = zip.getNextEntry()) != null; ) {
                names.add(entry.getName());
                assertThat(entry.getMethod()).isEqualTo(ZipEntry.STORED);
                assertThat(entry.getTimeLocal()).isEqualTo(LocalDateTime.of(2000, 1, 1, 0, 0));
                contents.put(entry.getName(), zip.readAllBytes());
            }
        }
        assertThat(names).containsExactly("manifest.json", "model.onnx", "reference.json");
        assertThat(contents.get("model.onnx")).isEqualTo(sample.onnx());
        String manifest = new String(contents.get("manifest.json"), StandardCharsets.UTF_8);
        assertThat(manifest).doesNotContain("\r").contains("\n  \"name\" : \"readmission-demo\"");
    }

    @Test
    void mapKeysAreWrittenSortedWhateverTheMapsIterationOrder() {
        Map<String, Double> shares = Map.of("urgent", 0.25, "emergency", 0.55, "elective", 0.2);
        ReferenceProfile profile = new ReferenceProfile(100, List.of(
                new ReferenceProfile.FeatureProfile("admission_type", null, null, shares, 0.0)), null);

        String json = new String(ModelPackageWriter.json(profile), StandardCharsets.UTF_8);

        assertThat(json.indexOf("\"elective\"")).isLessThan(json.indexOf("\"emergency\""));
        assertThat(json.indexOf("\"emergency\"")).isLessThan(json.indexOf("\"urgent\""));
    }

    @Test
    void refusesAnIncompletePackage() {
        SamplePackage sample = SampleModels.readmissionLogistic();
        assertThatThrownBy(() -> ModelPackageWriter.write(sample.manifest(), new byte[0], sample.reference()))
                .isInstanceOf(ValidationException.class);
        assertThatThrownBy(() -> ModelPackageWriter.write(null, sample.onnx(), sample.reference()))
                .isInstanceOf(ValidationException.class);
    }
}
