package health.vigil.gates;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import health.vigil.config.VigilConfig;
import health.vigil.json.Json;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.GateCheck;
import health.vigil.model.GateReport;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Principal;
import health.vigil.security.Role;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.governance.SetUpRegistration;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
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

    /**
     * One row in twenty refused, half of them patients with the outcome: within the share the policy allows of all
     * rows, but a large part of the rarer outcome's, whom the other gates were then measured without. Before, the
     * coverage gate passed on the overall share alone.
     */
    @Test
    void aCandidateThatRefusesAMaterialShareOfThePatientsWithTheOutcomeFailsItsGates() {
        try (VigilPlatform platform = platform()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionTrees(), "trees.zip");
            boolean[] outcomes = SampleModels.readmissionCohort(ROWS, 7).outcomes();
            List<Integer> withOutcome = java.util.stream.IntStream.range(0, ROWS).filter(i -> outcomes[i]).boxed()
                    .toList();
            List<Integer> withoutOutcome = java.util.stream.IntStream.range(0, ROWS).filter(i -> !outcomes[i])
                    .boxed().toList();
            Set<Integer> minors = new java.util.HashSet<>(withOutcome.subList(0, 5));
            minors.addAll(withoutOutcome.subList(0, 5));
            registerDataset(platform, model, (i, name, value) -> name.equals("age") && minors.contains(i) ? 17 : value);

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

            assertThat(check(report).outcome()).as("5 % of all rows").isEqualTo(GateCheck.Outcome.PASSED);
            assertThat(report.failedGates()).as("judged without 5 of the %s patients with the outcome",
                    withOutcome.size()).containsExactly(GateChecks.COVERAGE);
            GateCheck byOutcome = check(report, "rows_refused_by_outcome");
            assertThat(byOutcome.gate()).isEqualTo(GateChecks.COVERAGE);
            assertThat(byOutcome.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
            assertThat(byOutcome.value()).isEqualTo(5.0 / withOutcome.size());
            assertThat(byOutcome.note()).isEqualTo("5 of the " + withOutcome.size() + " rows with the outcome and 5 of"
                    + " the " + withoutOutcome.size() + " rows without it refused by the candidate's schema");
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
            GateCheck outputs = check(report, "outputs_not_probability");
            assertThat(outputs.gate()).isEqualTo(GateChecks.COVERAGE);
            assertThat(outputs.outcome()).isEqualTo(GateCheck.Outcome.PASSED);
            assertThat(outputs.value()).isZero();
            assertThat(outputs.note()).isEqualTo("every one of the 200 rows the candidate reads got a probability");
        }
    }

    @Test
    void aCandidateThatReadsPatientsProductionRefusesIsJudgedOnThemAndComparedWhereBothRead() {
        try (VigilPlatform platform = platform()) {
            // Production reads patients from 30 on; the candidate from 18 on, as the schema it was trained for says.
            SamplePackage trees = SampleModels.readmissionTrees();
            ModelName model = SetUpRegistration.register(platform, fromAge(trees, 30), "from-30.zip");
            SetUpApproval.approve(platform, new ModelVersion(model, 1));
            platform.deployments().deploy(model, 1, Principal.SYSTEM);
            SetUpRegistration.register(platform, trees, "from-18.zip");
            registerDataset(platform, model, 0, 20); // 20 patients of 25: only the candidate reads them

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 2), "registered-2").orElseThrow();

            assertThat(report.productionVersion()).isEqualTo(1);
            assertThat(check(report).value()).isZero();
            assertThat(report.datasetRows()).as("every row the candidate reads is judged").isEqualTo(ROWS);
            GateCheck compared = report.checks().stream().filter(c -> c.check().equals("non_inferiority"))
                    .findFirst().orElseThrow();
            SyntheticCohort cohort = SampleModels.readmissionCohort(ROWS, 7);
            long under30 = 20 + java.util.stream.IntStream.range(20, ROWS)
                    .filter(i -> ((Number) cohort.records().get(i).get("age")).doubleValue() < 30).count();
            assertThat(compared.note()).contains("on the same rows (the " + (ROWS - under30) + " both read)");
            assertThat(report.notes()).anySatisfy(note -> assertThat(note).startsWith(under30 + " of the 200 rows the"
                    + " candidate reads are refused by the production version's schema and left out of the comparison"));
        }
    }

    @Test
    void aCandidateWhoseOutputIsNaNOnSomeRowsFailsWithTheFirstOneNamedAndIsJudgedOnTheRest() {
        try (VigilPlatform platform = platform()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionWithoutImputation(),
                    "no-imputer.zip");
            registerDataset(platform, model, 0); // the cohort's patients without a length of stay get NaN
            SyntheticCohort cohort = SampleModels.readmissionCohort(ROWS, 7);
            List<Integer> missing = java.util.stream.IntStream.range(0, ROWS)
                    .filter(i -> !cohort.records().get(i).containsKey("length_of_stay_days")).boxed().toList();
            assertThat(missing).as("the dataset has such patients").isNotEmpty();

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

            GateCheck outputs = check(report, "outputs_not_probability");
            assertThat(outputs.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
            assertThat(outputs.value()).isEqualTo(missing.size());
            assertThat(outputs.threshold()).isEqualTo("== 0");
            assertThat(outputs.note()).isEqualTo(missing.size() + " of the 200 rows the candidate reads got an output"
                    + " that is not a probability (first: row " + (missing.get(0) + 1) + ", output NaN); the other data"
                    + " gates are measured without them");
            assertThat(report.passed()).isFalse();
            assertThat(report.failedGates()).contains(GateChecks.COVERAGE);
            assertThat(report.datasetRows()).as("the other gates are measured on the rows it scored")
                    .isEqualTo(ROWS - missing.size());
            assertThat(check(report, "auroc").value()).as("the discrimination gate was measured").isNotNull();
        }
    }

    /**
     * A row built from the schema with every optional feature missing: the logistic sample, whose graph imputes a
     * missing value, gives it a probability.
     */
    @Test
    void aCandidateThatImputesAMissingOptionalFeaturePassesTheCheckOfARowWithoutThem() {
        try (VigilPlatform platform = platform()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionLogistic(), "logistic.zip");
            registerDataset(platform, model, 0);

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

            GateCheck optional = check(report, "optional_features_missing");
            assertThat(optional.gate()).isEqualTo(GateChecks.COVERAGE);
            assertThat(optional.outcome()).isEqualTo(GateCheck.Outcome.PASSED);
            assertThat(optional.value()).isZero();
            assertThat(optional.note()).isEqualTo("a row with every optional feature missing (length_of_stay_days) and"
                    + " each required one given a valid value got a probability");
        }
    }

    /**
     * The sample exported without its imputer, judged on evaluation rows that all have a length of stay: every row
     * gets a probability, yet a patient sent without one would get NaN. The approver is told which features and what
     * to do, and the gates still pass on that account (a deployed version like it is what scoring's 502 is for).
     */
    @Test
    void aCandidateThatAnswersNaNWithoutAnOptionalFeatureIsFlaggedForTheApproverWithoutFailingItsGates() {
        try (VigilPlatform platform = platform()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionWithoutImputation(),
                    "no-imputer.zip");
            registerDataset(platform, model, (i, name, value) -> name.equals("length_of_stay_days") && value == null
                    ? 4.0 : value);

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

            assertThat(check(report, "outputs_not_probability").outcome()).as("every evaluation row has the value")
                    .isEqualTo(GateCheck.Outcome.PASSED);
            GateCheck optional = check(report, "optional_features_missing");
            assertThat(optional.outcome()).isEqualTo(GateCheck.Outcome.FLAGGED);
            assertThat(optional.value()).isEqualTo(1);
            assertThat(optional.note()).isEqualTo("a row with every optional feature missing (length_of_stay_days) and"
                    + " each required one given a valid value got an output that is not a probability (NaN): every"
                    + " patient sent without those values would get no risk (502 MODEL_OUTPUT_INVALID). Export the"
                    + " model with the imputer it was trained with (or one that fills a missing value), or mark those"
                    + " features required in the manifest");
            assertThat(report.failedGates()).doesNotContain(GateChecks.COVERAGE);
            assertThat(report.passed()).as(report.failedGates().toString()).isTrue();
        }
    }

    /**
     * Production's own output is NaN on some rows (the candidate fixes that): those rows are left out of the comparison
     * and named. Before, the comparison threw on production's NaN and every data gate of the candidate failed as
     * "could not be run", so a candidate fixing production's fault could never pass.
     */
    @Test
    void rowsOnWhichProductionsOwnOutputIsNaNAreLeftOutOfTheComparisonAndNamed() {
        try (VigilPlatform platform = platform()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionWithoutImputation(),
                    "no-imputer.zip");
            SetUpApproval.approve(platform, new ModelVersion(model, 1));
            platform.deployments().deploy(model, 1, Principal.SYSTEM);
            SetUpRegistration.register(platform, SampleModels.readmissionLogistic(), "with-imputer.zip");
            registerDataset(platform, model, 0);
            SyntheticCohort cohort = SampleModels.readmissionCohort(ROWS, 7);
            List<Integer> missing = java.util.stream.IntStream.range(0, ROWS)
                    .filter(i -> !cohort.records().get(i).containsKey("length_of_stay_days")).boxed().toList();

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 2), "registered-2").orElseThrow();

            assertThat(report.productionVersion()).isEqualTo(1);
            assertThat(report.notes()).noneSatisfy(note -> assertThat(note).contains("could not be run"));
            assertThat(report.notes()).anySatisfy(note -> assertThat(note).isEqualTo("production's output is not a"
                    + " probability on " + missing.size() + " of the 200 rows both versions read (first: row "
                    + (missing.get(0) + 1) + ", output NaN); the comparison with production leaves them out"));
            GateCheck compared = report.checks().stream().filter(c -> c.check().equals("non_inferiority"))
                    .findFirst().orElseThrow();
            assertThat(compared.value()).isNotNull();
            assertThat(compared.note()).contains("(the " + (ROWS - missing.size()) + " both read)");
            assertThat(check(report, "outputs_not_probability").outcome()).isEqualTo(GateCheck.Outcome.PASSED);
        }
    }

    @Test
    void aCandidateWhoseOutputIsAboveOneOnOneRowFailsItsGatesWithThatRowAndOutputNamed() {
        try (VigilPlatform platform = platform()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionLinearRisk(), "linear.zip");
            // Row 4 (from 1) is a patient with 40 prior inpatient stays: 0.003 x age + 0.03 x 40 is over 1.
            registerDataset(platform, model, (i, name, value) -> i == 3 && name.equals("prior_inpatient_stays") ? 40
                    : value);
            Number age = (Number) SampleModels.readmissionCohort(ROWS, 7).records().get(3).get("age");
            float output = (float) (0.003 * age.doubleValue() + 0.03 * 40);

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

            GateCheck outputs = check(report, "outputs_not_probability");
            assertThat(outputs.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
            assertThat(outputs.value()).isEqualTo(1);
            assertThat(outputs.note()).startsWith("1 of the 200 rows the candidate reads got an output that is not a"
                    + " probability (first: row 4, output " + output + ", above 1)");
            assertThat(report.passed()).isFalse();
            assertThat(report.datasetRows()).isEqualTo(ROWS - 1);
        }
    }

    @Test
    void aCandidateWhoseOutputIsAProbabilityOnFewerThanTwoRowsFailsEveryDataGateWithThatReason() {
        try (VigilPlatform platform = platform()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionLinearRisk(), "linear.zip");
            registerDataset(platform, model, (i, name, value) -> i > 0 && name.equals("prior_inpatient_stays") ? 40
                    : value);

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

            assertThat(report.passed()).isFalse();
            assertThat(report.failedGates()).containsAll(GateChecks.DATA_GATES);
            assertThat(report.checks()).filteredOn(c -> GateChecks.DATA_GATES.contains(c.gate())).allSatisfy(c -> {
                assertThat(c.check()).isEqualTo("dataset");
                assertThat(c.note()).contains("the candidate's output is not a probability on 199 of the 200 rows it"
                        + " reads (first: row 2, output ").contains("which leaves fewer than 2 rows");
            });
        }
    }

    /**
     * The evaluation dataset has no column for an optional feature the candidate reads: every row was scored as a
     * patient without it, which says nothing of the model patients sent with it get. Before, the gates passed on
     * those rows and nothing said the feature was never given.
     */
    @Test
    void aCandidateFeatureNoEvaluationRowGivesIsFlaggedForTheApproverNamed() {
        try (VigilPlatform platform = platform()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionLogistic(), "logistic.zip");
            registerDataset(platform, model, (i, name, value) -> value, "length_of_stay_days");

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

            GateCheck absent = check(report, "features_without_values");
            assertThat(absent.gate()).isEqualTo(GateChecks.COVERAGE);
            assertThat(absent.outcome()).isEqualTo(GateCheck.Outcome.FLAGGED);
            assertThat(absent.value()).isEqualTo(1);
            assertThat(absent.note()).isEqualTo("none of the 200 rows the candidate is judged on gives a value for"
                    + " length_of_stay_days (the evaluation dataset has no such column, or it is empty): every data"
                    + " gate scored it as if no patient had them, so what it answers a patient who has them was not"
                    + " judged; register a dataset whose rows give them, or leave them out of the model, unless no"
                    + " such patient will reach it");
            assertThat(report.checks()).as("the approver is asked; no gate fails for it")
                    .noneMatch(c -> c.outcome() == GateCheck.Outcome.FAILED && c.gate().equals(GateChecks.COVERAGE));
            assertThat(check(report, "rows_refused").value()).as("no row is refused for it").isZero();
        }
    }

    @Test
    void aCandidateWhoseEveryFeatureHasValuesPassesThatCheck() {
        try (VigilPlatform platform = platform()) {
            ModelName model = SetUpRegistration.register(platform, SampleModels.readmissionLogistic(), "logistic.zip");
            registerDataset(platform, model, 0);

            GateReport report = platform.gates().onRegistered(new ModelVersion(model, 1), "registered-1").orElseThrow();

            GateCheck absent = check(report, "features_without_values");
            assertThat(absent.outcome()).isEqualTo(GateCheck.Outcome.PASSED);
            assertThat(absent.value()).isZero();
        }
    }

    /** The package with its {@code age} feature read from {@code minimum} on. */
    private static SamplePackage fromAge(SamplePackage sample, double minimum) {
        Manifest m = sample.manifest();
        List<Feature> features = m.features().features().stream()
                .map(f -> f.name().equals("age") ? new Feature(f.name(), f.type(), f.unit(), minimum, f.max(),
                        f.categories(), f.required(), f.description(), f.pattern()) : f)
                .toList();
        return new SamplePackage(new Manifest(m.formatVersion(), m.name(), m.task(), m.description(),
                FeatureSchema.of(features), m.featurePipeline(), m.output(), m.intendedUse(), m.limitations(), m.owner(),
                m.provenance(), m.card()), sample.onnx(), sample.reference());
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
        return check(report, "rows_refused");
    }

    private static GateCheck check(GateReport report, String check) {
        return report.checks().stream().filter(c -> c.check().equals(check)).findFirst().orElseThrow();
    }

    /** The readmission cohort's rows with their outcomes; the first {@code minors} are patients of 17. */
    private static void registerDataset(VigilPlatform platform, ModelName model, int minors) {
        registerDataset(platform, model, minors, 0);
    }

    /** As above, and the {@code young} rows after the minors are patients of 25. */
    private static void registerDataset(VigilPlatform platform, ModelName model, int minors, int young) {
        registerDataset(platform, model, (i, name, value) -> !name.equals("age") ? value : i < minors ? 17
                : i < minors + young ? 25 : value);
    }

    /** What the dataset holds in a cell, given its row (from 0), its column and the cohort's value (null: empty). */
    private interface Cell {
        Object value(int row, String column, Object cohortValue);
    }

    /** The readmission cohort's rows with their outcomes, each cell as {@code cell} says, without {@code omitted}. */
    private static void registerDataset(VigilPlatform platform, ModelName model, Cell cell, String... omitted) {
        SyntheticCohort cohort = SampleModels.readmissionCohort(ROWS, 7);
        List<String> columns = cohort.schema().names().stream().filter(n -> !List.of(omitted).contains(n)).toList();
        StringBuilder csv = new StringBuilder(String.join(",", columns) + ",readmitted\n");
        for (int i = 0; i < cohort.rows(); i++) {
            Map<String, Object> row = cohort.records().get(i);
            for (String name : columns) {
                Object value = cell.value(i, name, row.get(name));
                csv.append(value == null ? "" : value.toString()).append(',');
            }
            csv.append(cohort.outcomes()[i] ? 1 : 0).append('\n');
        }
        platform.datasets().register(new EvaluationDataset.Declaration(model.value(), "eval.csv", "readmitted",
                null, null, List.of()), csv.toString().getBytes(StandardCharsets.UTF_8), STEWARD);
    }
}
