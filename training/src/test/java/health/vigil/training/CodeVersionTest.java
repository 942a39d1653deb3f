package health.vigil.training;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.json.Json;
import health.vigil.training.models.ReferenceModels;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The code version in a model's provenance is that of the training code, recorded when it was built: not that of the
 * git work tree a training happens to run in, which may be another project's (with its own commit and a clean tree).
 */
class CodeVersionTest {
    @TempDir
    Path folder;

    @Test
    void aTrainingRunInAnotherProjectsWorkTreeRecordsTheCodesCommitNotThatProjectsHead() throws Exception {
        Path another = Files.createDirectories(folder.resolve("another-project"));
        git(another, "init", "-q");
        git(another, "-c", "user.name=Someone Else", "-c", "user.email=someone@example.org", "-c",
                "commit.gpgsign=false", "commit", "-q", "--allow-empty", "-m", "another project");
        String anotherHead = git(another, "rev-parse", "HEAD");
        assertThat(anotherHead).as("the other project's commit").matches("[0-9a-f]{40}");
        Path out = folder.resolve("readmission.zip");

        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process process = new ProcessBuilder(java.toString(), "-XX:TieredStopAtLevel=1", "-cp",
                System.getProperty("java.class.path"), TrainsInItsWorkingFolder.class.getName(), out.toString())
                .directory(another.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor()).as(output).isZero();

        JsonNode provenance = manifest(out).path("provenance");
        String checkout = git(Path.of("").toAbsolutePath(), "rev-parse", "HEAD");
        assertThat(provenance.path("codeCommit").asText()).isNotEqualTo(anotherHead)
                .isEqualTo(checkout == null ? CodeVersion.UNKNOWN : checkout);
    }

    @Test
    void theVersionIsTheOneTheBuildRecordedBesideTheClass() throws IOException {
        CodeVersion version = CodeVersion.ofThisBuild();
        try (InputStream in = CodeVersion.class.getResourceAsStream(CodeVersion.RESOURCE)) {
            assertThat(in).as("the build records the code version").isNotNull();
            String recorded = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
            assertThat(recorded).contains("commit=" + version.commit() + System.lineSeparator());
        }
        if (version.commit().equals(CodeVersion.UNKNOWN)) {
            assertThat(version.dirty()).isNull();
        }
    }

    @Test
    void aRecordWithoutACommitIsUnknownAndSaysNothingOfTheTree() {
        String commit = "0123456789abcdef0123456789abcdef01234567";
        assertThat(CodeVersion.recorded(commit, "false")).isEqualTo(new CodeVersion(commit, false));
        assertThat(CodeVersion.recorded(commit + "\n", "true\n")).isEqualTo(new CodeVersion(commit, true));
        assertThat(CodeVersion.recorded(commit, "")).isEqualTo(new CodeVersion(commit, null));
        for (String notACommit : new String[] {null, "", "unknown", "HEAD", commit.toUpperCase(java.util.Locale.ROOT),
                commit.substring(1), "fatal: not a git repository"}) {
            assertThat(CodeVersion.recorded(notACommit, "false")).as(String.valueOf(notACommit))
                    .isEqualTo(new CodeVersion(CodeVersion.UNKNOWN, null));
        }
    }

    /** Trains a small package in the JVM's working folder, as {@code vigil train} and {@code vigil demo} do. */
    static final class TrainsInItsWorkingFolder {
        public static void main(String[] args) {
            ReferenceModels.train(ClinicalModel.READMISSION, Path.of(args[0]), 3, 2_000, TrainingProgress.NONE);
        }
    }

    private static JsonNode manifest(Path zip) throws IOException {
        try (ZipInputStream in = new ZipInputStream(Files.newInputStream(zip))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                if (entry.getName().equals("manifest.json")) {
                    return Json.readTree("manifest.json", in.readAllBytes());
                }
            }
        }
        throw new AssertionError("the package has no manifest.json");
    }

    /** What git prints in {@code directory}, stripped; null when it fails. */
    private static String git(Path directory, String... arguments) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("git", "-C", directory.toString()));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertThat(process.waitFor(30, TimeUnit.SECONDS)).isTrue();
        return process.exitValue() == 0 ? out : null;
    }
}
