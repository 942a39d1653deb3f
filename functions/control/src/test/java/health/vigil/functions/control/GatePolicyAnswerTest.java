package health.vigil.functions.control;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.functions.common.Reply;
import health.vigil.gates.GatePolicies;
import health.vigil.gates.GatePolicy;
import org.junit.jupiter.api.Test;

/** A gate policy change answers the policy in force after it, and says when it stored nothing. */
class GatePolicyAnswerTest {
    @Test
    void thresholdsAlreadyInForceAreAnsweredAsUnchanged() {
        GatePolicy policy = GatePolicy.defaults();

        Reply unchanged = GateFunctions.answer(new GatePolicies.Change(policy, false));
        Reply changed = GateFunctions.answer(new GatePolicies.Change(policy, true));

        assertThat(unchanged.status()).isEqualTo(200);
        assertThat(unchanged.body()).isEqualTo(policy);
        assertThat(unchanged.headers()).containsExactlyEntriesOf(java.util.Map.of("Vigil-Unchanged", "true"));
        assertThat(changed.status()).isEqualTo(200);
        assertThat(changed.headers()).isEmpty();
    }
}
