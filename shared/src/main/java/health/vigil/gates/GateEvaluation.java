package health.vigil.gates;

import health.vigil.model.AuditRecord;
import health.vigil.model.GateReport;
import health.vigil.model.GateCheck;
import health.vigil.model.Lifecycle;
import health.vigil.audit.AuditLog;
import health.vigil.error.ConflictException;
import health.vigil.error.ErrorCode;
import health.vigil.error.NotFoundException;
import health.vigil.error.ValidationException;
import health.vigil.error.VigilException;
import health.vigil.events.EventTypes;
import health.vigil.events.VigilEvent;
import health.vigil.json.Json;
import health.vigil.model.Explanation;
import health.vigil.model.GateBasis;
import health.vigil.model.ModelName;
import health.vigil.model.ModelOutputs;
import health.vigil.model.ModelVersion;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.modelpackage.ProbeRows;
import health.vigil.modelpackage.RegisteredModelLoader;
import health.vigil.port.ArtifactStore;
import health.vigil.port.EventPublisher;
import health.vigil.port.RegistryStore;
import health.vigil.port.Telemetry;
import health.vigil.registry.Lineage;
import health.vigil.registry.ModelRegistry;
import health.vigil.registry.RefusedAttempts;
import health.vigil.registry.VersionLifecycle;
import health.vigil.security.Principal;
import health.vigil.statistics.Auroc;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.text.Words;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.ToIntFunction;
import java.util.stream.IntStream;

/**
 * {@code EvaluateGates}: judges a newly registered version on the platform's own evaluation data. The candidate
 * and the current production version score the same rows of the model's registered evaluation dataset through the
 * real runtime and feature pipeline; {@link GateChecks} judges the scores against the model's {@link GatePolicy};
 * the report is stored once ({@code gate-reports/{model}/{version}.json} in the {@code datasets} container, never
 * overwritten), the version moves REGISTERED → GATES_RUNNING → GATES_PASSED or GATES_FAILED, the outcome is
 * audited once under {@code gates:{model}:{version}}, and {@code Vigil.Gates.Passed} or {@code Vigil.Gates.Failed}
 * is published.
 *
 * <p>Event Grid delivers at least once and out of order: an event already handled does nothing; a delivery that
 * finds the report already stored (a concurrent or interrupted earlier one) completes what is missing from that
 * report instead of evaluating again; a version already past its gates is left alone.
 *
 * <p>A report records its {@link GateBasis}: the production version, dataset and policy it was judged on. Until a
 * human decides, a version whose basis is no longer the one in force runs its gates again on request
 * ({@link #rerun}, {@code POST /models/{name}/versions/{version}/gates}); each run stores its own report (the first at
 * {@code gate-reports/{model}/{version}.json}, run n at {@code gate-reports/{model}/{version}-run-n.json}) and the
 * newest is the version's report. A version whose basis is still in force is not judged again.
 */
public final class GateEvaluation {
    public static final String HANDLER = "EvaluateGates";
    public static final String ACTION = "gates.evaluate";
    /** How many rows are also scored one at a time to measure per-row latency. */
    static final int LATENCY_ROWS = 1000;
    private static final Principal ACTOR = Principal.SYSTEM;

    private final RegistryStore store;
    private final ModelRegistry registry;
    private final VersionLifecycle lifecycle;
    private final ArtifactStore artifacts;
    private final EvaluationDatasets datasets;
    private final GatePolicies policies;
    private final RegisteredModelLoader loader;
    private final AuditLog audit;
    private final EventPublisher events;
    private final Clock clock;
    private final Telemetry telemetry;
    private final ToIntFunction<ModelName> minCellSizes;
    private final RefusedAttempts refusals;

    /**
     * @param minCellSizes a model's {@code minCellSize} (its monitoring policy's): the segments gate withholds a
     *     flagged segment's counts below it, as the model's monitoring reports do, and never below the platform's
     *     {@link GateChecks#SMALLEST_COUNT_SHOWN}
     */
    public GateEvaluation(RegistryStore store, VersionLifecycle lifecycle, ArtifactStore artifacts, EvaluationDatasets datasets,
            GatePolicies policies, RegisteredModelLoader loader, AuditLog audit, EventPublisher events, Clock clock,
            Telemetry telemetry, ToIntFunction<ModelName> minCellSizes) {
        this.store = Objects.requireNonNull(store, "store");
        this.registry = new ModelRegistry(store);
        this.lifecycle = Objects.requireNonNull(lifecycle, "lifecycle");
        this.artifacts = Objects.requireNonNull(artifacts, "artifacts");
        this.datasets = Objects.requireNonNull(datasets, "datasets");
        this.policies = Objects.requireNonNull(policies, "policies");
        this.loader = Objects.requireNonNull(loader, "loader");
        this.audit = Objects.requireNonNull(audit, "audit");
        this.events = Objects.requireNonNull(events, "events");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.telemetry = Objects.requireNonNull(telemetry, "telemetry");
        this.minCellSizes = Objects.requireNonNull(minCellSizes, "minCellSizes");
        this.refusals = new RefusedAttempts(store, audit);
    }

    /**
     * Handles one {@code Vigil.Model.Registered} event for {@code id}. Returns the version's report, or empty when
     * the version is past its gates without one (an old event).
     */
    public Optional<GateReport> onRegistered(ModelVersion id, String eventId) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(eventId, "eventId");
        if (store.isEventHandled(HANDLER, eventId)) {
            return latest(id);
        }
        VersionRecord candidate = registry.getVersion(id.name(), id.number());
        // The registration's event is the first run's: a later run is a request's, finished by its own call.
        Optional<GateReport> stored = report(id, 1);
        if (stored.isEmpty()) {
            if (candidate.stage() != Stage.REGISTERED && candidate.stage() != Stage.GATES_RUNNING) {
                store.markEventHandled(HANDLER, eventId);
                return Optional.empty();
            }
            if (candidate.stage() == Stage.REGISTERED) {
                candidate = moveStage(candidate, Stage.GATES_RUNNING, "gate evaluation started", eventId);
            }
            stored = Optional.of(evaluateOnce(candidate, 1));
        }
        finish(stored.get(), 1);
        store.markEventHandled(HANDLER, eventId);
        return stored;
    }

    /**
     * Runs the gates of {@code id} again at {@code caller}'s request, on the production version, evaluation dataset
     * and gate policy in force now, and returns the report that results. Only a version no human has decided runs its
     * gates again, and only when what its report was judged on is no longer in force: otherwise its report is
     * answered as it is and nothing is written (judging the same package on the same basis again would only let
     * someone try until a noisy check passes). A run a call left unfinished (the version in gates running) is
     * finished, once, whoever calls; requests at once start one run. A refusal is audited as a refused attempt.
     */
    public GateReport rerun(ModelVersion id, Principal caller) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(caller, "caller");
        return refusals.attempt(caller, ACTION, id.name(), id.number(), Map.of(), () -> rerunChecked(id, caller));
    }

    private GateReport rerunChecked(ModelVersion id, Principal caller) {
        VersionRecord record = registry.getVersion(id.name(), id.number());
        if (record.stage() == Stage.REGISTERED) {
            throw new ConflictException(ErrorCode.INVALID_STATE, id + " is registered and its first gate run is on its"
                    + " way; read its report with GET /models/" + id.name() + "/versions/" + id.number() + "/gates once"
                    + " its stage is gates_passed or gates_failed");
        }
        if (record.stage() != Stage.GATES_RUNNING) {
            Lifecycle.require(id, record.stage(), Stage.GATES_RUNNING);
            VersionRecord judged = record;
            Optional<GateReport> current = report(id, judged.gateRun());
            List<String> changes = current.map(r -> changesSince(judged, r))
                    .orElse(List.of("it has no stored gate report"));
            if (changes.isEmpty()) {
                return current.get();
            }
            int next = record.gateRun() + 1;
            record = lifecycle.move(id, record.stage(), Stage.GATES_RUNNING, caller, "gates run again: "
                    + String.join("; ", changes), auditKey(id, next)).version();
        }
        int run = record.gateRun();
        GateReport stored = report(id, run).orElse(null);
        if (stored == null) {
            stored = evaluateOnce(record, run);
        }
        finish(stored, run);
        return stored;
    }

    /**
     * What changed since the gates judged {@code version} (production version, evaluation dataset, gate policy), one
     * sentence a change: empty when its report is still current, when its gates have not decided, or once a human
     * decided (an approval is signed against the report it read, which is then frozen).
     */
    public List<String> changesSinceGates(VersionRecord version) {
        Objects.requireNonNull(version, "version");
        if (version.stage() != Stage.GATES_PASSED && version.stage() != Stage.GATES_FAILED) {
            return List.of();
        }
        return report(version.id(), version.gateRun()).map(r -> changesSince(version, r)).orElse(List.of());
    }

    private List<String> changesSince(VersionRecord version, GateReport report) {
        return inForce(version).changesSince(GateBasis.of(report));
    }

    /** What {@code candidate}'s gates would judge it on now. */
    GateBasis inForce(VersionRecord candidate) {
        ModelName model = candidate.modelName();
        return new GateBasis(production(candidate).map(VersionRecord::version).orElse(null),
                datasets.latest(model).map(EvaluationDataset::sha256).orElse(null), policies.current(model).version());
    }

    /** The version the candidate is compared with: the model's production version, never the candidate itself. */
    private Optional<VersionRecord> production(VersionRecord candidate) {
        return registry.listVersions(candidate.modelName()).stream()
                .filter(v -> v.stage() == Stage.PRODUCTION && v.version() != candidate.version())
                .reduce((a, b) -> b);
    }

    /** Evaluates run {@code run} of {@code candidate} and stores its report, unless one is stored; the one stored. */
    private GateReport evaluateOnce(VersionRecord candidate, int run) {
        GateReport evaluated = evaluate(candidate);
        GateReport stored = storeOnce(evaluated, run);
        if (stored == evaluated) {
            evaluated.checks().forEach(c -> telemetry.gateChecked(candidate.id(), c.gate(), c.outcome().name()
                    .toLowerCase(java.util.Locale.ROOT)));
        }
        return stored;
    }

    /** The stored gate report of a version; NOT_FOUND from the registry when the version does not exist. */
    public GateReport get(ModelName model, int version) {
        registry.getVersion(model, version);
        return latest(new ModelVersion(model, version)).orElseThrow(() -> new NotFoundException(ErrorCode.NOT_FOUND,
                "version " + version + " of `" + model + "` has no gate report yet: its gates run when it is"
                        + " registered; check its stage with GET /models/" + model + "/versions/" + version));
    }

    /** The stored gate report of a version (its newest run's), if its gates have run. */
    public Optional<GateReport> find(ModelVersion id) {
        return latest(id);
    }

    /** Judges {@code candidate} on the model's latest evaluation dataset against its production version. */
    GateReport evaluate(VersionRecord candidate) {
        ModelName model = candidate.modelName();
        GatePolicy policy = policies.current(model);
        Optional<VersionRecord> production = production(candidate);
        List<GateCheck> checks = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        checks.addAll(GateChecks.compatibility(candidate.manifest(), production.map(VersionRecord::manifest).orElse(null),
                policy));
        checks.addAll(GateChecks.provenance(candidate.manifest().provenance(), policy));
        checks.addAll(GateChecks.card(candidate.manifest(), policy));
        Optional<EvaluationDataset> dataset = datasets.latest(model);
        // Whoever uploaded a version may neither have set the bar it is judged by nor chosen the rows it is judged
        // on, whichever came first: the policy route refuses an uploader only of versions that exist already. A
        // version the platform retrained answers for the upload it re-ran (its lineage's origin).
        Lineage line = registry.lineage(candidate);
        String answering = line.isRetrained() && line.origin() != null ? line.origin().registeredBy()
                : candidate.registeredBy();
        String whose = line.isRetrained() && line.origin() != null ? "the uploader of " + line.origin().id()
                + ", which this version was retrained from," : "the version's uploader";
        checks.add(GateChecks.independent("policy_set_by_another", answering, whose, policy.changedBy(),
                "set policy version " + policy.version()));
        dataset.ifPresent(d -> checks.add(GateChecks.independent("dataset_registered_by_another",
                answering, whose, d.registeredBy(), "registered evaluation dataset " + d.sha256())));
        if (production.isEmpty()) {
            notes.add("no production version: judged against the absolute floors alone");
        }
        if (dataset.isEmpty()) {
            notes.add("no evaluation dataset is registered for `" + model + "`: the data gates fail; register one"
                    + " with `vigil datasets register FILE --model " + model + "` (POST /datasets)");
            for (String gate : GateChecks.DATA_GATES) {
                checks.add(GateCheck.failed(gate, "dataset", "no registered evaluation dataset"));
            }
            return report(candidate, policy, null, production, checks, notes);
        }
        Scored scored;
        List<GateCheck> dataChecks = new ArrayList<>();
        try {
            scored = score(candidate, production, dataset.get(), policy, notes);
            if (scored != null) {
                dataChecks.add(GateChecks.coverage(scored.rows().refusedByCandidate(), scored.rows().read(),
                        scored.rows().firstCandidateProblem(), policy));
                dataChecks.add(GateChecks.coverageByOutcome(scored.rows().refusedWithOutcome(),
                        scored.rows().withOutcome(), scored.rows().refusedByCandidate()
                                - scored.rows().refusedWithOutcome(), scored.rows().read()
                                - scored.rows().withOutcome(), policy));
                dataChecks.add(GateChecks.outputs(scored.outputs().notProbability(), scored.outputs().read(),
                        scored.outputs().first()));
                dataChecks.add(GateChecks.featuresWithoutValues(scored.featuresWithoutValues(),
                        scored.labels().length));
                dataChecks.add(scored.withoutOptional());
                dataChecks.addAll(GateChecks.discrimination(scored.candidate(), scored.labels(),
                        scored.pairedCandidate(), scored.pairedProduction(), scored.pairedLabels(),
                        policy));
                dataChecks.addAll(GateChecks.calibration(scored.candidate(), scored.labels(), policy));
                dataChecks.addAll(GateChecks.segments(scored.candidate(), scored.labels(), scored.segments(), policy,
                        minCellSizes.applyAsInt(model)));
                dataChecks.add(GateChecks.latency(scored.rowNanos(), policy));
                dataChecks.add(GateChecks.explanation(scored.shapDeviations(), scored.whyNoExplainer(), policy));
                dataChecks.add(GateChecks.leakage(Auroc.of(scored.candidate(), scored.labels()), policy));
            }
        } catch (VigilException e) {
            // A package that registered but cannot run on the rows (a fixed batch size, an input width its reader
            // accepted and its loader refuses) fails its data gates with the reason, rather than leave the version in
            // GATES_RUNNING for good; a store that is away is tried again. Outputs that are not probabilities are
            // the coverage gate's to count, not a failure to run.
            if (!(e.code() == ErrorCode.RUNTIME_FAILURE || e.code().isClientError())) {
                throw e;
            }
            notes.add("the version could not be run on the evaluation dataset: " + e.getMessage());
            scored = null;
        }
        if (scored == null) {
            for (String gate : GateChecks.DATA_GATES) {
                checks.add(GateCheck.failed(gate, "dataset", "the evaluation dataset could not be scored: " + notes.get(notes.size() - 1)));
            }
            return report(candidate, policy, dataset.get(), production, checks, notes);
        }
        checks.addAll(dataChecks);
        return new GateReport(model.value(), candidate.version(), checks.stream().noneMatch(GateCheck::failed),
                clock.instant(), dataset.get().sha256(), scored.labels().length,
                production.map(VersionRecord::version).orElse(null), policy.version(), checks, notes,
                GateChecks.curves(scored.candidate(), scored.labels()));
    }

    private GateReport report(VersionRecord candidate, GatePolicy policy, EvaluationDataset dataset,
            Optional<VersionRecord> production, List<GateCheck> checks, List<String> notes) {
        return new GateReport(candidate.modelName().value(), candidate.version(), false, clock.instant(),
                dataset == null ? null : dataset.sha256(), null, production.map(VersionRecord::version).orElse(null),
                policy.version(), checks, notes, null);
    }

    /**
     * What scoring the evaluation rows produced: the candidate's scores, labels and segments on every row its schema
     * reads; and, when there is a production version, both versions' scores and the labels on the rows both read (the
     * paired comparison), else null; and the coverage check of the candidate's output for
     * {@link ProbeRows#optionalFeaturesMissing}.
     */
    record Scored(double[] candidate, boolean[] labels, Map<String, String[]> segments, long[] rowNanos,
            double[] shapDeviations, String whyNoExplainer, Usable rows, Outputs outputs, double[] pairedCandidate,
            double[] pairedProduction, boolean[] pairedLabels, GateCheck withoutOptional,
            List<String> featuresWithoutValues) {}

    /**
     * The rows (by index) the candidate's schema reads, and those of them the production version's reads too (the
     * same list without a production version), out of {@code read}; how many the candidate refused and why the first.
     */
    record Usable(List<Integer> candidate, List<Integer> paired, int read, int refusedByCandidate,
            String firstCandidateProblem, int withOutcome, int refusedWithOutcome) {}

    /**
     * Of the {@code read} rows the candidate's schema reads, those on which its output is a probability (by index, and
     * those of them production reads too), with their model inputs and scores; how many got something else, and the
     * first of them ({@code row 4, output 1.38, above 1}: its row of the file and the output, never a value of the row).
     */
    record Outputs(List<Integer> candidate, List<Integer> paired, float[] matrix, double[] scores, int read,
            int notProbability, String first) {}

    private static Outputs outputs(Usable usable, float[] matrix, double[] scores, int width) {
        List<Integer> read = usable.candidate();
        int first = ModelOutputs.firstNonProbability(scores);
        if (first < 0) {
            return new Outputs(read, usable.paired(), matrix, scores, read.size(), 0, null);
        }
        List<Integer> kept = new ArrayList<>(read.size());
        java.util.Set<Integer> dropped = new java.util.HashSet<>();
        float[] keptMatrix = new float[matrix.length];
        double[] keptScores = new double[scores.length];
        for (int j = 0; j < scores.length; j++) {
            if (!ModelOutputs.isProbability(scores[j])) {
                dropped.add(read.get(j));
                continue;
            }
            System.arraycopy(matrix, j * width, keptMatrix, kept.size() * width, width);
            keptScores[kept.size()] = scores[j];
            kept.add(read.get(j));
        }
        return new Outputs(kept, usable.paired().stream().filter(i -> !dropped.contains(i)).toList(),
                java.util.Arrays.copyOf(keptMatrix, kept.size() * width), java.util.Arrays.copyOf(keptScores, kept.size()),
                read.size(), dropped.size(), "row " + (read.get(first) + 1) + ", output "
                        + ModelOutputs.describe(scores[first]));
    }

    private Scored score(VersionRecord candidate, Optional<VersionRecord> production, EvaluationDataset dataset,
            GatePolicy policy, List<String> notes) {
        RegisteredModelLoader.Loaded model = loader.load(candidate);
        RegisteredModelLoader.Loaded current = production.map(loader::load).orElse(null);
        try {
            EvaluationRows rows;
            try {
                rows = EvaluationRows.read(datasets.content(dataset), dataset, union(model, current));
            } catch (ValidationException e) {
                notes.add(e.getMessage());
                return null;
            }
            Usable usable = usableRows(rows, model, current, notes);
            int read = usable.candidate().size();
            if (read < 2) {
                notes.add("fewer than 2 rows of the dataset are valid for the model's schema");
                return null;
            }
            float[] all = matrix(rows, usable.candidate(), model);
            Outputs outputs = outputs(usable, all, model.model().predict(all, read, datasetBudget(read)),
                    model.pipeline().width());
            List<Integer> readable = outputs.candidate();
            if (readable.size() < 2) {
                notes.add("the candidate's output is not a probability on " + outputs.notProbability() + " of the "
                        + Words.count(read, "row") + " it reads (first: " + outputs.first() + "), which leaves fewer than 2 rows");
                return null;
            }
            int n = readable.size();
            boolean[] labels = labels(rows, readable);
            Map<String, String[]> segments = new LinkedHashMap<>();
            rows.segments().forEach((c, v) -> segments.put(c, new String[n]));
            for (int j = 0; j < n; j++) {
                int i = readable.get(j);
                for (Map.Entry<String, String[]> s : rows.segments().entrySet()) {
                    segments.get(s.getKey())[j] = s.getValue()[i];
                }
            }
            if (oneOutcome(labels)) {
                notes.add("the usable rows have only one outcome");
                return null;
            }
            float[] matrix = outputs.matrix();
            double[] scores = outputs.scores();
            double[] pairedCandidate = null;
            double[] pairedProduction = null;
            boolean[] pairedLabels = null;
            if (current != null) {
                List<Integer> paired = outputs.paired();
                // The paired rows are some of the readable ones, both in the file's order: one walk finds each score.
                pairedCandidate = new double[paired.size()];
                for (int p = 0, j = 0; p < pairedCandidate.length; p++) {
                    while (readable.get(j) < paired.get(p)) {
                        j++;
                    }
                    pairedCandidate[p] = scores[j];
                }
                pairedLabels = labels(rows, paired);
                pairedProduction = paired.isEmpty() ? new double[0]
                        : current.model().predict(matrix(rows, paired, current), paired.size());
                // Rows on which production's own output is not a probability cannot be compared; they are left out
                // of the comparison and named, rather than failing every data gate of a candidate that may fix them.
                int comparable = 0;
                int first = -1;
                double firstOutput = 0;
                for (int p = 0; p < pairedProduction.length; p++) {
                    double output = pairedProduction[p];
                    if (ModelOutputs.isProbability(output)) {
                        pairedCandidate[comparable] = pairedCandidate[p];
                        pairedLabels[comparable] = pairedLabels[p];
                        pairedProduction[comparable++] = output;
                    } else if (first < 0) {
                        first = p;
                        firstOutput = output;
                    }
                }
                if (first >= 0) {
                    notes.add("production's output is not a probability on " + (pairedProduction.length - comparable)
                            + " of the " + Words.count(pairedProduction.length, "row") + " both versions read (first:"
                            + " row " + (paired.get(first) + 1) + ", output " + ModelOutputs.describe(firstOutput)
                            + "); the comparison with production leaves them out");
                    pairedCandidate = java.util.Arrays.copyOf(pairedCandidate, comparable);
                    pairedProduction = java.util.Arrays.copyOf(pairedProduction, comparable);
                    pairedLabels = java.util.Arrays.copyOf(pairedLabels, comparable);
                }
            }
            int width = model.pipeline().width();
            long[] latencies = latencies(row -> model.model().predict(row, 1, datasetBudget(1)), matrix, width, n,
                    policy.maxP99LatencyMillis());
            return new Scored(scores, labels, segments, latencies,
                    shapDeviations(model, matrix, scores, n, policy.shapRows()), model.whyNoExplainer(), usable, outputs,
                    pairedCandidate, pairedProduction, pairedLabels, withoutOptional(candidate, model),
                    withoutValues(rows, readable, model));
        } finally {
            model.model().close();
            if (current != null) {
                current.model().close();
            }
        }
    }

    /**
     * The coverage check of the candidate's output for a row with every optional feature of its manifest missing and
     * the required ones given (the evaluation rows may all have those values); nothing is scored when every feature is
     * required. A model or pipeline that fails on that row is flagged with the reason, as a NaN is, rather than fail
     * every data gate: it fails only the patients sent without those values.
     */
    private static GateCheck withoutOptional(VersionRecord candidate, RegisteredModelLoader.Loaded model) {
        FeatureSchema schema = candidate.manifest().features();
        List<String> optional = ProbeRows.optionalFeatures(schema);
        if (optional.isEmpty()) {
            return GateChecks.optionalFeaturesMissing(optional, Double.NaN);
        }
        try {
            float[] row = new float[model.pipeline().width()];
            model.pipeline().transform(ProbeRows.optionalFeaturesMissing(schema), row, 0);
            return GateChecks.optionalFeaturesMissing(optional, model.model().predict(row, 1, datasetBudget(1))[0]);
        } catch (VigilException e) {
            if (!(e.code() == ErrorCode.RUNTIME_FAILURE || e.code().isClientError())) {
                throw e;
            }
            return GateChecks.optionalFeaturesMissing(optional, e.getMessage());
        }
    }

    /** The candidate's raw features that none of the {@code readable} rows has a value for, in its schema's order. */
    private static List<String> withoutValues(EvaluationRows rows, List<Integer> readable,
            RegisteredModelLoader.Loaded model) {
        return model.pipeline().rawSchema().names().stream()
                .filter(name -> readable.stream().noneMatch(i -> rows.records().get(i).get(name) != null))
                .toList();
    }

    private static boolean[] labels(EvaluationRows rows, List<Integer> indexes) {
        boolean[] all = rows.labels();
        boolean[] labels = new boolean[indexes.size()];
        for (int j = 0; j < labels.length; j++) {
            labels[j] = all[indexes.get(j)];
        }
        return labels;
    }

    private static boolean oneOutcome(boolean[] labels) {
        return IntStream.range(0, labels.length).allMatch(j -> labels[j])
                || IntStream.range(0, labels.length).noneMatch(j -> labels[j]);
    }

    /**
     * The rows the candidate's schema accepts, and those the production version's accepts too. Rows the candidate
     * refuses are left out of every data gate (the coverage gate counts them); rows only production refuses are left
     * out of the paired comparison alone, counted in a note.
     */
    private static Usable usableRows(EvaluationRows rows, RegisteredModelLoader.Loaded model,
            RegisteredModelLoader.Loaded current, List<String> notes) {
        EvaluationRows.Acceptance byCandidate = rows.acceptedBy(model.pipeline().rawSchema());
        EvaluationRows.Acceptance byProduction = current == null ? null : rows.acceptedBy(current.pipeline().rawSchema());
        List<Integer> readable = new ArrayList<>(rows.size());
        List<Integer> paired = current == null ? readable : new ArrayList<>(rows.size());
        String firstProductionProblem = null;
        boolean[] labels = rows.labels();
        int withOutcome = 0;
        int refusedWithOutcome = 0;
        for (int i = 0; i < rows.size(); i++) {
            withOutcome += labels[i] ? 1 : 0;
            if (!byCandidate.reads(i)) {
                refusedWithOutcome += labels[i] ? 1 : 0;
                continue;
            }
            readable.add(i);
            if (byProduction == null) {
                continue;
            }
            if (byProduction.reads(i)) {
                paired.add(i);
            } else if (firstProductionProblem == null) {
                firstProductionProblem = byProduction.problems()[i];
            }
        }
        if (paired.size() < readable.size()) {
            notes.add((readable.size() - paired.size()) + " of the " + Words.count(readable.size(), "row")
                    + " the candidate reads are"
                    + " refused by the production version's schema and left out of the comparison with it (first: "
                    + firstProductionProblem + ")");
        }
        return new Usable(readable, paired, rows.size(), byCandidate.refused(), byCandidate.described(), withOutcome,
                refusedWithOutcome);
    }

    /** The raw fields either version reads, so one parse of the file serves both (the candidate's type wins). */
    private static FeatureSchema union(RegisteredModelLoader.Loaded model, RegisteredModelLoader.Loaded current) {
        List<Feature> features = new ArrayList<>(model.pipeline().rawSchema().features());
        if (current != null) {
            for (Feature feature : current.pipeline().rawSchema().features()) {
                if (model.pipeline().rawSchema().indexOf(feature.name()).isEmpty()) {
                    features.add(feature);
                }
            }
        }
        return FeatureSchema.of(features);
    }

    private static float[] matrix(EvaluationRows rows, List<Integer> usable, RegisteredModelLoader.Loaded model) {
        int width = model.pipeline().width();
        java.util.Set<String> names = java.util.Set.copyOf(model.pipeline().rawSchema().names());
        float[] matrix = new float[usable.size() * width];
        for (int j = 0; j < usable.size(); j++) {
            Map<String, Object> record = rows.records().get(usable.get(j));
            model.pipeline().transform(EvaluationRows.onlyKnown(record, names), matrix, j * width);
        }
        return matrix;
    }

    /**
     * The longest the candidate may take to score the dataset's {@code rows}: 10 s plus 10 ms a row, hundreds of times
     * what a clinical model takes, so only a graph built to run for hours meets it (and then fails its gates).
     */
    static java.time.Duration datasetBudget(int rows) {
        return java.time.Duration.ofSeconds(10).plusMillis(10L * rows);
    }

    /** The longest the latency rows may take together; the rows timed until then are the gate's sample. */
    static final java.time.Duration LATENCY_BUDGET = java.time.Duration.ofSeconds(30);

    /** How many times in all a row over the latency budget is timed; its fastest time counts. */
    static final int LATENCY_ATTEMPTS = 3;

    /** One row scored alone, as a single-patient request is. */
    @FunctionalInterface
    interface RowScorer {
        void score(float[] row);
    }

    /**
     * Scores the first rows one at a time, as a single-patient request would be, and times each. A row over the
     * budget is timed again, up to {@link #LATENCY_ATTEMPTS} times in all, and its fastest time counts: the gate
     * judges what the model costs a patient, not the moment the host's scheduler gave its core to another process
     * (a row the model is slow on is slow every time). The rows timed within {@link #LATENCY_BUDGET} are the sample.
     */
    static long[] latencies(RowScorer scorer, float[] matrix, int width, int n, double budgetMillis) {
        int count = Math.min(n, LATENCY_ROWS);
        long budget = (long) (budgetMillis * 1e6);
        long[] nanos = new long[count];
        long spent = 0;
        for (int j = 0; j < count; j++) {
            float[] row = java.util.Arrays.copyOfRange(matrix, j * width, (j + 1) * width);
            long fastest = Long.MAX_VALUE;
            for (int attempt = 0; attempt < LATENCY_ATTEMPTS && fastest > budget; attempt++) {
                long started = System.nanoTime();
                scorer.score(row);
                long took = System.nanoTime() - started;
                spent += took;
                fastest = Math.min(fastest, took);
                if (spent > LATENCY_BUDGET.toNanos()) {
                    break;
                }
            }
            nanos[j] = fastest;
            if (spent > LATENCY_BUDGET.toNanos()) {
                return java.util.Arrays.copyOf(nanos, j + 1);
            }
        }
        return nanos;
    }

    /**
     * Per explained row: |expected margin + sum of SHAP values - logit of the runtime's probability|; null without an
     * explainer. {@code rows} evenly spaced rows are explained (every row when 0 or at least n).
     */
    static double[] shapDeviations(RegisteredModelLoader.Loaded model, float[] matrix, double[] scores, int n,
            int rows) {
        if (model.explainer().isEmpty()) {
            return null;
        }
        var explainer = model.explainer().get();
        int width = model.pipeline().width();
        int count = rows == 0 || rows >= n ? n : rows;
        double[] deviations = new double[count];
        IntStream.range(0, count).parallel().forEach(k -> {
            int j = (int) ((long) k * n / count);
            double[] inputs = new double[width];
            for (int c = 0; c < width; c++) {
                inputs[c] = matrix[j * width + c];
            }
            Explanation e = explainer.explain(inputs);
            double sum = e.expectedMargin();
            for (Explanation.Factor f : e.contributions()) {
                sum += f.marginContribution();
            }
            double p = Math.min(1 - 1e-12, Math.max(1e-12, scores[j]));
            deviations[k] = Math.abs(sum - Math.log(p / (1 - p)));
        });
        return deviations;
    }

    /**
     * Completes what a stored report still needs: the audit record, the stage, the event. The evaluation is audited
     * before the stage moves, so whoever sees the version past its gates (an approver about to sign) finds the
     * evaluation in the audit log before any decision that follows it. The event carries the audit record's id, and
     * every delivery that gets here publishes it: a delivery that died before publishing leaves it to the next one
     * rather than losing it, and a subscriber recognises a second copy by its id.
     */
    private void finish(GateReport report, int run) {
        ModelVersion id = new ModelVersion(new ModelName(report.model()), report.version());
        Stage outcome = report.passed() ? Stage.GATES_PASSED : Stage.GATES_FAILED;
        Map<String, String> details = new LinkedHashMap<>();
        if (run > 1) {
            details.put("run", Integer.toString(run));
        }
        details.put("policyVersion", Integer.toString(report.policyVersion()));
        if (report.datasetSha256() != null) {
            details.put("datasetSha256", report.datasetSha256());
        }
        if (report.productionVersion() != null) {
            details.put("productionVersion", Integer.toString(report.productionVersion()));
        }
        details.put("failedGates", String.join(",", report.failedGates()));
        AuditRecord evaluated = audit.recordOnce(auditKey(id, run), ACTOR.id(), ACTION, id.subject(),
                report.passed() ? "passed" : "failed", details);
        VersionRecord record = registry.getVersion(id.name(), id.number());
        if (record.stage() == Stage.GATES_RUNNING) {
            moveStage(record, outcome, report.passed() ? "every gate passed" : "gates failed: "
                    + String.join(", ", report.failedGates()), auditKey(id, run));
        }
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("model", id.name().value());
        data.put("version", id.number());
        data.put("passed", report.passed());
        data.put("failedGates", report.failedGates());
        data.put("policyVersion", report.policyVersion());
        data.put("run", run);
        events.publish(new VigilEvent(evaluated.id(), report.passed() ? EventTypes.GATES_PASSED
                : EventTypes.GATES_FAILED, VigilEvent.SOURCE, id.subject(), clock.instant(), data));
    }

    /** The key of run {@code run}'s evaluation record (and of its stage move); the first run's has no number. */
    static String auditKey(ModelVersion id, int run) {
        return "gates:" + id.name().value() + ":" + id.number() + (run == 1 ? "" : ":" + run);
    }

    /** Moves the version's stage through the lifecycle (ETag-conditional, in its history, audited once). */
    private VersionRecord moveStage(VersionRecord record, Stage to, String reason, String cause) {
        return lifecycle.move(record.id(), record.stage(), to, ACTOR, reason, cause).version();
    }

    private Optional<GateReport> report(ModelVersion id, int run) {
        return DatasetsContainer.readJson(artifacts, reportName(id, run), GateReport.class);
    }

    /** The report of the newest run that stored one (a run under way has none yet). */
    private Optional<GateReport> latest(ModelVersion id) {
        int runs = store.findVersion(id.name(), id.number()).map(VersionRecord::gateRun).orElse(1);
        for (int run = runs; run >= 1; run--) {
            Optional<GateReport> stored = report(id, run);
            if (stored.isPresent()) {
                return stored;
            }
        }
        return Optional.empty();
    }

    /** Stores run {@code run}'s report unless one is stored already; returns the one that is stored. */
    private GateReport storeOnce(GateReport report, int run) {
        ModelVersion id = new ModelVersion(new ModelName(report.model()), report.version());
        if (DatasetsContainer.putOnce(artifacts, reportName(id, run), Json.writeBytes(report))) {
            return report;
        }
        return report(id, run).orElseThrow(() -> new IllegalStateException("the gate report of " + id
                + " was there and is gone; reports are never deleted"));
    }

    static String reportName(ModelVersion id, int run) {
        return "gate-reports/" + id.name().value() + "/" + id.number() + (run == 1 ? "" : "-run-" + run) + ".json";
    }
}
