package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.adapter.local.LocalAuditSigner;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.audit.AuditLog;
import health.vigil.audit.SigningKeys;
import health.vigil.config.VigilConfig;
import health.vigil.model.AuditRecord;
import health.vigil.port.AuditStore;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vigil audit}: export, verify and key rotation on a local home, as an operator runs them. */
class AuditCommandTest {
    @TempDir
    Path home;

    @TempDir
    Path out;

    @Test
    void evidenceSignedBeforeAndAfterARotationVerifiesWithBothKeysAndNotWithTheNewOneAlone() throws Exception {
        LocalDate first = today();
        record("model.register");
        byte[] before = LocalAuditSigner.open(home).publicKey();
        assertThat(run("audit", "export", "--from", first.toString(), "--to", today().toString(), "--out",
                out.resolve("first").toString(), "--home", home.toString())).startsWith("0\n");

        assertThat(run("audit", "rotate-key", "--home", home.toString())).startsWith("0\n").contains("rotated");
        byte[] after = LocalAuditSigner.open(home).publicKey();
        record("deployment.deploy");
        Path evidence = out.resolve("second");
        String exported = run("audit", "export", "--from", first.toString(), "--to", today().toString(), "--out",
                evidence.toString(), "--home", home.toString());
        // The folder holds the digest signed before the rotation: its hint names both published keys.
        Path keys = LocalAdapters.blobFolder(home.toAbsolutePath(), "audit-exports").resolve("keys");
        assertThat(exported).startsWith("0\n").contains("signed by 2 keys")
                .contains("--public-key <key> --public-key <key>")
                .contains(keys.resolve(SigningKeys.fileName(SigningKeys.keyId(before))).toString())
                .contains(keys.resolve(SigningKeys.fileName(SigningKeys.keyId(after))).toString());

        Path oldKey = Files.writeString(out.resolve("old.pem"), SigningKeys.pem(before));
        Path newKey = Files.writeString(out.resolve("new.pem"), SigningKeys.pem(after));
        assertThat(run("audit", "verify", evidence.toString(), "--public-key", oldKey.toString(), "--public-key",
                newKey.toString())).startsWith("0\n").contains("VERIFIED");
        assertThat(run("audit", "verify", evidence.toString(), "--public-key", newKey.toString()))
                .startsWith("1\n").contains("UNTRUSTED_KEY").contains("digests/00000001.json");
        try (LocalAdapters local = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT)) {
            List<AuditRecord> written = readDays(local.auditStore(), first);
            assertThat(written).filteredOn(r -> r.action().equals("audit.signing-key.rotated"))
                    .singleElement().satisfies(r -> assertThat(r.details())
                            .containsEntry("previousKeyId", SigningKeys.keyId(before))
                            .containsEntry("keyId", SigningKeys.keyId(after)));
            assertThat(written).extracting(AuditRecord::action)
                    .filteredOn(a -> a.equals("audit.signing-key.published")).hasSize(2);
        }
    }

    @Test
    void anExportSaysWhereThePlatformPublishesItsKeyAndWhenThePeriodHoldsNoRecord() throws Exception {
        record("model.register");
        LocalDate empty = today().minusYears(1);
        String output = run("audit", "export", "--from", empty.toString(), "--to", empty.toString(), "--out",
                out.resolve("empty").toString(), "--home", home.toString());

        assertThat(output).startsWith("0\n").contains("exported 0 records")
                .contains("note: the period holds no audit record");
        String published = output.substring(output.indexOf("this platform publishes it as ") + 30).strip();
        assertThat(Path.of(published)).isRegularFile();
        assertThat(SigningKeys.fromPem(Files.readString(Path.of(published)))).isPresent();
        assertThat(run("audit", "verify", out.resolve("empty").toString(), "--public-key", published))
                .startsWith("0\n").contains("VERIFIED");
    }

    @Test
    void withoutAPublicKeyTheFoldersOwnKeysAreTrustedAndTheOutputSaysSo() {
        LocalDate first = today();
        record("model.register");
        run("audit", "export", "--from", first.toString(), "--to", today().toString(), "--out", out.toString(),
                "--home", home.toString());

        assertThat(run("audit", "verify", out.toString())).startsWith("0\n").contains("warning: no --public-key");
    }

    /** A forged folder cannot write to the verifier's terminal: what it names is shown, control characters named. */
    @Test
    void aForgedFileNameCannotClearTheScreenOrPrintAVerifiedOfItsOwn() throws Exception {
        Path evidence = out.resolve("evidence");
        Path pem = exportOneRecord(evidence);
        Path export = firstFile(evidence.resolve("exports"));
        Files.copy(export, evidence.resolve("exports").resolve("x\u001b[2J\u001b[H\rVERIFIED\n.jsonl"));

        String output = run("audit", "verify", evidence.toString(), "--public-key", pem.toString());

        assertThat(output).startsWith("1\n").contains("FAILED UNSIGNED_EXPORT").doesNotContain("\u001b")
                .doesNotContain("\r").doesNotContain("\nVERIFIED");
    }

    /**
     * Files a forged folder may hold in place of real ones: a pipe (which would block a reader for good), a line or a
     * statement of megabytes (which would be read whole into memory). Each is refused and named, and none is read on.
     */
    @Test
    void aPipeOrAnOversizedLineOrStatementIsNamedNotReadWhole() throws Exception {
        Path evidence = out.resolve("evidence");
        Path pem = exportOneRecord(evidence);
        Path export = firstFile(evidence.resolve("exports"));
        byte[] genuine = Files.readAllBytes(export);

        // A line of 5 MiB without its end.
        Files.write(export, "x".repeat(5 << 20).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        assertThat(run("audit", "verify", evidence.toString(), "--public-key", pem.toString())).startsWith("1\n")
                .contains("FAILED MALFORMED_RECORD").contains("longer than 4194304 bytes");

        // A pipe where the export was: refused before it is opened (a reader would wait for a writer for good).
        Files.delete(export);
        assertThat(new ProcessBuilder("mkfifo", export.toString()).start().waitFor()).isZero();
        java.util.concurrent.ExecutorService verifying = java.util.concurrent.Executors.newSingleThreadExecutor();
        try {
            String piped = verifying.submit(() -> runWithErrors("audit", "verify", evidence.toString(), "--public-key",
                    pem.toString())).get(120, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(piped).startsWith("1\n").contains("is not a regular file")
                    .contains(evidence.relativize(export).toString());
        } finally {
            verifying.shutdownNow();
        }
        Files.delete(export);
        Files.write(export, genuine);
        assertThat(run("audit", "verify", evidence.toString(), "--public-key", pem.toString())).startsWith("0\n");

        // A key file in keys/ that is not text, or far too large to be a key: named, not a decoder's error.
        Path keysFolder = evidence.resolve("keys");
        Path notText = Files.write(keysFolder.resolve("zz-not-text.pem"), new byte[] {(byte) 0xC3, 0x28, 0x0A});
        assertThat(runWithErrors("audit", "verify", evidence.toString())).startsWith("2\n")
                .contains("zz-not-text.pem' is not a PEM public key").doesNotContain("Input length");
        Files.delete(notText);
        Path huge = Files.write(keysFolder.resolve("zz-huge.pem"), new byte[3 << 20]);
        assertThat(runWithErrors("audit", "verify", evidence.toString())).startsWith("2\n")
                .contains("zz-huge.pem' is not a PEM public key");
        Files.delete(huge);

        // A digest statement of 2 MiB.
        Files.write(firstFile(evidence.resolve("digests")), new byte[2 << 20]);
        assertThat(run("audit", "verify", evidence.toString(), "--public-key", pem.toString())).startsWith("1\n")
                .contains("FAILED MALFORMED_STATEMENT").contains("is larger than 1048576 bytes");
    }

    @Test
    void aFolderWhoseExportsWereRemovedOrThatHoldsNothingIsNotVerified() throws Exception {
        LocalDate first = today();
        record("model.register");
        Path evidence = out.resolve("evidence");
        run("audit", "export", "--from", first.toString(), "--to", today().toString(), "--out", evidence.toString(),
                "--home", home.toString());
        Path pem = Files.writeString(out.resolve("key.pem"), SigningKeys.pem(LocalAuditSigner.open(home).publicKey()));
        assertThat(run("audit", "verify", evidence.toString(), "--public-key", pem.toString())).startsWith("0\n")
                .contains("VERIFIED");

        Path copied = Files.createDirectories(evidence.resolve("exports/sub"));
        List<Path> exports;
        try (var files = Files.list(evidence.resolve("exports"))) {
            exports = files.filter(Files::isRegularFile).toList();
        }
        assertThat(exports).isNotEmpty();
        Files.copy(exports.get(0), copied.resolve("copy.jsonl"));
        assertThat(run("audit", "verify", evidence.toString(), "--public-key", pem.toString())).startsWith("1\n")
                .contains("FAILED UNSIGNED_EXPORT in exports/sub/copy.jsonl");
        GovernedPath.deleteTree(copied);

        for (Path export : exports) {
            Files.delete(export);
        }
        assertThat(run("audit", "verify", evidence.toString(), "--public-key", pem.toString())).startsWith("1\n")
                .contains("NOTHING VERIFIED").doesNotContain("\nVERIFIED");
        Path empty = Files.createDirectories(out.resolve("empty"));
        assertThat(run("audit", "verify", empty.toString(), "--public-key", pem.toString())).startsWith("1\n")
                .contains("NOTHING VERIFIED");
    }

    @Test
    void aFolderHoldingAnOlderExportOfADayWhoseLaterExportIsSignedThereFailsNamingTheMissingRecords() throws Exception {
        LocalDate day = today();
        record("model.register", 90);
        Path older = out.resolve("older");
        assertThat(run("audit", "export", "--from", day.toString(), "--to", day.toString(), "--out", older.toString(),
                "--home", home.toString())).startsWith("0\n").contains("exported 90 records");
        record("deployment.deploy", 20);
        Path later = out.resolve("later");
        assertThat(run("audit", "export", "--from", day.toString(), "--to", day.toString(), "--out", later.toString(),
                "--home", home.toString())).startsWith("0\n");
        Path pem = Files.writeString(out.resolve("key.pem"), SigningKeys.pem(LocalAuditSigner.open(home).publicKey()));
        Path laterExport = onlyExport(later);
        long laterCount = Files.readAllLines(laterExport).size();

        // The later export's digest is in the folder and signed, but only the older export of the day is.
        Path aside = Files.move(laterExport, out.resolve("later.jsonl"));
        Path olderCopy = Files.copy(onlyExport(older), later.resolve("exports").resolve(onlyExport(older).getFileName()));
        String output = run("audit", "verify", later.toString(), "--public-key", pem.toString());

        assertThat(output).startsWith("1\n").contains("FAILED MISSING_EXPORT in digests/00000002.json")
                .contains(day + "#91 to " + day + "#" + laterCount)
                .contains("exports/" + laterExport.getFileName()).doesNotContain("\nVERIFIED");
        // As exported, the folder verifies: its older digest names an export the later one holds entirely.
        Files.delete(olderCopy);
        Files.move(aside, laterExport);
        assertThat(run("audit", "verify", later.toString(), "--public-key", pem.toString())).startsWith("0\n")
                .contains("VERIFIED").contains("note: digests/00000001.json names");
    }

    private static Path onlyExport(Path folder) throws java.io.IOException {
        try (var files = Files.list(folder.resolve("exports"))) {
            List<Path> exports = files.filter(Files::isRegularFile).toList();
            assertThat(exports).hasSize(1);
            return exports.get(0);
        }
    }

    @Test
    void aMissingKeyFileOrAMalformedDateIsAMessageNotATrace() {
        Path empty = out.resolve("empty");
        assertThat(runWithErrors("audit", "verify", out.toString(), "--public-key", out.resolve("none.pem").toString()))
                .startsWith("2\n").contains("is not a file").doesNotContain("Exception");
        assertThat(runWithErrors("audit", "export", "--from", "2026-13-01", "--to", "2026-12-01", "--out",
                empty.toString(), "--home", home.toString()))
                .startsWith("2\n").contains("'2026-13-01' is not a date like 2026-11-24").doesNotContain("java.");
    }

    @Test
    void anOutThatIsAFileOrAPeriodOverAYearIsRefusedBeforeAnythingIsExported() throws Exception {
        record("model.register");
        Path file = Files.writeString(out.resolve("keys.json"), "{}");
        assertThat(runWithErrors("audit", "export", "--from", today().toString(), "--to", today().toString(), "--out",
                file.toString(), "--home", home.toString())).startsWith("2\n").contains("is a file");
        assertThat(runWithErrors("audit", "export", "--from", "1900-01-01", "--to", "9999-12-31", "--out",
                out.resolve("all").toString(), "--home", home.toString())).startsWith("2\n").contains("366 days");
        assertThat(Files.readString(file)).isEqualTo("{}");
        try (LocalAdapters local = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT)) {
            assertThat(readDays(local.auditStore(), today())).noneMatch(r -> r.action().startsWith("audit.exported"));
        }
    }

    @Test
    void aHomeWithoutAnAuditLogIsRefusedAndNothingIsCreated() {
        Path missing = home.resolve("not-a-home");

        assertThat(run("audit", "export", "--from", "2026-01-01", "--to", "2026-01-01", "--out", out.toString(),
                "--home", missing.toString())).startsWith("2\n");
        assertThat(missing).doesNotExist();
    }

    /** The UTC day now: read at each step, so that a run across midnight exports and reads every day it wrote. */
    private static LocalDate today() {
        return LocalDate.now(ZoneOffset.UTC);
    }

    private static List<AuditRecord> readDays(AuditStore store, LocalDate first) {
        List<AuditRecord> all = new ArrayList<>();
        for (LocalDate day = first; !day.isAfter(today()); day = day.plusDays(1)) {
            all.addAll(store.read(day.toString()));
        }
        return all;
    }

    private void record(String action) {
        record(action, 1);
    }

    private void record(String action, int times) {
        try (LocalAdapters local = LocalAdapters.at(home, VigilConfig.PredictionLogDurability.DEFAULT)) {
            AuditLog log = new AuditLog(local.auditStore(), Clock.systemUTC());
            for (int i = 0; i < times; i++) {
                log.record("operator", action, "/models/m/versions/1", "ok", Map.of());
            }
        }
    }

    /** Today's audit trail, one record in it, exported to {@code evidence}; the PEM of the key that signed it. */
    private Path exportOneRecord(Path evidence) throws java.io.IOException {
        LocalDate first = today();
        record("model.register");
        run("audit", "export", "--from", first.toString(), "--to", today().toString(), "--out", evidence.toString(),
                "--home", home.toString());
        return Files.writeString(out.resolve("key.pem"), SigningKeys.pem(LocalAuditSigner.open(home).publicKey()));
    }

    private static Path firstFile(Path folder) throws java.io.IOException {
        try (var files = Files.list(folder)) {
            return files.filter(Files::isRegularFile).findFirst().orElseThrow();
        }
    }

    /** Runs the {@code vigil} command; returns its exit code, a newline and what it printed on both streams. */
    static String runWithErrors(String... args) {
        return execute(true, args);
    }

    /** Runs the {@code vigil} command; returns its exit code, a newline and what it printed. */
    static String run(String... args) {
        return execute(false, args);
    }

    private static synchronized String execute(boolean withErrors, String... args) {
        PrintStream original = System.out;
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(printed, true, StandardCharsets.UTF_8);
        System.setOut(out);
        try {
            picocli.CommandLine line = Main.commandLine();
            if (withErrors) {
                line.setErr(new java.io.PrintWriter(out, true));
            }
            int code = line.execute(args);
            return code + "\n" + printed.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(original);
        }
    }
}
