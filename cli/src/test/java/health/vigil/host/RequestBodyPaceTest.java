package health.vigil.host;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RequestBodyPaceTest {

    private static final long SECOND = 1_000_000_000L;

    @Test
    void theFirstSecondIsFreeAndThenEverythingReceivedMustKeepUpWithTheRate() {
        RequestBody.Pace pace = new RequestBody.Pace(0, 1024, 0);
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
        assertThat(new RequestBody.Pace(0, 0, 0).tooSlow(0, 3600 * SECOND)).isFalse();
        RequestBody.Pace late = new RequestBody.Pace(100 * SECOND, 1024, 0);
        assertThat(late.tooSlow(0, 100 * SECOND + SECOND)).isFalse();
        assertThat(late.tooSlow(0, 102 * SECOND)).isTrue();
    }

    @Test
    void aBodyKeepingAboveTheRateIsCutOffOnceItsTimeIsUpSayingWhich() {
        RequestBody.Pace pace = new RequestBody.Pace(0, 1024, 64 * SECOND);
        // 1,100 bytes a second: above the rate throughout, and 4 MiB would take about an hour at that pace.
        assertThat(pace.tooSlow(1_100L * 63, 63 * SECOND)).isFalse();
        assertThat(pace.tooSlow(1_100L * 64, 64 * SECOND)).isTrue();
        assertThat(pace.refusal(64 * SECOND).code()).isEqualTo(health.vigil.error.ErrorCode.REQUEST_TIMEOUT);
        assertThat(pace.refusal(64 * SECOND).getMessage())
                .startsWith("the request body was still arriving after 64 s, the most the host waits for a body;");
        // Below the rate before the time is up, the rate is what the message names.
        assertThat(pace.tooSlow(10, 3 * SECOND)).isTrue();
        assertThat(pace.refusal(3 * SECOND).getMessage()).contains("slower than 1024 bytes a second");
        // Without a time, only the rate bounds a body.
        assertThat(new RequestBody.Pace(0, 1024, 0).tooSlow(1_100L * 3600, 3600 * SECOND)).isFalse();
    }

    @Test
    void theDefaultTimeForABodyFollowsTheSizeLimitAboveAMinimum() {
        // 4 MiB, the default limit, at 64 KiB a second.
        assertThat(LocalHost.defaultRequestBodyTimeout(4 * 1024 * 1024)).isEqualTo(java.time.Duration.ofSeconds(64));
        assertThat(LocalHost.defaultRequestBodyTimeout(64 * 1024 * 1024)).isEqualTo(java.time.Duration.ofSeconds(1024));
        assertThat(LocalHost.defaultRequestBodyTimeout(64 * 1024)).isEqualTo(LocalHost.REQUEST_BODY_TIMEOUT_MINIMUM);
    }
}
