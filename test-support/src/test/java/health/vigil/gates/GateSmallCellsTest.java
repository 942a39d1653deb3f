package health.vigil.gates;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.config.VigilConfig;
import health.vigil.json.Json;
import health.vigil.model.GateCheck;
import health.vigil.model.GateReport;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.monitoring.MonitoringPolicy;
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
 * The segments gate withholds a flagged segment's small counts as the model's monitoring reports withhold theirs: by
 * the model's monitoring policy's {@code minCellSize}, never below the platform's 11. Judged through the platform's
 * real stores and ONNX Runtime.
 */
class GateSmallCellsTest {
    private static final int ROWS = 200;
    private static final Principal STEWARD = new Principal("data-steward", Set.of(Role.DATASETS_REGISTER));

    @TempDir
    Path home;

    /**
     * Site B has 15 patients with the outcome among 100, short of the 25 the policy asks for: the gate names the site
     * and its rows, so a count of 15 is what a minCellSize of 20 withholds in the model's monitoring reports.
     */
    @Test
    void aFlaggedSegmentsCountIsWithheldBelowTheModelsOwnMinCellSize() {
        MonitoringPolicy d = MonitoringPolicy.DEFAULTS;
        MonitoringPolicy twenty = new MonitoringPolicy(d.window(), d.drift(), d.consecutiveWindows(), d.minLabelled(),
                d.minLabelledPerClass(), d.minAuroc(), d.maxBrier(), d.minExpectedAuroc(), 20);
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).monitoringPolicies(m -> twenty)
                .eventPublisher(event -> { }).build()) {
            GateCheck siteB = siteB(platform);

            assertThat(siteB.outcome()).isEqualTo(GateCheck.Outcome.FLAGGED);
            assertThat(siteB.note()).isEqualTo("not judged: 100 rows, fewer than 20 with the outcome; at least 25 of"
                    + " each are needed for its AUROC and calibration error to say more than noise");
        }
    }

    /** A model whose monitoring shows every count still has its gates withhold below the platform's 11. */
    @Test
    void aModelThatShowsEveryCountInMonitoringKeepsThePlatformsFloorAtTheGates() {
        MonitoringPolicy d = MonitoringPolicy.DEFAULTS;
        MonitoringPolicy everyCount = new MonitoringPolicy(d.window(), d.drift(), d.consecutiveWindows(),
                d.minLabelled(), d.minLabelledPerClass(), d.minAuroc(), d.maxBrier(), d.minExpectedAuroc(), 0);
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).monitoringPolicies(m -> everyCount)
                .eventPublisher(event -> { }).build()) {
            assertThat(siteB(platform).note()).startsWith("not judged: 100 rows, 15 with the outcome;");
        }
    }

    /** Registers the sample, a policy asking for 25 of each outcome and the dataset; runs the gates. */
    private static GateCheck siteB(VigilPlatform platform) {
        ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionTrees(), "trees.zip");
        ObjectNode policy = Json.mapper().valueToTree(GatePolicy.defaults());
        policy.put("minSegmentPerClass", 25);
        platform.gatePolicies().update(model, Json.convert("the policy", policy, GatePolicy.class), STEWARD,
                "segments are judged on 25 patients of each outcome");
        registerDataset(platform, model);

        GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

        return report.checks().stream().filter(c -> c.check().equals("site=B:outcomes_per_class")).findFirst()
                .orElseThrow();
    }

    /**
     * The readmission cohort's rows with a {@code site} column: site A (rows 1-100) has 50 patients with the outcome,
     * site B (rows 101-200) has 15.
     */
    private static void registerDataset(VigilPlatform platform, ModelName model) {
        SyntheticCohort cohort = SampleModels.readmissionCohort(ROWS, 7);
        List<String> columns = cohort.schema().names();
        StringBuilder csv = new StringBuilder(String.join(",", columns) + ",site,readmitted\n");
        for (int i = 0; i < cohort.rows(); i++) {
            Map<String, Object> row = cohort.records().get(i);
            for (String name : columns) {
                Object value = row.get(name);
                csv.append(value == null ? "" : value.toString()).append(',');
            }
            boolean outcome = i < 100 ? i % 2 == 0 : i < 115;
            csv.append(i < 100 ? "A" : "B").append(',').append(outcome ? 1 : 0).append('\n');
        }
        platform.datasets().register(new EvaluationDataset.Declaration(model.value(), "eval.csv", "readmitted",
                null, null, List.of("site")), csv.toString().getBytes(StandardCharsets.UTF_8), STEWARD);
    }
}
