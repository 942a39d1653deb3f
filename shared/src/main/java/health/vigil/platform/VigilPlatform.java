package health.vigil.platform;

import health.vigil.adapter.azure.AzureAdapters;
import health.vigil.adapter.local.LocalAdapters;
import health.vigil.adapter.onnx.OrtModelRuntime;
import health.vigil.approval.ApprovalService;
import health.vigil.audit.AccessAudit;
import health.vigil.audit.AuditEvidence;
import health.vigil.audit.AuditLog;
import health.vigil.compliance.PredictionLineage;
import health.vigil.config.VigilConfig;
import health.vigil.canary.CanaryRequirement;
import health.vigil.canary.CanaryService;
import health.vigil.canary.CanaryWakeups;
import health.vigil.deployment.DeploymentService;
import health.vigil.error.NotFoundException;
import health.vigil.error.VigilException;
import health.vigil.features.FeaturePipeline;
import health.vigil.features.FeaturePipelines;
import health.vigil.features.SegmentValues;
import health.vigil.cards.ModelCards;
import health.vigil.experiment.ExperimentService;
import health.vigil.gates.EvaluationDatasets;
import health.vigil.model.MirroredRows;
import health.vigil.model.ShadowScore;
import health.vigil.shadow.ShadowMirror;
import health.vigil.shadow.ShadowService;
import health.vigil.gates.GateEvaluation;
import health.vigil.gates.GatePolicies;
import health.vigil.gates.GatePolicy;
import health.vigil.modelpackage.RegisteredModelLoader;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.SegmentColumns;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.AuditSigner;
import health.vigil.port.AuditStore;
import health.vigil.port.EventPublisher;
import health.vigil.port.WorkQueue;
import health.vigil.scoring.batch.BatchRetention;
import health.vigil.scoring.batch.BatchService;
import health.vigil.scoring.batch.BatchSettings;
import health.vigil.port.ModelRuntime;
import health.vigil.port.OutcomeStore;
import health.vigil.port.PredictionLog;
import health.vigil.port.RegistryStore;
import health.vigil.port.RequestStatsStore;
import health.vigil.port.Retrainer;
import health.vigil.port.SecretProvider;
import health.vigil.port.Telemetry;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.modelpackage.ModelPackageReader;
import health.vigil.monitoring.DriftBaseline;
import health.vigil.monitoring.MonitoringPolicy;
import health.vigil.monitoring.MonitoringService;
import health.vigil.monitoring.OutcomeJoin;
import health.vigil.monitoring.RetrainPolicy;
import health.vigil.outcomes.OutcomeRetention;
import health.vigil.outcomes.OutcomeService;
import health.vigil.registry.Announcements;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.RegistrationService;
import health.vigil.registry.VersionLifecycle;
import health.vigil.retraining.RetrainService;
import health.vigil.modelpackage.ZipModelPackageReader;
import health.vigil.scoring.PredictionExplanations;
import health.vigil.scoring.PredictionRetention;
import health.vigil.scoring.RequestStatsRecorder;
import health.vigil.scoring.ScoringService;
import health.vigil.security.Authenticator;
import java.time.Clock;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Objects;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * The composition root: builds the adapters that {@link VigilConfig} asks for (embedded stores locally,
 * Azure services in Azure), wires the services on top of them, and closes everything in reverse order.
 * Function classes and the CLI get their services from here and nowhere else.
 */
public final class VigilPlatform implements AutoCloseable {
    private final VigilConfig config;
    private final Clock clock;
    private final ArtifactStore artifacts;
    private final RegistryStore registryStore;
    private final PredictionLog predictionLog;
    private final Authenticator authenticator;
    private final Telemetry telemetry;
    private final AuditLog audit;
    private final ModelRegistry registry;
    private final RegistrationService registration;
    private final VersionLifecycle lifecycle;
    private final ApprovalService approvals;
    private final DeploymentService deployments;
    private final CanaryService canaries;
    private final CanaryWakeups canaryWakeups;
    private final ScoringService scoring;
    private final RequestStatsRecorder requestStats;
    /** How often an instance writes its request counts for the canary controller to read. */
    static final java.time.Duration REQUEST_STATS_FLUSH = java.time.Duration.ofSeconds(5);
    private final PredictionRetention retention;
    private final PredictionExplanations explanations;
    private final OutcomeService outcomes;
    private final OutcomeJoin outcomeJoin;
    private final MonitoringService monitoring;
    private final RetrainService retraining;
    private final PredictionLineage lineage;
    private final AuditEvidence evidence;
    private final EvaluationDatasets datasets;
    private final GatePolicies gatePolicies;
    private final GateEvaluation gates;
    private final ModelCards cards;
    private final ShadowMirror shadowMirror;
    private final ShadowService shadows;
    private final ExperimentService experiments;
    private final BatchService batches;
    private final Deque<AutoCloseable> closeables;

    private VigilPlatform(Builder b, Adapters a, Deque<AutoCloseable> closeables) {
        this.config = b.config;
        this.clock = b.clock;
        this.closeables = closeables;
        this.artifacts = a.artifacts;
        this.registryStore = a.registry;
        this.predictionLog = a.predictions;
        ModelRuntime runtime = new OrtModelRuntime();
        closeables.push(runtime);
        Function<Manifest, FeaturePipeline> pipelines = b.pipelines;
        ModelPackageReader reader = new ZipModelPackageReader(runtime, config.limits(),
                id -> b.pipelineWidth.apply(id), pipelines, (manifest, columns, reference) ->
                        DriftBaseline.compile(manifest.features(), columns, reference, manifest.output().threshold()));
        this.telemetry = a.telemetry;
        this.audit = new AuditLog(a.audit, clock, a.telemetry);
        this.authenticator = new AccessAudit(a.authenticator, audit);
        this.evidence = new AuditEvidence(a.audit, audit, artifacts, a.signer, clock, a.telemetry);
        this.registry = new ModelRegistry(registryStore);
        EventPublisher events = new MeteredEventPublisher(a.events, a.telemetry);
        this.lifecycle = new VersionLifecycle(registryStore, audit, clock);
        this.registration = new RegistrationService(artifacts, reader, registryStore, audit, events, clock, a.telemetry);
        this.datasets = new EvaluationDatasets(artifacts, audit, clock, model -> newestSchema(model, pipelines));
        // The mirror scores through this platform's scoring service, and labels rows with the columns the gates
        // judge segments by (the model's latest evaluation dataset's), defined over the shadow version's schema.
        this.shadowMirror = new ShadowMirror(ShadowMirror.DEFAULT_CAPACITY, this::shadowScores,
                predictionLog, shadow -> new SegmentValues(segmentColumns(shadow.name()), pipelines.apply(
                        registry.getVersion(shadow.name(), shadow.number()).manifest()).rawSchema()),
                a.telemetry, clock);
        closeables.push(shadowMirror);
        Pseudonymizer pseudonymizer = new Pseudonymizer(a.secrets.secret(SecretProvider.PSEUDONYMISATION_KEY));
        this.requestStats = new RequestStatsRecorder(a.requestStats, clock).startFlushing(REQUEST_STATS_FLUSH);
        closeables.push(requestStats);
        this.scoring = new ScoringService(registry, artifacts, runtime, pipelines, predictionLog, pseudonymizer, clock,
                a.telemetry, config.limits(), shadowMirror, requestStats);
        // Batch files are scored by the same loaded versions, validator, pipelines and runtime as requests.
        this.batches = new BatchService(registry, scoring.models(), artifacts, predictionLog, pseudonymizer, audit,
                events, b.workQueue, clock, b.batchSettings, a.telemetry);
        this.gatePolicies = new GatePolicies(artifacts, registryStore, audit, clock);
        // A deploy returns once the version is loaded and warmed in this process's scoring service; a model's gate
        // policy may require its new versions to come through a canary.
        this.deployments = new DeploymentService(registryStore, lifecycle, audit, events, clock,
                scoring.models()::warm, model -> gatePolicies.current(model).requireCanary());
        // Every count of a few patients' outcomes is withheld by the model's one small-cell rule: its monitoring
        // policy's minCellSize, read when the count is made.
        ToIntFunction<ModelName> minCellSizes = model -> b.monitoringPolicies.apply(model).minCellSize();
        this.outcomeJoin = new OutcomeJoin(predictionLog, a.outcomes, minCellSizes);
        // Where a model's gate policy requires a canary, an operator starts one no higher than the policy's first step
        // and promotes it only once the analysis judged it.
        this.canaries = new CanaryService(registryStore, lifecycle, audit, events, predictionLog, clock,
                scoring.models()::warm, a.telemetry, requestStats::window, outcomeJoin::outcomesOf, minCellSizes,
                model -> canaryRequirement(gatePolicies.current(model)));
        this.canaryWakeups = new CanaryWakeups(canaries, registryStore, clock);
        closeables.push(canaryWakeups);
        this.outcomes = new OutcomeService(a.outcomes, predictionLog, artifacts, registry, pseudonymizer, audit, clock,
                config.predictionRetention());
        // Realised performance is broken down by the segments the model's gates judge.
        this.monitoring = new MonitoringService(registry, artifacts, pipelines, predictionLog, outcomeJoin, audit, events,
                a.telemetry, clock, b.monitoringPolicies, b.retrainPolicy,
                Math.min(config.limits().maxUncompressedBytes(), Integer.MAX_VALUE - 8),
                this::segmentColumns,
                // A large window is fanned out where a function listens on the queue: in Azure, and under the host.
                b.workQueueGiven || config.mode() == VigilConfig.Mode.AZURE ? Optional.of(b.workQueue) : Optional.empty(),
                b.monitoringFanOutAbove, config.monitoringSettling(), config.monitoringAwaitLimit());
        this.retraining = new RetrainService(registry, artifacts, registration, predictionLog, outcomeJoin::outcomesOf,
                monitoring::retrainRequestOf, pipelines, Optional.ofNullable(b.retrainer), audit,
                new Announcements(registryStore, events), clock, config.predictionRetention(), pseudonymizer);
        // The batch files of finished jobs and the outcomes of the predictions hold the same patients' data, and go
        // at the same day's cut-off.
        this.retention = new PredictionRetention(predictionLog, config.predictionRetention(), clock, requestStats, audit,
                new BatchRetention(artifacts, audit, clock), new OutcomeRetention(a.outcomes, artifacts, audit));
        this.explanations = new PredictionExplanations(predictionLog, registry, retention, pipelines, audit);
        this.shadows = new ShadowService(registryStore, audit, events, predictionLog, clock, scoring.models()::warm,
                // Only a process that scores has counts to show (in Azure the control app scores nothing).
                model -> Optional.of(shadowMirror.counts(model)).filter(c -> c.offered() > 0), minCellSizes);
        // Where a model's gate policy requires a canary, a treatment is a version that was stable before.
        this.experiments = new ExperimentService(registryStore, audit, events, predictionLog,
                Optional.of(outcomeJoin::outcomesOf), clock, scoring.models()::warm, minCellSizes,
                model -> gatePolicies.current(model).requireCanary());
        this.gates = new GateEvaluation(registryStore, lifecycle, artifacts, datasets, gatePolicies,
                new RegisteredModelLoader(artifacts, runtime, pipelines, config.limits().maxUncompressedBytes()), audit,
                events, clock, a.telemetry, minCellSizes);
        // An approval is signed only on a gate report judged on what is in force, which the gates say.
        this.approvals = new ApprovalService(registryStore, lifecycle, audit, events, clock, b.twoApproverModels,
                gates::changesSinceGates, a.telemetry);
        // The card reads the reports where the gates and the monitoring check stored them; it never calls either.
        this.cards = new ModelCards(registry, gates::find, gates::changesSinceGates, (id, slot) -> monitoring.reports()
                .latest(id.name().value(), id.number(), slot).map(CardMonitoring::window), predictionLog, clock);
        this.lineage = new PredictionLineage(predictionLog, registry, audit, pipelines, gates::find, clock,
                retention::removedByRetention);
    }

    public static Builder builder(VigilConfig config) {
        return new Builder(config);
    }

    public VigilConfig config() {
        return config;
    }

    public Clock clock() {
        return clock;
    }

    public Authenticator authenticator() {
        return authenticator;
    }

    /** Where the platform's metrics and spans go; the HTTP layer counts failed requests on it. */
    public Telemetry telemetry() {
        return telemetry;
    }

    public ArtifactStore artifacts() {
        return artifacts;
    }

    public PredictionLog predictionLog() {
        return predictionLog;
    }

    public AuditLog audit() {
        return audit;
    }

    /** Signed exports and chain-head anchors of the audit log. */
    public AuditEvidence auditEvidence() {
        return evidence;
    }

    public ModelRegistry registry() {
        return registry;
    }

    public RegistrationService registration() {
        return registration;
    }

    /** The one writer of a version's stage. */
    public VersionLifecycle lifecycle() {
        return lifecycle;
    }

    /** Clinical governance's signed approvals and rejections. */
    public ApprovalService approvals() {
        return approvals;
    }

    public DeploymentService deployments() {
        return deployments;
    }

    public CanaryService canaries() {
        return canaries;
    }

    /** The canary controller's event triggers: a tick on a ramp event and at each step's judge time. */
    public CanaryWakeups canaryWakeups() {
        return canaryWakeups;
    }

    public ScoringService scoring() {
        return scoring;
    }

    /** This instance's request counts and latencies per version and slot, and every instance's in the store. */
    public RequestStatsRecorder requestStats() {
        return requestStats;
    }

    public BatchService batches() {
        return batches;
    }

    public PredictionRetention predictionRetention() {
        return retention;
    }

    /** Past predictions' explanations, read back from the prediction log. */
    public PredictionExplanations explanations() {
        return explanations;
    }

    private List<ShadowScore> shadowScores(MirroredRows rows) {
        return scoring.shadowScores(rows);
    }

    public ExperimentService experiments() {
        return experiments;
    }

    public ShadowService shadows() {
        return shadows;
    }

    /** The scheduled monitoring check, its stored reports and the retraining requests it raises. */
    public MonitoringService monitoring() {
        return monitoring;
    }

    /** Retraining on request: trains a successor and uploads it for registration, gates and approval. */
    public RetrainService retraining() {
        return retraining;
    }

    /** Where a prediction came from: version, datasets, decisions and the deployment at that moment. */
    public PredictionLineage lineage() {
        return lineage;
    }

    public OutcomeService outcomes() {
        return outcomes;
    }

    public OutcomeJoin outcomeJoin() {
        return outcomeJoin;
    }

    public EvaluationDatasets datasets() {
        return datasets;
    }

    public GatePolicies gatePolicies() {
        return gatePolicies;
    }

    /** What a model's gate policy asks of its canaries: nothing unless it requires a canary. */
    private static CanaryRequirement canaryRequirement(GatePolicy policy) {
        return CanaryRequirement.of(policy.requireCanary(), policy.maxFirstCanaryStep());
    }

    public GateEvaluation gates() {
        return gates;
    }

    public ModelCards cards() {
        return cards;
    }

    @Override
    public void close() {
        RuntimeException first = null;
        while (!closeables.isEmpty()) {
            try {
                closeables.pop().close();
            } catch (Exception e) {
                if (first == null) {
                    first = e instanceof RuntimeException r ? r : new IllegalStateException("closing failed", e);
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /** The adapters behind the ports. */
    private record Adapters(ArtifactStore artifacts, RegistryStore registry, AuditStore audit, PredictionLog predictions,
            OutcomeStore outcomes, RequestStatsStore requestStats, SecretProvider secrets, Authenticator authenticator, EventPublisher events, Telemetry telemetry,
            AuditSigner signer) {}

    /** The columns a model's segments are judged by: those of its latest evaluation dataset, none without one. */
    private SegmentColumns segmentColumns(ModelName model) {
        return datasets.latest(model).map(d -> new SegmentColumns(d.ageColumn(), d.segmentColumns()))
                .orElse(SegmentColumns.NONE);
    }

    /** The raw features of a model's newest registered version, which a new evaluation dataset must be readable by. */
    private Optional<EvaluationDatasets.Schema> newestSchema(ModelName model, Function<Manifest, FeaturePipeline> pipelines) {
        List<VersionRecord> versions;
        try {
            versions = registry.listVersions(model);
        } catch (NotFoundException unknown) {
            return Optional.empty();
        }
        if (versions.isEmpty()) {
            return Optional.empty();
        }
        VersionRecord newest = versions.get(versions.size() - 1);
        try {
            return Optional.of(new EvaluationDatasets.Schema(newest.version(),
                    pipelines.apply(newest.manifest()).rawSchema()));
        } catch (VigilException unknownPipeline) {
            return Optional.empty();
        }
    }

    /** The feature pipelines of this build: the three clinical models' and identity. */
    private static final FeaturePipelines STANDARD_PIPELINES =
            FeaturePipelines.standard();

    /**
     * A monitoring window over at most this many log partitions is checked in one invocation: an hour of the local
     * log (two partitions when it is not aligned to the hour); on Cosmos DB an hour has one partition per shard (4 by
     * default), so a busy model's hourly check is fanned out.
     */
    public static final int DEFAULT_MONITORING_FAN_OUT_ABOVE = 2;

    /** Options of the platform; everything not set has a production default. */
    public static final class Builder {
        private final VigilConfig config;
        private Clock clock = Clock.systemUTC();
        private Telemetry telemetry = Telemetry.NONE;
        private EventPublisher events;
        private Function<Manifest, FeaturePipeline> pipelines = STANDARD_PIPELINES::forManifest;
        private Function<String, Optional<Integer>> pipelineWidth = STANDARD_PIPELINES::width;
        private Function<ModelName, MonitoringPolicy> monitoringPolicies = model -> MonitoringPolicy.DEFAULTS;
        private RetrainPolicy retrainPolicy = RetrainPolicy.DEFAULTS;
        private Retrainer retrainer;
        private Set<ModelName> twoApproverModels = Set.of();
        private WorkQueue workQueue = (queue, id, message) -> {
            throw new IllegalStateException("this platform has no work queue for " + queue + ": run it with 'vigil up'"
                    + " or in Azure, where batch partitions are queued");
        };
        private boolean workQueueGiven;
        private int monitoringFanOutAbove = DEFAULT_MONITORING_FAN_OUT_ABOVE;
        private BatchSettings batchSettings = BatchSettings.DEFAULTS;

        private Builder(VigilConfig config) {
            this.config = Objects.requireNonNull(config, "config");
        }

        private SecretProvider secrets;
        private Authenticator authenticator;
        private AuditSigner auditSigner;

        /**
         * What signs audit evidence, instead of the mode's default (the Key Vault key in Azure, a generated key
         * pair locally); the local platform on the storage emulators keeps the local key pair.
         */
        public Builder auditSigner(AuditSigner auditSigner) {
            this.auditSigner = Objects.requireNonNull(auditSigner, "auditSigner");
            return this;
        }

        /**
         * Where the pseudonymisation key comes from, instead of the mode's default (Key Vault in Azure, key
         * files locally); the local platform on the storage emulators keeps local key files.
         */
        public Builder secretProvider(SecretProvider secrets) {
            this.secrets = Objects.requireNonNull(secrets, "secrets");
            return this;
        }

        /** How callers are authenticated, instead of the mode's default (Entra ID in Azure, API keys locally). */
        public Builder authenticator(Authenticator authenticator) {
            this.authenticator = Objects.requireNonNull(authenticator, "authenticator");
            return this;
        }

        /** Where events go; locally the host's event bus. Required in local mode. */
        public Builder eventPublisher(EventPublisher events) {
            this.events = events;
            return this;
        }

        /** Where batch partitions are queued; locally the host's queue, in Azure a Storage queue. */
        public Builder workQueue(WorkQueue workQueue) {
            this.workQueue = Objects.requireNonNull(workQueue, "workQueue");
            this.workQueueGiven = true;
            return this;
        }

        /** How batch files are partitioned and chunked, instead of {@link BatchSettings#DEFAULTS}. */
        public Builder batchSettings(BatchSettings batchSettings) {
            this.batchSettings = Objects.requireNonNull(batchSettings, "batchSettings");
            return this;
        }

        /**
         * Above how many prediction-log partitions a monitoring window is fanned out over the work queue, one
         * invocation per partition, instead of {@value #DEFAULT_MONITORING_FAN_OUT_ABOVE}.
         */
        public Builder monitoringFanOutAbove(int partitions) {
            if (partitions < 1) {
                throw new IllegalArgumentException("a monitoring window is fanned out above 1 or more partitions");
            }
            this.monitoringFanOutAbove = partitions;
            return this;
        }

        /** Each model's monitoring policy, instead of {@link MonitoringPolicy#DEFAULTS} for all. */
        public Builder monitoringPolicies(Function<ModelName, MonitoringPolicy> policies) {
            this.monitoringPolicies = Objects.requireNonNull(policies, "policies");
            return this;
        }

        /** When monitoring asks for retraining, instead of {@link RetrainPolicy#DEFAULTS}. */
        public Builder retrainPolicy(RetrainPolicy policy) {
            this.retrainPolicy = Objects.requireNonNull(policy, "policy");
            return this;
        }

        /** The training library that retrains a model on request; without one, requests are deferred to the pipeline. */
        public Builder retrainer(Retrainer retrainer) {
            this.retrainer = Objects.requireNonNull(retrainer, "retrainer");
            return this;
        }

        /** Models whose versions need two distinct approvers instead of one. */
        public Builder twoApproverModels(Set<ModelName> models) {
            this.twoApproverModels = Set.copyOf(models);
            return this;
        }

        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        public Builder telemetry(Telemetry telemetry) {
            this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
            return this;
        }

        /** How a manifest's feature pipeline is found, and the width of a pipeline by id (for package checks). */
        public Builder pipelines(Function<Manifest, FeaturePipeline> pipelines, Function<String, Optional<Integer>> widthById) {
            this.pipelines = Objects.requireNonNull(pipelines, "pipelines");
            this.pipelineWidth = Objects.requireNonNull(widthById, "widthById");
            return this;
        }

        public VigilPlatform build() {
            Deque<AutoCloseable> closeables = new ArrayDeque<>();
            try {
                Adapters adapters = switch (config.mode()) {
                    case LOCAL -> local(closeables);
                    case AZURE -> azure(closeables);
                };
                return new VigilPlatform(this, adapters, closeables);
            } catch (RuntimeException e) {
                closeAll(closeables, e);
                throw e;
            }
        }

        private Adapters local(Deque<AutoCloseable> closeables) {
            if (events == null) {
                throw new IllegalStateException("local mode needs an event publisher: run the platform with 'vigil up'");
            }
            LocalAdapters local = track(closeables, LocalAdapters.at(config.home(), config.predictionLogDurability()));
            ArtifactStore artifacts = local.artifactStore();
            RegistryStore registry = local.registryStore();
            AuditStore audit = local.auditStore();
            PredictionLog predictions = local.predictionLog();
            return new Adapters(artifacts, registry, audit, predictions, local.outcomeStore(), local.requestStatsStore(),
                    secrets != null ? secrets : local.secretProvider(),
                    authenticator != null ? authenticator : local.authenticator(), events, telemetry,
                    auditSigner != null ? auditSigner : local.auditSigner());
        }

        private Adapters azure(Deque<AutoCloseable> closeables) {
            AzureAdapters azure = track(closeables, AzureAdapters.create(config));
            EventPublisher publisher = events != null ? events : azure.eventPublisher().orElseThrow(() ->
                    new IllegalStateException("VIGIL_AZURE_EVENTGRID_ENDPOINT is not set: Vigil needs its Event"
                            + " Grid topic to publish events (docs/settings.md)"));
            SecretProvider secretProvider = secrets != null ? secrets : azure.secretProvider().orElseThrow(() ->
                    new IllegalStateException("VIGIL_AZURE_KEYVAULT_URI is not set: Vigil needs Key Vault for the"
                            + " pseudonymisation key (docs/settings.md)"));
            if (!workQueueGiven) {
                // Resolved on first use: only the control app queues work, so the scoring app needs no queue setting.
                workQueue = (queue, id, message) -> azure.workQueue().send(queue, id, message);
            }
            return new Adapters(azure.artifactStore(), azure.registryStore(), azure.auditStore(), azure.predictionLog(),
                    azure.outcomeStore(), azure.requestStatsStore(), secretProvider, authenticator != null ? authenticator : azure.authenticator(), publisher,
                    telemetry != Telemetry.NONE ? telemetry : azure.telemetry(),
                    auditSigner != null ? auditSigner : azure.auditSigner().orElse(data -> {
                        throw new IllegalStateException("VIGIL_AZURE_KEYVAULT_URI is not set: Vigil signs audit"
                                + " evidence with the Key Vault key 'audit-signing' (docs/runbooks/key-rotation.md)");
                    }));
        }

        private static <T> T track(Deque<AutoCloseable> closeables, T resource) {
            if (resource instanceof AutoCloseable c) {
                closeables.push(c);
            }
            return resource;
        }

        private static void closeAll(Deque<AutoCloseable> closeables, RuntimeException cause) {
            while (!closeables.isEmpty()) {
                try {
                    closeables.pop().close();
                } catch (Exception suppressed) {
                    cause.addSuppressed(suppressed);
                }
            }
        }
    }

}
