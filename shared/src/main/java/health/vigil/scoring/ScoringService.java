package health.vigil.scoring;

import health.vigil.features.FeaturePipelines;
import health.vigil.config.VigilConfig;
import health.vigil.routing.MirrorSampling;
import health.vigil.routing.TrafficRouter;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.features.FeaturePipeline;
import health.vigil.model.Deployment;
import health.vigil.model.Manifest;
import health.vigil.explain.ClinicalExplainer;
import health.vigil.json.Json;
import health.vigil.model.Explanation;
import health.vigil.model.ModelName;
import health.vigil.model.MirroredRows;
import health.vigil.model.ModelOutputs;
import health.vigil.model.ModelVersion;
import health.vigil.model.OutputSpec;
import health.vigil.model.PredictionIds;
import health.vigil.model.PredictionRecord;
import health.vigil.model.ShadowScore;
import health.vigil.model.SlotMinuteStats;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.model.TrafficSlot;
import health.vigil.model.VersionRecord;
import health.vigil.port.ArtifactStore;
import health.vigil.port.ModelRuntime;
import health.vigil.port.PredictionLog;
import health.vigil.port.ShadowTraffic;
import health.vigil.port.Telemetry;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.registry.ModelRegistry;
import com.fasterxml.jackson.core.JsonGenerator;
import health.vigil.text.Words;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.IntUnaryOperator;
import java.util.stream.Collectors;

/**
 * Scores patients with a model: pseudonymises each patient id before anything else, routes each patient to
 * the stable or canary version by that pseudonym (or uses the version the caller named), validates every
 * row against its version's schema, runs each version once over its rows, and makes the prediction log
 * durable before it answers. Rows keep their request order in the answer. When the deployment has a shadow slot,
 * the share of rows its weight names is handed to {@link ShadowTraffic} after the answer is settled; the shadow
 * scores them elsewhere ({@link #shadowScores}) and never touches the answer.
 */
public final class ScoringService {
    private final ModelRegistry registry;
    private final LoadedModels models;
    private final PredictionLog log;
    private final Pseudonymizer pseudonymizer;
    private final Clock clock;
    private final Telemetry telemetry;
    private final VigilConfig.Limits limits;
    private final ConcurrentHashMap<ModelName, LivePlan> livePlans = new ConcurrentHashMap<>();
    private final RequestStatsRecorder requestStats;
    private final ShadowTraffic shadow;

    /**
     * @param pipelines finds the feature pipeline a manifest names; null means {@link FeaturePipelines#identityOnly()}
     */
    public ScoringService(ModelRegistry registry, ArtifactStore artifacts, ModelRuntime runtime,
            Function<Manifest, FeaturePipeline> pipelines, PredictionLog log, Pseudonymizer pseudonymizer, Clock clock,
            Telemetry telemetry, VigilConfig.Limits limits) {
        this(registry, artifacts, runtime, pipelines, log, pseudonymizer, clock, telemetry, limits, ShadowTraffic.NONE);
    }

    /** @param shadow where rows for a shadow version go; it must return at once (see {@link ShadowTraffic}) */
    public ScoringService(ModelRegistry registry, ArtifactStore artifacts, ModelRuntime runtime,
            Function<Manifest, FeaturePipeline> pipelines, PredictionLog log, Pseudonymizer pseudonymizer, Clock clock,
            Telemetry telemetry, VigilConfig.Limits limits, ShadowTraffic shadow) {
        this(registry, artifacts, runtime, pipelines, log, pseudonymizer, clock, telemetry, limits, shadow, null);
    }

    /**
     * @param shadow where rows for a shadow version go; it must return at once (see {@link ShadowTraffic})
     * @param requestStats counts each request's outcome and latency per version and slot (for canary analysis);
     *        null counts nothing
     */
    public ScoringService(ModelRegistry registry, ArtifactStore artifacts, ModelRuntime runtime,
            Function<Manifest, FeaturePipeline> pipelines, PredictionLog log, Pseudonymizer pseudonymizer, Clock clock,
            Telemetry telemetry, VigilConfig.Limits limits, ShadowTraffic shadow, RequestStatsRecorder requestStats) {
        this.shadow = Objects.requireNonNull(shadow, "shadow");
        this.requestStats = requestStats;
        this.registry = Objects.requireNonNull(registry, "registry");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.models = new LoadedModels(registry, artifacts, runtime,
                pipelines == null ? FeaturePipelines.identityOnly() : pipelines, limits);
        this.log = Objects.requireNonNull(log, "log");
        this.pseudonymizer = Objects.requireNonNull(pseudonymizer, "pseudonymizer");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
    }

    /** The cache of loaded versions (for health checks and warm-up). */
    public LoadedModels models() {
        return models;
    }

    public VigilConfig.Limits limits() {
        return limits;
    }

    /** See {@link LoadedModels#isReady(ModelName)}. */
    public boolean isReady(ModelName model) {
        return models.isReady(model);
    }

    /** See {@link LoadedModels#warmDeployed()}. */
    public List<ModelVersion> warmDeployed() {
        return models.warmDeployed();
    }

    /** See {@link LoadedModels#warm(ModelName)}. */
    public void warm(ModelName model) {
        models.warm(model);
    }

    public ScoreResult score(ScoreRequest request) {
        Objects.requireNonNull(request, "request");
        List<PatientRow> rows = request.rows();
        int n = rows.size();
        if (n > limits.maxBatchRows()) {
            throw new ValidationException(ErrorCode.BATCH_TOO_LARGE, "the request has " + n + " rows; at most "
                    + limits.maxBatchRows() + " are scored at once: split it into smaller batches");
        }
        // Pseudonymise first: nothing below ever sees the raw identifier.
        String[] pseudonyms = new String[n];
        for (int i = 0; i < n; i++) {
            try {
                pseudonyms[i] = pseudonymizer.pseudonym(rows.get(i).patientId());
            } catch (ValidationException e) {
                throw new ValidationException(ErrorCode.INVALID_REQUEST, "row " + (i + 1) + ": " + e.getMessage());
            }
        }
        Routing routing = route(request, pseudonyms);
        long started = System.nanoTime();
        try {
            ScoreResult result = scoreRouted(request, routing, pseudonyms);
            count(request.model(), routing, RequestStatsRecorder.Outcome.ANSWERED, System.nanoTime() - started);
            return result;
        } catch (ModelOutputException e) {
            // One version failed on its rows: its slot's analysis sees the failure; the other versions' rows of the
            // request were neither answered nor theirs to fail.
            count(request.model(), routing, e.version().number(), RequestStatsRecorder.Outcome.FAILED, 0);
            throw e;
        } catch (VigilException e) {
            count(request.model(), routing, e.code().isClientError() ? RequestStatsRecorder.Outcome.REFUSED
                    : RequestStatsRecorder.Outcome.FAILED, 0);
            throw e;
        } catch (RuntimeException | Error e) {
            count(request.model(), routing, RequestStatsRecorder.Outcome.FAILED, 0);
            throw e;
        }
    }

    /**
     * Counts a routed request's rows per version and slot. Latency is from routing to the durable answer, the part
     * that depends on the version; a request whose rows went to two slots counts its latency in each.
     */
    private void count(ModelName model, Routing routing, RequestStatsRecorder.Outcome outcome, long nanos) {
        count(model, routing, null, outcome, nanos);
    }

    /** As above, for the rows of {@code onlyVersion} alone (every row when it is null). */
    private void count(ModelName model, Routing routing, Integer onlyVersion, RequestStatsRecorder.Outcome outcome,
            long nanos) {
        if (requestStats == null) {
            return;
        }
        TrafficSlot[] slots = routing.slots();
        if (slots.length == 0) {
            return;
        }
        if (routing.rowsByVersion().size() == 1 && onlyVersion == null) {
            requestStats.record(model, slots[0].version(), slots[0].slot(), routing.step(), outcome, slots.length,
                    nanos);
            return;
        }
        for (Map.Entry<Integer, List<Integer>> group : routing.rowsByVersion().entrySet()) {
            if (onlyVersion == null || group.getKey().equals(onlyVersion)) {
                TrafficSlot slot = slots[group.getValue().get(0)];
                requestStats.record(model, slot.version(), slot.slot(), routing.step(), outcome,
                        group.getValue().size(), nanos);
            }
        }
    }

    private ScoreResult scoreRouted(ScoreRequest request, Routing routing, String[] pseudonyms) {
        List<PatientRow> rows = request.rows();
        int n = rows.size();
        Map<String, Object>[] values = validate(rows, routing);

        Instant now = clock.instant();
        PredictionRecord[] records = new PredictionRecord[n];
        ScoredRow[] scored = new ScoredRow[n];
        List<Runnable> counts = new ArrayList<>(routing.rowsByVersion().size());
        for (Map.Entry<Integer, List<Integer>> group : routing.rowsByVersion().entrySet()) {
            long started = System.nanoTime();
            ScorableModel model = routing.models().get(group.getKey());
            TrafficSlot slot = routing.slots()[group.getValue().get(0)];
            List<Integer> indexes = group.getValue();
            int width = model.pipeline().width();
            float[] matrix = new float[indexes.size() * width];
            for (int j = 0; j < indexes.size(); j++) {
                model.pipeline().transform(values[indexes.get(j)], matrix, j * width);
            }
            double[] scores = probabilities(model, run(model, matrix, indexes.size()), j -> indexes.get(j) + 1);
            OutputSpec output = model.record().manifest().output();
            ClinicalExplainer explainer = request.explain() ? model.explainer().orElse(null) : null;
            double[] inputs = explainer == null ? null : new double[width];
            for (int j = 0; j < indexes.size(); j++) {
                int row = indexes.get(j);
                double score = scores[j];
                boolean decision = score >= output.threshold();
                String predictionId = PredictionIds.next(now);
                Explanation explanation = null;
                if (explainer != null) {
                    for (int c = 0; c < width; c++) {
                        inputs[c] = matrix[j * width + c];
                    }
                    explanation = explainer.explain(inputs, values[row]);
                }
                records[row] = new PredictionRecord(predictionId, request.model(), slot.version(), slot.slot(),
                        pseudonyms[row], now, indexes.size() == 1 ? matrix : Arrays.copyOfRange(matrix, j * width, (j + 1) * width),
                        score, decision,
                        explanation == null ? null : loggedExplanation(explanation));
                scored[row] = new ScoredRow(predictionId, request.model(), slot.version(), slot.slot(), score, decision,
                        output.positiveLabel(), output.threshold(), explanation);
            }
            long nanos = System.nanoTime() - started;
            counts.add(() -> telemetry.scored(model.id(), slot.slot(), indexes.size(), nanos));
        }
        // Durable before the caller sees an answer: an answered prediction is never missing from the log.
        log.append(List.of(records));
        // Counted as scored only now: a request the log refused was answered with an error, not with scores.
        counts.forEach(Runnable::run);
        mirror(request, routing, records, values, now);
        return new ScoreResult(List.of(scored));
    }

    /** Hands the sampled rows to the shadow; nothing it does can fail or slow this request beyond the hand-off. */
    private void mirror(ScoreRequest request, Routing routing, PredictionRecord[] records, Map<String, Object>[] values,
            Instant now) {
        TrafficSlot slot = routing.shadow();
        if (slot == null || slot.weightBasisPoints() == 0) {
            return;
        }
        List<MirroredRows.Row> rows = null;
        for (int i = 0; i < records.length; i++) {
            if (MirrorSampling.mirrored(records[i].predictionId(), slot.weightBasisPoints())) {
                if (rows == null) {
                    rows = new ArrayList<>();
                }
                rows.add(new MirroredRows.Row(records[i].predictionId(), records[i].patientPseudonym(), values[i],
                        request.rows().get(i).features()));
            }
        }
        if (rows == null) {
            return;
        }
        try {
            shadow.offer(new MirroredRows(request.model(), slot.version(), now, rows, routing.acceptedNames()));
        } catch (RuntimeException e) {
            // The shadow is never the caller's problem; ShadowTraffic implementations count their own failures.
            telemetry.failed("shadow", ErrorCode.INTERNAL);
        }
    }

    /**
     * Scores mirrored rows with the model's shadow version, as the live path would (its own schema, pipeline and
     * threshold), without logging or explaining them. A field the live path accepted that the shadow does not take (a
     * feature a retrained shadow dropped) is ignored, as the live path ignores another live version's; rows the
     * shadow's schema refuses are left out. Throws when the version is no longer the model's shadow, or cannot load.
     */
    @SuppressWarnings("unchecked")
    public List<ShadowScore> shadowScores(MirroredRows mirrored) {
        Deployment deployment = registry.deployment(mirrored.model()).orElseThrow(() -> new ConflictException(
                ErrorCode.MODEL_NOT_DEPLOYED, "model `" + mirrored.model() + "` has no deployment"));
        if (deployment.slot(Slot.SHADOW).filter(s -> s.version() == mirrored.shadowVersion()).isEmpty()) {
            throw new ConflictException(ErrorCode.VERSION_NOT_DEPLOYED, "version " + mirrored.shadowVersion() + " of `"
                    + mirrored.model() + "` is no longer its shadow");
        }
        ScorableModel model = models.get(new ModelVersion(mirrored.model(), mirrored.shadowVersion()));
        int width = model.pipeline().width();
        List<Integer> accepted = new ArrayList<>();
        List<Map<String, Object>> values = new ArrayList<>();
        for (int i = 0; i < mirrored.rows().size(); i++) {
            RecordValidator.Checked checked = model.validator().check(i + 1,
                    (Map<String, JsonNode>) mirrored.rows().get(i).raw(), mirrored.liveFields());
            if (checked.problems().isEmpty()) {
                accepted.add(i);
                values.add(checked.values());
            }
        }
        if (accepted.isEmpty()) {
            return List.of();
        }
        float[] matrix = new float[accepted.size() * width];
        for (int j = 0; j < accepted.size(); j++) {
            model.pipeline().transform(values.get(j), matrix, j * width);
        }
        long started = System.nanoTime();
        double[] scores = predict(model, matrix, accepted.size());
        telemetry.shadowScored(model.id(), accepted.size(), System.nanoTime() - started);
        double threshold = model.record().manifest().output().threshold();
        List<ShadowScore> out = new ArrayList<>(accepted.size());
        for (int j = 0; j < accepted.size(); j++) {
            out.add(new ShadowScore(accepted.get(j), scores[j], scores[j] >= threshold,
                    Arrays.copyOfRange(matrix, j * width, (j + 1) * width)));
        }
        return out;
    }

    /**
     * The explanation as the prediction log keeps it: each clinical feature's signed contribution (margin and
     * probability) and the baseline, without the values (the log already holds the model inputs), and, when any
     * value was missing, {@code "missing"}: the names of those features, so that a later reading does not take a
     * missing value's contribution for a recorded one's. Written by a
     * streaming generator, doubles in the shortest digits that read back as the same double (the text is read
     * back, never hashed): through a map and Java 17's {@code Double.toString} it was about a twentieth of an
     * explained request's Java time. Written as UTF-8 bytes and decoded once: through a {@code StringWriter} the text
     * was held as characters (two bytes each) before its string was made.
     */
    public static String loggedExplanation(Explanation explanation) {
        java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream(
                96 + 64 * explanation.contributions().size());
        try (JsonGenerator json = Json.readBackGenerator(text)) {
            json.writeStartObject();
            json.writeNumberField("baseScore", explanation.baseScore());
            json.writeNumberField("expectedMargin", explanation.expectedMargin());
            json.writeNumberField("margin", explanation.margin());
            json.writeObjectFieldStart("contributions");
            for (Explanation.Factor f : explanation.contributions()) {
                json.writeArrayFieldStart(f.feature());
                json.writeNumber(f.marginContribution());
                json.writeNumber(f.probabilityContribution());
                json.writeEndArray();
            }
            json.writeEndObject();
            boolean anyMissing = false;
            for (Explanation.Factor f : explanation.contributions()) {
                if (f.missing()) {
                    if (!anyMissing) {
                        json.writeArrayFieldStart("missing");
                        anyMissing = true;
                    }
                    json.writeString(f.feature());
                }
            }
            if (anyMissing) {
                json.writeEndArray();
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write an explanation as JSON", e);
        }
        return text.toString(java.nio.charset.StandardCharsets.UTF_8);
    }

    /**
     * Which version and slot scores each row, the loaded versions, the field names the request may use, and the canary
     * step whose weights routed the rows ({@link SlotMinuteStats#stepOf}), under which the request is counted; a
     * request that named its version was routed by no step's weights ({@link SlotMinuteStats#NO_STEP}).
     */
    private record Routing(TrafficSlot[] slots, Map<Integer, List<Integer>> rowsByVersion,
            Map<Integer, ScorableModel> models, Set<String> acceptedNames, TrafficSlot shadow, Instant step) {}

    private Routing route(ScoreRequest request, String[] pseudonyms) {
        ModelName model = request.model();
        TrafficSlot[] slots = new TrafficSlot[pseudonyms.length];
        if (request.version() != null) {
            VersionRecord record = registry.getVersion(model, request.version());
            // Only the versions that answer the model's live traffic score patients: a version named by number must be
            // its stable or canary version, so naming a version never bypasses approval and deployment, and never
            // reaches the shadow, which may be retired or rolled back and whose predictions answer no one.
            Optional<Deployment> deployment = registry.deployment(model);
            Slot slot = deployment.flatMap(d -> d.liveSlot(record.version())).map(TrafficSlot::slot)
                    .orElseThrow(() -> notDeployed(record, deployment));
            Arrays.fill(slots, new TrafficSlot(slot, record.version(), 0));
            Map<Integer, ScorableModel> loaded = Map.of(record.version(), models.get(record));
            // A request that names its version is not mirrored: it asked for that version and nothing else. Nor is it
            // counted under the canary's step: its caller, not the step's weights, chose the version for its patients.
            return new Routing(slots, rowsByVersion(slots, loaded.size()), loaded, acceptedNames(loaded.values()), null,
                    SlotMinuteStats.NO_STEP);
        }
        Optional<Deployment> found = registry.deployment(model);
        if (found.isEmpty()) {
            registry.listVersions(model);
            throw new ConflictException(ErrorCode.MODEL_NOT_DEPLOYED, "model `" + model + "` is registered but no"
                    + " version of it is deployed; deploy a version, or name the version to score with");
        }
        Deployment deployment = found.get();
        for (int i = 0; i < pseudonyms.length; i++) {
            slots[i] = TrafficRouter.route(deployment, pseudonyms[i]);
        }
        LivePlan plan = livePlan(model, deployment);
        return new Routing(slots, rowsByVersion(slots, plan.models().size()), plan.models(), plan.acceptedNames(),
                deployment.slot(Slot.SHADOW).orElse(null), SlotMinuteStats.stepOf(deployment));
    }

    /**
     * The loaded live versions of a deployment and the field names they accept, built once per deployment: the
     * registry hands out the same deployment until it changes, so the usual request finds the plan it needs.
     */
    private record LivePlan(Deployment deployment, long loadedGeneration, Map<Integer, ScorableModel> models,
            Set<String> acceptedNames) {}

    private LivePlan livePlan(ModelName model, Deployment deployment) {
        LivePlan plan = livePlans.get(model);
        long generation = models.generation();
        if (plan != null && plan.deployment() == deployment && plan.loadedGeneration() == generation) {
            return plan;
        }
        // Every live version, not only those a batch reaches, so whether a field is accepted does not depend
        // on which patients happen to be in the batch.
        Map<Integer, ScorableModel> loaded = new LinkedHashMap<>();
        for (ModelVersion live : LoadedModels.liveVersions(deployment)) {
            loaded.put(live.number(), models.get(live));
        }
        plan = new LivePlan(deployment, generation, Collections.unmodifiableMap(loaded), acceptedNames(loaded.values()));
        livePlans.put(model, plan);
        return plan;
    }

    /** Row indexes by the version that scores them, in request order; one version (the usual case) needs no map. */
    private static Map<Integer, List<Integer>> rowsByVersion(TrafficSlot[] slots, int versions) {
        if (slots.length == 0) {
            return Map.of();
        }
        if (versions == 1 || slots.length == 1) {
            List<Integer> all = new ArrayList<>(slots.length);
            for (int i = 0; i < slots.length; i++) {
                all.add(i);
            }
            return Map.of(slots[0].version(), all);
        }
        Map<Integer, List<Integer>> byVersion = new LinkedHashMap<>();
        for (int i = 0; i < slots.length; i++) {
            byVersion.computeIfAbsent(slots[i].version(), v -> new ArrayList<>()).add(i);
        }
        return byVersion;
    }

    private static ConflictException notDeployed(VersionRecord record, Optional<Deployment> deployment) {
        String serving = deployment.map(d -> d.slots().stream()
                        .map(s -> s.slot().wireName() + " " + s.version()).collect(Collectors.joining(", ")))
                .map(slots -> "its deployment holds " + slots)
                .orElse("no version of it is deployed");
        String what = deployment.flatMap(d -> d.slot(Slot.SHADOW)).filter(s -> s.version() == record.version())
                .isPresent() ? " is the model's shadow, which scores copies of live requests and answers none ("
                : " is not deployed (";
        return new ConflictException(ErrorCode.VERSION_NOT_DEPLOYED, record.id() + what + serving + "; it is "
                + record.stage().meaning() + "); only the model's stable and canary versions score patients: leave"
                + " the version out to use the deployment, or name its stable or canary version");
    }

    /** The union of the versions' feature names; with one version (the usual case) its own set, not a copy. */
    private static Set<String> acceptedNames(Collection<ScorableModel> loaded) {
        if (loaded.size() == 1) {
            return loaded.iterator().next().validator().names();
        }
        Set<String> accepted = new HashSet<>();
        loaded.forEach(m -> accepted.addAll(m.validator().names()));
        return accepted;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object>[] validate(List<PatientRow> rows, Routing routing) {
        Map<String, Object>[] values = new Map[rows.size()];
        List<String> problems = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            RecordValidator validator = routing.models().get(routing.slots()[i].version()).validator();
            RecordValidator.Checked checked = validator.check(i + 1, rows.get(i).features(), routing.acceptedNames());
            problems.addAll(checked.problems());
            values[i] = checked.values();
        }
        if (!problems.isEmpty()) {
            throw new FeatureValidationException(problems);
        }
        return values;
    }

    /**
     * How long a scoring run may take before ONNX Runtime is told to stop it: 2 s and 1 ms a row. A deployed version
     * passed its gates' budgets on the evaluation rows, and a clinical model scores a row in microseconds; this stops
     * a graph that is slow only for some inputs from holding a request (on {@code vigil up}, the selector thread of
     * other connections) for as long as it wants.
     */
    public static java.time.Duration scoringBudget(int rows) {
        return SCORING_BUDGET.plusMillis(rows);
    }

    private static final java.time.Duration SCORING_BUDGET = java.time.Duration.ofSeconds(2);

    /**
     * Runs the model once over {@code rows} rows within {@link #scoringBudget} and checks that every score is a
     * probability: the first that is not is a {@link ModelOutputException} naming its row (from 1).
     */
    public static double[] predict(ScorableModel model, float[] matrix, int rows) {
        return probabilities(model, run(model, matrix, rows), j -> j + 1);
    }

    /** {@code scores} when every one is a probability; else the first that is not fails, with its request row. */
    private static double[] probabilities(ScorableModel model, double[] scores, IntUnaryOperator requestRow) {
        int failed = ModelOutputs.firstNonProbability(scores);
        if (failed >= 0) {
            throw new ModelOutputException(model.id(), requestRow.applyAsInt(failed), scores[failed]);
        }
        return scores;
    }

    /**
     * Runs the model once over {@code rows} rows within {@link #scoringBudget}: one output per row, each still to be
     * checked with {@link ModelOutputs} (a batch job refuses a row whose output is not a probability and goes on).
     */
    public static double[] run(ScorableModel model, float[] matrix, int rows) {
        double[] scores = model.model().predict(matrix, rows, scoringBudget(rows));
        if (scores == null || scores.length != rows) {
            throw new VigilException(ErrorCode.RUNTIME_FAILURE, model.id() + " returned "
                    + (scores == null ? "no scores" : Words.count(scores.length, "score")) + " for " + Words.count(rows, "row"));
        }
        return scores;
    }
}
