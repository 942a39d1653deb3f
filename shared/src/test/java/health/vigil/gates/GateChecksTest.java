package health.vigil.gates;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.model.Feature;
import health.vigil.model.FeatureSchema;
import health.vigil.model.GateCheck;
import health.vigil.model.Manifest;
import health.vigil.model.ModelName;
import health.vigil.model.OutputSpec;
import health.vigil.model.Provenance;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Each gate on inputs small enough to work out by hand; the expected values are derived in the comments. */
class GateChecksTest {
    private static final GatePolicy DEFAULTS = GatePolicy.defaults();
    // Rows 0 and 1 negative, rows 2 and 3 positive.
    private static final boolean[] LABELS = {false, false, true, true};
    private static final double[] CANDIDATE = {0.1, 0.4, 0.35, 0.8};
    private static final double[] PRODUCTION = {0.1, 0.2, 0.8, 0.9};

    private static GateCheck check(List<GateCheck> checks, String name) {
        return checks.stream().filter(c -> c.check().equals(name)).findFirst().orElseThrow();
    }

    @Test
    void aurocFloorWithItsDeLongInterval() {
        // Pairs: 0.35 beats 0.1 not 0.4; 0.8 beats both: AUROC 3/4. Placements of positives [1/2, 1], of
        // negatives [1, 1/2]: sample variances 1/8 each, var = 1/8/2 + 1/8/2 = 1/8, se = 0.353553.
        GateCheck floor = check(GateChecks.discrimination(CANDIDATE, LABELS, null, null, null, DEFAULTS), "auroc");
        assertThat(floor.value()).isEqualTo(0.75);
        assertThat(floor.outcome()).isEqualTo(GateCheck.Outcome.PASSED);
        assertThat(floor.ciLower()).isCloseTo(0.75 - 1.959964 * 0.353553, within(1e-5));
        assertThat(floor.ciUpper()).isEqualTo(1.0);
        assertThat(check(GateChecks.discrimination(CANDIDATE, LABELS, null, null, null, DEFAULTS), "non_inferiority")
                .note()).contains("no production version");
    }

    @Test
    void nonInferiorityIsAOneSidedPairedDeLongBound() {
        // Production ranks perfectly: AUROC 1, placements all 1 (no variance, no covariance). The difference is
        // -1/4 with var 1/8 (the candidate's own), se 0.353553; one-sided 95% lower bound -0.25 - 1.644854 * se.
        GateCheck paired = check(GateChecks.discrimination(CANDIDATE, LABELS, CANDIDATE, PRODUCTION, LABELS, DEFAULTS),
                "non_inferiority");
        assertThat(paired.value()).isCloseTo(-0.25, within(1e-12));
        assertThat(paired.ciLower()).isCloseTo(-0.25 - 1.644854 * 0.353553, within(1e-5));
        assertThat(paired.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        // p = P(Z > (-0.25 + 0.02) / 0.353553) = P(Z > -0.650538) = 0.7423
        assertThat(paired.note()).contains("p = 0.742");
    }

    @Test
    void aCandidateThatRanksAsProductionDoesIsNotInferior() {
        GateCheck same = check(GateChecks.discrimination(PRODUCTION, LABELS, PRODUCTION, PRODUCTION.clone(), LABELS,
                DEFAULTS), "non_inferiority");
        assertThat(same.value()).isZero();
        assertThat(same.outcome()).isEqualTo(GateCheck.Outcome.PASSED);
    }

    @Test
    void theFloorIsOnEveryRowTheCandidateReadsAndTheComparisonOnTheRowsBothRead() {
        // The candidate reads four rows; production only the last two, both positive: the floor is judged on four,
        // and without two rows of each outcome among those both read nothing shows the candidate is not worse.
        List<GateCheck> checks = GateChecks.discrimination(CANDIDATE, LABELS, new double[] {0.35, 0.8},
                new double[] {0.8, 0.9}, new boolean[] {true, true}, DEFAULTS);
        assertThat(check(checks, "auroc").value()).isEqualTo(0.75);
        GateCheck compared = check(checks, "non_inferiority");
        assertThat(compared.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        assertThat(compared.note()).isEqualTo("of the 2 rows both versions read, 2 have the outcome and 0 do not:"
                + " comparing with production needs at least 2 of each");
        // A fifth row only the candidate reads: the floor counts it, the comparison is on the four both read.
        double[] wider = {0.1, 0.4, 0.35, 0.8, 0.6};
        boolean[] widerLabels = {false, false, true, true, true};
        List<GateCheck> five = GateChecks.discrimination(wider, widerLabels, CANDIDATE, PRODUCTION, LABELS, DEFAULTS);
        // Pairs: 0.35 beats 0.1; 0.8 and 0.6 beat both: AUROC 5/6.
        assertThat(check(five, "auroc").value()).isCloseTo(5.0 / 6, within(1e-12));
        assertThat(check(five, "non_inferiority").value()).isCloseTo(-0.25, within(1e-12));
        assertThat(check(five, "non_inferiority").note()).contains("on the same rows (the 4 both read)");
    }

    @Test
    void aurocBelowTheFloorFails() {
        double[] reversed = {0.9, 0.8, 0.2, 0.1};
        assertThat(check(GateChecks.discrimination(reversed, LABELS, null, null, null, DEFAULTS), "auroc").outcome())
                .isEqualTo(GateCheck.Outcome.FAILED);
    }

    @Test
    void scoresRankingTheNegativeClassHigherPointToThePositiveClassIndex() {
        // Sure to be below one half (its whole interval is): the scores are most likely those of the other class.
        boolean[] labels = new boolean[200];
        double[] inverted = new double[200];
        for (int i = 0; i < 200; i++) {
            labels[i] = i % 2 == 0;
            inverted[i] = labels[i] ? 0.2 + 0.001 * i : 0.6 + 0.001 * i;
        }
        GateCheck floor = check(GateChecks.discrimination(inverted, labels, null, null, null, DEFAULTS), "auroc");
        assertThat(floor.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        assertThat(floor.ciUpper()).isLessThan(0.5);
        assertThat(floor.note()).contains("positiveClassIndex").contains("negative class");
        // At one half: a model that does not discriminate, not a swapped class; no such hint.
        double[] chance = {0.4, 0.6, 0.5, 0.45};
        GateCheck weak = check(GateChecks.discrimination(chance, LABELS, null, null, null, DEFAULTS), "auroc");
        assertThat(weak.value()).isEqualTo(0.5);
        assertThat(weak.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        assertThat(weak.note()).doesNotContain("positiveClassIndex");
    }

    @Test
    void calibrationErrorBrierInterceptAndSlope() {
        // Scores 0.1, 0.1, 0.9, 0.9 with labels F, T, T, T. Bin 1: mean 0.1, observed 0.5 -> 0.4 * 2/4 = 0.2;
        // bin 9: mean 0.9, observed 1 -> 0.1 * 2/4 = 0.05; ECE 0.25. Brier (0.01 + 0.81 + 0.01 + 0.01) / 4 = 0.21.
        double[] scores = {0.1, 0.1, 0.9, 0.9};
        boolean[] labels = {false, true, true, true};
        List<GateCheck> checks = GateChecks.calibration(scores, labels, DEFAULTS);
        assertThat(check(checks, "expected_calibration_error").value()).isCloseTo(0.25, within(1e-12));
        assertThat(check(checks, "expected_calibration_error").outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        assertThat(check(checks, "brier").value()).isCloseTo(0.21, within(1e-12));
        assertThat(check(checks, "brier").outcome()).isEqualTo(GateCheck.Outcome.PASSED);
        // The recalibration fit itself is checked in LogisticRecalibrationTest; here that both are reported.
        assertThat(check(checks, "slope").threshold()).isEqualTo("within [0.8, 1.25]");
        assertThat(check(checks, "intercept").threshold()).isEqualTo("within ±0.25");
    }

    @Test
    void scoresThatSeparateTheOutcomesFailTheSlopeWhateverRangeThePolicyAllows() {
        // 100 positives at 1 and 900 negatives at 0: the slope fit stops near 1.4, inside a permitted [0.5, 10].
        double[] scores = new double[1_000];
        boolean[] labels = new boolean[1_000];
        for (int i = 0; i < 100; i++) {
            scores[i] = 1;
            labels[i] = true;
        }
        GatePolicy permissive = new GatePolicy(0, 0.65, 0.02, 0.05, 0.05, 0.25, 0.25, 0.5, 10, 100, null, 0.10, 0.10,
                5.0, 1e-4, 2000, 0.97, null, false, false, List.of(), "steward", null, "a wide slope range");

        GateCheck slope = check(GateChecks.calibration(scores, labels, permissive), "slope");

        assertThat(slope.value()).isBetween(0.5, 10.0);
        assertThat(slope.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        assertThat(slope.note()).contains("separate the outcomes completely");
    }

    @Test
    void wellCalibratedScoresPassEveryCalibrationCheck() {
        // 10 rows at 0.2 with 2 positives, 10 at 0.7 with 7: each bin's mean equals its observed rate (ECE 0),
        // and the saturated recalibration gives intercept 0 and slope 1.
        double[] scores = new double[20];
        boolean[] labels = new boolean[20];
        for (int i = 0; i < 10; i++) {
            scores[i] = 0.2;
            labels[i] = i < 2;
            scores[10 + i] = 0.7;
            labels[10 + i] = i < 7;
        }
        List<GateCheck> checks = GateChecks.calibration(scores, labels, DEFAULTS);
        assertThat(checks).allMatch(c -> c.outcome() == GateCheck.Outcome.PASSED);
        assertThat(check(checks, "expected_calibration_error").value()).isCloseTo(0, within(1e-12));
        assertThat(check(checks, "intercept").value()).isCloseTo(0, within(1e-8));
        assertThat(check(checks, "slope").value()).isCloseTo(1, within(1e-8));
    }

    @Test
    void theWorstSegmentGapIsTheFairnessCheck() {
        // Segment A: negatives 0.1 x5, positives 0.4 x5 (AUROC 1). Segment B: negatives 0.3 x5, positives 0.2 x5
        // (AUROC 0). Overall: 0.4 beats all 10 negatives (50 pairs), 0.2 beats the five 0.1s (25): 75/100.
        // ECE: A = 0.1*0.5 + 0.6*0.5 = 0.35; B = 0.3*0.5 + 0.8*0.5 = 0.55; overall = (0.1+0.8+0.3+0.6)/4 = 0.45.
        double[] scores = new double[20];
        boolean[] labels = new boolean[20];
        String[] segment = new String[20];
        for (int i = 0; i < 5; i++) {
            set(scores, labels, segment, i, 0.1, false, "A");
            set(scores, labels, segment, 5 + i, 0.4, true, "A");
            set(scores, labels, segment, 10 + i, 0.3, false, "B");
            set(scores, labels, segment, 15 + i, 0.2, true, "B");
        }
        // Five of each outcome a segment: judged only by a policy asking for no more.
        GatePolicy policy = withSegmentMinimums(10, 5);
        List<GateCheck> checks = GateChecks.segments(scores, labels, Map.of("race", segment), policy);
        assertThat(check(checks, "race=A:auroc").value()).isEqualTo(1.0);
        assertThat(check(checks, "race=B:auroc").value()).isEqualTo(0.0);
        assertThat(check(checks, "race=B:auroc").outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        GateCheck worst = check(checks, "race:worst_auroc_gap");
        assertThat(worst.value()).isCloseTo(0.75, within(1e-12));
        assertThat(worst.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        assertThat(worst.note()).contains("race=B");
        assertThat(check(checks, "race=A:calibration_error").value()).isCloseTo(0.35, within(1e-12));
        assertThat(check(checks, "race:worst_calibration_gap").value()).isCloseTo(0.10, within(1e-12));
    }

    /**
     * A segment of 100 rows with one patient who had the outcome: its AUROC is that one patient's rank among the
     * others, 0 here, and failed the fairness gate on noise. It is flagged for the approver instead, and the worst gap
     * is the judged segments'.
     */
    @Test
    void aSegmentWithTooFewOfAnOutcomeIsFlaggedForTheApproverNotJudged() {
        // A: 100 positives at 0.7, 100 negatives at 0.3 (AUROC 1); C: the same at 0.6 and 0.4. B: one positive at
        // 0.1, 99 negatives at 0.3.
        double[] scores = new double[500];
        boolean[] labels = new boolean[500];
        String[] segment = new String[500];
        for (int i = 0; i < 100; i++) {
            set(scores, labels, segment, i, 0.7, true, "A");
            set(scores, labels, segment, 100 + i, 0.3, false, "A");
            set(scores, labels, segment, 200 + i, i == 0 ? 0.1 : 0.3, i == 0, "B");
            set(scores, labels, segment, 300 + i, 0.6, true, "C");
            set(scores, labels, segment, 400 + i, 0.4, false, "C");
        }

        List<GateCheck> checks = GateChecks.segments(scores, labels, Map.of("race", segment), DEFAULTS);

        assertThat(checks).noneMatch(GateCheck::failed);
        assertThat(checks).noneMatch(c -> c.check().startsWith("race=B:auroc") || c.check().startsWith("race=B:cal"));
        GateCheck b = check(checks, "race=B:outcomes_per_class");
        assertThat(b.outcome()).isEqualTo(GateCheck.Outcome.FLAGGED);
        assertThat(b.value()).isNull();
        assertThat(b.threshold()).isEqualTo(">= 10 with and without the outcome");
        assertThat(b.note()).isEqualTo("not judged: 100 rows, fewer than 10 with the outcome; at least 10 of each are"
                + " needed for its AUROC and calibration error to say more than noise");
        assertThat(check(checks, "race:worst_auroc_gap").note()).isEqualTo("fairness: worst segment race=A");
    }

    /**
     * The note names the segment and its rows, so a count of one class gives the other: a count from 1 to 10 is
     * withheld, and so is the other class's count beside it; zero stays zero.
     */
    @Test
    void aFlaggedSegmentsCountsFollowTheSmallCellRule() {
        // A: 100 of each (judged). B: 20 rows, 15 with the outcome and 5 without. C: 120 rows, 15 with it. D: 100
        // rows, none with it.
        double[] scores = new double[440];
        boolean[] labels = new boolean[440];
        String[] site = new String[440];
        for (int i = 0; i < 440; i++) {
            String v = i < 200 ? "A" : i < 220 ? "B" : i < 340 ? "C" : "D";
            boolean y = i < 200 ? i % 2 == 0 : i < 220 ? i < 215 : i < 340 ? i < 235 : false;
            set(scores, labels, site, i, y ? 0.6 : 0.4, y, v);
        }

        List<GateCheck> checks = GateChecks.segments(scores, labels, Map.of("site", site), withSegmentMinimums(10, 20));

        String rest = "; at least 20 of each are needed for its AUROC and calibration error to say more than noise";
        assertThat(check(checks, "site=B:outcomes_per_class").note()).isEqualTo("not judged: 20 rows, fewer than 20"
                + " with the outcome and fewer than 11 without it" + rest);
        assertThat(check(checks, "site=C:outcomes_per_class").note()).isEqualTo("not judged: 120 rows, 15 with the"
                + " outcome" + rest);
        assertThat(check(checks, "site=D:outcomes_per_class").note()).isEqualTo("not judged: 100 rows, none with the"
                + " outcome" + rest);
        assertThat(checks).extracting(GateCheck::outcome).containsOnly(GateCheck.Outcome.PASSED,
                GateCheck.Outcome.FLAGGED);
    }

    /**
     * With the model's own minCellSize of 20, site C's 15 outcomes are withheld as its monitoring reports would
     * withhold them; a minCellSize under the platform's 11 withholds as 11 does.
     */
    @Test
    void aFlaggedSegmentsCountsFollowTheModelsMinCellSizeNeverBelowElevenOutcomes() {
        double[] scores = new double[440];
        boolean[] labels = new boolean[440];
        String[] site = new String[440];
        for (int i = 0; i < 440; i++) {
            String v = i < 200 ? "A" : i < 220 ? "B" : i < 340 ? "C" : "D";
            boolean y = i < 200 ? i % 2 == 0 : i < 220 ? i < 215 : i < 340 ? i < 235 : false;
            set(scores, labels, site, i, y ? 0.6 : 0.4, y, v);
        }
        String rest = "; at least 20 of each are needed for its AUROC and calibration error to say more than noise";

        List<GateCheck> twenty = GateChecks.segments(scores, labels, Map.of("site", site), withSegmentMinimums(10, 20),
                20);
        List<GateCheck> five = GateChecks.segments(scores, labels, Map.of("site", site), withSegmentMinimums(10, 20),
                5);

        assertThat(check(twenty, "site=C:outcomes_per_class").note()).isEqualTo("not judged: 120 rows, fewer than 20"
                + " with the outcome" + rest);
        assertThat(check(twenty, "site=B:outcomes_per_class").note()).isEqualTo("not judged: 20 rows, fewer than 20"
                + " with the outcome and fewer than 20 without it" + rest);
        assertThat(five).isEqualTo(GateChecks.segments(scores, labels, Map.of("site", site),
                withSegmentMinimums(10, 20)));
        assertThat(check(five, "site=C:outcomes_per_class").note()).isEqualTo("not judged: 120 rows, 15 with the"
                + " outcome" + rest);
    }

    @Test
    void aColumnWhoseEverySegmentIsShortOfAnOutcomeFailsItsFairnessCheck() {
        // Two segments of 100 rows, each with five patients who had the outcome.
        double[] scores = new double[200];
        boolean[] labels = new boolean[200];
        String[] sex = new String[200];
        for (int i = 0; i < 200; i++) {
            set(scores, labels, sex, i, (i % 100) / 100.0, i % 100 >= 95, i < 100 ? "Female" : "Male");
        }

        List<GateCheck> checks = GateChecks.segments(scores, labels, Map.of("sex_group", sex), DEFAULTS);

        GateCheck worst = check(checks, "sex_group:worst_auroc_gap");
        assertThat(worst.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        assertThat(worst.note()).isEqualTo("no segment of 'sex_group' is large enough to judge; 2 segments with too"
                + " few rows with or without the outcome");
    }

    /**
     * A sex column recorded on five rows in two hundred: the one segment judged, (missing), is nearly the whole, and
     * its gap of about 0 passed the fairness gate although no group was compared with another.
     */
    @Test
    void aColumnWhoseOnlyJudgedSegmentRecordsNoValueFails() {
        double[] scores = new double[200];
        boolean[] labels = new boolean[200];
        String[] sex = new String[200];
        for (int i = 0; i < 200; i++) {
            set(scores, labels, sex, i, (i % 10) / 10.0, i % 10 >= 5 ^ i % 7 == 0, i < 5 ? "Female" : null);
        }

        List<GateCheck> checks = GateChecks.segments(scores, labels, Map.of("sex_group", sex), DEFAULTS);

        GateCheck worst = check(checks, "sex_group:worst_auroc_gap");
        assertThat(worst.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        assertThat(worst.note()).isEqualTo("only sex_group=(missing) was judged, so no group of 'sex_group' was"
                + " compared with another; not judged (under 100 rows): 1 value under 10 rows each, not named: the"
                + " dataset records too few values of it; register a dataset in which the column tells patients apart");
        assertThat(checks).noneMatch(c -> c.check().equals("sex_group:worst_calibration_gap"));
    }

    /**
     * One recorded value judged and the others too small: its gap is to a whole it is most of, so the approver is
     * asked to confirm the population, as when every row has that value, rather than the gate passing.
     */
    @Test
    void aColumnWithOneJudgedSegmentIsFlaggedForTheApproverNotPassed() {
        double[] scores = new double[200];
        boolean[] labels = new boolean[200];
        String[] age = new String[200];
        for (int i = 0; i < 200; i++) {
            set(scores, labels, age, i, (i % 10) / 10.0, i % 10 >= 5 ^ i % 7 == 0, i < 40 ? "80+" : "<50");
        }

        List<GateCheck> checks = GateChecks.segments(scores, labels, Map.of("age_group", age), DEFAULTS);

        GateCheck worst = check(checks, "age_group:worst_auroc_gap");
        assertThat(worst.outcome()).isEqualTo(GateCheck.Outcome.FLAGGED);
        assertThat(worst.note()).isEqualTo("only age_group=<50 was judged, so no group of 'age_group' was compared"
                + " with another; not judged (under 100 rows): 80+ (40 rows): confirm the model is meant for that group"
                + " alone, or register a dataset with enough patients of the others");
        assertThat(checks).noneMatch(GateCheck::failed);
    }

    /** Without a segment column the segments gate had no check at all, and a gate with no failed check passes. */
    @Test
    void aDatasetWithoutASegmentColumnIsFlaggedRatherThanPassingTheFairnessGateUnjudged() {
        List<GateCheck> checks = GateChecks.segments(CANDIDATE, LABELS, Map.of(), DEFAULTS);

        assertThat(checks).singleElement().satisfies(c -> {
            assertThat(c.gate()).isEqualTo(GateChecks.SEGMENTS);
            assertThat(c.check()).isEqualTo("segment_columns");
            assertThat(c.outcome()).isEqualTo(GateCheck.Outcome.FLAGGED);
            assertThat(c.note()).startsWith("the evaluation dataset declares no segment column (no ageColumn,"
                    + " sexColumn or segments), so no group of patients was compared with the whole");
        });
    }

    @Test
    void theFewestOfEachOutcomeASegmentIsJudgedWithIsAtLeastOneAndReadAsTenWhenAbsent() {
        for (int perClass : new int[] {0, -1, GatePolicy.MAX_SEGMENT_SIZE / 2 + 1}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> withSegmentMinimums(100, perClass))
                    .isInstanceOf(health.vigil.error.ValidationException.class)
                    .hasMessage("minSegmentPerClass is " + perClass + "; a segment is judged with at least that many"
                            + " rows with the outcome and as many without it: use 1 to 2500 (10 by default)");
        }
        assertThat(withSegmentMinimums(100, null).minSegmentPerClass()).isEqualTo(10);
        assertThat(DEFAULTS.minSegmentPerClass()).isEqualTo(GatePolicy.DEFAULT_MIN_SEGMENT_PER_CLASS).isEqualTo(10);
        com.fasterxml.jackson.databind.node.ObjectNode stored = health.vigil.json.Json.mapper()
                .valueToTree(withSegmentMinimums(100, 25));
        stored.remove("minSegmentPerClass");
        assertThat(health.vigil.json.Json.convert("the policy", stored, GatePolicy.class).minSegmentPerClass())
                .isEqualTo(10);
    }

    /**
     * Every row in one segment (a sex field no row gives): the segment is the whole, and its gaps to the overall values
     * are 0 whatever the model does to any group. Before, the fairness checks passed on that.
     */
    @Test
    void aColumnThatPutsEveryRowInOneSegmentFailsInsteadOfComparingTheWholeWithItself() {
        double[] scores = new double[20];
        boolean[] labels = new boolean[20];
        String[] sex = new String[20];
        for (int i = 0; i < 20; i++) {
            scores[i] = (i % 10) / 10.0;
            labels[i] = i % 10 >= 5 ^ i % 7 == 0;
            sex[i] = "unknown";
        }
        Map<String, String[]> columns = new LinkedHashMap<>();
        columns.put("sex_group", sex);

        List<GateCheck> checks = GateChecks.segments(scores, labels, columns, withMinSegment(10));

        GateCheck worst = check(checks, "sex_group:worst_auroc_gap");
        assertThat(worst.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        assertThat(worst.note()).isEqualTo("every one of the 20 rows judged is in one segment of 'sex_group'"
                + " ('unknown'), so no group can be compared with the whole: the dataset records no value of it;"
                + " register a dataset in which the column tells patients apart");
        assertThat(checks).noneMatch(c -> c.outcome() == GateCheck.Outcome.PASSED);
    }

    /**
     * A population in one group of a column (every patient under 50, for a children's hospital) may be what the model
     * is for: nothing is compared, and the approver is asked to confirm it rather than the gates failing for good.
     */
    @Test
    void aColumnWhoseEveryRowHasOneRecordedValueIsFlaggedForTheApproverNotFailed() {
        double[] scores = new double[20];
        boolean[] labels = new boolean[20];
        String[] age = new String[20];
        for (int i = 0; i < 20; i++) {
            scores[i] = (i % 10) / 10.0;
            labels[i] = i % 10 >= 5 ^ i % 7 == 0;
            age[i] = "<50";
        }
        Map<String, String[]> columns = new LinkedHashMap<>();
        columns.put("age_group", age);

        List<GateCheck> checks = GateChecks.segments(scores, labels, columns, withMinSegment(10));

        GateCheck worst = check(checks, "age_group:worst_auroc_gap");
        assertThat(worst.outcome()).isEqualTo(GateCheck.Outcome.FLAGGED);
        assertThat(worst.note()).isEqualTo("every one of the 20 rows judged is in one segment of 'age_group'"
                + " ('<50'), so no group can be compared with the whole: confirm the model is meant for that group"
                + " alone");
        assertThat(checks).noneMatch(c -> c.outcome() != GateCheck.Outcome.FLAGGED);
    }

    @Test
    void segmentsUnderTheMinimumSizeAreReportedButNotJudged() {
        double[] scores = new double[20];
        boolean[] labels = new boolean[20];
        String[] payer = new String[20];
        for (int i = 0; i < 20; i++) {
            scores[i] = i < 10 ? 0.2 : 0.7;
            labels[i] = i % 10 < (i < 10 ? 2 : 7);
            payer[i] = i % 4 == 0 ? "self-pay" : "medicare";
        }
        Map<String, String[]> columns = new LinkedHashMap<>();
        columns.put("payer", payer);
        List<GateCheck> checks = GateChecks.segments(scores, labels, columns, withMinSegment(10));
        assertThat(checks).noneMatch(c -> c.check().startsWith("payer=self-pay"));
        // Five rows are fewer than a value is named with: it is counted instead.
        assertThat(check(checks, "payer:worst_auroc_gap").note()).contains("1 value under 10 rows each, not named")
                .doesNotContain("self-pay");
    }

    @Test
    void anIdentifierGivenAsASegmentColumnIsNeverNamedInTheReport() {
        int n = 240;
        double[] scores = new double[n];
        boolean[] labels = new boolean[n];
        String[] site = new String[n];
        String[] patient = new String[n];
        for (int i = 0; i < n; i++) {
            scores[i] = (i % 10) / 10.0;
            labels[i] = i % 10 >= 6 ^ i % 7 == 0;
            site[i] = i < 150 ? "north" : i < 235 ? "south" : "east";
            patient[i] = "MRN-" + (100_000 + i);
        }
        Map<String, String[]> columns = new LinkedHashMap<>();
        columns.put("site", site);
        columns.put("patient_id", patient);

        List<GateCheck> checks = GateChecks.segments(scores, labels, columns, withMinSegment(100));

        assertThat(checks.toString()).doesNotContain("MRN-");
        assertThat(check(checks, "patient_id:worst_auroc_gap").note()).contains("240 values under 10 rows each, not"
                + " named");
        // A small segment of ten rows or more is still named, as before.
        assertThat(check(checks, "site:worst_auroc_gap").note()).contains("south (85 rows)")
                .contains("1 value under 10 rows each, not named").doesNotContain("east");
    }

    @Test
    void aRemovedOrRetypedFeatureIsIncompatibleUnlessThePolicyAllowsIt() {
        Manifest production = manifest(List.of(Feature.integer("age", "years", 18, 110), Feature.bool("diabetic"),
                Feature.numeric("bmi", "kg/m2", 10, 80)), "readmission@1111aaaa");
        Manifest candidate = manifest(List.of(Feature.numeric("age", "years", 18, 110), Feature.bool("diabetic"),
                Feature.bool("smoker")), "readmission@2222bbbb");
        List<GateCheck> checks = GateChecks.compatibility(candidate, production, DEFAULTS);
        assertThat(check(checks, "schema").value()).isEqualTo(2.0);
        assertThat(check(checks, "schema").outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        assertThat(check(checks, "schema").note()).contains("removed [bmi]").contains("age (INTEGER -> NUMERIC)");
        assertThat(check(checks, "pipeline_family").outcome()).isEqualTo(GateCheck.Outcome.PASSED);

        Manifest otherFamily = manifest(production.features().features(), "adherence@3333cccc");
        assertThat(check(GateChecks.compatibility(otherFamily, production, DEFAULTS), "pipeline_family").outcome())
                .isEqualTo(GateCheck.Outcome.FAILED);
    }

    @Test
    void p99IsTheNearestRankPercentile() {
        long[] nanos = new long[100];
        for (int i = 0; i < 100; i++) {
            nanos[i] = (100 - i) * 1_000_000L; // 100 ms down to 1 ms
        }
        GateCheck latency = GateChecks.latency(nanos, DEFAULTS);
        assertThat(latency.value()).isEqualTo(99.0); // rank ceil(0.99 * 100) = 99 of 1..100 ms
        assertThat(latency.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        Arrays.fill(nanos, 200_000L);
        assertThat(GateChecks.latency(nanos, DEFAULTS).outcome()).isEqualTo(GateCheck.Outcome.PASSED);
    }

    @Test
    void oneRowWhoseShapValuesMissTheMarginFailsExplanationSanity() {
        GateCheck failed = GateChecks.explanation(new double[] {0, 5e-5, 2e-4}, DEFAULTS);
        assertThat(failed.value()).isEqualTo(2e-4);
        assertThat(failed.outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        assertThat(failed.note()).isEqualTo("1 of 3 rows out of tolerance");
        assertThat(GateChecks.explanation(new double[] {0, 5e-5}, DEFAULTS).outcome()).isEqualTo(GateCheck.Outcome.PASSED);
        assertThat(GateChecks.explanation(null, DEFAULTS).outcome()).isEqualTo(GateCheck.Outcome.FAILED);
    }

    @Test
    void provenanceNeedsACleanTreeSeedAndLibraries() {
        Provenance dirty = new Provenance("ab".repeat(32), 10, null, "0123abc", true, "xgboost", null, null, null,
                null, null, null);
        List<GateCheck> checks = GateChecks.provenance(dirty, DEFAULTS);
        assertThat(check(checks, "dataset_sha256").outcome()).isEqualTo(GateCheck.Outcome.PASSED);
        assertThat(check(checks, "code_commit").outcome()).isEqualTo(GateCheck.Outcome.PASSED);
        assertThat(check(checks, "clean_tree").outcome()).isEqualTo(GateCheck.Outcome.FLAGGED);
        GatePolicy strict = GatePolicy.defaults();
        strict = new GatePolicy(1, strict.aurocFloor(), strict.nonInferiorityMargin(), strict.alpha(),
                strict.maxCalibrationError(), strict.maxBrier(), strict.maxInterceptDeviation(), strict.minSlope(),
                strict.maxSlope(), strict.minSegmentSize(), strict.minSegmentPerClass(),
                strict.maxSegmentAurocGap(),
                strict.maxSegmentCalibrationGap(), strict.maxP99LatencyMillis(), strict.shapTolerance(),
                strict.shapRows(), strict.leakageAuroc(), strict.maxRefusedRowShare(), false, true, List.of(), "steward", null, "production models need a clean tree");
        assertThat(check(GateChecks.provenance(dirty, strict), "clean_tree").outcome())
                .isEqualTo(GateCheck.Outcome.FAILED);
        assertThat(check(checks, "seed").outcome()).isEqualTo(GateCheck.Outcome.FAILED);
        assertThat(check(checks, "library_versions").outcome()).isEqualTo(GateCheck.Outcome.FAILED);
    }

    @Test
    void anImplausiblyHighAurocIsFlaggedNotFailed() {
        assertThat(GateChecks.leakage(0.98, DEFAULTS).outcome()).isEqualTo(GateCheck.Outcome.FLAGGED);
        assertThat(GateChecks.leakage(0.80, DEFAULTS).outcome()).isEqualTo(GateCheck.Outcome.PASSED);
    }

    @Test
    void aRowWithoutTheOptionalFeaturesIsFlaggedByTheirNamesOnlyAndASchemaWithNonePasses() {
        List<String> twelve = java.util.stream.IntStream.rangeClosed(1, 12).mapToObj(i -> "lab_" + i).toList();
        GateCheck above = GateChecks.optionalFeaturesMissing(twelve, 1.5);
        assertThat(above.outcome()).isEqualTo(GateCheck.Outcome.FLAGGED);
        assertThat(above.failed()).isFalse();
        assertThat(above.note()).startsWith("a row with every optional feature missing (lab_1, lab_2, lab_3, lab_4,"
                + " lab_5, lab_6, lab_7, lab_8, lab_9, lab_10 and 2 more) and each required one given a valid value got"
                + " an output that is not a probability (1.5, above 1)").doesNotContain("lab_11");
        assertThat(GateChecks.optionalFeaturesMissing(List.of("lab_1"), 0.3).outcome())
                .isEqualTo(GateCheck.Outcome.PASSED);
        GateCheck none = GateChecks.optionalFeaturesMissing(List.of(), Double.NaN);
        assertThat(none.outcome()).isEqualTo(GateCheck.Outcome.PASSED);
        assertThat(none.note()).isEqualTo("every feature of the manifest is required: no patient is scored without a"
                + " value");
    }

    @Test
    void aModelThatFailsOnTheRowWithoutTheOptionalFeaturesIsFlaggedWithTheReasonNotFailed() {
        GateCheck failed = GateChecks.optionalFeaturesMissing(List.of("lab_1"), "the model's runtime failed");
        assertThat(failed.outcome()).isEqualTo(GateCheck.Outcome.FLAGGED);
        assertThat(failed.failed()).isFalse();
        assertThat(failed.note()).startsWith("a row with every optional feature missing (lab_1) and each required one"
                + " given a valid value could not be scored (the model's runtime failed): every patient sent without"
                + " those values would get that error instead of a risk. Export the model");
    }

    @Test
    void aCardFieldThePolicyRequiresFailsTheCardGateWhenTheManifestLacksIt() {
        Manifest without = manifest(List.of(Feature.integer("age", "years", 0, 120)), Manifest.IDENTITY_PIPELINE);
        assertThat(GateChecks.card(without, DEFAULTS)).singleElement()
                .satisfies(c -> assertThat(c.outcome()).isEqualTo(GateCheck.Outcome.PASSED));
        GatePolicy d = DEFAULTS;
        GatePolicy requiring = new GatePolicy(1, d.aurocFloor(), d.nonInferiorityMargin(), d.alpha(), d.maxCalibrationError(),
                d.maxBrier(), d.maxInterceptDeviation(), d.minSlope(), d.maxSlope(), d.minSegmentSize(),
                d.minSegmentPerClass(), d.maxSegmentAurocGap(), d.maxSegmentCalibrationGap(), d.maxP99LatencyMillis(),
                d.shapTolerance(), d.shapRows(), d.leakageAuroc(), d.maxRefusedRowShare(), false, false,
                List.of("fundingSource", "updateSchedule"), "steward", null,
                "the card must say who pays and when it is revalidated");

        List<GateCheck> missing = GateChecks.card(without, requiring);
        assertThat(missing).extracting(GateCheck::check).containsExactly("fundingSource", "updateSchedule");
        assertThat(missing).allSatisfy(c -> assertThat(c.outcome()).isEqualTo(GateCheck.Outcome.FAILED));
        assertThat(missing.get(0).note()).contains("card.fundingSource is not provided");

        health.vigil.model.CardFacts facts = new health.vigil.model.CardFacts(null, "Hospital quality budget", null, null,
                null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);
        Manifest with = new Manifest(without.formatVersion(), without.name(), without.task(), without.description(),
                without.features(), without.featurePipeline(), without.output(), without.intendedUse(),
                without.limitations(), without.owner(), without.provenance(), facts);
        assertThat(GateChecks.card(with, requiring)).extracting(GateCheck::outcome)
                .containsExactly(GateCheck.Outcome.PASSED, GateCheck.Outcome.FAILED);
        assertThatThrownByPolicy(List.of("owner"));
    }

    @Test
    void aMinimumSegmentSizeAboveAnyDatasetsSegmentIsRefusedRatherThanSwitchingTheFairnessGatesOff() {
        GatePolicy d = DEFAULTS;
        for (int size : new int[] {GatePolicy.MAX_SEGMENT_SIZE + 1, Integer.MAX_VALUE}) {
            org.assertj.core.api.Assertions.assertThatThrownBy(() -> withSegmentMinimums(size, d.minSegmentPerClass()))
                    .hasMessageContaining("no segment of an evaluation dataset could be judged");
        }
    }

    private static void assertThatThrownByPolicy(List<String> fields) {
        GatePolicy d = DEFAULTS;
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new GatePolicy(1, d.aurocFloor(), d.nonInferiorityMargin(),
                d.alpha(), d.maxCalibrationError(), d.maxBrier(), d.maxInterceptDeviation(), d.minSlope(), d.maxSlope(),
                d.minSegmentSize(), d.minSegmentPerClass(), d.maxSegmentAurocGap(), d.maxSegmentCalibrationGap(),
                d.maxP99LatencyMillis(), d.shapTolerance(), d.shapRows(), d.leakageAuroc(), d.maxRefusedRowShare(),
                false, false, fields, "steward", null, "why"))
                .hasMessageContaining("requiredCardFields names 'owner', which is not a card field");
    }

    private static void set(double[] scores, boolean[] labels, String[] segment, int i, double s, boolean y, String v) {
        scores[i] = s;
        labels[i] = y;
        segment[i] = v;
    }

    private static GatePolicy withMinSegment(int size) {
        return withSegmentMinimums(size, DEFAULTS.minSegmentPerClass());
    }

    private static GatePolicy withSegmentMinimums(int size, Integer perClass) {
        GatePolicy d = DEFAULTS;
        return new GatePolicy(1, d.aurocFloor(), d.nonInferiorityMargin(), d.alpha(), d.maxCalibrationError(),
                d.maxBrier(), d.maxInterceptDeviation(), d.minSlope(), d.maxSlope(), size, perClass,
                d.maxSegmentAurocGap(), d.maxSegmentCalibrationGap(), d.maxP99LatencyMillis(), d.shapTolerance(),
                d.shapRows(), d.leakageAuroc(), d.maxRefusedRowShare(), d.allowSchemaChanges(), d.requireCleanTree(),
                List.of(), "steward", null, "test");
    }

    private static Manifest manifest(List<Feature> features, String pipeline) {
        Provenance provenance = new Provenance("0".repeat(64), 10, null, "abc", false, "test", 1L, null, null, null,
                null, null);
        return new Manifest(Manifest.FORMAT_VERSION, ModelName.of("readmission"), Manifest.BINARY_CLASSIFICATION, "d",
                new FeatureSchema(features), pipeline, new OutputSpec("probabilities", 1, "readmitted", 0.5), "use",
                List.of(), "team", provenance);
    }

    @Test
    void aNoteOfOneRowSaysRowNotRows() {
        assertThat(GateChecks.coverage(0, 1, null, DEFAULTS).note()).isEqualTo("0 of 1 row refused by the candidate's"
                + " schema");
        assertThat(GateChecks.explanation(new double[] {0}, DEFAULTS).note()).isEqualTo("0 of 1 row out of tolerance");
        assertThat(GateChecks.outputs(1, 1, "row 1, output 1.38, above 1").note()).startsWith("1 of the 1 row the"
                + " candidate reads got an output that is not a probability");
    }
}
