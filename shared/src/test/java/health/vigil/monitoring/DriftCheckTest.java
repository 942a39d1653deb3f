package health.vigil.monitoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.mockito.ArgumentMatchers.any;
import static org.mockito.ArgumentMatchers.eq;
import static org.mockito.Mockito.doAnswer;
import static org.mockito.Mockito.mock;

import health.vigil.error.PackageRejectedException;
import health.vigil.json.Json;
import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.ModelName;
import health.vigil.model.PredictionRecord;
import health.vigil.model.ReferenceProfile;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import health.vigil.model.Slot;
import health.vigil.monitoring.DriftReport.FeatureDrift;
import health.vigil.monitoring.DriftReport.Status;
import health.vigil.port.PredictionLog;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class DriftCheckTest {
    private static DriftCheck check;

    @BeforeAll
    static void reference() {
        check = DriftCheck.of(DriftFixtures.SCHEMA, DriftFixtures.reference(), DriftFixtures.THRESHOLD,
                DriftThresholds.DEFAULTS);
    }

    @Test
    void productionLikeTrainingIsStable() {
        DriftReport report = run(new Random(100), 20_000, DriftFixtures.Shift.NONE);
        assertThat(report.drifted()).isFalse();
        assertThat(report.features()).extracting(FeatureDrift::status).containsOnly(Status.STABLE);
        assertThat(report.score().status()).isEqualTo(Status.STABLE);
        FeatureDrift age = feature(report, "age");
        assertThat(age.psi()).isLessThan(0.01);
        assertThat(age.ksPValue()).isGreaterThan(0.01);
        assertThat(feature(report, "admission").chiSquareValid()).isTrue();
        assertThat(report.unmonitored()).isEmpty();
    }

    @Test
    void olderPatientsDriftTheAgeAndTheScore() {
        DriftReport report = run(new Random(101), 20_000, new DriftFixtures.Shift(8, 0.3, 0));
        assertThat(report.drifted()).isTrue();
        FeatureDrift age = feature(report, "age");
        assertThat(age.status()).isEqualTo(Status.DRIFTED);
        assertThat(age.reasons()).anySatisfy(r -> assertThat(r).startsWith("PSI"))
                .anySatisfy(r -> assertThat(r).startsWith("KS"));
        assertThat(age.wasserstein()).isBetween(6.0, 10.0); // about the 8-year shift, in years
        assertThat(report.score().status()).isEqualTo(Status.DRIFTED);
        assertThat(feature(report, "sex").status()).isEqualTo(Status.STABLE);
        assertThat(feature(report, "admission").status()).isEqualTo(Status.STABLE);
        // Older patients score higher: the expected flagged rate rises with them.
        assertThat(report.estimate().flaggedRate())
                .isGreaterThan(run(new Random(100), 20_000, DriftFixtures.Shift.NONE).estimate().flaggedRate());
    }

    @Test
    void moreEmergencyAdmissionsDriftTheCategory() {
        DriftReport report = run(new Random(102), 20_000, new DriftFixtures.Shift(0, 0.6, 0));
        FeatureDrift admission = feature(report, "admission");
        assertThat(admission.status()).isEqualTo(Status.DRIFTED);
        assertThat(admission.chiSquarePValue()).isLessThan(1e-10);
        assertThat(admission.chiSquareDegreesOfFreedom()).isEqualTo(2); // 3 categories
        assertThat(admission.reasons()).anySatisfy(r -> assertThat(r).startsWith("chi-square"));
        assertThat(feature(report, "age").status()).isEqualTo(Status.STABLE);
    }

    @Test
    void codesOutsideTheCategoriesShowUpAsTheirOwnBin() {
        float[][] rows = DriftFixtures.rows(new Random(107), 5_000, DriftFixtures.Shift.NONE);
        FeatureDrift clean = feature(report(rows), "sex");
        for (int r = 0; r < 1_000; r++) {
            rows[r][2] = 7; // not a category of "sex": a client sending codes the model never saw
        }
        FeatureDrift polluted = feature(report(rows), "sex");
        assertThat(clean.psi()).isLessThan(0.01); // no charge for the unused extra bin
        assertThat(polluted.status()).isEqualTo(Status.DRIFTED);
        assertThat(polluted.chiSquareDegreesOfFreedom()).isEqualTo(2); // F, M and the codes that are neither
    }

    @Test
    void aLabThatStopsBeingRecordedDriftsItsMissingRate() {
        DriftReport report = run(new Random(103), 20_000, new DriftFixtures.Shift(0, 0.3, 0.3));
        FeatureDrift creatinine = feature(report, "creatinine");
        assertThat(creatinine.status()).isEqualTo(Status.DRIFTED);
        assertThat(creatinine.missingRate()).isBetween(0.28, 0.32);
        assertThat(creatinine.referenceMissingRate()).isZero();
        assertThat(creatinine.reasons()).singleElement().asString().startsWith("missing rate");
    }

    @Test
    void aLabAlmostNeverRecordedDriftsItsMissingRateThoughItsFewValuesAreNotJudged() {
        // 1,000 rows with creatinine missing in 99 % (0 % in training): 10 values are too few to judge their
        // distribution, but the missing rate is judged on all 1,000 rows, and the feature that went (almost) dark
        // must read as drifted, as one missing in every row does.
        DriftReport report = run(new Random(108), 1_000, new DriftFixtures.Shift(0, 0.3, 0.99));
        FeatureDrift creatinine = feature(report, "creatinine");
        assertThat(creatinine.rows()).isLessThan(DriftThresholds.DEFAULTS.minRows());
        assertThat(creatinine.status()).isEqualTo(Status.DRIFTED);
        assertThat(creatinine.reasons()).singleElement().asString().startsWith("missing rate");
        assertThat(report.drifted()).isTrue();

        DriftReport none = run(new Random(108), 1_000, new DriftFixtures.Shift(0, 0.3, 1.0));
        assertThat(feature(none, "creatinine").status()).isEqualTo(Status.DRIFTED);
    }

    @Test
    void tooFewRowsAreReportedAsSuchNeverAsDrift() {
        DriftReport report = run(new Random(104), 50, new DriftFixtures.Shift(30, 0.9, 0));
        assertThat(report.drifted()).isFalse();
        assertThat(report.features()).extracting(FeatureDrift::status).containsOnly(Status.INSUFFICIENT_DATA);
        assertThat(feature(report, "age").psi()).isGreaterThan(0.2); // shown, not judged
    }

    @Test
    void checksOnlyTheRequestedVersionFromThePredictionLog() {
        ModelName model = new ModelName("readmission-30d");
        Instant from = Instant.parse("2026-01-01T00:00:00Z");
        Instant to = Instant.parse("2026-01-02T00:00:00Z");
        float[][] rows = DriftFixtures.rows(new Random(105), 600, DriftFixtures.Shift.NONE);
        double[] scores = DriftFixtures.scores(rows);
        PredictionLog log = mock(PredictionLog.class);
        doAnswer(invocation -> {
            Consumer<PredictionRecord> sink = invocation.getArgument(3);
            for (int i = 0; i < rows.length; i++) {
                int version = i % 3 == 0 ? 1 : 2; // a canary: two versions in one log
                sink.accept(new PredictionRecord("p" + i, model, version, version == 2 ? Slot.CANARY : Slot.STABLE,
                        "pseudonym", from.plusSeconds(i), rows[i], scores[i], scores[i] >= 0.3, null));
            }
            return null;
        }).when(log).scan(eq(model), eq(from), eq(to), any());

        DriftReport report = check.check(log, model, 2, from, to);
        assertThat(report.rows()).isEqualTo(400);
        assertThat(report.estimate().cases()).isEqualTo(400);
    }

    @Test
    void theReportIsJsonWithStatisticsOnly() throws Exception {
        DriftReport report = run(new Random(106), 5_000, new DriftFixtures.Shift(8, 0.3, 0));
        String json = Json.write(report);
        assertThat(json).contains("\"drifted\":true", "\"status\":\"DRIFTED\"", "\"psi\":", "\"expectedAuroc\":");
        assertThat(Json.mapper().readTree(json).get("features").size()).isEqualTo(6);
    }

    @Test
    void aReferenceThatDoesNotFitTheSchemaRejectsThePackage() {
        FeatureSchema schema = new FeatureSchema(List.of(Feature.numeric("age", "years", 0, 120),
                Feature.categorical("sex", List.of("F", "M"))));
        FeatureProfile age = new FeatureProfile("age", List.of(0.0, 50.0, 120.0), List.of(0.5, 0.5), null, 0);
        ReferenceProfile unknownFeature = new ReferenceProfile(10, List.of(age,
                new FeatureProfile("weight", List.of(0.0, 1.0), List.of(1.0), null, 0)), null);
        assertThatThrownBy(() -> DriftBaseline.compile(schema, unknownFeature, 0.5))
                .isInstanceOfSatisfying(PackageRejectedException.class,
                        e -> assertThat(e.reason()).isEqualTo(PackageRejectedException.Reason.MALFORMED_REFERENCE))
                .hasMessageContaining("'weight'");
        ReferenceProfile edgesForACategory = new ReferenceProfile(10, List.of(age,
                new FeatureProfile("sex", List.of(0.0, 1.0), List.of(1.0), null, 0)), null);
        assertThatThrownBy(() -> DriftBaseline.compile(schema, edgesForACategory, 0.5))
                .isInstanceOf(PackageRejectedException.class).hasMessageContaining("category frequencies instead");
        ReferenceProfile badShares = new ReferenceProfile(10, List.of(age,
                new FeatureProfile("sex", null, null, Map.of("F", 0.5, "M", 0.6), 0)), null);
        assertThatThrownBy(() -> DriftBaseline.compile(schema, badShares, 0.5))
                .isInstanceOf(PackageRejectedException.class).hasMessageContaining("sum to");
        // Each edge finite, but the bins too wide to measure: the drift distances would overflow at every check.
        ReferenceProfile edgesTooFarApart = new ReferenceProfile(10, List.of(new FeatureProfile("age",
                List.of(-1.0e308, 0.0, 1.5e308), List.of(0.5, 0.5), null, 0)), null);
        assertThatThrownBy(() -> DriftBaseline.compile(schema, edgesTooFarApart, 0.5))
                .isInstanceOf(PackageRejectedException.class).hasMessageContaining("'age'")
                .hasMessageContaining("too far apart");
        // A feature without a profile is not an error: it is listed as not monitored.
        DriftBaseline partial = DriftBaseline.compile(schema, new ReferenceProfile(10, List.of(age), null), 0.5);
        assertThat(partial.unmonitored()).containsExactly("sex");
    }

    /** Pipeline columns of the raw features age and sex: as-is, derived, 0/1 indicators and a one-hot category. */
    private static final List<String> PIPELINE_COLUMNS = List.of("age", "age_missing", "age_decades", "sex=F",
            "sex_missing");
    private static final FeatureSchema RAW = new FeatureSchema(List.of(Feature.numeric("age", "years", 0, 120).optional(),
            Feature.categorical("sex", List.of("F", "M")).optional()));

    /** Row-major pipeline output for {@code n} patients, a share {@code women} of them women. */
    private static float[] pipelineRows(Random random, int n, double women) {
        float[] out = new float[n * PIPELINE_COLUMNS.size()];
        for (int r = 0; r < n; r++) {
            boolean ageMissing = random.nextDouble() < 0.05;
            double age = ageMissing ? 60 : Math.max(18, Math.min(100, 60 + 15 * random.nextGaussian()));
            boolean sexMissing = random.nextDouble() < 0.03;
            boolean woman = !sexMissing && random.nextDouble() < women;
            float[] row = {(float) age, ageMissing ? 1 : 0, (float) (age / 10), woman ? 1 : 0, sexMissing ? 1 : 0};
            System.arraycopy(row, 0, out, r * row.length, row.length);
        }
        return out;
    }

    private static double[] pipelineScores(float[] rows) {
        int width = PIPELINE_COLUMNS.size();
        double[] scores = new double[rows.length / width];
        for (int r = 0; r < scores.length; r++) {
            scores[r] = 1 / (1 + Math.exp(2 - 0.03 * (rows[r * width] - 60) - 0.3 * rows[r * width + 3]));
        }
        return scores;
    }

    @Test
    void aFeaturePipelinesColumnsAreMonitoredUnderTheirOwnNames() {
        float[] training = pipelineRows(new Random(200), 20_000, 0.5);
        ReferenceProfile reference = ReferenceBinning.profile(List.of(ReferenceBinning.InputColumn.numeric("age"),
                ReferenceBinning.InputColumn.binary("age_missing"), ReferenceBinning.InputColumn.numeric("age_decades"),
                ReferenceBinning.InputColumn.binary("sex=F"), ReferenceBinning.InputColumn.binary("sex_missing")),
                training, 20_000, pipelineScores(training));
        DriftCheck pipelineCheck = DriftCheck.of(RAW, PIPELINE_COLUMNS, reference, 0.2, DriftThresholds.DEFAULTS);
        assertThat(pipelineCheck.baseline().width()).isEqualTo(5);
        assertThat(pipelineCheck.baseline().unmonitored()).isEmpty();

        float[] same = pipelineRows(new Random(201), 20_000, 0.5);
        DriftReport stable = pipelineCheck.report(pipelineCheck.summarise(same, pipelineScores(same), 20_000, 2));
        assertThat(stable.features()).extracting(FeatureDrift::name).containsExactlyElementsOf(PIPELINE_COLUMNS);
        assertThat(stable.features()).extracting(FeatureDrift::status).containsOnly(Status.STABLE);
        assertThat(stable.features()).extracting(FeatureDrift::kind)
                .containsExactly("numeric", "categorical", "numeric", "categorical", "categorical");

        float[] moreWomen = pipelineRows(new Random(202), 20_000, 0.7);
        DriftReport shifted = pipelineCheck.report(pipelineCheck.summarise(moreWomen, pipelineScores(moreWomen), 20_000, 2));
        FeatureDrift women = shifted.features().get(3);
        assertThat(women.name()).isEqualTo("sex=F");
        assertThat(women.status()).isEqualTo(Status.DRIFTED);
        assertThat(women.chiSquarePValue()).isLessThan(1e-10);
        assertThat(shifted.features().get(0).status()).isEqualTo(Status.STABLE);

        // The raw schema's names alone do not describe these inputs: the profiles would name no input.
        assertThatThrownBy(() -> DriftBaseline.compile(RAW, reference, 0.2))
                .isInstanceOf(PackageRejectedException.class).hasMessageContaining("'age_missing'");
    }

    @Test
    void aPipelineProfileThatDoesNotFitItsColumnsRejectsThePackage() {
        FeatureProfile age = new FeatureProfile("age", List.of(0.0, 50.0, 120.0), List.of(0.5, 0.5), null, 0);
        // A derived column takes numbers; as categories only the 0/1 ones, false and true.
        ReferenceProfile otherCategories = new ReferenceProfile(10, List.of(age,
                new FeatureProfile("sex=F", null, null, Map.of("0", 0.5, "1", 0.5), 0)), null);
        assertThatThrownBy(() -> DriftBaseline.compile(RAW, PIPELINE_COLUMNS, otherCategories, 0.5))
                .isInstanceOf(PackageRejectedException.class).hasMessageContaining("'sex=F'")
                .hasMessageContaining("false and true");
        // The raw feature sex is not an input of this model, only its columns are.
        ReferenceProfile rawSex = new ReferenceProfile(10, List.of(age,
                new FeatureProfile("sex", null, null, Map.of("F", 0.5, "M", 0.5), 0)), null);
        assertThatThrownBy(() -> DriftBaseline.compile(RAW, PIPELINE_COLUMNS, rawSex, 0.5))
                .isInstanceOf(PackageRejectedException.class).hasMessageContaining("not one of the model's input columns");
        // A name that is no input column is the package's text: not repeated unless it is a plain name.
        ReferenceProfile pasted = new ReferenceProfile(10, List.of(age,
                new FeatureProfile("Jane Doe MRN 4471823", null, null, Map.of("F", 1.0), 0)), null);
        assertThatThrownBy(() -> DriftBaseline.compile(RAW, PIPELINE_COLUMNS, pasted, 0.5))
                .isInstanceOf(PackageRejectedException.class)
                .hasMessageContaining("not one of the model's input columns")
                .hasMessageNotContaining("Jane").hasMessageNotContaining("4471823");
        // A column named like a raw numeric feature carries that feature: bins, not categories.
        ReferenceProfile ageAsCategories = new ReferenceProfile(10, List.of(
                new FeatureProfile("age", null, null, Map.of("false", 1.0), 0)), null);
        assertThatThrownBy(() -> DriftBaseline.compile(RAW, PIPELINE_COLUMNS, ageAsCategories, 0.5))
                .isInstanceOf(PackageRejectedException.class).hasMessageContaining("numeric features need bin edges");
        DriftBaseline partial = DriftBaseline.compile(RAW, PIPELINE_COLUMNS, new ReferenceProfile(10, List.of(age), null), 0.5);
        assertThat(partial.unmonitored()).containsExactly("age_missing", "age_decades", "sex=F", "sex_missing");
    }

    @Test
    void theScoreIsTestedWithTheNumberOfScoresItsProfileWasBuiltOn() {
        // Training profiles the features on the training split and the score on the smaller test split.
        ReferenceProfile training = DriftFixtures.reference();
        ReferenceProfile testSplitScores = new ReferenceProfile(training.rows(), training.features(), training.score(),
                500L);
        ReferenceProfile allOf500Rows = new ReferenceProfile(500, training.features(), training.score());
        float[][] rows = DriftFixtures.rows(new Random(102), 2_000, new DriftFixtures.Shift(1, 0.3, 0));

        DriftReport split = reportAgainst(testSplitScores, rows);
        DriftReport asIfTrainingRows = reportAgainst(training, rows);
        DriftReport small = reportAgainst(allOf500Rows, rows);

        assertThat(split.score().ksPValue()).isEqualTo(small.score().ksPValue());
        assertThat(split.score().ksPValue()).isGreaterThan(asIfTrainingRows.score().ksPValue());
        assertThat(feature(split, "age").ksPValue()).isEqualTo(feature(asIfTrainingRows, "age").ksPValue());
    }

    private static DriftReport reportAgainst(ReferenceProfile reference, float[][] rows) {
        DriftCheck against = DriftCheck.of(DriftFixtures.SCHEMA, reference, DriftFixtures.THRESHOLD,
                DriftThresholds.DEFAULTS);
        return against.report(against.summarise(DriftFixtures.flatten(rows), DriftFixtures.scores(rows), rows.length, 2));
    }

    private static DriftReport run(Random random, int n, DriftFixtures.Shift shift) {
        return report(DriftFixtures.rows(random, n, shift));
    }

    private static DriftReport report(float[][] rows) {
        DriftSummary summary = check.summarise(DriftFixtures.flatten(rows), DriftFixtures.scores(rows), rows.length, 2);
        return check.report(summary);
    }

    private static FeatureDrift feature(DriftReport report, String name) {
        return report.features().stream().filter(f -> f.name().equals(name)).findFirst().orElseThrow();
    }
}
