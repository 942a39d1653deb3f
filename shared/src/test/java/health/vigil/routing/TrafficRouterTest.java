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

    private static Deployment canary(int weight) {
        return new Deployment(MODEL, List.of(new TrafficSlot(Slot.STABLE, 1, 100 - weight),
                new TrafficSlot(Slot.CANARY, 2, weight)), 3, "ops", Instant.parse("2026-11-01T00:00:00Z"), "e");
    }

    @Test
    void aStableOnlyDeploymentSendsEveryoneToStable() {
        Deployment stable = Deployment.stableOnly(MODEL, 4, 1, "ops", Instant.parse("2026-11-01T00:00:00Z"), "e");

        assertThat(PSEUDONYMS).allSatisfy(p -> assertThat(TrafficRouter.route(stable, p).version()).isEqualTo(4));
    }

    @Test
    void bucketsBelowTheCanaryWeightGoToTheCanaryAndTheWeightItselfDoesNot() {
        // bucket = first 7 hex digits mod 100: 0x0000004 = 4, 0x0000005 = 5, 0x0000063 = 99.
        Deployment fivePercent = canary(5);

        assertThat(TrafficRouter.route(fivePercent, "0000004" + "f".repeat(57)).slot()).isEqualTo(Slot.CANARY);
        assertThat(TrafficRouter.route(fivePercent, "0000005" + "f".repeat(57)).slot()).isEqualTo(Slot.STABLE);
        assertThat(TrafficRouter.route(fivePercent, "0000063" + "0".repeat(57)).slot()).isEqualTo(Slot.STABLE);
        assertThat(TrafficRouter.route(canary(100 - 1), "0000063" + "0".repeat(57)).slot()).isEqualTo(Slot.STABLE);
    }

    @Test
    void theSamePatientAlwaysGetsTheSameSlot() {
        Deployment d = canary(25);
        String pseudonym = PSEUDONYMIZER.pseudonym("MRN-123456");

        TrafficSlot first = TrafficRouter.route(d, pseudonym);

        for (int i = 0; i < 100; i++) {
            assertThat(TrafficRouter.route(d, PSEUDONYMIZER.pseudonym("MRN-123456"))).isEqualTo(first);
        }
    }

    @Test
    void rampingTheCanaryUpOnlyMovesPatientsFromStableToCanary() {
        for (String p : PSEUDONYMS.subList(0, 2000)) {
            boolean at5 = TrafficRouter.route(canary(5), p).slot() == Slot.CANARY;
            boolean at25 = TrafficRouter.route(canary(25), p).slot() == Slot.CANARY;
            boolean at50 = TrafficRouter.route(canary(50), p).slot() == Slot.CANARY;
            assertThat(!at5 || at25).isTrue();
            assertThat(!at25 || at50).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {5, 25, 50})
    void overManyPatientsTheCanaryShareIsCloseToItsWeight(int weight) {
        Deployment d = canary(weight);

        long onCanary = PSEUDONYMS.stream().filter(p -> TrafficRouter.route(d, p).slot() == Slot.CANARY).count();

        // 20 000 patients: the binomial standard deviation is at most 0.35 points; allow about 4 of them.
        assertThat(100.0 * onCanary / PSEUDONYMS.size()).isCloseTo(weight, within(1.5));
    }

    @Test
    void aShadowSlotNeverAnswersARequest() {
        Deployment withShadow = new Deployment(MODEL, List.of(new TrafficSlot(Slot.STABLE, 1, 100),
                new TrafficSlot(Slot.SHADOW, 2, 0)), 1, "ops", Instant.parse("2026-11-01T00:00:00Z"), "e");

        assertThat(PSEUDONYMS.subList(0, 1000)).allSatisfy(p ->
                assertThat(TrafficRouter.route(withShadow, p).slot()).isEqualTo(Slot.STABLE));
    }

    @Test
    void aRawPatientIdIsRefusedRatherThanRouted() {
        assertThatThrownBy(() -> TrafficRouter.route(canary(5), "MRN-123456"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("pseudonym")
                .hasMessageNotContaining("MRN-123456");
    }
}
