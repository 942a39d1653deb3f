package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ChiSquareTestTest {

    @Test
    void mendelsPeasFitTheNineThreeThreeOneRatio() {
        // Mendel's dihybrid cross, the classic goodness-of-fit example: 315 round-yellow, 108 round-green,
        // 101 wrinkled-yellow, 32 wrinkled-green against 9:3:3:1; X^2 = 0.470 on 3 df, p = 0.925.
        ChiSquareTest.Result r = ChiSquareTest.goodnessOfFit(new double[] {9 / 16.0, 3 / 16.0, 3 / 16.0, 1 / 16.0},
                new long[] {315, 108, 101, 32});
        assertThat(r.valid()).isTrue();
        assertThat(r.statistic()).isCloseTo(0.470024, within(1e-6));
        assertThat(r.degreesOfFreedom()).isEqualTo(3);
        assertThat(r.pValue()).isCloseTo(0.925426, within(1e-6));
        assertThat(r.pooledCategories()).isZero();
    }

    @Test
    void aLoadedDieIsDetected() {
        // Fairness-of-dice example: 60 rolls giving 5, 8, 9, 8, 10, 20; X^2 = 13.4 on 5 df, p = 0.0199.
        double[] fair = {1 / 6.0, 1 / 6.0, 1 / 6.0, 1 / 6.0, 1 / 6.0, 1 / 6.0};
        ChiSquareTest.Result r = ChiSquareTest.goodnessOfFit(fair, new long[] {5, 8, 9, 8, 10, 20});
        assertThat(r.statistic()).isCloseTo(13.4, within(1e-9));
        assertThat(r.degreesOfFreedom()).isEqualTo(5);
        assertThat(r.pValue()).isCloseTo(0.019905, within(1e-6));
    }

    @Test
    void partyIdentificationDiffersByGender() {
        // Agresti, An Introduction to Categorical Data Analysis (2nd ed.), party identification by gender:
        // females 762 / 327 / 468, males 484 / 239 / 477 (Democrat / Independent / Republican);
        // X^2 = 30.07 on 2 df, p < 0.001 (2.95e-7).
        ChiSquareTest.Result r = ChiSquareTest.homogeneity(new double[][] {{762, 327, 468}, {484, 239, 477}});
        assertThat(r.statistic()).isCloseTo(30.0701, within(1e-4));
        assertThat(r.degreesOfFreedom()).isEqualTo(2);
        assertThat(r.pValue()).isCloseTo(2.9536e-7, within(1e-10));
    }

    @Test
    void agreesWithApacheCommonsStatisticsOnRandomTables() {
        Random random = new Random(17);
        var reference = org.apache.commons.statistics.inference.ChiSquareTest.withDefaults();
        for (int trial = 0; trial < 25; trial++) {
            int rows = 2 + random.nextInt(3);
            int columns = 2 + random.nextInt(5);
            long[][] table = new long[rows][columns];
            double[][] asDouble = new double[rows][columns];
            for (int r = 0; r < rows; r++) {
                for (int c = 0; c < columns; c++) {
                    table[r][c] = 20 + random.nextInt(200); // every expected count well above 5
                    asDouble[r][c] = table[r][c];
                }
            }
            ChiSquareTest.Result mine = ChiSquareTest.homogeneity(asDouble);
            var theirs = reference.test(table);
            assertThat(mine.pooledCategories()).isZero();
            assertThat(mine.statistic()).isCloseTo(theirs.getStatistic(), within(1e-9));
            assertThat(mine.pValue()).isCloseTo(theirs.getPValue(), within(1e-12));
        }
    }

    @Test
    void poolsCategoriesThatExpectFewerThanFive() {
        // Reference shares 50/30/15/4/1% of 2000 rows; production 40/35/15/8/2 of 100. The production row
        // expects 1.05 in the last category, pooled with the fourth (together 5.24, enough), leaving
        // reference 1000/600/300/100 vs production 40/35/15/10: X^2 = 7.2559 on 3 df, p = 0.0642
        // (the pooled table checked with Apache Commons Statistics below).
        ChiSquareTest.Result r = ChiSquareTest.referenceVersusProduction(new double[] {0.5, 0.3, 0.15, 0.04, 0.01},
                2000, new long[] {40, 35, 15, 8, 2});
        var pooled = org.apache.commons.statistics.inference.ChiSquareTest.withDefaults()
                .test(new long[][] {{1000, 600, 300, 100}, {40, 35, 15, 10}});
        assertThat(r.valid()).isTrue();
        assertThat(r.pooledCategories()).isEqualTo(2);
        assertThat(r.degreesOfFreedom()).isEqualTo(3);
        assertThat(r.statistic()).isCloseTo(pooled.getStatistic(), within(1e-9)).isCloseTo(7.255933, within(1e-6));
        assertThat(r.pValue()).isCloseTo(pooled.getPValue(), within(1e-12)).isCloseTo(0.064173, within(1e-6));
    }

    @Test
    void goodnessOfFitPoolsRareCategoriesToo() {
        // 40 rolls of a die where faces 5 and 6 are expected 20/3 each but face 6 is rare by design:
        // shares 0.3/0.3/0.2/0.1/0.05/0.05 -> expected 12/12/8/4/2/2; the 2, 2 and 4 pool into one cell of 8.
        ChiSquareTest.Result r = ChiSquareTest.goodnessOfFit(new double[] {0.3, 0.3, 0.2, 0.1, 0.05, 0.05},
                new long[] {10, 14, 6, 5, 3, 2});
        // Pooled: observed 10/14/6/10 vs expected 12/12/8/8: 4/12 + 4/12 + 4/8 + 4/8 = 1.6667 on 3 df.
        assertThat(r.pooledCategories()).isEqualTo(3);
        assertThat(r.degreesOfFreedom()).isEqualTo(3);
        assertThat(r.statistic()).isCloseTo(5.0 / 3, within(1e-12));
    }

    @Test
    void tooFewRowsMakeTheTestNotValidRatherThanReassuring() {
        ChiSquareTest.Result r = ChiSquareTest.referenceVersusProduction(new double[] {0.6, 0.4}, 1000,
                new long[] {1, 2});
        assertThat(r.valid()).isFalse();
        assertThat(r.statistic()).isNaN();
        assertThat(r.pValue()).isNaN();
        assertThat(r.degreesOfFreedom()).isZero();
    }

    @Test
    void rejectsTablesThatCannotBeTested() {
        assertThatThrownBy(() -> ChiSquareTest.homogeneity(new double[][] {{1, 2}}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("two rows");
        assertThatThrownBy(() -> ChiSquareTest.homogeneity(new double[][] {{1, 2}, {0, 0}}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("no counts");
        assertThatThrownBy(() -> ChiSquareTest.goodnessOfFit(new double[] {0.5, 0.5}, new long[] {1, 2, 3}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("one share per category");
    }
}
