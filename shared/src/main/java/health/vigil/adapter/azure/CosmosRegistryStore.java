package health.vigil.adapter.azure;

import com.azure.cosmos.CosmosContainer;
import com.azure.cosmos.CosmosException;
import com.azure.cosmos.models.CosmosItemIdentity;
import com.azure.cosmos.models.CosmosItemRequestOptions;
import com.azure.cosmos.models.CosmosItemResponse;
import com.azure.cosmos.models.PartitionKey;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.StoreException;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.hash.Sha256;
import health.vigil.model.CanaryRecord;
import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import health.vigil.port.RegistryStore;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.function.IntFunction;

/**
 * The model registry in the Cosmos DB container {@code models}, partitioned by {@code /modelName}: per model one
 * document per version ({@code version-<n>}), one {@code deployment} document, one {@code counter} document and one
 * document per canary version ({@code canary-<n>}: the last state of its ramp).
 * Every read on a hot path is a point read or a read of one model's partition; the list of models is a catalog
 * document, so nothing needs a cross-partition query. Updates are conditional on the ETag the caller read.
 *
 * <p>Version numbers: the version document's create is the claim — Cosmos DB lets only one writer create
 * {@code version-<n>}, the others get 409 and try {@code n + 1}. The counter document is a hint of the last number,
 * advanced with ETag-conditional replaces, so a new version normally costs one read and two writes, and a writer that
 * died between the two writes leaves no gap and no duplicate.
 */
final class CosmosRegistryStore implements RegistryStore {
    static final String CONTAINER = "models";
    static final String PARTITION_PROPERTY = "modelName";
    static final String TYPE_VERSION = "version";
    static final String TYPE_DEPLOYMENT = "deployment";
    static final String TYPE_COUNTER = "counter";
    static final String TYPE_EVENT_HANDLED = "event-handled";
    static final String TYPE_PACKAGE_CLAIM = "package-claim";
    static final String TYPE_CANARY = "canary";
    /** A claim still without its version after this long belongs to a writer that died; another may take it over. */
    static final java.time.Duration CLAIM_TAKEOVER = java.time.Duration.ofSeconds(60);
    static final String DEPLOYMENT_ID = "deployment";
    static final String COUNTER_ID = "counter";
    /** Items per readMany call. */
    private static final int IDS_PER_READ = 100;
    /** Partition values that cannot be model names (those start with a letter), so they never clash with one. */
    static final String CATALOG_PARTITION = "_catalog";
    static final String EVENTS_PARTITION_PREFIX = "_events:";
    private static final String PACKAGE_SHA256 = "packageSha256";
    private static final String LAST = "last";
    private static final String REVISION = "revision";
    private static final int MAX_ATTEMPTS = 1000;

    private final CosmosContainer container;
    private final CosmosStringSet catalog;

    CosmosRegistryStore(CosmosContainer container) {
        this.container = Objects.requireNonNull(container, "container");
        this.catalog = new CosmosStringSet(container, PARTITION_PROPERTY, CATALOG_PARTITION, "models");
    }

    static String versionId(int version) {
        return "version-" + version;
    }

    /**
     * {@inheritDoc}
     *
     * <p>{@code factory} may be called more than once (once per number tried), so it must only build the record.
     */
    @Override
    public NewVersion createVersionOnce(ModelName model, IntFunction<VersionRecord> factory) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(factory, "factory");
        PartitionKey pk = new PartitionKey(model.value());
        ObjectNode counter = CosmosDocuments.readOrNull(container, COUNTER_ID, pk, "reading the version counter of " + model);
        if (counter == null) {
            // Listed before its first version exists: a crash in between shows a model with no versions, never
            // versions of an unlisted model.
            catalog.add(model.value());
        }
        int next = (counter == null ? 0 : counter.path(LAST).asInt()) + 1;
        String packageSha256 = built(model, factory, next).packageSha256();
        ObjectNode claim = null;
        if (packageSha256 != null) {
            PackageClaim outcome = claimPackage(model, pk, packageSha256);
            if (outcome.existing() != null) {
                return new NewVersion(outcome.existing(), false);
            }
            claim = outcome.claim();
        }
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++, next++) {
            VersionRecord record = built(model, factory, next);
            ObjectNode doc = versionDocument(record);
            try {
                CosmosItemResponse<ObjectNode> created = container.createItem(doc, pk, new CosmosItemRequestOptions());
                advanceCounter(model, pk, next, counter);
                if (claim != null) {
                    settleClaim(pk, claim, next);
                }
                // Created under this writer's claim on the package (the create is atomic): no other writer of the
                // package gets here, they find the version the claim names.
                return new NewVersion(record.withEtag(created.getETag()), true);
            } catch (CosmosException e) {
                if (e.getStatusCode() != 409) {
                    throw CosmosFailures.translate("registering version " + next + " of " + model, e);
                }
                // Another writer holds this number: the next one is ours to try.
            }
        }
        throw new StoreException("no free version number for " + model + " after " + MAX_ATTEMPTS + " attempts", null);
    }

    private static VersionRecord built(ModelName model, IntFunction<VersionRecord> factory, int number) {
        VersionRecord record = factory.apply(number);
        if (record == null || !model.equals(record.modelName()) || record.version() != number) {
            throw new VigilException(ErrorCode.INTERNAL, "the registry assigned " + model + ":" + number
                    + " but the version factory built " + (record == null ? "nothing" : record.id().toString())
                    + "; the factory must build the record for the number it is given");
        }
        return record;
    }

    /** Either the version an earlier registration of the package made, or the claim this writer now holds. */
    private record PackageClaim(VersionRecord existing, ObjectNode claim) {}

    /**
     * One package is one version: before numbering, the writer creates {@code package-<sha256>} in the model's
     * partition (a create is atomic, so of two writers announcing the same package exactly one gets it). The
     * loser reads the claim and returns the version it names, waiting while the winner is between its two
     * writes. A claim left without a version by a writer that died is taken over after {@link #CLAIM_TAKEOVER},
     * once a look at the versions shows the package really was not registered.
     */
    private PackageClaim claimPackage(ModelName model, PartitionKey pk, String packageSha256) {
        String id = "package-" + packageSha256;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            ObjectNode mine = CosmosDocuments.document(id, PARTITION_PROPERTY, model.value(), TYPE_PACKAGE_CLAIM);
            mine.put("version", 0);
            mine.put("claimedAt", java.time.Instant.now().toString());
            try {
                return new PackageClaim(null, withEtag(mine, container.createItem(mine, pk, new CosmosItemRequestOptions())));
            } catch (CosmosException e) {
                if (e.getStatusCode() != 409) {
                    throw CosmosFailures.translate("claiming package " + packageSha256 + " of " + model, e);
                }
            }
            ObjectNode theirs = CosmosDocuments.readOrNull(container, id, pk, "reading the claim of a package of " + model);
            if (theirs == null) {
                continue;
            }
            int version = theirs.path("version").asInt(0);
            if (version > 0) {
                Optional<VersionRecord> registered = findVersion(model, version);
                if (registered.isPresent()) {
                    return new PackageClaim(registered.get(), null);
                }
            }
            java.time.Instant claimedAt = java.time.Instant.parse(theirs.path("claimedAt").asText("1970-01-01T00:00:00Z"));
            if (claimedAt.plus(CLAIM_TAKEOVER).isBefore(java.time.Instant.now())) {
                Optional<VersionRecord> registered = findByPackageSha256(model, packageSha256);
                if (registered.isPresent()) {
                    settleClaim(pk, theirs, registered.get().version());
                    return new PackageClaim(registered.get(), null);
                }
                try {
                    return new PackageClaim(null, withEtag(mine, container.replaceItem(mine, id, pk,
                            new CosmosItemRequestOptions().setIfMatchETag(CosmosDocuments.etag(theirs)))));
                } catch (CosmosException e) {
                    if (e.getStatusCode() != 412 && e.getStatusCode() != 404) {
                        throw CosmosFailures.translate("taking over the claim of a package of " + model, e);
                    }
                }
            }
            CosmosStringSet.backOff(attempt);
        }
        throw new StoreException("package " + packageSha256 + " of " + model + " stayed claimed without a version; "
                + "try again later", null);
    }

    /** The document as written, with the etag the write answered (writes return no content). */
    private static ObjectNode withEtag(ObjectNode written, CosmosItemResponse<ObjectNode> response) {
        ObjectNode copy = written.deepCopy();
        copy.put(CosmosDocuments.ETAG, response.getETag());
        return copy;
    }

    /** Records in the claim which version the package got; a lost update is harmless (the version names it too). */
    private void settleClaim(PartitionKey pk, ObjectNode claim, int version) {
        ObjectNode settled = claim.deepCopy();
        settled.put("version", version);
        try {
            container.replaceItem(settled, settled.path("id").asText(), pk,
                    new CosmosItemRequestOptions().setIfMatchETag(CosmosDocuments.etag(claim)));
        } catch (CosmosException e) {
            if (e.getStatusCode() != 412 && e.getStatusCode() != 404) {
                throw CosmosFailures.translate("recording the version of a package claim", e);
            }
        }
    }

    /**
     * Moves the counter forward to {@code version}; never backwards, and a lost race is fine if the winner got
     * further. The first attempt reuses the counter read at the start (saving a round trip); only a lost race
     * reads it again.
     */
    private void advanceCounter(ModelName model, PartitionKey pk, int version, ObjectNode readBefore) {
        ObjectNode known = readBefore;
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            ObjectNode counter = attempt == 1 ? known
                    : CosmosDocuments.readOrNull(container, COUNTER_ID, pk, "reading the version counter of " + model);
            if (counter != null && counter.path(LAST).asInt() >= version) {
                return;
            }
            ObjectNode next = CosmosDocuments.document(COUNTER_ID, PARTITION_PROPERTY, model.value(), TYPE_COUNTER);
            next.put(LAST, version);
            try {
                if (counter == null) {
                    container.createItem(next, pk, new CosmosItemRequestOptions());
                } else {
                    container.replaceItem(next, COUNTER_ID, pk,
                            new CosmosItemRequestOptions().setIfMatchETag(CosmosDocuments.etag(counter)));
                }
                return;
            } catch (CosmosException e) {
                if (e.getStatusCode() != 409 && e.getStatusCode() != 412) {
                    throw CosmosFailures.translate("advancing the version counter of " + model, e);
                }
                CosmosStringSet.backOff(attempt);
            }
        }
        // The version itself is stored; a stale counter only costs the next writer one extra attempt.
    }

    @Override
    public Optional<VersionRecord> findVersion(ModelName model, int version) {
        ObjectNode doc = CosmosDocuments.readOrNull(container, versionId(version), new PartitionKey(model.value()),
                "reading version " + version + " of " + model);
        return Optional.ofNullable(doc).map(CosmosRegistryStore::toVersion);
    }

    @Override
    public Optional<VersionRecord> findByPackageSha256(ModelName model, String packageSha256) {
        Objects.requireNonNull(packageSha256, "packageSha256");
        return versionDocuments(model).stream()
                .filter(doc -> packageSha256.equals(doc.path(PACKAGE_SHA256).asText(null)))
                .map(CosmosRegistryStore::toVersion)
                .min(Comparator.comparingInt(VersionRecord::version));
    }

    @Override
    public List<VersionRecord> listVersions(ModelName model) {
        return versionDocuments(model).stream()
                .map(CosmosRegistryStore::toVersion)
                .sorted(Comparator.comparingInt(VersionRecord::version))
                .toList();
    }

    /**
     * {@inheritDoc}
     *
     * <p>A model enters the catalog before its first version is written, so that no version is ever of an unlisted
     * model; until that version exists (a first registration still running, or one that failed) it is left out, as
     * the SQLite store never lists it. A model has a version once its counter exists, or, before the counter's first
     * write, its version 1 (version numbers start at 1 and another writer takes 2 only when 1 exists).
     */
    @Override
    public List<ModelName> listModels() {
        SortedSet<String> catalogued = catalog.read();
        Set<String> registered = modelsHolding(catalogued, COUNTER_ID);
        List<String> unsure = catalogued.stream().filter(m -> !registered.contains(m)).toList();
        registered.addAll(modelsHolding(unsure, versionId(1)));
        return catalogued.stream().filter(registered::contains).map(ModelName::new).toList();
    }

    /** Which of these models' partitions hold a document with this id: one readMany per hundred models. */
    private Set<String> modelsHolding(Collection<String> models, String id) {
        List<CosmosItemIdentity> ids = models.stream()
                .map(m -> new CosmosItemIdentity(new PartitionKey(m), id)).toList();
        Set<String> holding = new HashSet<>();
        for (int from = 0; from < ids.size(); from += IDS_PER_READ) {
            List<CosmosItemIdentity> chunk = ids.subList(from, Math.min(ids.size(), from + IDS_PER_READ));
            try {
                for (ObjectNode doc : container.readMany(chunk, ObjectNode.class).getResults()) {
                    holding.add(doc.path(PARTITION_PROPERTY).asText());
                }
            } catch (CosmosException e) {
                throw CosmosFailures.translate("listing the registered models", e);
            }
        }
        return holding;
    }

    @Override
    public VersionRecord updateVersion(VersionRecord record) {
        Objects.requireNonNull(record, "record");
        if (record.etag() == null) {
            throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "version " + record.id() + " has no etag:"
                    + " read it from the registry, change that copy, and update it");
        }
        PartitionKey pk = new PartitionKey(record.modelName().value());
        try {
            CosmosItemResponse<ObjectNode> replaced = container.replaceItem(versionDocument(record),
                    versionId(record.version()), pk, new CosmosItemRequestOptions().setIfMatchETag(record.etag()));
            return record.withEtag(replaced.getETag());
        } catch (CosmosException e) {
            if (e.getStatusCode() == 412) {
                throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "version " + record.id()
                        + " was changed by someone else since it was read; read it again and retry");
            }
            if (CosmosDocuments.isMissingItem(e)) {
                throw new NotFoundException(ErrorCode.VERSION_NOT_FOUND, "version " + record.id() + " does not exist");
            }
            throw CosmosFailures.translate("updating version " + record.id(), e);
        }
    }

    @Override
    public Optional<Deployment> findDeployment(ModelName model) {
        ObjectNode doc = CosmosDocuments.readOrNull(container, DEPLOYMENT_ID, new PartitionKey(model.value()), "reading the deployment of " + model);
        return Optional.ofNullable(doc).map(d -> {
            Deployment stored = CosmosDocuments.body(d, Deployment.class);
            return stored.withEtag(CosmosDocuments.etag(d));
        });
    }

    @Override
    public Deployment saveDeployment(Deployment deployment) {
        Objects.requireNonNull(deployment, "deployment");
        ModelName model = deployment.modelName();
        PartitionKey pk = new PartitionKey(model.value());
        ObjectNode doc = CosmosDocuments.withBody(
                CosmosDocuments.document(DEPLOYMENT_ID, PARTITION_PROPERTY, model.value(), TYPE_DEPLOYMENT),
                deployment.withEtag(null));
        try {
            CosmosItemResponse<ObjectNode> written = deployment.etag() == null
                    ? container.createItem(doc, pk, new CosmosItemRequestOptions())
                    : container.replaceItem(doc, DEPLOYMENT_ID, pk,
                            new CosmosItemRequestOptions().setIfMatchETag(deployment.etag()));
            return deployment.withEtag(written.getETag());
        } catch (CosmosException e) {
            boolean lostRace = e.getStatusCode() == 409 || e.getStatusCode() == 412
                    || CosmosDocuments.isMissingItem(e);
            if (lostRace) {
                throw new ConflictException(ErrorCode.CONCURRENT_MODIFICATION, "the deployment of " + model
                        + " was changed by someone else since it was read; read it again and retry");
            }
            throw CosmosFailures.translate("saving the deployment of " + model, e);
        }
    }

    @Override
    public CanaryRecord keepCanary(CanaryRecord record) {
        Objects.requireNonNull(record, "record");
        ModelName model = record.modelName();
        PartitionKey pk = new PartitionKey(model.value());
        String id = canaryId(record.version());
        for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
            ObjectNode kept = CosmosDocuments.readOrNull(container, id, pk, "reading the canary of " + model + ":"
                    + record.version());
            if (kept != null && kept.path(REVISION).asLong() >= record.revision()) {
                return CosmosDocuments.body(kept, CanaryRecord.class);
            }
            ObjectNode doc = CosmosDocuments.document(id, PARTITION_PROPERTY, model.value(), TYPE_CANARY);
            doc.put(REVISION, record.revision());
            CosmosDocuments.withBody(doc, record);
            try {
                // Conditional on what was read: of two writers, the one that read a replaced document tries again.
                if (kept == null) {
                    container.createItem(doc, pk, new CosmosItemRequestOptions());
                } else {
                    container.replaceItem(doc, id, pk,
                            new CosmosItemRequestOptions().setIfMatchETag(CosmosDocuments.etag(kept)));
                }
                return record;
            } catch (CosmosException e) {
                if (e.getStatusCode() != 409 && e.getStatusCode() != 412 && !CosmosDocuments.isMissingItem(e)) {
                    throw CosmosFailures.translate("keeping the canary of " + model + ":" + record.version(), e);
                }
                CosmosStringSet.backOff(attempt);
            }
        }
        throw new StoreException("the canary of " + model + ":" + record.version() + " kept changing while it was"
                + " being kept; try again", null);
    }

    @Override
    public Optional<CanaryRecord> findCanary(ModelName model, int version) {
        ObjectNode doc = CosmosDocuments.readOrNull(container, canaryId(version), new PartitionKey(model.value()),
                "reading the canary of " + model + ":" + version);
        return Optional.ofNullable(doc).map(d -> CosmosDocuments.body(d, CanaryRecord.class));
    }

    @Override
    public List<CanaryRecord> listCanaries(ModelName model) {
        return CosmosDocuments.readPartition(container, model.value(), TYPE_CANARY, "listing the canaries of " + model)
                .stream()
                .map(d -> CosmosDocuments.body(d, CanaryRecord.class))
                .sorted(Comparator.comparingLong(CanaryRecord::revision).reversed())
                .toList();
    }

    static String canaryId(int version) {
        return "canary-" + version;
    }

    @Override
    public boolean markEventHandled(String handler, String eventId) {
        ObjectNode doc = CosmosDocuments.document(eventDocumentId(handler, eventId), PARTITION_PROPERTY,
                EVENTS_PARTITION_PREFIX + handler, TYPE_EVENT_HANDLED);
        doc.put("handler", handler);
        doc.put("eventId", eventId);
        try {
            container.createItem(doc, new PartitionKey(EVENTS_PARTITION_PREFIX + handler), new CosmosItemRequestOptions());
            return true;
        } catch (CosmosException e) {
            if (e.getStatusCode() == 409) {
                return false;
            }
            throw CosmosFailures.translate("recording that " + handler + " handled an event", e);
        }
    }

    @Override
    public boolean isEventHandled(String handler, String eventId) {
        return CosmosDocuments.readOrNull(container, eventDocumentId(handler, eventId), new PartitionKey(EVENTS_PARTITION_PREFIX + handler),
                "checking whether " + handler + " handled an event") != null;
    }

    /** Event ids come from outside and may hold characters Cosmos DB ids cannot: the id is their hash. */
    static String eventDocumentId(String handler, String eventId) {
        if (handler == null || handler.isBlank() || eventId == null || eventId.isBlank()) {
            throw new ValidationException("an event marker needs a handler name and an event id");
        }
        return Sha256.hex(handler + "\n" + eventId);
    }

    private List<ObjectNode> versionDocuments(ModelName model) {
        List<ObjectNode> docs = new ArrayList<>();
        try {
            for (ObjectNode doc : container.readAllItems(new PartitionKey(model.value()), ObjectNode.class)) {
                if (TYPE_VERSION.equals(CosmosDocuments.type(doc))) {
                    docs.add(doc);
                }
            }
        } catch (CosmosException e) {
            throw CosmosFailures.translate("listing the versions of " + model, e);
        }
        return docs;
    }


    private static ObjectNode versionDocument(VersionRecord record) {
        ObjectNode doc = CosmosDocuments.document(versionId(record.version()), PARTITION_PROPERTY,
                record.modelName().value(), TYPE_VERSION);
        doc.put("version", record.version());
        if (record.packageSha256() != null) {
            doc.put(PACKAGE_SHA256, record.packageSha256());
        }
        return CosmosDocuments.withBody(doc, record.withEtag(null));
    }

    private static VersionRecord toVersion(ObjectNode doc) {
        return CosmosDocuments.body(doc, VersionRecord.class).withEtag(CosmosDocuments.etag(doc));
    }

}
