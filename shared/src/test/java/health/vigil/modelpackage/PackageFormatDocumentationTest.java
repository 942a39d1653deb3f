package health.vigil.modelpackage;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.model.Feature;
import health.vigil.model.Manifest;
import health.vigil.model.OutputSpec;
import health.vigil.model.Provenance;
import health.vigil.model.ReferenceProfile;
import java.io.IOException;
import java.lang.reflect.RecordComponent;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/models.md describes the package format well enough to write a package without Vigil's training code: every
 * entry a package may hold, and every field its manifest and reference profile may carry.
 */
class PackageFormatDocumentationTest {

    @Test
    void thePackageFormatSectionNamesEveryEntryAndEveryField() throws IOException {
        String section = packageFormatSection();

        Stream.concat(PackageEntries.REQUIRED.stream(), PackageEntries.OPTIONAL.stream()).forEach(entry ->
                assertThat(section).as("a row for " + entry).contains("| `" + entry + "` |"));
        for (Class<?> record : List.of(Manifest.class, OutputSpec.class, Feature.class, Provenance.class,
                ReferenceProfile.class, ReferenceProfile.FeatureProfile.class)) {
            for (RecordComponent field : record.getRecordComponents()) {
                assertThat(section).as(record.getSimpleName() + "." + field.getName()).contains("`" + field.getName() + "`");
            }
        }
    }

    @Test
    void thePackageFormatSectionGivesEachManifestLimitAsTheReaderHoldsIt() throws IOException {
        String section = packageFormatSection();

        assertThat(section).contains("`description` | string | optional; at most " + thousands(ManifestLimits.TEXT)
                        + " characters")
                .contains("`intendedUse` at most " + thousands(ManifestLimits.TEXT) + " characters, `owner` at most "
                        + thousands(ManifestLimits.LABEL))
                .contains("optional; at most " + ManifestLimits.LIMITATIONS + ", each at most "
                        + thousands(ManifestLimits.ITEM) + " characters")
                .contains("at most " + thousands(ManifestLimits.FEATURES) + " features, each `unit` at most "
                        + thousands(ManifestLimits.LABEL) + " characters and each `description` and `pattern` at most "
                        + thousands(ManifestLimits.ITEM))
                .contains("Each text at most " + thousands(ManifestLimits.LABEL) + " characters, but a parameter's value"
                        + " at most " + thousands(ManifestLimits.ITEM) + "; at most " + ManifestLimits.PARAMETERS
                        + " `parameters` and " + ManifestLimits.LIBRARIES + " `libraries`, their keys at most "
                        + thousands(ManifestLimits.LABEL) + " characters");
    }

    private static String packageFormatSection() throws IOException {
        String doc = Files.readString(Path.of("..", "docs", "models.md"));
        int start = doc.indexOf("## The package format");
        assertThat(start).as("docs/models.md has a section '## The package format'").isGreaterThanOrEqualTo(0);
        int end = doc.indexOf("\n## ", start + 1);
        return doc.substring(start, end < 0 ? doc.length() : end);
    }

    private static String thousands(int n) {
        return String.format(java.util.Locale.ROOT, "%,d", n);
    }
}
