package health.vigil.gates;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.config.VigilConfig;
import health.vigil.model.GateCheck;
import health.vigil.model.GateReport;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.governance.SetUpRegistration;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import health.vigil.testing.samples.SyntheticCohort;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The explanation gate of a version that cannot be explained says why, in words its author can act on: a logistic
 * regression whose reference.json leaves out the mean of some columns is told which ones, not that it is "neither a
 * tree ensemble nor a logistic regression".
 */
class GateExplanationTest {
    private static final Principal STEWARD = new Principal("data-steward", Set.of(Role.DATASETS_REGISTER));
    private static final List<String> UNPROFILED = List.of("age", "length_of_stay_days");

    @TempDir
    Path home;

    @Test
    void aLogisticRegressionWithoutTheMeanOfSomeColumnsFailsNamingThem() {
        SamplePackage logistic = SampleModels.readmissionLogistic();
        assertThat(logistic.manifest().features().names()).containsAll(UNPROFILED);
        ReferenceProfile reference = logistic.reference();
        List<FeatureProfile> withoutMeans = reference.features().stream()
                .map(p -> UNPROFILED.contains(p.name()) ? new FeatureProfile(p.name(), p.binEdges(), p.proportions(),
                        p.categoryFrequencies(), p.missingRate(), null) : p)
                .toList();
        SamplePackage sample = new SamplePackage(logistic.manifest(), logistic.onnx(),
                new ReferenceProfile(reference.rows(), withoutMeans, reference.score(), reference.scoreRows()));
        try (VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { }).build()) {
            ModelName model = SetUpRegistration.register(platform, sample, "logistic.zip");
            platform.datasets().register(new EvaluationDataset.Declaration(model.value(), "eval.csv", "readmitted",
                    null, null, List.of()), cohortCsv(), STEWARD);

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

            GateCheck explanation = report.checks().stream().filter(c -> c.check().equals("shap_additivity"))
                    .findFirst().orElseThrow();
            assertThat(explanation.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
            assertThat(explanation.note()).contains("logistic regression", "reference.json gives no mean for 2 input"
                    + " columns (" + String.join(", ", UNPROFILED) + ")");
        }
    }

    /** The readmission cohort's patients with their outcomes, as a data steward's CSV. */
    private static byte[] cohortCsv() {
        SyntheticCohort cohort = SampleModels.readmissionCohort(200, 7);
        List<String> names = cohort.schema().names();
        String rows = IntStream.range(0, cohort.rows())
                .mapToObj(i -> names.stream().map(n -> String.valueOf(cohort.records().get(i).getOrDefault(n, "")))
                        .map(v -> v.equals("null") ? "" : v).collect(Collectors.joining(",", "", ","))
                        + (cohort.outcomes()[i] ? 1 : 0))
                .collect(Collectors.joining("\n"));
        return (String.join(",", names) + ",readmitted\n" + rows + "\n").getBytes(StandardCharsets.UTF_8);
    }
}
