package health.vigil.explain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import health.vigil.model.TreeEnsemble;
import health.vigil.model.TreeEnsemble.NodeMode;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The reference itself, checked against Shapley values worked out by hand. */
class BruteForceShapleyTest {

    @Test
    void threePlayerGlovesGameHasTheTextbookValues() {
        // Player 0 holds a left glove, players 1 and 2 right gloves; a pair is worth 1.
        // The textbook Shapley values are 2/3, 1/6, 1/6.
        double[] phi = BruteForceShapley.shapley(3, mask -> (mask & 1) != 0 && (mask & 6) != 0 ? 1 : 0);
        assertThat(phi[0]).isCloseTo(2.0 / 3, within(1e-15));
        assertThat(phi[1]).isCloseTo(1.0 / 6, within(1e-15));
        assertThat(phi[2]).isCloseTo(1.0 / 6, within(1e-15));
    }

    @Test
    void twoFeatureTreeMatchesAHandComputation() {
        // root: x0 <= 1 (cover 10) -> node1, else leaf 5 (cover 30)
        // node1: x1 < 0 (cover 10) -> leaf 1 (cover 4), else leaf 3 (cover 6)
        TreeEnsemble.Tree tree = new TreeEnsemble.Tree(
                new NodeMode[] {NodeMode.BRANCH_LEQ, NodeMode.BRANCH_LT, NodeMode.LEAF, NodeMode.LEAF, NodeMode.LEAF},
                new int[] {0, 1, 0, 0, 0},
                new double[] {1, 0, 0, 0, 0},
                new int[] {1, 2, 0, 0, 0},
                new int[] {4, 3, 0, 0, 0},
                new boolean[] {true, false, false, false, false},
                new double[] {0, 0, 1, 3, 5},
                new double[] {40, 10, 4, 6, 30});
        TreeEnsemble ensemble = new TreeEnsemble(2, 0.5, List.of(tree));
        double[] row = {0.0, -2.0};
        // v(empty) = 0.5 + 10/40 * (0.4*1 + 0.6*3) + 30/40 * 5 = 0.5 + 0.55 + 3.75 = 4.8
        // v({0}) = 0.5 + 2.2 = 2.7; v({1}) = 0.5 + 0.25 * 1 + 0.75 * 5 = 4.5; v({0,1}) = 0.5 + 1 = 1.5
        // phi0 = ((2.7 - 4.8) + (1.5 - 4.5)) / 2 = -2.55; phi1 = ((4.5 - 4.8) + (1.5 - 2.7)) / 2 = -0.75
        assertThat(BruteForceShapley.conditionalMargin(ensemble, row, 0)).isCloseTo(4.8, within(1e-12));
        double[] phi = BruteForceShapley.explain(ensemble, row);
        assertThat(phi[0]).isCloseTo(-2.55, within(1e-12));
        assertThat(phi[1]).isCloseTo(-0.75, within(1e-12));
    }

    @Test
    void missingValueFollowsTheNodesMissingDirectionWhenTheFeatureIsKnown() {
        TreeEnsemble.Tree stump = new TreeEnsemble.Tree(
                new NodeMode[] {NodeMode.BRANCH_LT, NodeMode.LEAF, NodeMode.LEAF},
                new int[] {0, 0, 0},
                new double[] {2, 0, 0},
                new int[] {1, 0, 0},
                new int[] {2, 0, 0},
                new boolean[] {false, false, false},
                new double[] {0, -1, 1},
                new double[] {4, 1, 3});
        TreeEnsemble ensemble = new TreeEnsemble(1, 0, List.of(stump));
        // Missing goes to the false child (value 1); the mean is (1 * -1 + 3 * 1) / 4 = 0.5.
        assertThat(BruteForceShapley.explain(ensemble, new double[] {Double.NaN})[0]).isCloseTo(0.5, within(1e-15));
    }
}
