package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.storage.queue.QueueClient;
import com.azure.storage.queue.QueueClientBuilder;
import com.azure.storage.queue.QueueMessageEncoding;
import com.azure.storage.queue.models.QueueMessageItem;
import health.vigil.adapter.azure.AzureAdapters;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.approval.ApprovalService;
import health.vigil.audit.ExportResult;
import health.vigil.config.VigilConfig;
import health.vigil.deployment.DeploymentService;
import health.vigil.error.VigilException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.hash.Sha256;
import health.vigil.host.SystemKeys;
import health.vigil.json.Json;
import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.model.AuditRecord;
import health.vigil.model.Manifest;
import health.vigil.model.Stage;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.EventPublisher;
import health.vigil.port.WorkQueue;
import health.vigil.registry.RegistrationService;
import health.vigil.scoring.batch.BatchStatus;
import health.vigil.testing.emulators.AzureEmulators;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import java.io.ByteArrayInputStream;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * At-least-once delivery against the Azure adapters: two platform instances (two Functions hosts, as a scaled-out app
 * runs them) share one Cosmos DB server, one Azurite and one Storage queue, and each piece of work reaches both at
 * once, as Event Grid, Storage queues and timers on several instances deliver it. Every decision must be made once:
 * one version, one job, one audit record and one event per decision, the chain intact, and no 5xx. Skipped, with the
 * reason, where Node.js is missing.
 */
@ExtendWith(AzureEmulators.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AtLeastOnceDeliveryOnAzureEmulatorsIT {
    private static final String MODEL = SampleModels.READMISSION_NAME;
    /** Who put the files into storage: a pipeline, not the approver who signs what it uploaded. */
    private static final String UPLOADER = "os-user:model-pipeline";

    private final List<VigilEvent> published = new CopyOnWriteArrayList<>();
    private final List<Path> homes = new ArrayList<>();
    private final List<LocalPlatform> instances = new ArrayList<>();
    private AzureAdapters queueAccount;
    private QueueClient partitions;
    private ExecutorService pool;
    private Path scratch;
    private int approved;
    private String twiceDelivered;

    @BeforeAll
    void start() throws Exception {
        Map<String, String> settings = new HashMap<>();
        settings.put("VIGIL_MODE", "azure");
        settings.put("VIGIL_AZURE_COSMOS_ENDPOINT", AzureEmulators.cosmos().endpoint());
        settings.put("VIGIL_AZURE_COSMOS_KEY", AzureEmulators.cosmos().key());
        settings.put("VIGIL_AZURE_COSMOS_CONNECTION_MODE", "gateway");
        settings.put("VIGIL_AZURE_COSMOS_DATABASE", "at-least-once-" + UUID.randomUUID().toString().substring(0, 8));
        // One storage account: Azurite's Blob and Queue services.
        settings.put("VIGIL_AZURE_STORAGE_CONNECTION_STRING", AzureEmulators.azurite().connectionString()
                + "QueueEndpoint=" + AzureEmulators.azuriteQueue().queueEndpoint() + ";");
        settings.put("VIGIL_AZURE_CREATE_RESOURCES", "true");
        scratch = Files.createTempDirectory("vigil-at-least-once-scratch-");
        Path first = Files.createTempDirectory("vigil-at-least-once-a-");
        settings.put("VIGIL_HOME", first.toString());
        queueAccount = AzureAdapters.create(VigilConfig.fromEnvironment(settings));
        WorkQueue storageQueue = queueAccount.workQueue();
        // The keys, the pseudonymisation key and the audit signing key are one set for the app, as Key Vault and
        // Entra ID hold them in Azure.
        LocalAdapters files = LocalAdapters.at(first, VigilConfig.fromEnvironment(settings).predictionLogDurability());
        pool = Executors.newCachedThreadPool();
        for (int i = 0; i < 2; i++) {
            Path home = i == 0 ? first : Files.createTempDirectory("vigil-at-least-once-b-");
            settings.put("VIGIL_HOME", home.toString());
            AtomicReference<EventPublisher> bus = new AtomicReference<>();
            LocalPlatform instance = LocalPlatform.start(VigilConfig.fromEnvironment(settings), 0, b -> b
                    .secretProvider(files.secretProvider())
                    .auditSigner(files.auditSigner())
                    .authenticator(files.authenticator())
                    .workQueue(storageQueue)
                    .eventPublisher(event -> {
                        published.add(event);
                        bus.get().publish(event);
                    }));
            bus.set(instance.host().eventPublisher());
            homes.add(home);
            instances.add(instance);
        }
        partitions = new QueueClientBuilder().connectionString(settings.get("VIGIL_AZURE_STORAGE_CONNECTION_STRING"))
                .queueName(WorkQueue.BATCH_PARTITIONS).messageEncoding(QueueMessageEncoding.BASE64).buildClient();
        DatasetsCommand.register(instance(0).baseUri(), key("data-steward"), MODEL, "evaluation.csv",
                GovernedPath.readmissionCsv(SampleModels.readmissionCohort(3000, 4242)), "readmitted", "age", null,
                List.of("admission_type"));
    }

    @AfterAll
    void stop() throws Exception {
        if (pool != null) {
            pool.shutdownNow();
        }
        for (int i = instances.size() - 1; i >= 0; i--) {
            GovernedPath.stopAndDelete(instances.get(i), homes.get(i));
        }
        if (queueAccount != null) {
            queueAccount.close();
        }
        if (scratch != null) {
            GovernedPath.deleteTree(scratch);
        }
    }

    @Test
    @Order(1)
    void oneModelUploadEventDeliveredToTwoInstancesAtOnceRegistersOneVersion() throws Exception {
        byte[] zip = variant(SampleModels.readmissionLogistic(), "delivered twice").zip();
        ArtifactStore.StoredArtifact blob = upload(ArtifactStore.MODELS, "twice/readmission.zip", zip);
        String event = blobCreated(UUID.randomUUID().toString(), blob);

        List<HttpResponse<String>> answers = onBothAtOnce(i -> deliver(i, "RegisterModel", event));

        assertThat(answers).allSatisfy(a -> assertThat(a.statusCode()).as(a.body()).isBetween(200, 299));
        awaitQuiet();
        String subject = onlyVersionOf(Sha256.hex(zip)).id().subject();
        assertThat(records(RegistrationService.ACTION, subject, "registered")).hasSize(1);
        assertThat(eventIds(EventTypes.MODEL_REGISTERED, subject)).hasSize(1);
        assertChainIntactAndKeysUnique();
        twiceDelivered = Sha256.hex(zip);
    }

    @Test
    @Order(2)
    void anOldEventReplayedAfterANewerUploadOfTheSameNameRegistersEachPackageOnce() throws Exception {
        String name = "replayed/readmission.zip";
        byte[] olderZip = variant(SampleModels.readmissionLogistic(), "uploaded first").zip();
        ArtifactStore.StoredArtifact older = upload(ArtifactStore.MODELS, name, olderZip);
        String olderEvent = blobCreated(UUID.randomUUID().toString(), older);
        assertThat(deliver(0, "RegisterModel", olderEvent).statusCode()).isBetween(200, 299);
        byte[] newerZip = variant(SampleModels.readmissionLogistic(), "uploaded again under the same name").zip();
        ArtifactStore.StoredArtifact newer = upload(ArtifactStore.MODELS, name, newerZip);
        String newerEvent = blobCreated(UUID.randomUUID().toString(), newer);

        // The newer upload's event on one instance while the older one is replayed on the other, then once more.
        List<HttpResponse<String>> answers = onBothAtOnce(i -> deliver(i, "RegisterModel", i == 0 ? newerEvent
                : olderEvent));
        answers.add(deliver(1, "RegisterModel", olderEvent));

        assertThat(answers).allSatisfy(a -> assertThat(a.statusCode()).as(a.body()).isBetween(200, 299));
        awaitQuiet();
        for (String sha256 : List.of(Sha256.hex(olderZip), Sha256.hex(newerZip))) {
            String subject = onlyVersionOf(sha256).id().subject();
            assertThat(records(RegistrationService.ACTION, subject, "registered")).hasSize(1);
            assertThat(eventIds(EventTypes.MODEL_REGISTERED, subject)).hasSize(1);
        }
        assertChainIntactAndKeysUnique();
    }

    @Test
    @Order(3)
    void twoInstancesApprovingAndDeployingOneVersionAtOnceDecideEachOnce() throws Exception {
        assertThat(twiceDelivered).as("the first test registered the version").isNotNull();
        int version = onlyVersionOf(twiceDelivered).id().number();
        String path = "/models/" + MODEL + "/versions/" + version;
        Instant deadline = Instant.now().plusSeconds(120);
        while (Set.of(Stage.REGISTERED, Stage.GATES_RUNNING).contains(onlyVersionOf(twiceDelivered).stage())
                && Instant.now().isBefore(deadline)) {
            Thread.sleep(100);
        }
        assertThat(onlyVersionOf(twiceDelivered).stage()).as(() -> gateReport(path))
                .isEqualTo(Stage.GATES_PASSED);

        List<HttpResponse<String>> approvals = onBothAtOnce(i -> client(i, "approver").exchange("POST",
                path + "/approve", Map.of("justification", "gates passed on the platform's evaluation data")));

        assertThat(approvals).allSatisfy(a -> assertThat(a.statusCode()).as(a.body()).isLessThan(500));
        assertThat(approvals).anySatisfy(a -> assertThat(a.statusCode()).as(a.body()).isEqualTo(200));
        awaitQuiet();
        String subject = onlyVersionOf(twiceDelivered).id().subject();
        assertThat(records(ApprovalService.APPROVE, subject, null)).filteredOn(r -> !r.outcome().equals("refused"))
                .hasSize(1);
        assertThat(eventIds(EventTypes.MODEL_APPROVED, subject)).hasSize(1);

        List<HttpResponse<String>> deploys = onBothAtOnce(i -> client(i, "operator").exchange("POST",
                path + "/deploy", null));

        assertThat(deploys).allSatisfy(a -> assertThat(a.statusCode()).as(a.body()).isLessThan(500));
        assertThat(deploys).anySatisfy(a -> assertThat(a.statusCode()).as(a.body()).isEqualTo(200));
        awaitQuiet();
        assertThat(records(DeploymentService.ACTION, subject, "deployed")).hasSize(1);
        assertThat(eventIds(EventTypes.MODEL_DEPLOYED, subject)).hasSize(1);
        assertChainIntactAndKeysUnique();
        approved = version;
    }

    @Test
    @Order(4)
    void oneBatchUploadEventAndItsPartitionOnTwoInstancesAtOnceMakeOneJobScoredOnce() throws Exception {
        assertThat(approved).as("the approval test ran first").isPositive();
        StringBuilder csv = new StringBuilder();
        byte[] rows = GovernedPath.readmissionCsv(SampleModels.readmissionCohort(200, 99));
        // The evaluation file's columns without the outcome, each row with its patient, are a batch file.
        String[] lines = new String(rows, StandardCharsets.UTF_8).split("\n");
        for (int i = 0; i < lines.length; i++) {
            csv.append(i == 0 ? "patientId" : "patient-" + i).append(',')
                    .append(lines[i], 0, lines[i].lastIndexOf(',')).append('\n');
        }
        ArtifactStore.StoredArtifact blob = upload(ArtifactStore.BATCH_INPUT, MODEL + "/v" + approved + "/nightly.csv",
                csv.toString().getBytes(StandardCharsets.UTF_8));
        String event = blobCreated(UUID.randomUUID().toString(), blob);

        List<HttpResponse<String>> answers = onBothAtOnce(i -> deliver(i, "StartBatchOnUpload", event));
        assertThat(answers).allSatisfy(a -> assertThat(a.statusCode()).as(a.body()).isBetween(200, 299));
        // The job's id is the stored file's: its name and ETag.
        String jobId = UUID.nameUUIDFromBytes((ArtifactStore.BATCH_INPUT + "/" + blob.name() + "#" + blob.etag())
                .getBytes(StandardCharsets.UTF_8)).toString();
        BatchStatus started = instance(0).platform().batches().status(jobId);
        assertThat(started.state()).as(started.toString()).isEqualTo(BatchStatus.State.RUNNING);

        // Every partition message queued is handed to both instances at once, as a queue that redelivers does.
        List<String> messages = new ArrayList<>();
        for (QueueMessageItem item : partitions.receiveMessages(32, Duration.ofMinutes(5), null, null)) {
            messages.add(item.getBody().toString());
        }
        assertThat(messages).isNotEmpty();
        List<String> failures = new CopyOnWriteArrayList<>();
        for (String message : messages) {
            onBothAtOnce(i -> {
                try {
                    instance(i).platform().batches().scorePartition(message);
                } catch (VigilException e) {
                    if (e.code().httpStatus() >= 500 && e.code().httpStatus() != 503) {
                        failures.add(e.code() + ": " + e.getMessage());
                    }
                }
                return null;
            });
        }
        assertThat(failures).isEmpty();
        BatchStatus status = instance(0).platform().batches().status(jobId);
        Instant deadline = Instant.now().plusSeconds(60);
        while (status.state() == BatchStatus.State.RUNNING && Instant.now().isBefore(deadline)) {
            for (String message : messages) {
                instance(1).platform().batches().scorePartition(message);
            }
            status = instance(0).platform().batches().status(jobId);
        }
        assertThat(status.state()).as(status.toString()).isEqualTo(BatchStatus.State.COMPLETED);
        assertThat(status.scored() + status.refused()).isEqualTo(200);
        long jobs = instance(0).platform().artifacts().list(ArtifactStore.BATCH_OUTPUT, "").stream()
                .filter(a -> a.name().endsWith("/job.json")).count();
        assertThat(jobs).isEqualTo(1);
        // Each scored row is logged once, however many runs of its partition there were.
        List<String> logged = new ArrayList<>();
        instance(0).platform().predictionLog().scan(new ModelName(MODEL), status.submittedAt().minus(Duration.ofHours(1)),
                Instant.now().plus(Duration.ofMinutes(1)), r -> logged.add(r.predictionId()));
        assertThat(logged).hasSize((int) status.scored()).doesNotHaveDuplicates();
        try (var results = instance(0).platform().batches().openResults(jobId)) {
            assertThat(new String(results.readAllBytes(), StandardCharsets.UTF_8).lines().count()).isEqualTo(200);
        }
        awaitQuiet();
        assertThat(recordsAbout("batch.submitted", jobId)).hasSize(1);
        assertThat(recordsAbout("batch.completed", jobId)).hasSize(1);
        assertThat(published.stream().filter(e -> e.type().equals(EventTypes.BATCH_SUBMITTED)
                || e.type().equals(EventTypes.BATCH_COMPLETED)).map(VigilEvent::id).distinct()).hasSize(2);
        assertChainIntactAndKeysUnique();
    }

    @Test
    @Order(5)
    void theDailyAuditExportFiringOnTwoInstancesAtOnceExportsOnce() throws Exception {
        List<ExportResult> results = onBothAtOnce(i -> instance(i).platform().auditEvidence().exportPreviousDay());

        assertThat(results.get(0).digest()).isEqualTo(results.get(1).digest());
        assertThat(results).filteredOn(ExportResult::created).hasSizeLessThanOrEqualTo(1);
        assertThat(instance(0).platform().artifacts().list(ArtifactStore.AUDIT_EXPORTS, "digests/"))
                .as("one signed digest of the day's records").hasSize(1);
        assertThat(audit().stream().filter(r -> r.action().equals("audit.exported"))).hasSize(1);
        assertChainIntactAndKeysUnique();
    }

    private LocalPlatform instance(int i) {
        return instances.get(i);
    }

    private String key(String persona) {
        return LocalAdapters.apiKey(homes.get(0), persona);
    }

    private ArtifactStore.StoredArtifact upload(String container, String name, byte[] content) {
        return instance(0).platform().artifacts().put(container, name, new ByteArrayInputStream(content), true,
                UPLOADER);
    }

    /** Runs {@code work} on both instances' behalf at the same moment and returns what each returned, in order. */
    private <T> List<T> onBothAtOnce(IndexedCall<T> work) throws Exception {
        CyclicBarrier together = new CyclicBarrier(2);
        List<Future<T>> futures = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            int index = i;
            futures.add(pool.submit((Callable<T>) () -> {
                together.await(30, TimeUnit.SECONDS);
                return work.call(index);
            }));
        }
        List<T> results = new ArrayList<>();
        for (Future<T> f : futures) {
            results.add(f.get(120, TimeUnit.SECONDS));
        }
        return results;
    }

    @FunctionalInterface
    private interface IndexedCall<T> {
        T call(int instance) throws Exception;
    }

    private HttpResponse<String> deliver(int i, String function, String event) throws Exception {
        return BlockingHttp.send(HttpRequest.newBuilder(instance(i).baseUri()
                        .resolve("/runtime/webhooks/eventgrid?functionName=" + function))
                .POST(HttpRequest.BodyPublishers.ofString(event)).header("Content-Type", "application/json")
                .header("aeg-event-type", "Notification").header("x-functions-key", SystemKeys.eventGrid(homes.get(i)))
                .timeout(Duration.ofSeconds(120)).build());
    }

    private String gateReport(String path) {
        try {
            return client(0, "operator").exchange("GET", path + "/gates", null).body();
        } catch (java.io.IOException e) {
            return "the gate report could not be read: " + e;
        }
    }

    private ControlClient client(int i, String persona) {
        return new ControlClient(instance(i).baseUri(), key(persona));
    }

    /** The sample package with another description: another package, scoring alike. */
    private static SamplePackage variant(SamplePackage sample, String description) {
        ObjectNode manifest = Json.mapper().valueToTree(sample.manifest());
        manifest.put("description", sample.manifest().description() + "; " + description);
        return new SamplePackage(Json.convert("manifest", manifest, Manifest.class), sample.onnx(), sample.reference());
    }

    /** A storage BlobCreated event for the blob as stored, in the Event Grid schema, as Storage sends it. */
    private static String blobCreated(String id, ArtifactStore.StoredArtifact blob) {
        return Json.write(List.of(Map.of("id", id,
                "topic", "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/vigil/providers"
                        + "/Microsoft.Storage/storageAccounts/devstoreaccount1",
                "subject", "/blobServices/default/containers/" + blob.container() + "/blobs/" + blob.name(),
                "eventType", "Microsoft.Storage.BlobCreated", "eventTime", Instant.now().toString(),
                "data", Map.of("api", "PutBlob", "contentLength", blob.size(), "eTag", blob.etag(),
                        "blobType", "BlockBlob",
                        "url", "http://127.0.0.1/devstoreaccount1/" + blob.container() + "/" + blob.name()),
                "dataVersion", "", "metadataVersion", "1")));
    }

    /** Waits until both instances' event buses have delivered what the work published (gates, announcements). */
    private void awaitQuiet() throws InterruptedException {
        for (LocalPlatform instance : instances) {
            instance.host().eventBus().awaitIdle(Duration.ofSeconds(60));
        }
    }

    private VersionRecord onlyVersionOf(String packageSha256) {
        List<VersionRecord> versions = instance(0).platform().registry().listVersions(new ModelName(MODEL)).stream()
                .filter(v -> v.packageSha256().equals(packageSha256)).toList();
        assertThat(versions).as("versions of package %s", packageSha256).hasSize(1);
        return versions.get(0);
    }

    private List<AuditRecord> audit() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        return instance(1).platform().audit().read(today.minusDays(1), today);
    }

    private List<AuditRecord> records(String action, String subject, String outcome) {
        return audit().stream().filter(r -> r.action().equals(action) && r.subject().equals(subject)
                && (outcome == null || r.outcome().equals(outcome))).toList();
    }

    private List<AuditRecord> recordsAbout(String action, String jobId) {
        return audit().stream().filter(r -> r.action().equals(action) && (r.subject().contains(jobId)
                || r.details().containsValue(jobId))).toList();
    }

    private Set<String> eventIds(String type, String subject) {
        return published.stream().filter(e -> e.type().equals(type) && e.subject().equals(subject))
                .map(VigilEvent::id).collect(Collectors.toSet());
    }

    /** The chain verifies, and no idempotency key names two records. */
    private void assertChainIntactAndKeysUnique() {
        LocalDate today = LocalDate.now(ZoneOffset.UTC);
        assertThat(instance(0).platform().audit().verify(today, today).valid()).isTrue();
        Map<String, Long> byKey = audit().stream().filter(r -> r.details().containsKey("idempotencyKey"))
                .collect(Collectors.groupingBy(r -> r.details().get("idempotencyKey"), Collectors.counting()));
        assertThat(byKey).allSatisfy((k, n) -> assertThat(n).as(k).isEqualTo(1L));
    }
}
