package health.vigil.routing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import health.vigil.json.Json;
import health.vigil.model.BucketSalt;
import health.vigil.model.CanaryPolicy;
import health.vigil.model.CanaryRamp;
import health.vigil.model.CanaryStatus;
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

    /**
     * A ramp stored before salts (its document has no {@code bucketSalt}) routes every patient by the unsalted bucket,
     * as it did when it started, so no patient of a running ramp moves when the platform is upgraded.
     */
    @Test
    void aRampStoredWithoutASaltRoutesEveryPatientAsBefore() {
        Instant at = Instant.parse("2026-11-01T00:00:00Z");
        String stored = Json.write(new Deployment(MODEL, List.of(new TrafficSlot(Slot.STABLE, 1, 9_500),
                new TrafficSlot(Slot.CANARY, 2, 500)), 3, "ops", at, "e", new CanaryRamp(2, 1, CanaryRamp.DEFAULT_STEPS,
                600, CanaryPolicy.DEFAULT, CanaryStatus.RUNNING, 1, at, at.plusSeconds(600), 0, "ops", at, "stepped",
                "passed", List.of())));
        assertThat(stored).doesNotContain("bucketSalt");

        Deployment read = Json.read("deployment", stored, Deployment.class);

        assertThat(read.bucketSalt()).isNull();
        for (String p : PSEUDONYMS) {
            // Independently: the first seven hex digits of the pseudonym, mod 10,000, below the weight.
            boolean canary = Long.parseLong(p.substring(0, 7), 16) % 10_000 < 500;
            assertThat(TrafficRouter.route(read, p).slot()).isEqualTo(canary ? Slot.CANARY : Slot.STABLE);
        }
    }

    /** Under a salt the buckets stay even and a rising weight still only moves patients from stable to canary. */
    @Test
    void aSaltedRampSpreadsPatientsEvenlyAndOnlyMovesThemFromStableToCanary() {
        String salt = BucketSalt.draw();
        long[] perDecile = new long[10];
        for (String p : PSEUDONYMS) {
            int bucket = TrafficRouter.bucket(salt, p);
            assertThat(bucket).isBetween(0, 9_999);
            perDecile[bucket / 1_000]++;
            for (int weight : CanaryRamp.DEFAULT_STEPS) {
                if (TrafficRouter.toCanary(weight, salt, p).orElseThrow()) {
                    assertThat(bucket).isLessThan(weight);
                }
            }
        }
        // 2,000 expected per tenth; a sd of about 42.
        for (long n : perDecile) {
            assertThat(n).isBetween(1_800L, 2_200L);
        }
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
