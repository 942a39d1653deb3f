package health.vigil.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.model.Deployment;
import health.vigil.model.ModelName;
import health.vigil.model.Slot;
import health.vigil.model.TrafficSlot;
import health.vigil.privacy.Pseudonymizer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class TrafficRouterTest {
    private static final ModelName MODEL = ModelName.of("readmission");
    private static final Pseudonymizer PSEUDONYMIZER =
            new Pseudonymizer("a fixed test key of at least 32 bytes!".getBytes(StandardCharsets.UTF_8));
    private static final List<String> PSEUDONYMS = IntStream.range(0, 20_000)
            .mapToObj(i -> PSEUDONYMIZER.pseudonym("MRN-" + i)).toList();

    /** A canary at {@code weight} basis points. */
    private static Deployment canary(int weight) {
        return new Deployment(MODEL, List.of(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL - weight),
                new TrafficSlot(Slot.CANARY, 2, weight)), 3, "ops", Instant.parse("2026-11-01T00:00:00Z"), "e");
    }

    @Test
    void aStableOnlyDeploymentSendsEveryoneToStable() {
        Deployment stable = Deployment.stableOnly(MODEL, 4, 1, "ops", Instant.parse("2026-11-01T00:00:00Z"), "e");

        assertThat(PSEUDONYMS).allSatisfy(p -> assertThat(TrafficRouter.route(stable, p).version()).isEqualTo(4));
    }

    @Test
    void bucketsBelowTheCanaryWeightGoToTheCanaryAndTheWeightItselfDoesNot() {
        // bucket = first 7 hex digits mod 10000: 0x00001f3 = 499, 0x00001f4 = 500, 0x000270f = 9999,
        // 0x0002710 = 10000 = bucket 0.
        Deployment fivePercent = canary(500);

        assertThat(TrafficRouter.route(fivePercent, "00001f3" + "f".repeat(57)).slot()).isEqualTo(Slot.CANARY);
        assertThat(TrafficRouter.route(fivePercent, "00001f4" + "f".repeat(57)).slot()).isEqualTo(Slot.STABLE);
        assertThat(TrafficRouter.route(fivePercent, "000270f" + "0".repeat(57)).slot()).isEqualTo(Slot.STABLE);
        assertThat(TrafficRouter.route(fivePercent, "0002710" + "0".repeat(57)).slot()).isEqualTo(Slot.CANARY);
        assertThat(TrafficRouter.route(canary(TrafficSlot.ALL - 1), "000270f" + "0".repeat(57)).slot())
                .isEqualTo(Slot.STABLE);
    }

    @Test
    void oneBasisPointSendsOneBucketInTenThousandToTheCanary() {
        Deployment oneBasisPoint = canary(1);

        assertThat(TrafficRouter.route(oneBasisPoint, "0000000" + "f".repeat(57)).slot()).isEqualTo(Slot.CANARY);
        assertThat(TrafficRouter.route(oneBasisPoint, "0000001" + "f".repeat(57)).slot()).isEqualTo(Slot.STABLE);
        assertThat(TrafficRouter.route(oneBasisPoint, "0004e20" + "f".repeat(57)).slot()).isEqualTo(Slot.CANARY);
    }

    @Test
    void theSamePatientAlwaysGetsTheSameSlot() {
        Deployment d = canary(2_500);
        String pseudonym = PSEUDONYMIZER.pseudonym("MRN-123456");

        TrafficSlot first = TrafficRouter.route(d, pseudonym);

        for (int i = 0; i < 100; i++) {
            assertThat(TrafficRouter.route(d, PSEUDONYMIZER.pseudonym("MRN-123456"))).isEqualTo(first);
        }
    }

    @Test
    void rampingTheCanaryUpOnlyMovesPatientsFromStableToCanary() {
        List<Integer> ramp = List.of(1, 100, 500, 2_500, 5_000, TrafficSlot.ALL);
        for (String p : PSEUDONYMS) {
            boolean wasOnCanary = false;
            for (int weight : ramp) {
                boolean onCanary = TrafficRouter.route(canary(weight), p).slot() == Slot.CANARY;
                assertThat(!wasOnCanary || onCanary).as("a patient on the canary stays there as the ramp rises").isTrue();
                wasOnCanary = onCanary;
            }
            assertThat(wasOnCanary).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {100, 500, 2_500, 5_000})
    void overManyPatientsTheCanaryShareIsCloseToItsWeight(int weight) {
        Deployment d = canary(weight);

        long onCanary = PSEUDONYMS.stream().filter(p -> TrafficRouter.route(d, p).slot() == Slot.CANARY).count();

        // 20 000 patients: the binomial standard deviation is at most 0.35 points; allow about 4 of them.
        assertThat(100.0 * onCanary / PSEUDONYMS.size()).isCloseTo(weight / 100.0, within(1.5));
    }

    @Test
    void aShadowSlotNeverAnswersARequest() {
        Deployment withShadow = new Deployment(MODEL, List.of(new TrafficSlot(Slot.STABLE, 1, TrafficSlot.ALL),
                new TrafficSlot(Slot.SHADOW, 2, 0)), 1, "ops", Instant.parse("2026-11-01T00:00:00Z"), "e");

        assertThat(PSEUDONYMS.subList(0, 1000)).allSatisfy(p ->
                assertThat(TrafficRouter.route(withShadow, p).slot()).isEqualTo(Slot.STABLE));
    }

    @Test
    void aRawPatientIdIsRefusedRatherThanRouted() {
        assertThatThrownBy(() -> TrafficRouter.route(canary(500), "MRN-123456"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pseudonym")
                .hasMessageNotContaining("MRN-123456");
    }
}
