package health.vigil.gates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.adapter.onnx.TestModels;
import health.vigil.config.VigilConfig;
import health.vigil.error.StoreException;
import health.vigil.events.VigilEvent;
import health.vigil.features.FeaturePipeline;
import health.vigil.features.FeaturePipelines;
import health.vigil.model.AuditRecord;
import health.vigil.model.GateReport;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.Stage;
import health.vigil.platform.VigilPlatform;
import health.vigil.port.EventPublisher;
import health.vigil.testing.governance.SetUpRegistration;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import health.vigil.testing.samples.SyntheticCohort;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gate evaluation's audit record and the stage move it causes, through the platform's real local stores. */
class GateEvaluationAuditTest {
    @TempDir
    Path home;

    @Test
    void theEvaluationIsAuditedBeforeTheVersionIsSeenPastItsGates() {
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { })
                .build()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionTrees(), "trees.zip");
            // What the control app's GateFunctions does with the version's Registered event.
            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();
            Stage judged = report.passed() ? Stage.GATES_PASSED : Stage.GATES_FAILED;
            assertThat(platform.registry().getVersion(model, 1).stage()).isEqualTo(judged);

            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            List<AuditRecord> trail = platform.audit().read(today.minusDays(1), today.plusDays(1)).stream()
                    .filter(r -> r.subject().equals(new ModelVersion(model, 1).subject())).toList();
            int evaluated = indexOf(trail, "gates.evaluate", report.passed() ? "passed" : "failed");
            int moved = indexOf(trail, "model.stage", judged.name().toLowerCase(java.util.Locale.ROOT));
            assertThat(evaluated).as("the evaluation's record").isNotNegative();
            assertThat(moved).as("the move past the gates").isNotNegative();
            assertThat(evaluated).as("audited before the stage moves").isLessThan(moved);
        }
    }

    @Test
    void aDeliveryThatDiedBeforeAnnouncingTheOutcomeLeavesTheEventToTheNextDelivery() {
        List<VigilEvent> published = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicBoolean down = new java.util.concurrent.atomic.AtomicBoolean(true);
        EventPublisher eventGrid = event -> {
            if (event.type().startsWith("Vigil.Gates.") && down.getAndSet(false)) {
                throw new StoreException("Event Grid did not answer", null);
            }
            published.add(event);
        };
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(eventGrid)
                .build()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionTrees(), "trees.zip");
            ModelVersion version = new ModelVersion(model, 1);

            assertThatThrownBy(() -> platform.gates().onRegistered(version, "registered-1"))
                    .isInstanceOf(StoreException.class);
            platform.gates().onRegistered(version, "registered-1"); // Event Grid delivers it again
            platform.gates().onRegistered(version, "registered-1"); // and again, once handled: nothing more

            List<VigilEvent> announced = published.stream().filter(e -> e.type().startsWith("Vigil.Gates.")).toList();
            LocalDate today = LocalDate.now(ZoneOffset.UTC);
            List<AuditRecord> evaluations = platform.audit().read(today.minusDays(1), today.plusDays(1)).stream()
                    .filter(r -> r.action().equals("gates.evaluate") && r.subject().equals(version.subject()))
                    .toList();
            assertThat(evaluations).hasSize(1);
            assertThat(announced).hasSize(1);
            assertThat(announced.get(0).id()).as("the event names the audited decision").isEqualTo(evaluations.get(0).id());
        }
    }

    @Test
    void aVersionThatRegisteredButCannotRunOnTheDatasetFailsItsGatesInsteadOfStayingInGatesRunning() {
        // A loader that refuses what registration accepted: once the version is registered, the pipeline paired with
        // its model is one column wider (as a package whose reader accepted a width its loader refuses, or one with a
        // fixed batch size, meets its gates).
        FeaturePipelines standard = FeaturePipelines.standard();
        java.util.concurrent.atomic.AtomicBoolean registered = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.function.Function<health.vigil.model.Manifest, FeaturePipeline> wider = m -> {
            FeaturePipeline real = standard.forManifest(m);
            return new FeaturePipeline() {
                @Override
                public String id() {
                    return real.id();
                }

                @Override
                public health.vigil.model.FeatureSchema rawSchema() {
                    return real.rawSchema();
                }

                @Override
                public List<String> columns() {
                    List<String> columns = new java.util.ArrayList<>(real.columns());
                    if (registered.get()) {
                        columns.add("one_too_many");
                    }
                    return columns;
                }

                @Override
                public void transform(java.util.Map<String, Object> record, float[] out, int offset) {
                    real.transform(record, out, offset);
                }
            };
        };
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { })
                .pipelines(wider, standard::width).build()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionTrees(), "trees.zip");
            registered.set(true);
            registerDataset(platform, model);

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

            assertThat(report.passed()).isFalse();
            assertThat(report.notes()).anySatisfy(note -> assertThat(note)
                    .contains("could not be run on the evaluation dataset").contains("feature pipeline"));
            assertThat(platform.registry().getVersion(model, 1).stage()).isEqualTo(Stage.GATES_FAILED);
        }
    }

    @Test
    void aModelWithADynamicInputWidthIsJudgedLikeAnyOther() {
        // Registration accepts a width declared dynamic once a probe row of the manifest's width scores; the gates
        // then load it with the pipeline's width, as scoring does.
        SamplePackage trees = SampleModels.readmissionTrees();
        SamplePackage dynamic = new SamplePackage(trees.manifest(), TestModels.dynamicWidth(trees.onnx()),
                trees.reference());
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { })
                .build()) {
            ModelName model = SetUpRegistration.register(platform, dynamic, "dynamic.zip");
            registerDataset(platform, model);

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

            assertThat(report.notes()).noneMatch(note -> note.contains("could not be"));
            assertThat(report.datasetRows()).isPositive();
        }
    }

    /** The readmission cohort's rows with their outcomes, registered as the model's evaluation dataset. */
    static void registerDataset(VigilPlatform platform, ModelName model) {
        registerDataset(platform, model, SampleModels.readmissionCohort(200, 7), "eval.csv");
    }

    /** {@code cohort}'s rows with their outcomes, registered as the model's evaluation dataset {@code fileName}. */
    static void registerDataset(VigilPlatform platform, ModelName model, SyntheticCohort cohort, String fileName) {
        StringBuilder csv = new StringBuilder(String.join(",", cohort.schema().names()) + ",readmitted\n");
        for (int i = 0; i < cohort.rows(); i++) {
            java.util.Map<String, Object> row = cohort.records().get(i);
            for (String name : cohort.schema().names()) {
                Object value = row.get(name);
                csv.append(value == null ? "" : value.toString()).append(',');
            }
            csv.append(cohort.outcomes()[i] ? 1 : 0).append('\n');
        }
        platform.datasets().register(new EvaluationDataset.Declaration(model.value(), fileName, "readmitted",
                null, null, List.of()), csv.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8),
                new health.vigil.security.Principal("data-steward",
                        java.util.Set.of(health.vigil.security.Role.DATASETS_REGISTER)));
    }

    private static int indexOf(List<AuditRecord> trail, String action, String outcome) {
        for (int i = 0; i < trail.size(); i++) {
            if (trail.get(i).action().equals(action) && trail.get(i).outcome().equals(outcome)) {
                return i;
            }
        }
        return -1;
    }
}
