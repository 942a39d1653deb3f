package health.vigil.adapter.azure;

import com.azure.core.util.BinaryData;
import com.azure.storage.blob.BlobClient;
import com.azure.storage.blob.BlobContainerClient;
import com.azure.storage.blob.BlobServiceClient;
import com.azure.storage.blob.models.BlobErrorCode;
import com.azure.storage.blob.models.BlobHttpHeaders;
import com.azure.storage.blob.models.BlobItem;
import com.azure.storage.blob.models.BlobListDetails;
import com.azure.storage.blob.models.BlobProperties;
import com.azure.storage.blob.models.BlobRequestConditions;
import com.azure.storage.blob.models.BlobStorageException;
import com.azure.storage.blob.models.BlockBlobItem;
import com.azure.storage.blob.models.ListBlobsOptions;
import com.azure.storage.blob.options.BlockBlobCommitBlockListOptions;
import com.azure.storage.blob.specialized.BlockBlobClient;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.hash.Sha256;
import health.vigil.port.ArtifactStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Model packages, datasets and audit exports in Azure Blob Storage. Uploads stream in 4 MiB blocks while the sha256
 * is computed, and the block list is committed with the digest as blob metadata — so the hash is attached in the
 * same atomic step that makes the blob visible. Without {@code overwrite} the commit carries
 * {@code If-None-Match: *}: the service itself refuses to replace an existing blob, whoever raced to write it.
 */
final class BlobArtifactStore implements ArtifactStore {
    static final String SHA256_METADATA = "sha256";
    /** Who uploaded the blob through the control API; only the platform writes blobs (ADR 0010). */
    static final String UPLOADED_BY_METADATA = "vigiluploadedby";
    static final int BLOCK_SIZE = 4 * 1024 * 1024;
    static final Set<String> CONTAINERS = Set.of(MODELS, PACKAGES, DATASETS, OUTCOMES, AUDIT_EXPORTS, MONITORING,
            BATCH_INPUT, BATCH_OUTPUT, EVENT_DEADLETTER);
    private static final Pattern CONTAINER_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{1,61}[a-z0-9]");

    private final BlobServiceClient service;
    private static final String BLOB_STORAGE = "Blob Storage";
    private final int blockSize;

    BlobArtifactStore(BlobServiceClient service) {
        this(service, BLOCK_SIZE);
    }

    /** {@code blockSize} is smaller in tests, so multi-block uploads stay small. */
    BlobArtifactStore(BlobServiceClient service, int blockSize) {
        this.service = Objects.requireNonNull(service, "service");
        if (blockSize < 1) {
            throw new IllegalArgumentException("blockSize must be positive");
        }
        this.blockSize = blockSize;
    }

    /** Creates the containers where they are missing (emulators; in Azure the Bicep templates do it). */
    void createContainers() {
        for (String name : CONTAINERS) {
            try {
                service.getBlobContainerClient(name).createIfNotExists();
            } catch (BlobStorageException e) {
                throw translate("creating the blob container " + name, e);
            } catch (RuntimeException e) {
                throw AzureFailures.unreachable("creating the blob container " + name, BLOB_STORAGE, e);
            }
        }
    }

    @Override
    public StoredArtifact put(String container, String name, InputStream content, boolean overwrite,
            String uploadedBy) {
        return put(container, name, content, overwrite, uploadedBy, true);
    }

    /** Uploaded as {@link #put} uploads, with no sha256 computed or set in the metadata: described with none. */
    @Override
    public StoredArtifact putUndigested(String container, String name, InputStream content, boolean overwrite) {
        return put(container, name, content, overwrite, null, false);
    }

    private StoredArtifact put(String container, String name, InputStream content, boolean overwrite,
            String uploadedBy, boolean digested) {
        Objects.requireNonNull(content, "content");
        BlockBlobClient blob = blob(container, name).getBlockBlobClient();
        String where = container + "/" + name;
        if (!overwrite && exists(blob, where)) {
            // Refuse early rather than upload a large package only for the commit to be refused.
            throw alreadyExists(where);
        }
        return upload(blob, container, name, content, uploadedBy, digested,
                overwrite ? null : new BlobRequestConditions().setIfNoneMatch("*"), () -> alreadyExists(where));
    }

    /** The commit carries {@code If-Match}: Blob Storage itself refuses it when another write came first. */
    @Override
    public StoredArtifact replace(String container, String name, InputStream content, String ifMatch) {
        Objects.requireNonNull(content, "content");
        Objects.requireNonNull(ifMatch, "ifMatch");
        BlockBlobClient blob = blob(container, name).getBlockBlobClient();
        String where = container + "/" + name;
        return upload(blob, container, name, content, null, true, new BlobRequestConditions().setIfMatch(ifMatch),
                () -> changed(where));
    }

    private boolean exists(BlockBlobClient blob, String where) {
        try {
            return blob.exists();
        } catch (BlobStorageException e) {
            throw translate("checking " + where, e);
        } catch (RuntimeException e) {
            throw AzureFailures.unreachable("checking " + where, BLOB_STORAGE, e);
        }
    }

    private StoredArtifact upload(BlockBlobClient blob, String container, String name, InputStream content,
            String uploadedBy, boolean digested, BlobRequestConditions conditions,
            java.util.function.Supplier<ConflictException> refused) {
        String where = container + "/" + name;
        try {
            MessageDigest digest = digested ? Sha256.newDigest() : null;
            // Uncommitted blocks belong to the blob name, not to the upload: ids unique to this upload keep two
            // racing uploads of one name from committing each other's blocks.
            String upload = UUID.randomUUID().toString();
            List<String> blockIds = new ArrayList<>();
            byte[] buffer = new byte[blockSize];
            long size = 0;
            for (int filled; (filled = readFully(content, buffer)) > 0; ) {
                if (digest != null) {
                    digest.update(buffer, 0, filled);
                }
                String blockId = blockId(upload, blockIds.size());
                blob.stageBlock(blockId, BinaryData.fromBytes(java.util.Arrays.copyOf(buffer, filled)));
                blockIds.add(blockId);
                size += filled;
            }
            String sha256 = digest == null ? null : Sha256.hex(digest);
            BlockBlobCommitBlockListOptions commit = new BlockBlobCommitBlockListOptions(blockIds)
                    .setMetadata(metadata(sha256, uploadedBy))
                    .setHeaders(new BlobHttpHeaders().setContentType(contentType(name)));
            if (conditions != null) {
                commit.setRequestConditions(conditions);
            }
            BlockBlobItem item = blob.commitBlockListWithResponse(commit, null, null).getValue();
            return new StoredArtifact(container, name, size, sha256, item.getETag(), uploadedBy,
                    instant(item.getLastModified()));
        } catch (BlobStorageException e) {
            if (conditions != null && (e.getErrorCode() == BlobErrorCode.BLOB_ALREADY_EXISTS
                    || e.getErrorCode() == BlobErrorCode.CONDITION_NOT_MET || e.getStatusCode() == 409
                    || e.getStatusCode() == 412 || (e.getStatusCode() == 404
                    && e.getErrorCode() != BlobErrorCode.CONTAINER_NOT_FOUND))) {
                throw refused.get();
            }
            throw translate("uploading " + where, e);
        } catch (RuntimeException e) {
            throw AzureFailures.unreachable("uploading " + where, BLOB_STORAGE, e);
        }
    }

    @Override
    public InputStream open(String container, String name) {
        BlobClient blob = blob(container, name);
        try {
            // The stream is pinned to the blob's ETag: if the blob changed mid-read, reading fails instead of mixing.
            return blob.openInputStream();
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404) {
                throw new NotFoundException(ErrorCode.NOT_FOUND, "blob " + container + "/" + name + " does not exist");
            }
            throw translate("opening " + container + "/" + name, e);
        } catch (RuntimeException e) {
            throw AzureFailures.unreachable("opening " + container + "/" + name, BLOB_STORAGE, e);
        }
    }

    @Override
    public InputStream open(String container, String name, long offset) {
        BlobClient blob = blob(container, name);
        try {
            return blob.openInputStream(new com.azure.storage.blob.options.BlobInputStreamOptions()
                    .setRange(new com.azure.storage.blob.models.BlobRange(offset)));
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404) {
                throw new NotFoundException(ErrorCode.NOT_FOUND, "blob " + container + "/" + name + " does not exist");
            }
            throw translate("opening " + container + "/" + name + " from byte " + offset, e);
        } catch (RuntimeException e) {
            throw AzureFailures.unreachable("opening " + container + "/" + name + " from byte " + offset, BLOB_STORAGE,
                    e);
        }
    }

    /** The version is asked for on the read itself: Blob Storage answers 412 if the blob is another by then. */
    @Override
    public InputStream open(String container, String name, long offset, String ifMatch) {
        BlobClient blob = blob(container, name);
        try {
            return blob.openInputStream(new com.azure.storage.blob.options.BlobInputStreamOptions()
                    .setRange(new com.azure.storage.blob.models.BlobRange(offset)).setRequestConditions(
                            new com.azure.storage.blob.models.BlobRequestConditions().setIfMatch(ifMatch)));
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404 || e.getStatusCode() == 412) {
                // Some services answer a condition on a blob that is gone with 412 too: which it is, is asked.
                throw ArtifactStore.versionGone(container, name, describe(container, name).isPresent());
            }
            throw translate("opening " + container + "/" + name + " from byte " + offset, e);
        } catch (RuntimeException e) {
            throw AzureFailures.unreachable("opening " + container + "/" + name + " from byte " + offset, BLOB_STORAGE,
                    e);
        }
    }

    @Override
    public Optional<StoredArtifact> describe(String container, String name) {
        BlobClient blob = blob(container, name);
        try {
            BlobProperties p = blob.getProperties();
            return Optional.of(new StoredArtifact(container, name, p.getBlobSize(), sha256Of(p.getMetadata()), p.getETag(),
                    uploaderOf(p.getMetadata()), instant(p.getLastModified())));
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404 && e.getErrorCode() != BlobErrorCode.CONTAINER_NOT_FOUND) {
                return Optional.empty();
            }
            throw translate("describing " + container + "/" + name, e);
        } catch (RuntimeException e) {
            throw AzureFailures.unreachable("describing " + container + "/" + name, BLOB_STORAGE, e);
        }
    }

    @Override
    public void delete(String container, String name) {
        try {
            blob(container, name).deleteIfExists();
        } catch (BlobStorageException e) {
            throw translate("removing " + container + "/" + name, e);
        } catch (RuntimeException e) {
            throw AzureFailures.unreachable("removing " + container + "/" + name, BLOB_STORAGE, e);
        }
    }

    /** The removal carries {@code If-Match}: Blob Storage itself refuses it (412) when another write came first. */
    @Override
    public boolean delete(String container, String name, String ifMatch) {
        Objects.requireNonNull(ifMatch, "ifMatch");
        BlobClient blob = blob(container, name);
        String where = container + "/" + name;
        try {
            blob.deleteWithResponse(null, new BlobRequestConditions().setIfMatch(ifMatch), null,
                    com.azure.core.util.Context.NONE);
            return true;
        } catch (BlobStorageException e) {
            if (e.getStatusCode() == 404 && e.getErrorCode() != BlobErrorCode.CONTAINER_NOT_FOUND) {
                return false;
            }
            if (e.getStatusCode() == 412) {
                // Some services answer a condition on a blob that is gone with 412 too: which it is, is asked.
                if (describe(container, name).isEmpty()) {
                    return false;
                }
                throw ArtifactStore.changedSinceRead(container, name);
            }
            throw translate("removing " + where, e);
        } catch (RuntimeException e) {
            throw AzureFailures.unreachable("removing " + where, BLOB_STORAGE, e);
        }
    }

    @Override
    public List<StoredArtifact> list(String container, String prefix) {
        BlobContainerClient client = container(container);
        ListBlobsOptions options = new ListBlobsOptions()
                .setDetails(new BlobListDetails().setRetrieveMetadata(true));
        if (prefix != null && !prefix.isEmpty()) {
            options.setPrefix(prefix);
        }
        List<StoredArtifact> artifacts = new ArrayList<>();
        try {
            for (BlobItem item : client.listBlobs(options, null)) {
                artifacts.add(new StoredArtifact(container, item.getName(), item.getProperties().getContentLength(),
                        sha256Of(item.getMetadata()), item.getProperties().getETag(), uploaderOf(item.getMetadata()),
                        instant(item.getProperties().getLastModified())));
            }
        } catch (BlobStorageException e) {
            throw translate("listing " + container, e);
        } catch (RuntimeException e) {
            throw AzureFailures.unreachable("listing " + container, BLOB_STORAGE, e);
        }
        return artifacts;
    }

    private BlobContainerClient container(String container) {
        if (container == null || !CONTAINER_NAME.matcher(container).matches() || container.contains("--")) {
            throw new ValidationException("container '" + (container == null ? "" : container.length() > 64
                    ? container.substring(0, 64) + "..." : container) + "' is not valid: use 3-63 lower-case letters,"
                    + " digits and single hyphens, starting and ending with a letter or digit (Vigil's are "
                    + String.join(", ", new java.util.TreeSet<>(CONTAINERS)) + ")");
        }
        return service.getBlobContainerClient(container);
    }

    private BlobClient blob(String container, String name) {
        BlobContainerClient client = container(container);
        ArtifactStore.requireValidName(name);
        return client.getBlobClient(name);
    }

    private static Map<String, String> metadata(String sha256, String uploadedBy) {
        Map<String, String> metadata = new java.util.HashMap<>();
        if (sha256 != null) {
            metadata.put(SHA256_METADATA, sha256);
        }
        if (uploadedBy != null) {
            metadata.put(UPLOADED_BY_METADATA, uploadedBy);
        }
        return metadata;
    }

    private static String uploaderOf(Map<String, String> metadata) {
        return metadata == null ? null : metadata.get(UPLOADED_BY_METADATA);
    }

    private static String sha256Of(Map<String, String> metadata) {
        return metadata == null ? null : metadata.get(SHA256_METADATA);
    }

    private static Instant instant(OffsetDateTime time) {
        return time == null ? null : time.toInstant();
    }

    /** Block ids of one blob must all have the same length; base64 of a UUID and a zero-padded counter does. */
    static String blockId(String upload, int index) {
        return Base64.getEncoder().encodeToString(String.format("%s-%08d", upload, index).getBytes(StandardCharsets.US_ASCII));
    }

    private static int readFully(InputStream in, byte[] buffer) {
        int filled = 0;
        try {
            while (filled < buffer.length) {
                int n = in.read(buffer, filled, buffer.length - filled);
                if (n < 0) {
                    break;
                }
                filled += n;
            }
        } catch (IOException e) {
            // Nothing is committed yet, so no blob appears; staged blocks expire on their own.
            throw new StoreException("reading the content to upload failed (" + e.getClass().getSimpleName()
                    + "); nothing was stored, send it again", e);
        }
        return filled;
    }

    private static String contentType(String name) {
        if (name.endsWith(".zip")) {
            return "application/zip";
        }
        if (name.endsWith(".json") || name.endsWith(".jsonl")) {
            return "application/json";
        }
        if (name.endsWith(".csv")) {
            return "text/csv";
        }
        return "application/octet-stream";
    }

    private static ConflictException alreadyExists(String where) {
        return new ConflictException(ErrorCode.CONFLICT, "blob " + where + " already exists and is never overwritten;"
                + " upload under a new name");
    }

    private static ConflictException changed(String where) {
        return new ConflictException(ErrorCode.CONFLICT, "blob " + where + " changed or was removed since it was read;"
                + " read it again before replacing it");
    }

    private static StoreException translate(String what, BlobStorageException e) {
        int status = e.getStatusCode();
        String message;
        if (e.getErrorCode() == BlobErrorCode.CONTAINER_NOT_FOUND) {
            message = what + " failed: the container does not exist; deploy the Bicep templates, or set"
                    + " VIGIL_AZURE_CREATE_RESOURCES=true when running on Azurite";
        } else if (status == 401 || status == 403) {
            message = what + " was refused by Blob Storage (" + status + "): give the app's managed identity its role"
                    + " on the container ('Identities and roles' in docs/azure.md; the Bicep templates make them)";
        } else {
            message = what + " failed with Blob Storage status " + status + " (" + e.getErrorCode() + ") after retries";
        }
        return new StoreException(message, e);
    }
}
