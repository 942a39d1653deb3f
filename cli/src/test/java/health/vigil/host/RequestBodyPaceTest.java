package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestBodyPaceTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void theFirstSecondIsFreeAndThenEverythingReceivedMustKeepUpWithTheRate() {
        RequestBody.Pace pace = new RequestBody.Pace(0, 1024);
        // Within the grace second nothing is too slow, not even nothing at all.
        assertThat(pace.tooSlow(0, SECOND)).isFalse();
        assertThat(pace.tooSlow(1, SECOND / 2)).isFalse();
        // Half a second past the grace the rate asks for 512 bytes.
        assertThat(pace.tooSlow(511, SECOND + SECOND / 2)).isTrue();
        assertThat(pace.tooSlow(512, SECOND + SECOND / 2)).isFalse();
        // Ten seconds past it, 10,240.
        assertThat(pace.tooSlow(10_239, 11 * SECOND)).isTrue();
        assertThat(pace.tooSlow(10_240, 11 * SECOND)).isFalse();
        // A body that arrived fast and whole is never too slow afterwards at the rate it came.
        assertThat(pace.tooSlow(1_000_000, 60 * SECOND)).isFalse();
    }

    @Test
    void noRateMeansNoFloorAndTheClockStartsWhenReadingDoes() {
        assertThat(new RequestBody.Pace(0, 0).tooSlow(0, 3600 * SECOND)).isFalse();
        RequestBody.Pace late = new RequestBody.Pace(100 * SECOND, 1024);
        assertThat(late.tooSlow(0, 100 * SECOND + SECOND)).isFalse();
        assertThat(late.tooSlow(0, 102 * SECOND)).isTrue();
    }
}
