package health.vigil.functions.scoring.oip;

import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.VersionRecord;
import health.vigil.registry.ModelRegistry;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoreResult;
import health.vigil.scoring.ScoringService;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The Open Inference Protocol v2 face of scoring: inference, model metadata and readiness, all answered
 * by the same {@link ScoringService} as the plain JSON route.
 */
public final class InferenceService {
    private final ScoringService scoring;
    private final ModelRegistry registry;

    public InferenceService(ScoringService scoring, ModelRegistry registry) {
        this.scoring = Objects.requireNonNull(scoring, "scoring");
        this.registry = Objects.requireNonNull(registry, "registry");
    }

    /** Scores an inference request; {@code version} null routes by the model's deployment. */
    public InferenceResponse infer(ModelName model, Integer version, InferenceRequest request) {
        ScoreRequest scoreRequest = OpenInferenceProtocol.toScoreRequest(model, version, request,
                scoring.limits().maxBatchRows());
        ScoreResult result = scoring.score(scoreRequest);
        return OpenInferenceProtocol.toResponse(model, request, result);
    }

    /**
     * Metadata of a model: of {@code version} when given, otherwise of the deployed stable version, or of the
     * latest version when none is deployed. Its {@code versions} are those a client may name in the path: the
     * deployment's stable and canary versions, as inference on a named version and its readiness accept them.
     */
    public ModelMetadataResponse metadata(ModelName model, Integer version) {
        List<VersionRecord> versions = registry.listVersions(model);
        Optional<Deployment> deployment = registry.deployment(model);
        VersionRecord described;
        if (version != null) {
            described = registry.getVersion(model, version);
        } else {
            described = deployment.map(d -> registry.getVersion(model, d.stable().version()))
                    .orElse(versions.get(versions.size() - 1));
        }
        List<Integer> servable = deployment.map(Deployment::liveVersions).orElse(List.of());
        return OpenInferenceProtocol.metadata(model, servable, described.manifest());
    }

    /**
     * Whether the model (its live versions), or one version of it, can score now. A version can when it is the
     * deployment's stable or canary version (what inference on that version accepts) and it loads; a version there
     * is none of is VERSION_NOT_FOUND, as its metadata is.
     */
    public boolean isReady(ModelName model, Integer version) {
        boolean ready;
        if (version == null) {
            ready = scoring.isReady(model);
        } else {
            VersionRecord record = registry.getVersion(model, version);
            boolean deployed = registry.deployment(model).flatMap(d -> d.liveSlot(version)).isPresent();
            ready = deployed && scoring.models().isReady(record.id());
        }
        if (!ready) {
            // A model there is none of is 404, as its metadata is: "not ready" would say it exists and is loading.
            // Asked only here: a model that can score exists, and readiness probes come often.
            registry.listVersions(model);
        }
        return ready;
    }
}
