package health.vigil.statistics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.error.ValidationException;
import org.junit.jupiter.api.Test;

class PopulationStabilityIndexTest {

    @Test
    void matchesTheTextbookFormulaComputedByHand() {
        // Four quartile bins (25% each) against production shares 10/20/30/40%:
        // (0.1-0.25)ln(0.4) + (0.2-0.25)ln(0.8) + (0.3-0.25)ln(1.2) + (0.4-0.25)ln(1.6)
        // = 0.137444 + 0.011157 + 0.009116 + 0.070501 = 0.228217
        double[] reference = {0.25, 0.25, 0.25, 0.25};
        assertThat(PopulationStabilityIndex.ofShares(reference, new double[] {0.1, 0.2, 0.3, 0.4}))
                .isCloseTo(0.2282174096, within(1e-9));
        assertThat(PopulationStabilityIndex.of(reference, 10_000, new long[] {100, 200, 300, 400}))
                .isCloseTo(0.2282174096, within(1e-9));
    }

    @Test
    void isZeroWhenProductionMatchesTheReference() {
        assertThat(PopulationStabilityIndex.of(new double[] {0.1, 0.3, 0.6}, 1000, new long[] {10, 30, 60}))
                .isCloseTo(0.0, within(1e-15));
    }

    @Test
    void anEmptyProductionBinCountsAsHalfARow() {
        // Reference 20/40/40%; production 0/50/50 of 100 rows. The empty bin's share becomes 0.5/100:
        // (0.005-0.2)ln(0.005/0.2) + 2*(0.5-0.4)ln(0.5/0.4) = 0.719319 + 0.044629 = 0.763960
        double psi = PopulationStabilityIndex.of(new double[] {0.2, 0.4, 0.4}, 5000, new long[] {0, 50, 50});
        assertThat(psi).isCloseTo(0.7639602038, within(1e-9));
    }

    @Test
    void theEmptyBinPenaltyGrowsWithTheEvidence() {
        // Same shares, ten times the rows: the empty bin's share is 0.5/1000, so the index is larger
        // (0.0005-0.2)ln(0.0005/0.2) + 0.044629 = 1.239926.
        double small = PopulationStabilityIndex.of(new double[] {0.2, 0.4, 0.4}, 5000, new long[] {0, 50, 50});
        double large = PopulationStabilityIndex.of(new double[] {0.2, 0.4, 0.4}, 5000, new long[] {0, 500, 500});
        assertThat(large).isCloseTo(1.2399258874, within(1e-9)).isGreaterThan(small);
    }

    @Test
    void anEmptyReferenceBinCountsAsHalfAReferenceRow() {
        // Reference 0/50/50% from 1000 rows: its empty bin becomes 0.5/1000.
        // (0.1-0.0005)ln(0.1/0.0005) + 2*(0.45-0.5)ln(0.45/0.5) = 0.527182 + 0.010536 = 0.537719
        double psi = PopulationStabilityIndex.of(new double[] {0, 0.5, 0.5}, 1000, new long[] {10, 45, 45});
        assertThat(psi).isCloseTo(0.5377186295, within(1e-9));
    }

    @Test
    void aBinEmptyOnBothSidesAddsNothing() {
        // Twelve categories, eight of which never occur in training; production matches training exactly with 100 rows
        // against 50,000. Each both-empty bin used to add (0.5/100 - 0.5/50000) ln(500) = 0.0310, 0.248 in all: a
        // "major shift" and a drift alert from nothing.
        double[] shares = {0.4, 0.3, 0.2, 0.1, 0, 0, 0, 0, 0, 0, 0, 0};
        long[] counts = {40, 30, 20, 10, 0, 0, 0, 0, 0, 0, 0, 0};
        assertThat(PopulationStabilityIndex.of(shares, 50_000, counts)).isCloseTo(0.0, within(1e-15));
        // One row in a category training never saw is still a shift, weighed as before.
        long[] oneNew = {40, 30, 20, 9, 1, 0, 0, 0, 0, 0, 0, 0};
        double expected = (0.09 - 0.1) * Math.log(0.9) + (0.01 - 0.5 / 50_000) * Math.log(0.01 / (0.5 / 50_000));
        assertThat(PopulationStabilityIndex.of(shares, 50_000, oneNew)).isCloseTo(expected, within(1e-12));
    }

    @Test
    void rejectsBinsThatDoNotLineUpOrNoRows() {
        assertThatThrownBy(() -> PopulationStabilityIndex.of(new double[] {0.5, 0.5}, 10, new long[] {1, 2, 3}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("same bins");
        assertThatThrownBy(() -> PopulationStabilityIndex.of(new double[] {0.5, 0.5}, 10, new long[] {0, 0}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("no production rows");
        assertThatThrownBy(() -> PopulationStabilityIndex.of(new double[] {0.5, 0.6}, 10, new long[] {1, 1}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("sum to 1");
        assertThatThrownBy(() -> PopulationStabilityIndex.ofShares(new double[] {0.5, 0.5}, new double[] {1, 0}))
                .isInstanceOf(ValidationException.class).hasMessageContaining("empty");
    }
}
