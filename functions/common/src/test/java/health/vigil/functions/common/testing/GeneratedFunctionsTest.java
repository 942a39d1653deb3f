package health.vigil.functions.common.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The check the Function Apps' integration tests run on their staging folders finds test support, however it got in. */
class GeneratedFunctionsTest {
    @TempDir
    Path staging;

    @Test
    void aCleanAppHasNoTestSupport() throws IOException {
        jar(staging.resolve("vigil-scoring-0.1.0-SNAPSHOT.jar"), "health/vigil/functions/scoring/ScoreFunctions.class");
        jar(staging.resolve("lib/vigil-shared-0.1.0-SNAPSHOT.jar"), "health/vigil/scoring/ScoringService.class");

        assertThat(GeneratedFunctions.testSupport(staging)).isEmpty();
    }

    @Test
    void aTestSupportJarOrFixtureClassesInAnyJarAreFound() throws IOException {
        jar(staging.resolve("vigil-scoring-0.1.0-SNAPSHOT.jar"), "health/vigil/functions/scoring/ScoreFunctions.class");
        jar(staging.resolve("lib/vigil-test-support-0.1.0-SNAPSHOT.jar"), "health/vigil/testing/samples/SampleModels.class");
        jar(staging.resolve("lib/vigil-shared-0.1.0-SNAPSHOT.jar"), "health/vigil/testing/samples/SyntheticCohort.class");
        jar(staging.resolve("lib/vigil-shared-0.1.0-SNAPSHOT-tests.jar"), "health/vigil/registry/ServiceFixtures.class");

        assertThat(GeneratedFunctions.testSupport(staging)).containsExactlyInAnyOrder(
                "vigil-test-support-0.1.0-SNAPSHOT.jar",
                "vigil-shared-0.1.0-SNAPSHOT.jar!/health/vigil/testing/samples/SyntheticCohort.class",
                "vigil-shared-0.1.0-SNAPSHOT-tests.jar");
    }

    private static void jar(Path file, String entry) throws IOException {
        Files.createDirectories(file.getParent());
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            zip.putNextEntry(new ZipEntry(entry));
            zip.write(new byte[] {(byte) 0xCA, (byte) 0xFE});
            zip.closeEntry();
        }
    }
}
