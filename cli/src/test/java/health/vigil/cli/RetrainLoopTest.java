package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.config.VigilConfig;
import health.vigil.error.AccessDeniedException;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.gates.EvaluationDataset;
import health.vigil.model.GateReport;
import health.vigil.security.Role;
import health.vigil.training.HeldOutEvaluationData;
import health.vigil.events.BlobCreated;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.json.Json;
import health.vigil.model.AuditRecord;
import health.vigil.model.ModelName;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.audit.MutableClock;
import health.vigil.audit.OnceKeys;
import health.vigil.monitoring.MonitoringService;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.port.Retrainer;
import health.vigil.registry.RegistrationOutcome;
import health.vigil.retraining.RetrainService;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoredRow;
import health.vigil.security.Principal;
import health.vigil.training.Algorithm;
import health.vigil.training.ClinicalModel;
import health.vigil.training.CodeVersion;
import health.vigil.training.ModelTraining;
import health.vigil.training.TrainedModel;
import health.vigil.training.TrainingProgress;
import health.vigil.training.TrainingSettings;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.DatasetFile;
import health.vigil.training.export.ModelPackager;
import health.vigil.training.retrain.PipelineRetrainer;
import health.vigil.model.ModelVersion;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.monitoring.SetUpMonitoringReport;
import health.vigil.testing.samples.PatientRows;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Retraining on the wired local platform with the real training library: a deployed clinical model, its training
 * dataset in {@code datasets}, scored patients with their outcomes, then a retraining request. The successor is
 * uploaded once under the platform's retraining identity, goes through registration and the gates on the steward's
 * evaluation dataset like any upload, waits for a human approver (the platform's identities cannot sign it, and it
 * cannot be deployed before), and names its parent, its datasets and the report in its provenance.
 */
class RetrainLoopTest {
    private static final ClinicalModel CLINICAL = ClinicalModel.READMISSION;

    @TempDir
    Path home;
    private final List<VigilEvent> published = new CopyOnWriteArrayList<>();
    /** An event type whose next publication fails, as an Event Grid outage would; null for none. */
    private final java.util.concurrent.atomic.AtomicReference<String> failingPublish =
            new java.util.concurrent.atomic.AtomicReference<>();
    private final java.util.concurrent.atomic.AtomicInteger trainings = new java.util.concurrent.atomic.AtomicInteger();
    /** Run once, after the next training and before its package is stored: another delivery's turn. */
    private final java.util.concurrent.atomic.AtomicReference<Runnable> afterTraining =
            new java.util.concurrent.atomic.AtomicReference<>();
    /** Applied once, to the next request the retrainer is given: what an earlier release would have given it. */
    private final java.util.concurrent.atomic.AtomicReference<java.util.function.UnaryOperator<Retrainer.Request>>
            asAnEarlierRelease = new java.util.concurrent.atomic.AtomicReference<>();
    private VigilPlatform platform;
    private ModelName model;
    private String trainingSha256;
    /** The package of version 1, the parent every test retrains. */
    private byte[] parentZip;
    /** The patients scored on version 1 before each test, the first 300 of whom have their outcomes. */
    private Scored firstScored;

    @BeforeEach
    void aDeployedModelWithScoredAndLabelledPatients() {
        ModelTraining training = new ModelTraining(CodeVersion.ofThisBuild(), Clock.systemUTC());
        platform = platform(VigilConfig.local(home), Clock.systemUTC(), new PipelineRetrainer(training));
        Dataset data = CLINICAL.synthetic(3_000, 5).dataset();
        TrainedModel parent = training.train(CLINICAL, data, TrainingSettings.defaults()
                .withAlgorithm(Algorithm.LOGISTIC).withSeed(5), TrainingProgress.NONE);
        parentZip = ModelPackager.packageBytes(parent, ModelPackager.onnx(parent));
        deployParent();
        trainingSha256 = parent.manifest().provenance().datasetSha256();

        firstScored = scoreAndLabel(400, 6, 300);
    }

    /** The local platform on {@code clock}, publishing to {@link #published} and counting its trainings. */
    private VigilPlatform platform(VigilConfig config, Clock clock, PipelineRetrainer retrainer) {
        return VigilPlatform.builder(config).clock(clock).eventPublisher(event -> {
            if (failingPublish.compareAndSet(event.type(), null)) {
                throw new health.vigil.error.StoreException("event grid is not answering (a test outage)", null);
            }
            published.add(event);
        }).retrainer(given -> {
            trainings.incrementAndGet();
            java.util.function.UnaryOperator<Retrainer.Request> earlier = asAnEarlierRelease.getAndSet(null);
            byte[] zip = retrainer.retrain(earlier == null ? given : earlier.apply(given));
            Runnable other = afterTraining.getAndSet(null);
            if (other != null) {
                other.run();
            }
            return zip;
        }).build();
    }

    /** Registers the parent's package as the data scientist's upload, approves it and deploys it as version 1. */
    private void deployParent() {
        model = register(parentZip, "readmission.zip", "data-scientist").modelName();
        SetUpApproval.approve(platform, new ModelVersion(model, 1));
        platform.deployments().deploy(model, 1, Principal.SYSTEM);
    }

    /** The parent's training dataset, stored where the retraining reads it. */
    private void uploadTrainingDataset() {
        byte[] file = DatasetFile.bytes(CLINICAL.pipeline().rawSchema(), CLINICAL.synthetic(3_000, 5).dataset());
        platform.artifacts().put(ArtifactStore.DATASETS, RetrainService.datasetBlob(trainingSha256),
                new ByteArrayInputStream(file), false);
    }

    /** Scores {@code patients} synthetic patients on the deployed version and records outcomes for the first ones. */
    private Scored scoreAndLabel(int patients, long seed, int labelled) {
        Dataset production = CLINICAL.synthetic(patients, seed).dataset();
        List<PatientRow> rows = new ArrayList<>();
        for (int i = 0; i < production.size(); i++) {
            rows.add(PatientRows.of("MRN-" + seed + "-" + i, production.records().get(i)));
        }
        Scored scored = new Scored(platform.scoring().score(new ScoreRequest(model, null, rows)).rows(), production);
        label(scored, 0, labelled);
        return scored;
    }

    /** Records the outcomes of scored patients {@code from} (inclusive) to {@code to}. */
    private void label(Scored scored, int from, int to) {
        List<Map<String, Object>> outcomes = new ArrayList<>();
        for (int i = from; i < to; i++) {
            outcomes.add(Map.of("predictionId", scored.rows().get(i).predictionId(),
                    "outcome", scored.production().label(i) ? 1 : 0));
        }
        String body = Json.write(Map.of("model", model.value(), "outcomes", outcomes));
        platform.outcomes().submit("outcomes-feed", body, Json.readTree("outcomes", body.getBytes(StandardCharsets.UTF_8)));
    }

    /** Scored patients: the answered rows and the synthetic data they came from, with the outcomes. */
    private record Scored(List<ScoredRow> rows, Dataset production) {
        /** The prediction ids of patients {@code from} (inclusive) to {@code to}. */
        List<String> ids(int from, int to) {
            return rows.subList(from, to).stream().map(ScoredRow::predictionId).toList();
        }
    }

    @AfterEach
    void close() {
        platform.close();
    }

    @Test
    void aRequestTrainsOnTheTrainingDatasetPlusLabelledProductionRowsAndTheSuccessorIsRegisteredNotDeployed() throws Exception {
        uploadTrainingDataset();

        AuditRecord done = platform.retraining().handle(new RetrainService.Request("request-1", model, 1, report(7)));
        AuditRecord again = platform.retraining().handle(new RetrainService.Request("request-1", model, 1, report(7)));

        assertThat(done.outcome()).as(done.details().toString()).isEqualTo("uploaded");
        assertThat(again.id()).isEqualTo(done.id());
        assertThat(done.details()).containsEntry("parentVersion", "1").containsEntry("reportId", report(7))
                .containsEntry("trainingDataset", trainingSha256).containsEntry("productionRows", "300");
        List<ArtifactStore.StoredArtifact> uploaded = platform.artifacts().list(ArtifactStore.MODELS,
                RetrainService.UPLOAD_PREFIX);
        assertThat(uploaded).singleElement().satisfies(a -> assertThat(a.name()).isEqualTo(done.details().get("packageBlob")));
        assertThat(published).as("announced once, the redelivery publishes nothing more")
                .filteredOn(e -> e.type().equals(EventTypes.RETRAIN_COMPLETED)).hasSize(1)
                .allSatisfy(e -> assertThat(e.id()).isEqualTo(done.id()))
                .allSatisfy(e -> assertThat(e.data()).containsEntry("version", 2).containsEntry("reportId", report(7)));
        String productionSha256 = done.details().get("productionDataset");
        try (InputStream in = platform.artifacts().open(ArtifactStore.DATASETS, RetrainService.datasetBlob(productionSha256))) {
            byte[] stored = in.readAllBytes();
            assertThat(health.vigil.hash.Sha256.hex(stored)).isEqualTo(productionSha256);
            String text = new String(stored, StandardCharsets.UTF_8);
            assertThat(text.lines()).hasSize(301);
            assertThat(text).doesNotContain("MRN-");
        }

        // Registered at once, as an authenticated upload is; the storage event that may follow changes nothing.
        assertThat(done.details()).containsEntry("version", "2");
        VersionRecord successor = platform.registry().getVersion(model, 2);
        assertThat(successor.stage()).isEqualTo(Stage.REGISTERED);
        assertThat(successor.packageBlob()).isEqualTo(done.details().get("packageBlob"));
        long size = platform.artifacts().describe(ArtifactStore.MODELS, successor.packageBlob()).orElseThrow().size();
        assertThat(platform.registration().register(new BlobCreated("storage-event-1", ArtifactStore.MODELS,
                successor.packageBlob(), null, size, null)).kind()).isNotEqualTo(RegistrationOutcome.Kind.REGISTERED);
        assertThat(platform.registry().listVersions(model)).hasSize(2);
        // Its recorded uploader is the platform's retraining identity, never a person.
        assertThat(successor.registeredBy()).isEqualTo(RetrainService.ACTOR).isEqualTo("system:retrain");
        assertThat(successor.packageSha256()).isEqualTo(done.details().get("packageSha256"));
        assertThat(successor.manifest().provenance().datasetRows()).isEqualTo(3_300);
        assertThat(successor.manifest().provenance().parameters())
                .containsEntry("lineage.parentVersion", "1")
                .containsEntry("lineage.report", report(7))
                .containsEntry("lineage.trainingDataset", trainingSha256)
                .containsEntry("lineage.productionDataset", productionSha256)
                .containsEntry("algorithm", "logistic");
        assertThat(platform.registry().deployment(model).orElseThrow().stable().version()).isEqualTo(1);

        // Back through the gates: judged on the steward's registered evaluation dataset, like any upload.
        HeldOutEvaluationData held = HeldOutEvaluationData.generate(CLINICAL, 2_000, 5);
        EvaluationDataset evaluation = platform.datasets().register(new EvaluationDataset.Declaration(model.value(),
                "evaluation.csv", held.label(), held.ageColumn(), held.sexColumn(), held.segments()), held.csv(),
                new Principal("data-steward", Set.of(Role.DATASETS_REGISTER)));
        GateReport gates = platform.gates().onRegistered(successor.id(), "registered-2").orElseThrow();
        assertThat(gates.datasetSha256()).isEqualTo(evaluation.sha256());
        Stage judged = platform.registry().getVersion(model, 2).stage();
        assertThat(judged).isEqualTo(gates.passed() ? Stage.GATES_PASSED : Stage.GATES_FAILED);

        // It waits for a human: not deployable, and the platform's own identities can never sign it.
        assertThatThrownBy(() -> platform.deployments().deploy(model, 2, Principal.SYSTEM))
                .isInstanceOf(ConflictException.class).hasMessageContaining("cannot move to production");
        Principal approver = new Principal("approver", Set.of(Role.MODELS_APPROVE));
        for (String platformIdentity : List.of(RetrainService.ACTOR, "system:drift-check")) {
            assertThatThrownBy(() -> platform.approvals().approve(successor.id(),
                    new Principal(platformIdentity, Set.of(Role.MODELS_APPROVE)), "retrained on fresh data"))
                    .isInstanceOf(AccessDeniedException.class)
                    .satisfies(e -> assertThat(((AccessDeniedException) e).code()).isEqualTo(ErrorCode.SEPARATION_OF_DUTIES));
        }
        // Nor can the person who uploaded the version it was retrained from: the retraining re-ran their upload.
        assertThatThrownBy(() -> platform.approvals().approve(successor.id(),
                new Principal("data-scientist", Set.of(Role.MODELS_UPLOAD, Role.MODELS_APPROVE)), "my model, retrained"))
                .isInstanceOfSatisfying(AccessDeniedException.class,
                        e -> assertThat(e.code()).isEqualTo(ErrorCode.SEPARATION_OF_DUTIES))
                .hasMessageContaining("'data-scientist' uploaded readmission:1, the version readmission:2 was retrained"
                        + " from");
        assertThat(platform.registry().getVersion(model, 2).stage()).isEqualTo(judged);
        assertThat(platform.registry().getVersion(model, 2).signatures()).isEmpty();
        if (gates.passed()) {
            platform.approvals().approve(successor.id(), approver, "gates passed on the steward's data");
            assertThat(platform.registry().getVersion(model, 2).stage()).isEqualTo(Stage.APPROVED);
        }
        assertThat(platform.registry().deployment(model).orElseThrow().stable().version()).isEqualTo(1);
    }

    @Test
    void predictionsOlderThanTheRetentionPeriodAreNotTrainedOnThoughTheLogStillHoldsThem() throws Exception {
        platform.close();
        MutableClock clock = new MutableClock(java.time.Instant.now());
        platform = platform(new VigilConfig(VigilConfig.Mode.LOCAL, home.resolve("thirty-days"),
                VigilConfig.Limits.DEFAULTS, Duration.ofDays(30), Map.of()), clock,
                new PipelineRetrainer(new ModelTraining(CodeVersion.ofThisBuild(), Clock.systemUTC())));
        deployParent();
        scoreAndLabel(400, 6, 300);
        // 31 days on, before the day's purge has run: the first patients' predictions are past the 30 days kept.
        clock.advance(Duration.ofDays(31));
        scoreAndLabel(100, 8, 80);
        clock.advance(Duration.ofMinutes(1));
        uploadTrainingDataset();

        AuditRecord done = platform.retraining().handle(new RetrainService.Request("request-aged", model, 1,
                report(16)));

        assertThat(done.outcome()).as(done.details().toString()).isEqualTo("uploaded");
        assertThat(done.details()).containsEntry("productionRows", "80");
        try (InputStream in = platform.artifacts().open(ArtifactStore.DATASETS,
                RetrainService.datasetBlob(done.details().get("productionDataset")))) {
            assertThat(new String(in.readAllBytes(), StandardCharsets.UTF_8).lines()).hasSize(81);
        }
        assertThat(platform.registry().getVersion(model, 2).manifest().provenance().datasetRows()).isEqualTo(3_080);
    }

    @Test
    void productionRowsAnEarlierRetrainingStoredAreNotTrainedOnAgainOncePastTheRetentionCutoff() {
        MutableClock clock = thirtyDaysKept();
        scoreAndLabel(400, 6, 300);
        clock.advance(Duration.ofDays(10));
        scoreAndLabel(100, 8, 80);
        clock.advance(Duration.ofMinutes(1));
        uploadTrainingDataset();
        ModelVersion second = retrainedAndDeployed(new RetrainService.Request("request-first", model, 1, report(16)));
        assertThat(platform.registry().getVersion(model, 2).manifest().provenance().datasetRows()).isEqualTo(3_380);
        // 35 days after the first patients: their 300 stored rows are past the 30 days kept, the next 80 are not.
        clock.advance(Duration.ofDays(25));
        VersionRecord third = retrainedAgainOnSixtyMoreRows(clock, second);
        assertThat(third.manifest().provenance().datasetRows()).isEqualTo(3_000 + 80 + 60);
        assertThat(third.manifest().provenance().parameters()).containsEntry("lineage.productionRows", "60")
                .containsEntry("lineage.productionCutoff", clock.instant().minus(Duration.ofDays(30)).toString());
    }

    @Test
    void productionRowsStoredByARetrainingRegisteredBeforeTheRetentionCutoffAreNeitherReadNorAskedFor() {
        MutableClock clock = thirtyDaysKept();
        scoreAndLabel(400, 6, 300);
        clock.advance(Duration.ofMinutes(1));
        uploadTrainingDataset();
        ModelVersion second = retrainedAndDeployed(new RetrainService.Request("request-first", model, 1, report(16)));
        clock.advance(Duration.ofDays(31));
        // The hospital removed the rows once they were past the period; the next retraining has no use for them.
        removeTheRowsVersion2Stored();
        VersionRecord third = retrainedAgainOnSixtyMoreRows(clock, second);
        assertThat(third.manifest().provenance().datasetRows()).isEqualTo(3_000 + 60);
    }

    @Test
    void productionRowsAnEarlierReleaseStoredWithoutTimesAreNotReadOnceSomeMayBePastTheRetentionCutoff() {
        MutableClock clock = thirtyDaysKept();
        scoreAndLabel(400, 6, 300);
        clock.advance(Duration.ofDays(10));
        scoreAndLabel(100, 8, 80);
        clock.advance(Duration.ofMinutes(1));
        uploadTrainingDataset();
        asAnEarlierRelease.set(RetrainLoopTest.this::withoutTimes);
        ModelVersion second = retrainedAndDeployed(new RetrainService.Request("request-first", model, 1, report(16)));
        assertThat(platform.registry().getVersion(model, 2).manifest().provenance().datasetRows()).isEqualTo(3_380);
        // The 380 rows were logged since version 1 was registered, 35 days ago: the first 300 are past the 30 days
        // kept, and the file does not say which.
        clock.advance(Duration.ofDays(25));
        VersionRecord third = retrainedAgainOnSixtyMoreRows(clock, second);
        assertThat(third.manifest().provenance().datasetRows()).isEqualTo(3_000 + 60);
    }

    @Test
    void productionRowsStoredAfterTheRetentionCutoffButAllLoggedBeforeItAreNeitherReadNorAskedFor() {
        MutableClock clock = thirtyDaysKept();
        scoreAndLabel(400, 6, 300);
        clock.advance(Duration.ofDays(10));
        uploadTrainingDataset();
        ModelVersion second = retrainedAndDeployed(new RetrainService.Request("request-first", model, 1, report(16)));
        // Stored 10 days after its rows were logged: 35 days on, every row is past the 30 days kept, the file is not.
        clock.advance(Duration.ofDays(25));
        removeTheRowsVersion2Stored();
        VersionRecord third = retrainedAgainOnSixtyMoreRows(clock, second);
        assertThat(third.manifest().provenance().datasetRows()).isEqualTo(3_000 + 60);
    }

    @Test
    void productionRowsAnEarlierReleaseStoredWithoutTimesAreNotAskedForOnceSomeMayBePastTheRetentionCutoff() {
        MutableClock clock = thirtyDaysKept();
        scoreAndLabel(400, 6, 300);
        clock.advance(Duration.ofDays(10));
        scoreAndLabel(100, 8, 80);
        clock.advance(Duration.ofMinutes(1));
        uploadTrainingDataset();
        asAnEarlierRelease.set(RetrainLoopTest.this::withoutTimes);
        ModelVersion second = retrainedAndDeployed(new RetrainService.Request("request-first", model, 1, report(16)));
        // 35 days after version 1 was registered the file is not read (some of its rows may be past the 30 days
        // kept), so the hospital may remove it.
        clock.advance(Duration.ofDays(25));
        removeTheRowsVersion2Stored();
        VersionRecord third = retrainedAgainOnSixtyMoreRows(clock, second);
        assertThat(third.manifest().provenance().datasetRows()).isEqualTo(3_000 + 60);
    }

    /**
     * The retention cut-off is taken once the delivery holds the report's lease, not when it arrived: a delivery that
     * waited for another run's lease reads no prediction that was past the retention period when it went on, though
     * it was within it when the delivery arrived.
     */
    @Test
    void aDeliveryThatWaitedForTheReportsLeaseKeepsToTheRetentionCutoffOfWhenItGotTheLease() throws Exception {
        platform.close();
        MutableClock time = new MutableClock(java.time.Instant.now());
        java.util.concurrent.atomic.AtomicReference<Thread> delivery =
                new java.util.concurrent.atomic.AtomicReference<>();
        CountDownLatch arrived = new CountDownLatch(1);
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return time.getZone();
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public java.time.Instant instant() {
                java.time.Instant now = time.instant();
                if (Thread.currentThread() == delivery.get()) {
                    arrived.countDown();
                }
                return now;
            }
        };
        platform = platform(new VigilConfig(VigilConfig.Mode.LOCAL, home.resolve("thirty-days"),
                VigilConfig.Limits.DEFAULTS, Duration.ofDays(30), Map.of()), clock,
                new PipelineRetrainer(new ModelTraining(CodeVersion.ofThisBuild(), Clock.systemUTC())));
        deployParent();
        java.time.Instant firstLogged = time.instant();
        scoreAndLabel(400, 6, 300);
        time.advance(Duration.ofDays(10));
        scoreAndLabel(100, 8, 80);
        uploadTrainingDataset();
        // The delivery arrives a minute before the first 300 labelled predictions are past the 30 days kept, while
        // another run holds the report's lease for one more minute.
        time.set(firstLogged.plus(Duration.ofDays(30)).minus(Duration.ofMinutes(1)));
        RetrainService.Request request = new RetrainService.Request("request-waits", model, 1, report(16));
        platform.artifacts().put(ArtifactStore.MONITORING, RetrainService.leaseName(request), new ByteArrayInputStream(
                Json.writeBytes(new health.vigil.port.BlobLease.Lease("another run", time.instant().plus(
                        Duration.ofMinutes(1))))), false);

        java.util.concurrent.FutureTask<AuditRecord> handled =
                new java.util.concurrent.FutureTask<>(() -> platform.retraining().handle(request));
        delivery.set(new Thread(handled, "retrain-delivery"));
        delivery.get().start();
        assertThat(arrived.await(60, TimeUnit.SECONDS)).as("the delivery read the clock").isTrue();
        // The other run's lease expires while the delivery waits for it: it goes on three minutes after it arrived.
        time.advance(Duration.ofMinutes(3));
        AuditRecord done = handled.get(5, TimeUnit.MINUTES);

        assertThat(done.outcome()).as(done.details().toString()).isEqualTo("uploaded");
        assertThat(done.details()).containsEntry("productionRows", "80");
        String cutoff = platform.registry().getVersion(model, 2).manifest().provenance().parameters()
                .get("lineage.productionCutoff");
        assertThat(java.time.Instant.parse(cutoff)).isAfter(firstLogged);
    }

    /**
     * The request as an earlier release made it: its production rows stored without the prediction id and the time of
     * each row (header {@code key, label, columns}), and named so in the lineage.
     */
    private Retrainer.Request withoutTimes(Retrainer.Request request) {
        return storedAsBefore(request, false);
    }

    /**
     * The request as the release before prediction ids made it: its production rows stored without the prediction id of
     * each row (header {@code key, time, label, columns}), and named so in the lineage.
     */
    private Retrainer.Request withoutPredictionIds(Retrainer.Request request) {
        return storedAsBefore(request, true);
    }

    private Retrainer.Request storedAsBefore(Retrainer.Request request, boolean timed) {
        String identified;
        try (InputStream in = platform.artifacts().open(ArtifactStore.DATASETS,
                RetrainService.datasetBlob(request.production().sha256()))) {
            identified = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        assertThat(identified).startsWith("key\tpredictionId\ttime\tlabel\t");
        StringBuilder before = new StringBuilder();
        identified.lines().forEach(line -> {
            String[] cells = line.split("\t", 4);
            before.append(cells[0]).append('\t');
            if (timed) {
                before.append(cells[2]).append('\t');
            }
            before.append(cells[3]).append('\n');
        });
        byte[] bytes = before.toString().getBytes(StandardCharsets.UTF_8);
        String sha256 = health.vigil.hash.Sha256.hex(bytes);
        platform.artifacts().put(ArtifactStore.DATASETS, RetrainService.datasetBlob(sha256),
                new ByteArrayInputStream(bytes), false);
        Retrainer.ProductionRows rows = request.production();
        Map<String, String> lineage = new LinkedHashMap<>(request.lineage());
        lineage.put("lineage.productionDataset", sha256);
        lineage.remove("lineage.productionFrom");
        lineage.remove("lineage.productionTo");
        if (!timed) {
            lineage.remove("lineage.productionCutoff");
            lineage.remove("lineage.productionLatest");
        }
        return new Retrainer.Request(request.parent(), request.trainingDataset(), request.trainingDatasetSha256(),
                request.earlierProduction(), new Retrainer.ProductionRows(rows.inputs(), rows.rows(), rows.width(),
                        rows.labels(), rows.pseudonyms(), sha256), request.pseudonyms(), lineage);
    }

    /** The platform again, on a clock the test moves, keeping predictions 30 days; version 1 deployed on it. */
    /** 60 more labelled rows, then a retraining of {@code second} that uploads: the version it registered. */
    private VersionRecord retrainedAgainOnSixtyMoreRows(MutableClock clock, ModelVersion second) {
        scoreAndLabel(100, 9, 60);
        clock.advance(Duration.ofMinutes(1));
        AuditRecord again = platform.retraining().handle(new RetrainService.Request("request-again", model,
                second.number(), SetUpMonitoringReport.stable(platform, second, LocalDate.of(2026, 9, 1), true)));
        assertThat(again.outcome()).as(again.details().toString()).isEqualTo("uploaded");
        return platform.registry().getVersion(model, Integer.parseInt(again.details().get("version")));
    }

    /** Removes the production rows file version 2's retraining stored, as the hospital may once it is not read. */
    private void removeTheRowsVersion2Stored() {
        String stored = platform.registry().getVersion(model, 2).manifest().provenance().parameters()
                .get("lineage.productionDataset");
        platform.artifacts().delete(ArtifactStore.DATASETS, RetrainService.datasetBlob(stored));
    }

    private MutableClock thirtyDaysKept() {
        platform.close();
        MutableClock clock = new MutableClock(java.time.Instant.now());
        platform = platform(new VigilConfig(VigilConfig.Mode.LOCAL, home.resolve("thirty-days"),
                VigilConfig.Limits.DEFAULTS, Duration.ofDays(30), Map.of()), clock,
                new PipelineRetrainer(new ModelTraining(CodeVersion.ofThisBuild(), Clock.systemUTC())));
        deployParent();
        return clock;
    }

    /** Retrains as {@code request} asks, and approves and deploys the successor. */
    private ModelVersion retrainedAndDeployed(RetrainService.Request request) {
        AuditRecord done = platform.retraining().handle(request);
        assertThat(done.outcome()).as(done.details().toString()).isEqualTo("uploaded");
        ModelVersion successor = new ModelVersion(model, Integer.parseInt(done.details().get("version")));
        SetUpApproval.approve(platform, successor);
        platform.deployments().deploy(model, successor.number(), Principal.SYSTEM);
        return successor;
    }

    @Test
    void aRequestWhoseUploadStoppedBeforeItsVersionWasAnnouncedIsFinishedByTheRetryWithoutTrainingAgain() {
        uploadTrainingDataset();
        RetrainService.Request request = new RetrainService.Request("request-2", model, 1, report(8));

        // The successor is trained, uploaded and stored as version 2; then Vigil.Model.Registered cannot be sent.
        failingPublish.set(EventTypes.MODEL_REGISTERED);
        assertThatThrownBy(() -> platform.retraining().handle(request))
                .isInstanceOf(health.vigil.error.StoreException.class);
        assertThat(platform.registry().listVersions(model)).hasSize(2);
        assertThat(published).noneMatch(e -> e.subject().endsWith("/versions/2"));

        AuditRecord done = platform.retraining().handle(request);

        assertThat(done.outcome()).as(done.details().toString()).isEqualTo("uploaded");
        assertThat(trainings).as("trained once, not again on the retry").hasValue(1);
        assertThat(done.details()).containsEntry("version", "2").containsEntry("trainingDataset", trainingSha256)
                .containsEntry("productionRows", "300").containsKey("productionDataset");
        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.MODEL_REGISTERED)
                && e.subject().endsWith("/versions/2")).hasSize(1);
        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.RETRAIN_COMPLETED)).singleElement()
                .satisfies(e -> assertThat(e.id()).isEqualTo(done.id()));
        assertThat(platform.registry().listVersions(model)).hasSize(2);
        assertThat(platform.artifacts().list(ArtifactStore.MODELS, RetrainService.UPLOAD_PREFIX)).hasSize(1);
    }

    @Test
    void twoDeliveriesThatTrainTogetherBecauseTheFirstStalledPastItsLeaseRegisterOnePackageAndRecordOneOutcome() {
        uploadTrainingDataset();
        RetrainService.Request request = new RetrainService.Request("request/5", model, 1, report(11));
        java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        int recordsBefore = platform.audit().read(today.minusDays(1), today.plusDays(1)).size();

        // The first stalls between its training and its upload for longer than its lease (its lease is found expired),
        // and the second delivery runs its whole course meanwhile: it takes the lease over and trains too.
        java.util.concurrent.atomic.AtomicReference<AuditRecord> second =
                new java.util.concurrent.atomic.AtomicReference<>();
        afterTraining.set(() -> {
            expireLease(request);
            second.set(platform.retraining().handle(request));
        });
        AuditRecord first = platform.retraining().handle(request);

        assertThat(trainings).hasValue(2);
        assertThat(first.outcome()).as(first.details().toString()).isEqualTo("uploaded");
        assertThat(first.id()).isEqualTo(second.get().id());
        assertThat(platform.registry().listVersions(model)).hasSize(2);
        assertThat(platform.artifacts().list(ArtifactStore.MODELS, RetrainService.UPLOAD_PREFIX)).singleElement()
                .satisfies(a -> assertThat(a.name()).isEqualTo(first.details().get("packageBlob")));
        // Registered (one record), completed (one record); no refused upload under a taken name.
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1))).hasSize(recordsBefore + 2)
                .noneMatch(r -> r.outcome().equals("rejected"));

        // Another request citing the same report, whatever its id, is answered as a replay: it trains nothing.
        AuditRecord other = platform.retraining().handle(
                new RetrainService.Request("request 5", model, 1, report(11)));
        assertThat(other.id()).isEqualTo(first.id());
        assertThat(trainings).hasValue(2);
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1))).hasSize(recordsBefore + 2);
        assertThatThrownBy(() -> new RetrainService.Request("r", model, 1, "PATIENT MRN 5551234\n"))
                .isInstanceOf(health.vigil.error.ValidationException.class).hasMessageNotContaining("5551234");
    }

    @Test
    void requestsWithOtherEventIdsCitingAReportThatWasRetrainedAreAnsweredWithItsCandidateAndWriteNothing() {
        uploadTrainingDataset();
        AuditRecord done = platform.retraining().handle(new RetrainService.Request("platform-event", model, 1,
                report(13)));
        LocalDate today = LocalDate.now(java.time.ZoneOffset.UTC);
        int recordsAfter = platform.audit().read(today.minusDays(1), today.plusDays(1)).size();

        // The operator's re-send from the runbook with a fresh id, and the same request from a second subscription.
        for (String resent : List.of("operator-resend", "second-subscription")) {
            AuditRecord answer = platform.retraining().handle(new RetrainService.Request(resent, model, 1, report(13)));
            assertThat(answer.id()).as(resent).isEqualTo(done.id());
        }

        assertThat(done.outcome()).as(done.details().toString()).isEqualTo("uploaded");
        assertThat(trainings).as("one report, one retraining").hasValue(1);
        assertThat(platform.registry().listVersions(model)).hasSize(2);
        assertThat(platform.artifacts().list(ArtifactStore.MODELS, RetrainService.UPLOAD_PREFIX)).hasSize(1);
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1))).hasSize(recordsAfter);
        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.RETRAIN_COMPLETED)).singleElement()
                .satisfies(e -> assertThat(e.id()).isEqualTo(done.id()));
        // Another report that asked is a retraining of its own, once the candidate is no longer on its way.
        platform.gates().onRegistered(new ModelVersion(model, 2), "registered-2").orElseThrow();
        assertThat(platform.registry().getVersion(model, 2).stage()).isEqualTo(Stage.GATES_FAILED);
        assertThat(platform.retraining().handle(new RetrainService.Request("operator-resend", model, 1, report(14)))
                .id()).isNotEqualTo(done.id());
        assertThat(trainings).hasValue(2);
    }

    @Test
    void aRequestWhileANewerVersionIsOnItsWayOrServesInTheParentsPlaceTrainsNothingAndIsRecordedOnce() {
        uploadTrainingDataset();
        AuditRecord first = platform.retraining().handle(new RetrainService.Request("request/23", model, 1,
                report(23)));
        assertThat(first.outcome()).as(first.details().toString()).isEqualTo("uploaded");
        LocalDate today = LocalDate.now(java.time.ZoneOffset.UTC);

        // Another report of v1 that asked, its request delivered late (or sent again from the runbook) while v2 waits
        // for its gates: the retraining policy would not have asked now, and a second candidate is not trained.
        RetrainService.Request late = new RetrainService.Request("request/24", model, 1, report(24));
        int recordsBefore = platform.audit().read(today.minusDays(1), today.plusDays(1)).size();
        AuditRecord waiting = platform.retraining().handle(late);
        AuditRecord again = platform.retraining().handle(late);

        assertThat(waiting.outcome()).isEqualTo("failed");
        assertThat(waiting.details().get("reason")).contains("v2, newer than v1, is on its way to production"
                + " (registered)").contains("trains nothing");
        assertThat(again.id()).as("a replay writes nothing").isEqualTo(waiting.id());
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1))).hasSize(recordsBefore + 1);
        assertThat(trainings).hasValue(1);
        assertThat(platform.registry().listVersions(model)).hasSize(2);

        // Once v2 serves in v1's place, a request citing a report of v1 trains nothing either.
        SetUpApproval.approve(platform, new ModelVersion(model, 2));
        platform.deployments().deploy(model, 2, Principal.SYSTEM);
        AuditRecord replaced = platform.retraining().handle(new RetrainService.Request("request/25", model, 1,
                report(25)));

        assertThat(replaced.outcome()).isEqualTo("failed");
        assertThat(replaced.details().get("reason")).contains("v1 is no longer the version in production (v2 is)");
        assertThat(trainings).hasValue(1);
        assertThat(platform.registry().listVersions(model)).hasSize(2);
        assertThat(platform.artifacts().list(ArtifactStore.MODELS, RetrainService.UPLOAD_PREFIX)).hasSize(1);
        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.RETRAIN_COMPLETED)).singleElement()
                .satisfies(e -> assertThat(e.id()).isEqualTo(first.id()));
    }

    @Test
    void requestsWithOtherEventIdsCitingOneReportDeliveredAtOnceRegisterOneCandidateAndRecordOneOutcome()
            throws Exception {
        uploadTrainingDataset();
        String reportId = report(15);
        LocalDate today = LocalDate.now(java.time.ZoneOffset.UTC);
        int recordsBefore = platform.audit().read(today.minusDays(1), today.plusDays(1)).size();

        List<AuditRecord> answers = health.vigil.contract.Parallel.run(4, t -> platform.retraining().handle(
                new RetrainService.Request("delivery-" + t, model, 1, reportId)));

        // One training: the others waited on the report's lease for its outcome.
        assertThat(trainings).hasValue(1);
        assertThat(answers).extracting(AuditRecord::id).containsOnly(answers.get(0).id());
        assertThat(answers.get(0).outcome()).as(answers.get(0).details().toString()).isEqualTo("uploaded");
        assertThat(platform.registry().listVersions(model)).hasSize(2);
        assertThat(platform.artifacts().list(ArtifactStore.MODELS, RetrainService.UPLOAD_PREFIX)).singleElement()
                .satisfies(a -> assertThat(a.name()).isEqualTo(answers.get(0).details().get("packageBlob")));
        // Registered (one record), completed (one record); no refused upload under a taken name.
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1))).hasSize(recordsBefore + 2)
                .noneMatch(r -> r.outcome().equals("rejected"));
        // One event: requests that find the outcome at once may each publish it before either marks it announced
        // (published at least once, ADR 0025), always under the outcome's id, which subscribers deduplicate on.
        assertThat(published).filteredOn(e -> e.type().equals(EventTypes.RETRAIN_COMPLETED)).isNotEmpty()
                .allSatisfy(e -> assertThat(e.id()).isEqualTo(answers.get(0).id()));
    }

    @Test
    void requestsCitingTwoReportsOfTheModelAtOnceTrainOneCandidateAndTheOtherIsDeliveredAgainAndTrainsNothing()
            throws Exception {
        uploadTrainingDataset();
        RetrainService.Request first = new RetrainService.Request("request/26", model, 1, report(26));
        RetrainService.Request second = new RetrainService.Request("request/27", model, 1, report(27));
        LocalDate today = LocalDate.now(java.time.ZoneOffset.UTC);
        CountDownLatch firstTrained = new CountDownLatch(1);
        CountDownLatch secondAnswered = new CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<RuntimeException> secondFailure =
                new java.util.concurrent.atomic.AtomicReference<>();
        // The first has passed its check and trained, and stores nothing until the second, sent meanwhile, is answered.
        afterTraining.set(() -> {
            firstTrained.countDown();
            await(secondAnswered);
        });
        ExecutorService deliveries = Executors.newFixedThreadPool(2);
        AuditRecord trained;
        try {
            Future<AuditRecord> firstDelivery = deliveries.submit(() -> platform.retraining().handle(first));
            Future<?> secondDelivery = deliveries.submit(() -> {
                await(firstTrained);
                try {
                    platform.retraining().handle(second);
                } catch (RuntimeException e) {
                    secondFailure.set(e);
                } finally {
                    secondAnswered.countDown();
                }
            });
            secondDelivery.get(5, TimeUnit.MINUTES);
            trained = firstDelivery.get(5, TimeUnit.MINUTES);
        } finally {
            deliveries.shutdownNow();
        }

        assertThat(trained.outcome()).as(trained.details().toString()).isEqualTo("uploaded");
        assertThat(trainings).as("one candidate of v1 at a time").hasValue(1);
        assertThat(platform.registry().listVersions(model)).hasSize(2);
        // The second failed without a record, to be delivered again, and its error names the training under way.
        assertThat(secondFailure.get()).isInstanceOf(health.vigil.error.StoreException.class)
                .hasMessageContaining("a retraining of model " + model.value())
                .hasMessageContaining("is being worked on by another run")
                .hasMessageContaining("tried again later");
        int recordsBefore = platform.audit().read(today.minusDays(1), today.plusDays(1)).size();

        // Delivered again, and again, once the first is done: it finds that candidate on its way and trains nothing.
        AuditRecord again = platform.retraining().handle(second);
        AuditRecord replay = platform.retraining().handle(second);

        assertThat(again.outcome()).isEqualTo("failed");
        assertThat(again.details().get("reason")).contains("v2, newer than v1, is on its way to production");
        assertThat(replay.id()).isEqualTo(again.id());
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1))).hasSize(recordsBefore + 1);
        assertThat(trainings).hasValue(1);
        assertThat(platform.registry().listVersions(model)).hasSize(2);
        assertThat(platform.artifacts().list(ArtifactStore.MODELS, RetrainService.UPLOAD_PREFIX)).hasSize(1);
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(5, TimeUnit.MINUTES)).as("the other delivery got there").isTrue();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    @Test
    void aRetrainedVersionFailsItsGatesOnDataTheUploaderOfTheVersionItWasRetrainedFromRegistered() {
        uploadTrainingDataset();
        AuditRecord done = platform.retraining().handle(new RetrainService.Request("request/19", model, 1,
                report(19)));
        ModelVersion successor = new ModelVersion(model, Integer.parseInt(done.details().get("version")));
        // The parent's uploader chose the rows the retrained version is judged on.
        HeldOutEvaluationData held = HeldOutEvaluationData.generate(CLINICAL, 2_000, 5);
        platform.datasets().register(new EvaluationDataset.Declaration(model.value(), "evaluation.csv", held.label(),
                held.ageColumn(), held.sexColumn(), held.segments()), held.csv(),
                new Principal("data-scientist", Set.of(Role.DATASETS_REGISTER)));

        GateReport gates = platform.gates().onRegistered(successor, "registered-" + successor.number()).orElseThrow();

        assertThat(gates.passed()).isFalse();
        assertThat(gates.checks()).filteredOn(c -> c.check().equals("dataset_registered_by_another")).singleElement()
                .satisfies(c -> {
                    assertThat(c.outcome()).isEqualTo(health.vigil.model.GateCheck.Outcome.FAILED);
                    assertThat(c.note()).startsWith("the uploader of readmission:1, which this version was retrained"
                            + " from, registered evaluation dataset");
                });
    }

    @Test
    void aRetrainedVersionIsRetrainedOnTheFileItsLineBeganWithPlusTheRowsEachRetrainingAdded() {
        uploadTrainingDataset();
        AuditRecord first = platform.retraining().handle(new RetrainService.Request("request/17", model, 1,
                report(17)));
        assertThat(first.outcome()).as(first.details().toString()).isEqualTo("uploaded");
        ModelVersion second = new ModelVersion(model, Integer.parseInt(first.details().get("version")));
        SetUpApproval.approve(platform, second);
        platform.deployments().deploy(model, second.number(), Principal.SYSTEM);
        // The retrained version serves; its patients' outcomes come in, and its own monitoring asks for retraining.
        scoreAndLabel(300, 7, 200);
        String report = SetUpMonitoringReport.stable(platform, second, LocalDate.of(2026, 9, 1), true);

        AuditRecord again = platform.retraining().handle(new RetrainService.Request("request/18", model,
                second.number(), report));

        assertThat(again.outcome()).as(again.details().toString()).isEqualTo("uploaded");
        assertThat(trainings).hasValue(2);
        VersionRecord parent = platform.registry().getVersion(model, second.number());
        VersionRecord third = platform.registry().getVersion(model, Integer.parseInt(again.details().get("version")));
        Map<String, String> lineage = third.manifest().provenance().parameters();
        assertThat(lineage).containsEntry("lineage.parentVersion", Integer.toString(second.number()))
                .containsEntry("lineage.productionRows", "200");
        // Named by its parent's dataset and the rows added now, as its parent's was by the first file and its rows.
        assertThat(third.manifest().provenance().datasetSha256()).isEqualTo(health.vigil.port.Retrainer
                .combinedDataset(parent.manifest().provenance().datasetSha256(), lineage.get("lineage.productionDataset")));
        assertThat(third.manifest().provenance().parameters().get("dataset.source")).as("300 + 200 labelled rows")
                .endsWith(" + 500 labelled production rows");
    }

    /**
     * Outcomes come in weeks after their predictions: a retraining reads the log back to where its line's first
     * retraining began, so that a prediction still unlabelled when an earlier retraining of the line read the log, or
     * logged while that one trained, is trained on once its outcome is in, and no prediction is in two of the line's
     * files.
     */
    @Test
    void predictionsLabelledAfterAnEarlierRetrainingOfTheLineReadTheLogAreTrainedOnOnceByTheNext() {
        uploadTrainingDataset();
        // Scored while version 2 trains: after its retraining read the log, before version 2 is registered.
        java.util.concurrent.atomic.AtomicReference<Scored> whileTraining =
                new java.util.concurrent.atomic.AtomicReference<>();
        afterTraining.set(() -> whileTraining.set(scoreAndLabel(50, 10, 40)));
        ModelVersion second = retrainedAndDeployed(new RetrainService.Request("request/24", model, 1, report(24)));
        // The outcomes of the first patients' other 100 predictions come in; version 2's own patients are scored.
        label(firstScored, 300, 400);
        Scored later = scoreAndLabel(60, 11, 30);

        AuditRecord again = platform.retraining().handle(new RetrainService.Request("request/25", model,
                second.number(), SetUpMonitoringReport.stable(platform, second, LocalDate.of(2026, 9, 1), true)));

        assertThat(again.outcome()).as(again.details().toString()).isEqualTo("uploaded");
        VersionRecord third = platform.registry().getVersion(model, Integer.parseInt(again.details().get("version")));
        assertThat(third.manifest().provenance().parameters()).containsEntry("lineage.productionRows", "170")
                .containsEntry("lineage.productionFrom", platform.registry().getVersion(model, 1).registeredAt()
                        .toString());
        assertThat(third.manifest().provenance().datasetRows()).isEqualTo(3_000 + 300 + 170);
        assertThat(predictionsIn(platform.registry().getVersion(model, second.number())))
                .containsExactlyInAnyOrderElementsOf(firstScored.ids(0, 300));
        List<String> added = new ArrayList<>(firstScored.ids(300, 400));
        added.addAll(whileTraining.get().ids(0, 40));
        added.addAll(later.ids(0, 30));
        assertThat(predictionsIn(third)).containsExactlyInAnyOrderElementsOf(added);
    }

    /**
     * A line whose earlier file the release before prediction ids stored cannot tell that file's predictions from
     * fresh ones: its next retraining reads the log from the registration of the version that file trained, as that
     * release did, so that none is trained on twice.
     */
    @Test
    void aLineWhoseEarlierFileGivesNoPredictionIdsIsReadFromTheRegistrationOfTheVersionThatFileTrained() {
        uploadTrainingDataset();
        asAnEarlierRelease.set(RetrainLoopTest.this::withoutPredictionIds);
        ModelVersion second = retrainedAndDeployed(new RetrainService.Request("request/26", model, 1, report(26)));
        label(firstScored, 300, 400);
        Scored later = scoreAndLabel(60, 11, 30);

        AuditRecord again = platform.retraining().handle(new RetrainService.Request("request/27", model,
                second.number(), SetUpMonitoringReport.stable(platform, second, LocalDate.of(2026, 9, 1), true)));

        assertThat(again.outcome()).as(again.details().toString()).isEqualTo("uploaded");
        VersionRecord third = platform.registry().getVersion(model, Integer.parseInt(again.details().get("version")));
        assertThat(third.manifest().provenance().parameters()).containsEntry("lineage.productionRows", "30")
                .containsEntry("lineage.productionFrom", platform.registry().getVersion(model, second.number())
                        .registeredAt().toString());
        assertThat(third.manifest().provenance().datasetRows()).isEqualTo(3_000 + 300 + 30);
        assertThat(predictionsIn(third)).containsExactlyInAnyOrderElementsOf(later.ids(0, 30));
    }

    /** The prediction ids of the production rows a retrained version added, one per row, from its stored file. */
    private List<String> predictionsIn(VersionRecord version) {
        String sha256 = version.manifest().provenance().parameters().get("lineage.productionDataset");
        try (InputStream in = platform.artifacts().open(ArtifactStore.DATASETS, RetrainService.datasetBlob(sha256))) {
            List<String> lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).lines().toList();
            int column = List.of(lines.get(0).split("\t")).indexOf("predictionId");
            assertThat(column).as("the file gives each row's prediction id: " + lines.get(0)).isNotNegative();
            return lines.subList(1, lines.size()).stream().map(line -> line.split("\t")[column]).toList();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aDeliveryWhoseHolderDiedTakesTheExpiredLeaseOverAndTrains() {
        uploadTrainingDataset();
        RetrainService.Request request = new RetrainService.Request("request/16", model, 1, report(16));
        // A delivery took the lease and died before anything else: the lease it left has expired.
        expireLease(request);

        AuditRecord answer = platform.retraining().handle(request);

        assertThat(answer.outcome()).as(answer.details().toString()).isEqualTo("uploaded");
        assertThat(trainings).hasValue(1);
        // Given up when the training ended, so a later delivery would not wait for it.
        health.vigil.port.BlobLease.Lease left = Json.read("the lease", lease(request).getBytes(StandardCharsets.UTF_8),
                health.vigil.port.BlobLease.Lease.class);
        assertThat(left.holder()).isNotEqualTo("a run that died");
        assertThat(left.until()).isBefore(java.time.Instant.now().minusSeconds(60));
    }

    /** The leases a run holds while it trains, found expired: its report's and its model's. */
    private void expireLease(RetrainService.Request request) {
        for (String lease : List.of(RetrainService.leaseName(request), RetrainService.modelLeaseName(model))) {
            platform.artifacts().put(ArtifactStore.MONITORING, lease, new ByteArrayInputStream(
                    Json.writeBytes(new health.vigil.port.BlobLease.Lease("a run that died",
                            java.time.Instant.now().minusSeconds(1)))), true);
        }
    }

    private String lease(RetrainService.Request request) {
        try (java.io.InputStream in = platform.artifacts().open(ArtifactStore.MONITORING,
                RetrainService.leaseName(request))) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Test
    void aReportWhoseOutcomeAnEarlierReleaseRecordedUnderAnEventIdIsNotRetrainedAgain() {
        uploadTrainingDataset();
        String subject = new ModelVersion(model, 1).subject();
        // Earlier releases keyed the outcome on the event id: the platform's own event, whose id is the
        // retrain.request record's, and an operator's re-send with a fresh id.
        String platformReport = report(16);
        String platformEvent = platform.monitoring().retrainRequestOf(platformReport).orElseThrow().id();
        AuditRecord deferred = platform.audit().recordOnce(RetrainService.ACTION + ":" + platformEvent,
                RetrainService.ACTOR, RetrainService.ACTION, subject, "deferred", Map.of("parentVersion", "1",
                        "reportId", platformReport, "reason", "this app has no training library"));
        String operatorReport = report(17);
        AuditRecord operators = platform.audit().recordOnce(RetrainService.ACTION + ":operator-event",
                RetrainService.ACTOR, RetrainService.ACTION, subject, "deferred", Map.of("parentVersion", "1",
                        "reportId", operatorReport, "reason", "this app has no training library"));
        LocalDate today = LocalDate.now(java.time.ZoneOffset.UTC);
        int recordsBefore = platform.audit().read(today.minusDays(1), today.plusDays(1)).size();

        for (String eventId : List.of(platformEvent, "operator-resend")) {
            assertThat(platform.retraining().handle(new RetrainService.Request(eventId, model, 1, platformReport)).id())
                    .as(eventId).isEqualTo(deferred.id());
        }
        assertThat(platform.retraining().handle(new RetrainService.Request("operator-event", model, 1,
                operatorReport)).id()).isEqualTo(operators.id());

        assertThat(trainings).hasValue(0);
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1))).hasSize(recordsBefore);
        // An event id whose earlier record cites another report is no answer for this one.
        AuditRecord other = platform.retraining().handle(new RetrainService.Request("operator-event", model, 1,
                report(18)));
        assertThat(other.outcome()).as(other.details().toString()).isEqualTo("uploaded");
        assertThat(trainings).hasValue(1);
    }

    @Test
    void withoutItsTrainingDatasetARequestIsRecordedAsFailedOnceAndTrainsWhenSentAgainAfterTheUpload() {
        RetrainService.Request request = new RetrainService.Request("request-2", model, 1, report(8));
        java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        int recordsBefore = platform.audit().read(today.minusDays(1), today.plusDays(1)).size();

        AuditRecord failed = platform.retraining().handle(request);
        AuditRecord again = platform.retraining().handle(request);

        assertThat(failed.outcome()).isEqualTo("failed");
        assertThat(failed.details().get("reason")).contains(trainingSha256).contains("datasets").contains("send the request again");
        assertThat(again.id()).as("a replay while the file is missing writes nothing").isEqualTo(failed.id());
        assertThat(platform.retraining().handle(new RetrainService.Request("request-2-resent", model, 1, report(8)))
                .id()).as("nor does a request with another id citing the report").isEqualTo(failed.id());
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1))).hasSize(recordsBefore + 1);
        assertThat(platform.artifacts().list(ArtifactStore.MODELS, RetrainService.UPLOAD_PREFIX)).isEmpty();
        assertThat(published).extracting(VigilEvent::type).doesNotContain(EventTypes.RETRAIN_COMPLETED);
        assertThat(trainings).hasValue(0);

        // The runbook's remedy: upload the parent's training dataset and send the same request again.
        uploadTrainingDataset();
        AuditRecord done = platform.retraining().handle(request);

        assertThat(done.outcome()).as(done.details().toString()).isEqualTo("uploaded");
        assertThat(done.id()).isNotEqualTo(failed.id());
        assertThat(trainings).hasValue(1);
        assertThat(platform.registry().listVersions(model)).hasSize(2);
        assertThat(platform.retraining().handle(request).id()).as("and once uploaded, it is done").isEqualTo(done.id());
        assertThat(trainings).hasValue(1);
    }

    @Test
    void aRequestThatCitesNoReportTheMonitoringCheckRecordedOnTheVersionItRetrainsIsRefusedAndWritesNothing() {
        uploadTrainingDataset();
        String recorded = report(12);
        String window = recorded.substring(recorded.indexOf("/stable/") + "/stable/".length());
        // A report on the canary slot, on another version and on another model, recorded as checks record them.
        String canary = model.value() + "/v1/canary/" + window;
        String otherVersion = model.value() + "/v2/stable/" + window;
        String otherModel = "adherence/v1/stable/" + window;
        for (String id : List.of(canary, otherVersion, otherModel)) {
            platform.audit().recordOnce(OnceKeys.monitoringCheck(id), MonitoringService.ACTOR,
                    MonitoringService.CHECK_ACTION, "/models/x", "alert", Map.of("reportId", id));
        }
        java.time.LocalDate today = java.time.LocalDate.now(java.time.ZoneOffset.UTC);
        int recordsBefore = platform.audit().read(today.minusDays(1), today.plusDays(1)).size();

        // A report on another slot, version or model can never be retrained for: refused for good (400).
        Map<String, String> refusals = Map.of(
                "report-7", "is not a report on the stable slot of " + model.value() + " v1",
                canary, "is not a report on the stable slot",
                otherVersion, "is not a report on the stable slot",
                otherModel, "is not a report on the stable slot");
        refusals.forEach((reportId, message) -> assertThatThrownBy(() -> platform.retraining().handle(
                new RetrainService.Request("forged-" + reportId, model, 1, reportId)))
                .as(reportId).isInstanceOf(health.vigil.error.ValidationException.class).hasMessageContaining(message));
        // A report not recorded may be one whose record this read does not see yet: not found (404), tried again.
        String unrecorded = model.value() + "/v1/stable/2026-10-01T000000Z--2026-10-02T000000Z";
        assertThatThrownBy(() -> platform.retraining().handle(
                new RetrainService.Request("forged-" + unrecorded, model, 1, unrecorded)))
                .isInstanceOfSatisfying(health.vigil.error.NotFoundException.class,
                        e -> assertThat(e.code()).isEqualTo(health.vigil.error.ErrorCode.NOT_FOUND))
                .hasMessageContaining("no monitoring report with this reportId is recorded");

        assertThat(trainings).hasValue(0);
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1))).hasSize(recordsBefore);
        assertThat(platform.registry().listVersions(model)).hasSize(1);
        assertThat(published).extracting(VigilEvent::type).doesNotContain(EventTypes.RETRAIN_COMPLETED);
        // The recorded report on the version it retrains is accepted.
        assertThat(platform.retraining().handle(new RetrainService.Request("request-12", model, 1, recorded)).outcome())
                .isEqualTo("uploaded");
    }

    @Test
    void aRequestCitingARecordedReportThatAskedForNoRetrainingIsRefusedAndTrainsAndWritesNothing() {
        uploadTrainingDataset();
        // A report the check made on the version it retrains, whose verdict asked for nothing: a request citing it
        // (made up, or sent by a subscription that should not have sent it) is not the check's.
        String quiet = SetUpMonitoringReport.stable(platform, new ModelVersion(model, 1), LocalDate.of(2026, 11, 20),
                false);
        LocalDate today = LocalDate.now(java.time.ZoneOffset.UTC);
        int recordsBefore = platform.audit().read(today.minusDays(1), today.plusDays(1)).size();

        for (int delivery = 1; delivery <= 2; delivery++) {
            assertThatThrownBy(() -> platform.retraining().handle(new RetrainService.Request("forged-quiet", model, 1,
                    quiet))).isInstanceOfSatisfying(ConflictException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.CONFLICT);
                        assertThat(e.code().httpStatus()).isEqualTo(409);
                    }).hasMessageStartingWith("the monitoring report " + quiet + " did not ask for retraining");
        }

        assertThat(trainings).hasValue(0);
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1))).hasSize(recordsBefore);
        assertThat(platform.artifacts().list(ArtifactStore.MODELS, RetrainService.UPLOAD_PREFIX)).isEmpty();
        assertThat(platform.registry().listVersions(model)).hasSize(1);
        assertThat(published).extracting(VigilEvent::type).doesNotContain(EventTypes.RETRAIN_COMPLETED);
        // The report of the next day asked: its request trains.
        assertThat(platform.retraining().handle(new RetrainService.Request("request-21", model, 1, report(21)))
                .outcome()).isEqualTo("uploaded");
    }

    @Test
    void aTrainingDatasetFileThatIsNotTheParentsDataIsRecordedAsFailedOnceAndNothingIsUploaded() {
        platform.artifacts().put(ArtifactStore.DATASETS, RetrainService.datasetBlob(trainingSha256),
                new ByteArrayInputStream("key\tlabel\n".getBytes(StandardCharsets.UTF_8)), false);

        AuditRecord failed = platform.retraining().handle(new RetrainService.Request("request-4", model, 1, report(10)));
        AuditRecord again = platform.retraining().handle(new RetrainService.Request("request-4", model, 1, report(10)));

        assertThat(failed.outcome()).isEqualTo("failed");
        assertThat(again.id()).isEqualTo(failed.id());
        assertThat(failed.details().get("reason")).contains("is not the dataset the model was trained on")
                .contains("model pipeline");
        assertThat(platform.artifacts().list(ArtifactStore.MODELS, RetrainService.UPLOAD_PREFIX)).isEmpty();
        assertThat(platform.registry().listVersions(model)).hasSize(1);
    }

    @Test
    void aParentTrainedFromASourceFileIsRecordedAsFailedOnceWithoutAskingForAnUploadThatCannotWork() {
        // Trained as vigil train adherence --data trains: on a dispensing CSV, whose sha256 its provenance names.
        ModelTraining training = new ModelTraining(CodeVersion.ofThisBuild(), Clock.systemUTC());
        Dataset source = ClinicalModel.ADHERENCE.synthetic(2_000, 5).dataset();
        TrainedModel parent = training.train(ClinicalModel.ADHERENCE, source, TrainingSettings.defaults()
                .withAlgorithm(Algorithm.LOGISTIC).withSeed(5), TrainingProgress.NONE);
        assertThat(parent.manifest().provenance().parameters().get("dataset.source"))
                .isEqualTo("dispensing histories (synthetic-dispensing-seed-5.csv)");
        ModelName adherence = register(ModelPackager.packageBytes(parent, ModelPackager.onnx(parent)), "adherence.zip")
                .modelName();
        String sourceSha256 = parent.manifest().provenance().datasetSha256();
        String reportId = SetUpMonitoringReport.stable(platform, new ModelVersion(adherence, 1),
                LocalDate.of(2026, 11, 14), true);
        RetrainService.Request request = new RetrainService.Request("request-source", adherence, 1, reportId);
        LocalDate today = LocalDate.now(java.time.ZoneOffset.UTC);
        int recordsBefore = platform.audit().read(today.minusDays(1), today.plusDays(1)).size();

        AuditRecord failed = platform.retraining().handle(request);
        AuditRecord again = platform.retraining().handle(request);

        assertThat(failed.outcome()).isEqualTo("failed");
        assertThat(failed.details().get("reason"))
                .contains("trained from the source file synthetic-dispensing-seed-5.csv").contains(sourceSha256)
                .contains("vigil train adherence --data").contains("model pipeline").contains("gates")
                .doesNotContain("upload it as").doesNotContain("send the request again");
        assertThat(again.id()).as("a replay writes nothing").isEqualTo(failed.id());
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1))).hasSize(recordsBefore + 1);

        // The outcome is final: a file stored under the source's sha256, as the demo stores one, changes nothing.
        platform.artifacts().put(ArtifactStore.DATASETS, RetrainService.datasetBlob(sourceSha256),
                new ByteArrayInputStream(DatasetFile.bytes(ClinicalModel.ADHERENCE.pipeline().rawSchema(), source)),
                false);
        assertThat(platform.retraining().handle(request).id()).isEqualTo(failed.id());
        assertThat(platform.audit().read(today.minusDays(1), today.plusDays(1))).hasSize(recordsBefore + 1);
        assertThat(trainings).hasValue(0);
        assertThat(platform.artifacts().list(ArtifactStore.MODELS, RetrainService.UPLOAD_PREFIX)).isEmpty();
        assertThat(platform.registry().listVersions(adherence)).hasSize(1);
        assertThat(published).extracting(VigilEvent::type).doesNotContain(EventTypes.RETRAIN_COMPLETED);
    }

    @Test
    void anAppWithoutTheTrainingLibraryRecordsTheRequestAsDeferredAndUploadsNothing() {
        platform.close();
        platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(published::add).build();

        AuditRecord deferred = platform.retraining().handle(new RetrainService.Request("request-3", model, 1, report(9)));

        assertThat(deferred.outcome()).isEqualTo("deferred");
        assertThat(deferred.details()).containsEntry("reportId", report(9)).containsKey("reason");
        assertThat(platform.artifacts().list(ArtifactStore.MODELS, RetrainService.UPLOAD_PREFIX)).isEmpty();
        assertThat(published).extracting(VigilEvent::type).doesNotContain(EventTypes.RETRAIN_COMPLETED);
    }

    /**
     * The id of a monitoring report on version 1's stable slot over day {@code day} of November that asked for
     * retraining, stored and recorded as the monitoring check stores and records the reports it makes and the
     * retraining requests it raises (once; the same day gives the same report).
     */
    private String report(int day) {
        return SetUpMonitoringReport.stable(platform, new ModelVersion(model, 1), LocalDate.of(2026, 11, day), true);
    }

    private VersionRecord register(byte[] zip, String blob) {
        return register(zip, blob, null);
    }

    /** Registers {@code blob}, stored first as {@code uploader}'s upload when {@code zip} is given. */
    private VersionRecord register(byte[] zip, String blob, String uploader) {
        if (zip != null) {
            platform.artifacts().put(ArtifactStore.MODELS, blob, new ByteArrayInputStream(zip), false, uploader);
        }
        long size = platform.artifacts().describe(ArtifactStore.MODELS, blob).orElseThrow().size();
        RegistrationOutcome outcome = platform.registration().register(new BlobCreated("upload-" + blob,
                ArtifactStore.MODELS, blob, null, size, null));
        assertThat(outcome.kind()).as(outcome.message()).isEqualTo(RegistrationOutcome.Kind.REGISTERED);
        return outcome.version();
    }
}
