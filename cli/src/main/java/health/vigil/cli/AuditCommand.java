package health.vigil.cli;

import health.vigil.adapter.local.LocalAdapters;
import health.vigil.adapter.local.LocalAuditSigner;
import health.vigil.audit.AuditEvidence;
import health.vigil.audit.AuditLog;
import health.vigil.audit.EvidenceFiles;
import health.vigil.audit.EvidenceLayout;
import health.vigil.audit.EvidenceReport;
import health.vigil.audit.EvidenceVerifier;
import health.vigil.audit.ExportResult;
import health.vigil.audit.SigningKeys;
import health.vigil.config.VigilConfig;
import health.vigil.error.ValidationException;
import health.vigil.port.ArtifactStore;
import health.vigil.port.AuditStore;
import health.vigil.text.Words;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PublicKey;
import java.time.Clock;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code vigil audit ...}: signed exports of the local audit log, their independent verification, key rotation. */
@Command(name = "audit", mixinStandardHelpOptions = true, description = "Export, verify and sign audit evidence.",
        subcommands = {AuditCommand.Export.class, AuditCommand.Verify.class, AuditCommand.RotateKey.class})
final class AuditCommand {
    private static final String OWNER_FOLDER = "rwx------";
    private static final String OWNER_FILE = "rw-------";
    /** The largest public key file read: a PEM key is a few hundred bytes. */
    static final int MAX_KEY_FILE_BYTES = 64 * 1024;

    /** Exports a period of the local audit log and copies everything a verifier needs into a folder. */
    @Command(name = "export", mixinStandardHelpOptions = true,
            description = "Export the audit records of a period (UTC days) with a signed digest, and copy the export,"
                    + " every digest, every anchor and the public keys into --out.")
    static final class Export implements Callable<Integer> {
        @Option(names = "--from", required = true, description = "First day, yyyy-MM-dd")
        LocalDate from;

        @Option(names = "--to", required = true, description = "Last day, yyyy-MM-dd")
        LocalDate to;

        @Option(names = "--out", required = true, description = "Folder to copy the evidence into (created 0700)")
        Path out;

        @Option(names = "--home", defaultValue = RunningPlatform.HOME_DEFAULT,
            description = "Vigil home (default: $VIGIL_HOME, else .vigil)")
        Path home;

        @Override
        public Integer call() throws IOException {
            // The period and the folder are checked before anything is exported: an export is signed, stored and
            // audited, so a run that then cannot write its copy must not have made one.
            AuditLog.checkBoundedPeriod(from, to);
            createFolder(out, out.toAbsolutePath().getFileSystem().supportedFileAttributeViews().contains("posix"));
            if (!Files.isDirectory(out)) {
                throw new health.vigil.error.ValidationException(out + " is a file; give --out a folder to copy the"
                        + " evidence into");
            }
            try (LocalAdapters local = open(home)) {
                AuditStore store = local.auditStore();
                ArtifactStore artifacts = local.artifactStore();
                AuditEvidence evidence = new AuditEvidence(store, new AuditLog(store, Clock.systemUTC()), artifacts,
                        local.auditSigner(), Clock.systemUTC());
                ExportResult result = evidence.export(from, to, operator());
                List<String> names = evidence.evidenceFor(result);
                copy(artifacts, names, out);
                System.out.println((result.created() ? "exported " : "already exported ") + result.count()
                        + " records: " + result.records() + ", digest " + result.digest() + ", signed by "
                        + result.keyId());
                if (result.count() == 0) {
                    System.out.println("note: the period holds no audit record (the days are UTC; check --from and --to)");
                }
                Path published = LocalAdapters.blobFolder(home.toAbsolutePath(), ArtifactStore.AUDIT_EXPORTS);
                List<String> keyIds = evidence.signingKeysOf(names);
                List<Path> keys = (keyIds.isEmpty() ? List.of(result.keyId()) : keyIds).stream()
                        .map(id -> published.resolve(EvidenceLayout.keyName(id))).toList();
                if (keys.size() == 1) {
                    System.out.println("evidence copied to " + out + "; verify it with: vigil audit verify " + out
                            + " --public-key <the published key, from a source you trust>; this platform publishes it"
                            + " as " + keys.get(0));
                } else {
                    // After a rotation the folder's older digests and anchors verify only with the older keys.
                    System.out.println("evidence copied to " + out + "; it is signed by " + keys.size() + " keys (the"
                            + " signing key was rotated), and verifying it needs each of them: vigil audit verify "
                            + out + " --public-key <key>".repeat(keys.size()) + ", with the published keys from a"
                            + " source you trust; this platform publishes them as " + keys.stream().map(Path::toString)
                            .collect(java.util.stream.Collectors.joining(" and ")));
                }
            }
            return 0;
        }
    }

    /** Verifies a folder of evidence with nothing but its files and the trusted public keys. */
    @Command(name = "verify", mixinStandardHelpOptions = true,
            description = "Verify exported audit evidence: records, chain, digests, anchors and signatures."
                    + " Exit code 0 when it verifies, 1 when it does not.")
    static final class Verify implements Callable<Integer> {
        @Parameters(index = "0", description = "The evidence folder (exports/, digests/, anchors/, keys/)")
        Path dir;

        @Option(names = "--public-key", description = "A trusted public key (PEM); repeat for keys before a rotation."
                + " Without it the keys in the folder are used, which only shows the evidence is self-consistent.")
        List<Path> publicKeys = new ArrayList<>();

        @Override
        public Integer call() throws IOException {
            if (!Files.isDirectory(dir)) {
                throw new ValidationException("'" + dir + "' is not a folder: give the folder 'vigil audit export'"
                        + " wrote, or a download of the audit-exports container");
            }
            List<PublicKey> keys = new ArrayList<>();
            List<Path> keyFiles = publicKeys;
            if (keyFiles.isEmpty()) {
                keyFiles = EvidenceFiles.folder(dir).list(EvidenceLayout.KEYS).stream().map(dir::resolve).toList();
                System.out.println("warning: no --public-key given; trusting the " + Words.count(keyFiles.size(), "key") + " in "
                        + dir.resolve(EvidenceLayout.KEYS) + ". Anyone who can write the folder can replace them:"
                        + " pass the key published with the exports to verify independently.");
            }
            for (Path file : keyFiles) {
                if (!Files.isRegularFile(file)) {
                    throw new ValidationException("'" + file + "' is not a file: give --public-key the PEM file of"
                            + " the key published with the exports");
                }
                // A few hundred bytes of ASCII: read no more than a key could be, and bytes that are not text make a
                // key that does not parse, said of this file (not a decoder's "Input length = 1").
                byte[] pem;
                try (InputStream in = Files.newInputStream(file)) {
                    pem = in.readNBytes(MAX_KEY_FILE_BYTES + 1);
                }
                String text = pem.length > MAX_KEY_FILE_BYTES ? "" : new String(pem, StandardCharsets.UTF_8);
                keys.add(SigningKeys.fromPem(text).orElseThrow(() -> new ValidationException("'"
                        + file + "' is not a PEM public key (-----BEGIN PUBLIC KEY-----)")));
            }
            EvidenceReport report = new EvidenceVerifier(keys).verify(EvidenceFiles.folder(dir));
            System.out.println("checked " + Words.count(report.anchors(), "anchor") + ", "
                    + Words.count(report.digests(), "digest") + ", " + Words.count(report.exports(), "export") + ", "
                    + Words.count(report.records(), "record"));
            // Notes and problems quote what the folder holds (file names, unsigned fields of forged files): shown with
            // control characters named, so a forged folder cannot clear the screen and print a VERIFIED of its own.
            report.notes().forEach(note -> System.out.println("note: " + TerminalText.shown(note)));
            if (report.valid() && report.exports() == 0) {
                // Signatures and links alone say nothing about records: an auditor must not read success here.
                System.out.println("NOTHING VERIFIED: no export file among these files was checked against its"
                        + " digest; verify the folder 'vigil audit export' wrote, with its exports/ folder");
                return 1;
            }
            if (report.valid()) {
                System.out.println("VERIFIED");
                return 0;
            }
            EvidenceReport.Problem problem = report.firstProblem();
            System.out.println("FAILED " + problem.kind() + " in " + TerminalText.shown(String.valueOf(problem.file()))
                    + (problem.line() > 0 ? " line " + problem.line() : "") + ": "
                    + TerminalText.shown(String.valueOf(problem.message())));
            return 1;
        }
    }

    /** Replaces the local signing key; the old public key stays published, so older evidence keeps verifying. */
    @Command(name = "rotate-key", mixinStandardHelpOptions = true,
            description = "Replace the local audit signing key pair and record the rotation in the audit log.")
    static final class RotateKey implements Callable<Integer> {
        @Option(names = "--home", defaultValue = RunningPlatform.HOME_DEFAULT,
            description = "Vigil home (default: $VIGIL_HOME, else .vigil)")
        Path home;

        @Override
        public Integer call() {
            try (LocalAdapters local = open(home)) {
                LocalAuditSigner signer = LocalAuditSigner.open(home.toAbsolutePath());
                String previous = SigningKeys.keyId(signer.publicKey());
                String next = SigningKeys.keyId(signer.rotate());
                new AuditLog(local.auditStore(), Clock.systemUTC()).record(operator(), "audit.signing-key.rotated",
                        "audit-signing-key", "rotated", Map.of("previousKeyId", previous, "keyId", next));
                System.out.println("rotated the audit signing key: " + previous + " -> " + next);
            }
            System.out.println("the new public key is published to " + ArtifactStore.AUDIT_EXPORTS + "/"
                    + EvidenceLayout.KEYS + " with the next anchor or export; give it to your auditors");
            return 0;
        }
    }

    /** The stores of a home that already holds an audit log: a mistyped path must not start an empty one. */
    static LocalAdapters open(Path home) {
        Path absolute = home.toAbsolutePath();
        if (!Files.isRegularFile(LocalAdapters.auditDatabase(absolute))) {
            throw new ValidationException("there is no audit log in '" + home + "': run the command where 'vigil up'"
                    + " keeps its data, or give that folder with --home");
        }
        return LocalAdapters.at(absolute, VigilConfig.PredictionLogDurability.DEFAULT);
    }

    /** Who runs the command, for the audit record: the operating system user. */
    static String operator() {
        return "local-operator:" + System.getProperty("user.name", "unknown");
    }

    /** Copies evidence blobs into {@code out} with owner-only folders and files, created that way. */
    static void copy(ArtifactStore artifacts, List<String> names, Path out) throws IOException {
        boolean posix = out.toAbsolutePath().getFileSystem().supportedFileAttributeViews().contains("posix");
        createFolder(out, posix);
        for (String name : names) {
            Path target = out.resolve(name).normalize();
            if (!target.startsWith(out.normalize())) {
                throw new IllegalStateException("evidence name " + name + " leaves the output folder");
            }
            createFolder(target.getParent(), posix);
            Path temp = Files.createTempFile(target.getParent(), ".copy-", ".tmp", attributes(OWNER_FILE, posix));
            // Written into the owner-only file created above: replacing it would recreate it with default rights.
            try (InputStream in = artifacts.open(ArtifactStore.AUDIT_EXPORTS, name);
                    java.io.OutputStream to = Files.newOutputStream(temp)) {
                in.transferTo(to);
                to.close();
                Files.move(temp, target, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(temp);
            }
        }
    }

    private static void createFolder(Path folder, boolean posix) throws IOException {
        if (folder.getParent() != null && !Files.isDirectory(folder.getParent())) {
            createFolder(folder.getParent(), posix);
        }
        try {
            Files.createDirectory(folder, attributes(OWNER_FOLDER, posix));
        } catch (FileAlreadyExistsException e) {
            // made earlier
        }
    }

    private static FileAttribute<?>[] attributes(String permissions, boolean posix) {
        return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(
                PosixFilePermissions.fromString(permissions))} : new FileAttribute<?>[0];
    }
}
