package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.audit.MutableClock;
import health.vigil.config.VigilConfig;
import health.vigil.events.BlobCreated;
import health.vigil.gates.EvaluationDataset;
import health.vigil.gates.EvaluationRows;
import health.vigil.json.Json;
import health.vigil.model.GateCheck;
import health.vigil.model.GateReport;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Slot;
import health.vigil.model.Stage;
import health.vigil.monitoring.MonitoringReport;
import health.vigil.monitoring.SegmentPerformance;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.ArtifactStore;
import health.vigil.scoring.PatientRow;
import health.vigil.scoring.ScoreRequest;
import health.vigil.scoring.ScoredRow;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.training.Algorithm;
import health.vigil.training.ClinicalModel;
import health.vigil.training.CodeVersion;
import health.vigil.training.HeldOutEvaluationData;
import health.vigil.training.ModelTraining;
import health.vigil.training.TrainedModel;
import health.vigil.training.TrainingProgress;
import health.vigil.training.TrainingSettings;
import health.vigil.training.data.Dataset;
import health.vigil.training.export.ModelPackager;
import health.vigil.testing.samples.PatientRows;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model fair at approval can be seen to stay fair: the segments its gates judge on the held-out dataset (registered
 * as {@code vigil datasets generate} and {@code vigil train --data} write it, with {@code age_group}, {@code sex_group}
 * and {@code race}) are the segments the monitoring check reports for production, under the same names and holding
 * the same patients. On the wired local platform (SQLite, files, ONNX Runtime) with a readmission model trained by the
 * training library, whose prediction log keeps model inputs, not the requests.
 */
class SegmentsInProductionTest {
    private static final ClinicalModel CLINICAL = ClinicalModel.READMISSION;
    private static final Instant START = Instant.parse("2026-12-01T10:00:00Z");
    private static final long SEED = 5;
    private static final int PATIENTS = 2_000;

    @TempDir
    Path home;

    @Test
    void monitoringSegmentsProductionByTheGatesDefinitionsAndNames() {
        MutableClock clock = new MutableClock(START);
        // Every segment count shown (a cell size of 0), so the counts compare with the gates' own.
        health.vigil.monitoring.MonitoringPolicy d = health.vigil.monitoring.MonitoringPolicy.DEFAULTS;
        health.vigil.monitoring.MonitoringPolicy everyCount = new health.vigil.monitoring.MonitoringPolicy(d.window(),
                d.drift(), d.consecutiveWindows(), d.minLabelled(), d.minLabelledPerClass(), d.minAuroc(), d.maxBrier(),
                d.minExpectedAuroc(), 0);
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).clock(clock)
                .monitoringPolicies(m -> everyCount).eventPublisher(event -> { }).build()) {
            HeldOutEvaluationData held = HeldOutEvaluationData.generate(CLINICAL, PATIENTS, SEED);
            EvaluationDataset dataset = platform.datasets().register(new EvaluationDataset.Declaration(
                    CLINICAL.modelName().value(), "readmission-evaluation.csv", held.label(), held.ageColumn(),
                    held.sexColumn(), held.segments()), held.csv(), new Principal("data-steward",
                    Set.of(Role.DATASETS_REGISTER)));
            ModelTraining training = new ModelTraining(CodeVersion.ofThisBuild(), clock);
            TrainedModel trained = training.train(CLINICAL, CLINICAL.synthetic(3_000, SEED).dataset(),
                    TrainingSettings.defaults().withAlgorithm(Algorithm.LOGISTIC).withSeed(SEED), TrainingProgress.NONE);
            byte[] zip = ModelPackager.packageBytes(trained, ModelPackager.onnx(trained));
            platform.artifacts().put(ArtifactStore.MODELS, "readmission.zip", new ByteArrayInputStream(zip), false);
            ModelVersion version = platform.registration().register(new BlobCreated("upload-1", ArtifactStore.MODELS,
                    "readmission.zip", null, zip.length, null)).version().id();
            GateReport gates = platform.gates().onRegistered(version, "registered-1").orElseThrow();
            // What is compared is how the report segments the data, not whether this small model passes: a version
            // its gates stopped is evaluated again and set up as approved, as a test of what follows approval does.
            if (platform.registry().getVersion(version.name(), version.number()).stage() == Stage.GATES_FAILED) {
                platform.lifecycle().move(version, Stage.GATES_FAILED, Stage.GATES_RUNNING, Principal.SYSTEM,
                        "set up for a test of monitoring's segments");
            }
            SetUpApproval.approve(platform, version);
            platform.deployments().deploy(version.name(), version.number(), Principal.SYSTEM);

            // The held-out patients themselves come to be scored, and their outcomes follow.
            Dataset patients = CLINICAL.synthetic(PATIENTS, SEED + HeldOutEvaluationData.HELD_OUT_SEED_OFFSET).dataset();
            score(platform, version.name(), patients);
            clock.set(START.plus(Duration.ofMinutes(65)));
            MonitoringReport report = platform.monitoring().check(version.name(), START, START.plus(Duration.ofHours(1)))
                    .reports().stream().filter(r -> r.slot().equals(Slot.STABLE.wireName())).findFirst().orElseThrow();

            Map<String, Map<String, Integer>> gateSegments = new TreeMap<>();
            EvaluationRows rows = EvaluationRows.read(platform.datasets().content(dataset), dataset,
                    trained.manifest().features());
            rows.segments().forEach((column, values) -> {
                Map<String, Integer> counts = new TreeMap<>();
                for (String value : values) {
                    // As the segments gate groups them: a value the rows do not have is (missing).
                    counts.merge(value == null ? "(missing)" : value, 1, Integer::sum);
                }
                gateSegments.put(column, counts);
            });
            Map<String, Map<String, Integer>> monitoringSegments = new TreeMap<>();
            for (SegmentPerformance segment : report.segments()) {
                monitoringSegments.computeIfAbsent(segment.column(), c -> new TreeMap<>()).put(segment.value(),
                        Math.toIntExact(segment.labelled()));
            }

            assertThat(report.reasons()).noneMatch(r -> r.contains("segment column"));
            assertThat(report.performance().labelled()).isEqualTo(PATIENTS);
            assertThat(monitoringSegments).as("each segment holds the same patients in production as at the gates")
                    .isEqualTo(gateSegments);
            assertThat(monitoringSegments.keySet()).containsExactlyInAnyOrder("age_group", "sex_group", "race");
            assertThat(monitoringSegments.get("sex_group")).containsKeys("Female", "Male");
            assertThat(monitoringSegments.get("race")).containsKey("(missing)").doesNotContainKey("(other)");
            Set<String> judged = gates.checksOf("segments").stream().map(GateCheck::check)
                    .filter(c -> c.endsWith(":auroc")).map(c -> c.substring(0, c.length() - ":auroc".length()))
                    .collect(Collectors.toSet());
            Set<String> named = report.segments().stream().map(s -> s.column() + "=" + s.value())
                    .collect(Collectors.toSet());
            assertThat(judged).as("every segment the gates judged is one monitoring names")
                    .contains("age_group=70-79", "sex_group=Female", "sex_group=Male", "race=Caucasian")
                    .isSubsetOf(named);
        }
    }

    private static void score(VigilPlatform platform, ModelName model, Dataset patients) {
        List<Map<String, Object>> outcomes = new ArrayList<>();
        for (int from = 0; from < patients.size(); from += 250) {
            List<PatientRow> rows = new ArrayList<>();
            for (int i = from; i < Math.min(from + 250, patients.size()); i++) {
                rows.add(PatientRows.of("MRN-" + i, patients.records().get(i)));
            }
            List<ScoredRow> scored = platform.scoring().score(new ScoreRequest(model, null, rows)).rows();
            for (int j = 0; j < scored.size(); j++) {
                outcomes.add(Map.of("predictionId", scored.get(j).predictionId(), "outcome",
                        patients.label(from + j) ? 1 : 0));
            }
        }
        for (int from = 0; from < outcomes.size(); from += 500) {
            String body = Json.write(Map.of("model", model.value(), "outcomes",
                    outcomes.subList(from, Math.min(from + 500, outcomes.size()))));
            platform.outcomes().submit("outcomes-feed", body, Json.readTree("outcomes",
                    body.getBytes(StandardCharsets.UTF_8)));
        }
    }
}
