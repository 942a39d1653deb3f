package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.adapter.local.LocalAuditSigner;
import health.vigil.audit.AuditEvidence;
import health.vigil.audit.AuditLog;
import health.vigil.audit.SigningKeys;
import health.vigil.config.VigilConfig;
import health.vigil.port.ArtifactStore;
import health.vigil.port.AuditStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference verifier in docs/tools (Python and openssl, written from docs/audit-evidence-format.md alone) on
 * evidence Vigil made: a log over two days with hourly anchors, the daily export of the first day, and the folder
 * {@code vigil audit export} writes for both days. The folder verifies; copies with one record changed, one
 * deleted, two swapped or one signature bit flipped fail, in the Python verifier and in {@code vigil audit verify}
 * alike; and the container without the export a digest attests fails the Python verifier's completeness check.
 */
class ReferenceVerifierIT {
    static final Path SCRIPT = Path.of("..", "docs", "tools", "verify-audit-export.py").toAbsolutePath().normalize();

    @TempDir
    static Path work;

    static Path home;
    static Path folder;
    static Path key;

    @BeforeAll
    static void writeALogAndExportIt() throws IOException {
        requireTool("python3", "--version");
        requireTool("openssl", "version");
        home = work.resolve("home");
        LocalDate first = LocalDate.now(ZoneOffset.UTC).minusDays(3);
        Instant start = first.atTime(21, 0).toInstant(ZoneOffset.UTC);
        try (LocalAdapters local = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT)) {
            AuditStore store = local.auditStore();
            for (int hour = 0; hour < 6; hour++) {
                Instant at = start.plus(Duration.ofHours(hour));
                if (hour == 3) {
                    evidence(local, at.plusSeconds(30)).exportPreviousDay();
                }
                evidence(local, at.plusSeconds(60)).anchor();
                for (int i = 0; i < 3; i++) {
                    Clock clock = Clock.fixed(at.plus(Duration.ofMinutes(5 + 10L * i)).plusMillis(37L * i), ZoneOffset.UTC);
                    new AuditLog(store, clock).record("operator-" + hour + "-" + i, "model.register",
                            "/models/readmission/versions/" + (hour + 1), "registered",
                            Map.of("version", Integer.toString(hour + 1), "note", "geprüft " + i));
                }
            }
            evidence(local, start.plus(Duration.ofHours(6)).plusSeconds(60)).anchor();
        }
        folder = work.resolve("evidence");
        assertThat(AuditCommandTest.run("audit", "export", "--from", first.toString(), "--to",
                first.plusDays(1).toString(), "--out", folder.toString(), "--home", home.toString())).startsWith("0\n");
        key = Files.writeString(work.resolve("audit-signing.pem"), SigningKeys.pem(LocalAuditSigner.open(home).publicKey()));
    }

    @Test
    void theExportedFolderVerifiesAndSoDoesTheWholeContainer() throws Exception {
        assertThat(digests(folder)).hasSize(2);
        assertThat(pythonVerifies(folder)).startsWith("0\n").contains("\nVERIFIED").contains("1 exports");
        assertThat(AuditCommandTest.run("audit", "verify", folder.toString(), "--public-key", key.toString()))
                .startsWith("0\n").contains("\nVERIFIED");

        Path container = copy(LocalAdapters.blobFolder(home.toAbsolutePath(), ArtifactStore.AUDIT_EXPORTS), "container");
        assertThat(pythonVerifies(container)).startsWith("0\n").contains("\nVERIFIED").contains("2 exports");
    }

    @Test
    void aChangedFieldADeletedRecordTwoSwappedRecordsAndAFlippedSignatureBitEachFail() throws Exception {
        Path changed = copy(folder, "changed");
        // Line 1 is the record of the key's publication, line 2 operator-0-0's record, line 3 operator-0-1's.
        editExport(changed, lines -> lines.set(2, lines.get(2).replace("\"actor\":\"operator-0-1\"",
                "\"actor\":\"operator-0-9\"")));
        assertFails(changed, "FAILED HASH_MISMATCH in exports/", "line 3");

        Path deleted = copy(folder, "deleted");
        editExport(deleted, lines -> lines.remove(2));
        assertFails(deleted, "FAILED SEQUENCE_GAP in exports/", "line 3");

        Path swapped = copy(folder, "swapped");
        editExport(swapped, lines -> lines.set(1, lines.set(2, lines.get(1))));
        assertFails(swapped, "FAILED SEQUENCE_GAP in exports/", "line 2");

        Path flipped = copy(folder, "flipped");
        Path digest = flipped.resolve("digests/00000002.json");
        String text = Files.readString(digest);
        String signature = text.replaceAll("(?s).*\"signature\" : \"([^\"]+)\".*", "$1");
        byte[] bytes = Base64.getDecoder().decode(signature);
        bytes[40] ^= 0x01;
        Files.writeString(digest, text.replace(signature, Base64.getEncoder().encodeToString(bytes)));
        assertFails(flipped, "FAILED BAD_SIGNATURE in digests/00000002.json");
    }

    @Test
    void aFolderWithoutTheExportOfRecordsADigestAttestsFails() throws Exception {
        Path container = copy(LocalAdapters.blobFolder(home.toAbsolutePath(), ArtifactStore.AUDIT_EXPORTS), "partial");
        List<Path> exports = files(container.resolve("exports"));
        assertThat(exports).hasSize(2);
        // The export of both days is the larger; without it, digest 2 attests the second day's records and no
        // export here holds them. The first day's own export and digest are still there and verify.
        Path both = Files.size(exports.get(0)) > Files.size(exports.get(1)) ? exports.get(0) : exports.get(1);
        Files.delete(both);

        assertThat(pythonVerifies(container)).startsWith("1\n")
                .contains("FAILED MISSING_EXPORT in digests/00000002.json").doesNotContain("\nVERIFIED");
    }

    private static AuditEvidence evidence(LocalAdapters local, Instant at) {
        Clock clock = Clock.fixed(at, ZoneOffset.UTC);
        return new AuditEvidence(local.auditStore(), new AuditLog(local.auditStore(), clock), local.artifactStore(),
                local.auditSigner(), clock);
    }

    private static void assertFails(Path evidence, String... expected) {
        assertThat(pythonVerifies(evidence)).startsWith("1\n").contains(expected).doesNotContain("\nVERIFIED");
        assertThat(AuditCommandTest.run("audit", "verify", evidence.toString(), "--public-key", key.toString()))
                .startsWith("1\n").contains(expected[0]);
    }

    /** Runs the reference verifier with the trusted key; its exit code, a newline and what it printed. */
    private static String pythonVerifies(Path evidence) {
        return execute(List.of("python3", SCRIPT.toString(), evidence.toString(), "--public-key", key.toString()));
    }

    private static void requireTool(String... command) {
        try {
            assertThat(execute(List.of(command))).as("'" + String.join(" ", command) + "' must run: the reference"
                    + " audit verifier needs python3 and openssl on PATH").startsWith("0\n");
        } catch (IllegalStateException e) {
            throw new AssertionError("'" + command[0] + "' is not installed: the reference audit verifier needs"
                    + " python3 and openssl on PATH", e);
        }
    }

    private static String execute(List<String> command) {
        try {
            Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(120, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new AssertionError(command.get(0) + " did not finish within 120 s");
            }
            return process.exitValue() + "\n" + out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command.get(0), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static void editExport(Path evidence, Consumer<List<String>> edit) throws IOException {
        Path export = files(evidence.resolve("exports")).get(0);
        List<String> lines = new ArrayList<>(Files.readAllLines(export, StandardCharsets.UTF_8));
        edit.accept(lines);
        Files.writeString(export, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }

    private static List<Path> digests(Path evidence) throws IOException {
        return files(evidence.resolve("digests"));
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(Files::isRegularFile).sorted().toList();
        }
    }

    private static Path copy(Path from, String name) throws IOException {
        Path to = work.resolve(name);
        try (Stream<Path> paths = Files.walk(from)) {
            for (Path path : paths.toList()) {
                Path target = to.resolve(from.relativize(path).toString());
                if (Files.isDirectory(path)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(path, target);
                }
            }
        }
        return to;
    }
}
