package health.vigil.model;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import health.vigil.model.Explanation.Direction;
import health.vigil.model.Explanation.Factor;
import java.util.List;
import org.junit.jupiter.api.Test;

class ExplanationTest {

    @Test
    void contributionsThatDoNotAddUpToTheMarginChangeAreRejected() {
        List<Factor> factors = List.of(Factor.of("age", 70L, "years", 0.5, 0.1), Factor.of("egfr", 40.0, null, 0.2, 0.04));
        assertThatThrownBy(() -> new Explanation(0.6, 0.5, 0.9, 0.0, factors, factors, "Risk 0.60 (baseline 0.50)."))
                .isInstanceOf(ValidationException.class)
                .hasMessageContaining("must add up to margin - expectedMargin")
                .hasMessageNotContaining("0.9");
    }

    @Test
    void aFactorMarkedAgainstTheSignOfItsContributionIsRejected() {
        assertThatThrownBy(() -> new Factor("age", 70L, "years", -0.5, -0.1, Direction.RAISES))
                .isInstanceOf(ValidationException.class)
                .hasMessage("feature 'age' is marked raises but its contribution has the other sign");
    }

    @Test
    void scoresMustBeProbabilities() {
        assertThatThrownBy(() -> new Explanation(1.2, 0.5, 0, 0, List.of(), List.of(), "x"))
                .isInstanceOf(ValidationException.class)
                .hasMessage("explanation.score must be a probability between 0 and 1");
    }
}
