package health.vigil.gates;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.config.VigilConfig;
import health.vigil.json.Json;
import health.vigil.model.GateCheck;
import health.vigil.model.GateReport;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.governance.SetUpRegistration;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SyntheticCohort;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The coverage gate: evaluation rows the candidate's schema refuses are left out of every other data gate, so a
 * candidate that cannot score a material share of the platform's evaluation population fails instead of being judged
 * on the rest alone. Judged through the platform's real stores and ONNX Runtime.
 */
class GateCoverageTest {
    private static final int ROWS = 200;
    private static final Principal STEWARD = new Principal("data-steward", Set.of(Role.DATASETS_REGISTER));

    @TempDir
    Path home;

    @Test
    void aFewRefusedRowsAreCountedAndTheirShareIsJudgedAgainstThePolicy() {
        try (VigilPlatform platform = platform()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionTrees(), "trees.zip");
            registerDataset(platform, model, 4); // 2 % of the rows: patients of 17, under the schema's minimum age

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

            GateCheck coverage = check(report);
            assertThat(coverage.outcome()).isEqualTo(GateCheck.Outcome.PASSED);
            assertThat(coverage.value()).isEqualTo(0.02);
            assertThat(coverage.threshold()).isEqualTo("<= 0.05");
            assertThat(coverage.note()).startsWith("4 of 200 rows refused by the candidate's schema (first: row 1")
                    .contains("age");
            assertThat(report.datasetRows()).as("the other gates are measured without them").isEqualTo(ROWS - 4);
        }
    }

    @Test
    void aCandidateThatCannotScoreAMaterialShareOfTheDatasetFailsItsGates() {
        try (VigilPlatform platform = platform()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionTrees(), "trees.zip");
            registerDataset(platform, model, 30); // 15 %

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

            GateCheck coverage = check(report);
            assertThat(coverage.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
            assertThat(coverage.value()).isEqualTo(0.15);
            assertThat(report.passed()).isFalse();
        }
    }

    @Test
    void aPolicyCanAllowNoRefusedRowAndADatasetTheCandidateReadsWhollyPasses() {
        try (VigilPlatform platform = platform()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionTrees(), "trees.zip");
            registerDataset(platform, model, 1);
            ObjectNode strict = Json.mapper().valueToTree(GatePolicy.defaults());
            strict.put("maxRefusedRowShare", 0.0);
            platform.gatePolicies().update(model, Json.convert("the policy", strict, GatePolicy.class), STEWARD,
                    "every patient of the evaluation population must be scorable");

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();
            assertThat(check(report).outcome()).isEqualTo(GateCheck.Outcome.FAILED);
            assertThat(check(report).note()).startsWith("1 of 200 rows refused");
        }
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home.resolve("second")))
                .eventPublisher(event -> { }).build()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionTrees(), "trees.zip");
            registerDataset(platform, model, 0);

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();
            assertThat(check(report).outcome()).isEqualTo(GateCheck.Outcome.PASSED);
            assertThat(check(report).value()).isZero();
            assertThat(check(report).note()).isEqualTo("0 of 200 rows refused by the candidate's schema");
        }
    }

    @Test
    void aPolicyWrittenBeforeTheThresholdExistedIsReadWithItsDefault() {
        ObjectNode stored = Json.mapper().valueToTree(GatePolicy.defaults());
        stored.remove("maxRefusedRowShare");

        GatePolicy read = Json.convert("the policy", stored, GatePolicy.class);

        assertThat(read.maxRefusedRowShare()).isEqualTo(GatePolicy.DEFAULT_MAX_REFUSED_ROW_SHARE);
        stored.put("maxRefusedRowShare", 1.5);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> Json.convert("the policy", stored, GatePolicy.class))
                .hasMessageContaining("maxRefusedRowShare is 1.5; it must lie between 0.0 and 1.0");
    }

    private VigilPlatform platform() {
        return VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { }).build();
    }

    private static GateCheck check(GateReport report) {
        return report.checks().stream().filter(c -> c.gate().equals(GateChecks.COVERAGE)).findFirst().orElseThrow();
    }

    /** The readmission cohort's rows with their outcomes; the first {@code minors} are patients of 17. */
    private static void registerDataset(VigilPlatform platform, ModelName model, int minors) {
        SyntheticCohort cohort = SampleModels.readmissionCohort(ROWS, 7);
        StringBuilder csv = new StringBuilder(String.join(",", cohort.schema().names()) + ",readmitted\n");
        for (int i = 0; i < cohort.rows(); i++) {
            Map<String, Object> row = cohort.records().get(i);
            for (String name : cohort.schema().names()) {
                Object value = name.equals("age") && i < minors ? 17 : row.get(name);
                csv.append(value == null ? "" : value.toString()).append(',');
            }
            csv.append(cohort.outcomes()[i] ? 1 : 0).append('\n');
        }
        platform.datasets().register(new EvaluationDataset.Declaration(model.value(), "eval.csv", "readmitted",
                null, null, List.of()), csv.toString().getBytes(StandardCharsets.UTF_8), STEWARD);
    }
}
