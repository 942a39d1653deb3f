package health.vigil.audit;

import health.vigil.port.ArtifactStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The files of audit evidence as a verifier sees them, by their names in {@link EvidenceLayout}: a folder an
 * auditor received, or the {@code audit-exports} container itself.
 */
public interface EvidenceFiles {

    /** The names under {@code prefix} (such as {@code digests/}), sorted. */
    List<String> list(String prefix);

    /** Opens a file; empty when there is none of that name. */
    Optional<InputStream> open(String name);

    /** The evidence in a folder laid out as {@link EvidenceLayout} describes. */
    static EvidenceFiles folder(Path root) {
        return new EvidenceFiles() {
            @Override
            public List<String> list(String prefix) {
                Path dir = root.resolve(prefix);
                if (!Files.isDirectory(dir)) {
                    return List.of();
                }
                // Every file under the prefix, in subfolders too, as a container's listing by prefix has them: a
                // copy of an export tucked into a subfolder is listed, and must be named by a digest like any other.
                try (Stream<Path> files = Files.walk(dir)) {
                    return files.filter(Files::isRegularFile)
                            .map(p -> prefix + dir.relativize(p).toString().replace(java.io.File.separatorChar, '/'))
                            .sorted().toList();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot list " + dir, e);
                }
            }

            @Override
            public Optional<InputStream> open(String name) {
                Path path = root.resolve(name);
                if (Files.exists(path) && !Files.isRegularFile(path)) {
                    // Never opened: a pipe would block the verifier for good and a device (or a link to one) feed
                    // it without end; a folder cannot be read. The file is named, so the folder can be mended.
                    throw new UncheckedIOException(new IOException(name + " in " + root + " is not a regular file"
                            + " (a folder, a pipe, a device or a link to one): evidence files are plain files"));
                }
                try {
                    return Optional.of(Files.newInputStream(path));
                } catch (NoSuchFileException e) {
                    return Optional.empty();
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read " + root.resolve(name), e);
                }
            }
        };
    }

    /** The evidence in the {@code audit-exports} container. */
    static EvidenceFiles container(ArtifactStore artifacts) {
        return new EvidenceFiles() {
            @Override
            public List<String> list(String prefix) {
                return artifacts.list(ArtifactStore.AUDIT_EXPORTS, prefix).stream()
                        .map(ArtifactStore.StoredArtifact::name).sorted().toList();
            }

            @Override
            public Optional<InputStream> open(String name) {
                if (artifacts.describe(ArtifactStore.AUDIT_EXPORTS, name).isEmpty()) {
                    return Optional.empty();
                }
                return Optional.of(artifacts.open(ArtifactStore.AUDIT_EXPORTS, name));
            }
        };
    }
}
