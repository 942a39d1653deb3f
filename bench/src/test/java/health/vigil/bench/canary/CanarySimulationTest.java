package health.vigil.bench.canary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.model.BucketSalt;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.Deployment;
import health.vigil.routing.TrafficRouter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The simulation routes its canaries' patients as the scoring path does: by the pseudonym, under each ramp's salt. */
class CanarySimulationTest {
    private static final int MINUTES = 100;

    private static List<CanarySimulation.Request> requests(CanarySimulation.Stream stream) {
        List<CanarySimulation.Request> requests = new ArrayList<>();
        for (int minute = 0; minute < MINUTES; minute++) {
            requests.addAll(stream.minute());
        }
        return requests;
    }

    private static Set<String> toCanary(String salt, int step, List<CanarySimulation.Request> requests) {
        Deployment routing = CanarySimulation.routing(CanarySimulation.ramp(salt, step));
        Set<String> canary = new HashSet<>();
        for (CanarySimulation.Request r : requests) {
            boolean routed = CanarySimulation.toCanary(routing, r);
            assertThat(routed).isEqualTo(TrafficRouter.bucket(salt, r.pseudonym())
                    < routing.canary().weightBasisPoints());
            if (routed) {
                canary.add(r.pseudonym());
            }
        }
        return canary;
    }

    @Test
    void eachSimulatedCanaryHasARampSaltOfItsOwnThatTheSameStreamGivesAgain() {
        CanarySimulation.Stream first = new CanarySimulation.Stream(CanarySimulation.Kind.HEALTHY, 11);
        CanarySimulation.Stream second = new CanarySimulation.Stream(CanarySimulation.Kind.HEALTHY, 12);

        assertThat(BucketSalt.require(first.salt)).isNotNull();
        assertThat(BucketSalt.require(second.salt)).isNotNull().isNotEqualTo(first.salt);
        assertThat(new CanarySimulation.Stream(CanarySimulation.Kind.HEALTHY, 11).salt).isEqualTo(first.salt);
        assertThat(CanarySimulation.ramp(first.salt, 2).bucketSalt()).isEqualTo(first.salt);
    }

    @Test
    void vigilConfiguredAtAnotherRateJudgesWithThatRateAndTheDefaultMarginsOnly() {
        CanaryPolicy policy = CanarySimulation.policy(0.03);

        assertThat(policy.falseRollbackRate()).isEqualTo(0.03);
        assertThat(new CanaryPolicy(CanaryPolicy.DEFAULT.falseRollbackRate(), policy.minSamplePerSlot(),
                policy.flagRateMargin(), policy.missingRateMargin(), policy.psiLimit(), policy.errorRateMargin(),
                policy.refusedRateMargin(), policy.latencyMargin(), policy.latencyRatioLimit(),
                policy.calibrationMargin(), policy.aurocMargin(), policy.scoreMeanMargin()))
                .isEqualTo(CanaryPolicy.DEFAULT);
        assertThat(CanarySimulation.ramp("0123456789abcdef", 0, policy).policy()).isEqualTo(policy);
        assertThat(CanarySimulation.policy(CanaryPolicy.DEFAULT.falseRollbackRate())).isSameAs(CanaryPolicy.DEFAULT);
    }

    @Test
    void theSamePatientsUnderAnotherRampsSaltAreAnotherShareAsTheRouterSendsThem() {
        CanarySimulation.Stream stream = new CanarySimulation.Stream(CanarySimulation.Kind.HEALTHY, 21);
        List<CanarySimulation.Request> patients = requests(stream);
        String otherRamp = new CanarySimulation.Stream(CanarySimulation.Kind.HEALTHY, 22).salt;

        // Step 3 of the default ramp: 25 % of patients.
        Set<String> own = toCanary(stream.salt, 2, patients);
        Set<String> other = toCanary(otherRamp, 2, patients);

        // About 3,000 of some 12,000 patients each time (sd about 47), and the two shares overlap by chance alone.
        assertThat(patients).hasSizeBetween(11_000, 13_000);
        assertThat(own.size()).isBetween(patients.size() / 4 - 300, patients.size() / 4 + 300);
        assertThat(other.size()).isBetween(patients.size() / 4 - 300, patients.size() / 4 + 300);
        Set<String> both = new HashSet<>(own);
        both.retainAll(other);
        assertThat(both.size()).isBetween(own.size() / 4 - 200, own.size() / 4 + 200);
        // A rising ramp only moves patients from stable to canary, as production's does.
        assertThat(toCanary(stream.salt, 3, patients)).containsAll(own);
    }

    /**
     * Each count of canaries is checked before any is simulated. Before, no canaries (or fewer than none) ran to
     * the end without an error, tuning a rule on nothing and printing rates of nothing.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "0|canaries is 0 and must be at least 1",
        "-3|canaries is -3 and must be at least 1",
        "10 0|tuning canaries is 0 and must be at least 1",
        "10 10 0|Vigil's false-rollback rate is 0.0 and must be from 1.0E-4 to 0.5",
        "10 10 1|Vigil's false-rollback rate is 1.0 and must be from 1.0E-4 to 0.5",
        "10 10 x|Vigil's false-rollback rate is \"x\" and must be a number from 1.0E-4 to 0.5"})
    void anArgumentOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message) {
        assertThatThrownBy(() -> CanarySimulation.main(arguments.split(" ")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: CanarySimulation [canaries] [tuning canaries] [Vigil's false-rollback rate]; "
                        + message);
    }
}
