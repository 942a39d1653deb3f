package health.vigil.adapter.local;

import health.vigil.error.StoreException;
import health.vigil.port.AuditSigner;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The local evidence-signing key: an ECDSA P-256 key pair generated on first use in
 * {@code {home}/secrets/audit-signing/signing-key} (folder 0700, file 0600, both created with those permissions
 * so the private key is never readable by others, not even for a moment). The file holds the private key
 * (PKCS#8) and the public key (X.509), base64, one per line. {@link #rotate} replaces the pair atomically; a
 * running platform notices the new file on its next signature. Only the public half ever leaves this class.
 */
public final class LocalAuditSigner implements AuditSigner {
    public static final String FOLDER = "audit-signing";
    public static final String KEY_FILE = "signing-key";
    private static final Set<PosixFilePermission> OWNER_FILE = PosixFilePermissions.fromString("rw-------");
    private static final Set<PosixFilePermission> OWNER_FOLDER = PosixFilePermissions.fromString("rwx------");

    private final Path folder;
    private final Path file;
    private final boolean posix;
    private Loaded loaded;

    private record Loaded(PrivateKey privateKey, byte[] publicKeyDer, FileTime modified, Object fileKey) {}

    private LocalAuditSigner(Path home) {
        this.folder = home.resolve(FileSecretProvider.FOLDER).resolve(FOLDER);
        this.file = folder.resolve(KEY_FILE);
        this.posix = home.getFileSystem().supportedFileAttributeViews().contains("posix");
    }

    /** The signer of the home at {@code home}; the key pair is generated on the first signature. */
    public static LocalAuditSigner open(Path home) {
        Objects.requireNonNull(home, "home");
        return new LocalAuditSigner(home.toAbsolutePath());
    }

    @Override
    public synchronized Signature sign(byte[] data) {
        Loaded key = current();
        try {
            java.security.Signature signer = java.security.Signature.getInstance("SHA256withECDSAinP1363Format");
            signer.initSign(key.privateKey());
            signer.update(data);
            return new Signature(key.publicKeyDer(), signer.sign());
        } catch (GeneralSecurityException e) {
            throw new StoreException("signing audit evidence with the local key failed", e);
        }
    }

    /** The public half of the current key (X.509 DER), generating the pair if there is none yet. */
    public synchronized byte[] publicKey() {
        return current().publicKeyDer().clone();
    }

    /**
     * Replaces the key pair with a new one and returns the new public key. Evidence signed before keeps
     * verifying with the old public key, which stays published beside the exports.
     */
    public synchronized byte[] rotate() {
        try {
            createFolder();
            Path temp = writeNewPair();
            Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            loaded = null;
            return current().publicKeyDer().clone();
        } catch (IOException e) {
            throw new StoreException("cannot write a new audit signing key in " + folder, e);
        }
    }

    private Loaded current() {
        try {
            if (!Files.exists(file)) {
                create();
            }
            var attributes = Files.readAttributes(file, java.nio.file.attribute.BasicFileAttributes.class);
            if (loaded != null && loaded.modified().equals(attributes.lastModifiedTime())
                    && Objects.equals(loaded.fileKey(), attributes.fileKey())) {
                return loaded;
            }
            loaded = read(attributes.lastModifiedTime(), attributes.fileKey());
            return loaded;
        } catch (IOException e) {
            throw new StoreException("cannot read or create the audit signing key " + file + ": check that the"
                    + " folder belongs to this user", e);
        }
    }

    private Loaded read(FileTime modified, Object fileKey) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        try {
            byte[] privateDer = Base64.getDecoder().decode(lines.get(0).trim());
            byte[] publicDer = Base64.getDecoder().decode(lines.get(1).trim());
            KeyFactory factory = KeyFactory.getInstance("EC");
            PrivateKey privateKey = factory.generatePrivate(new PKCS8EncodedKeySpec(privateDer));
            PublicKey publicKey = factory.generatePublic(new X509EncodedKeySpec(publicDer));
            checkPair(privateKey, publicKey);
            return new Loaded(privateKey, publicKey.getEncoded(), modified, fileKey);
        } catch (IndexOutOfBoundsException | IllegalArgumentException | GeneralSecurityException e) {
            // The key material is not quoted: the message names the file only.
            throw new StoreException("the audit signing key " + file + " is damaged; restore it from a backup or"
                    + " rotate the key ('vigil audit rotate-key'); evidence already signed keeps verifying with the"
                    + " published public keys", null);
        }
    }

    private static void checkPair(PrivateKey privateKey, PublicKey publicKey) throws GeneralSecurityException {
        byte[] probe = "vigil-audit-signing-key-check".getBytes(StandardCharsets.US_ASCII);
        java.security.Signature s = java.security.Signature.getInstance("SHA256withECDSAinP1363Format");
        s.initSign(privateKey);
        s.update(probe);
        byte[] signature = s.sign();
        s.initVerify(publicKey);
        s.update(probe);
        if (!s.verify(signature)) {
            throw new GeneralSecurityException("the public key does not belong to the private key");
        }
    }

    /** Links a new pair into place; if another process created one first, that pair wins. */
    private void create() throws IOException {
        createFolder();
        Path temp = writeNewPair();
        try {
            Files.createLink(file, temp);
        } catch (FileAlreadyExistsException e) {
            // another caller's key is in place; it is the one everybody uses
        } finally {
            try {
                Files.deleteIfExists(temp);
            } catch (NoSuchFileException ignored) {
                // already gone
            }
        }
    }

    private Path writeNewPair() throws IOException {
        KeyPair pair;
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
            generator.initialize(new ECGenParameterSpec("secp256r1"));
            pair = generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JVM cannot generate P-256 keys", e);
        }
        String content = Base64.getEncoder().encodeToString(pair.getPrivate().getEncoded()) + "\n"
                + Base64.getEncoder().encodeToString(pair.getPublic().getEncoded()) + "\n";
        Path temp = Files.createTempFile(folder, ".signing-key-", ".tmp", attributes(OWNER_FILE));
        Files.writeString(temp, content, StandardCharsets.US_ASCII);
        try (var channel = java.nio.channels.FileChannel.open(temp, java.nio.file.StandardOpenOption.WRITE)) {
            channel.force(true);
        }
        return temp;
    }

    private void createFolder() throws IOException {
        Path secrets = folder.getParent();
        Files.createDirectories(secrets.getParent());
        for (Path dir : List.of(secrets, folder)) {
            try {
                Files.createDirectory(dir, attributes(OWNER_FOLDER));
            } catch (FileAlreadyExistsException e) {
                // made earlier
            }
        }
    }

    private FileAttribute<?>[] attributes(Set<PosixFilePermission> permissions) {
        return posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(permissions)}
                : new FileAttribute<?>[0];
    }
}
