package health.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** Prediction ids carry their time (RFC 9562 version 7) and are never repeated. */
class PredictionIdsTest {

    @Test
    void anIdIsAVersion7UuidWhoseFirst48BitsAreItsTimeInMilliseconds() {
        Instant time = Instant.parse("2026-12-01T10:15:30.123456Z");
        String id = PredictionIds.next(time);

        UUID uuid = UUID.fromString(id);
        assertThat(uuid.version()).isEqualTo(7);
        assertThat(uuid.variant()).isEqualTo(2);
        // RFC 9562 section 5.7: unix_ts_ms is the first 48 bits, i.e. the first 12 hex digits.
        assertThat(Long.parseLong(id.replace("-", "").substring(0, 12), 16)).isEqualTo(time.toEpochMilli());
        assertThat(PredictionIds.timeOf(id)).contains(Instant.parse("2026-12-01T10:15:30.123Z"));
    }

    @Test
    void idsAreUniqueAndOrderedByTime() {
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            assertThat(seen.add(PredictionIds.next(Instant.EPOCH))).isTrue();
        }
        assertThat(PredictionIds.next(Instant.parse("2026-01-01T00:00:00Z")))
                .isLessThan(PredictionIds.next(Instant.parse("2026-01-01T00:00:00.001Z")));
    }

    @Test
    void anythingElseHasNoTime() {
        assertThat(PredictionIds.timeOf(UUID.randomUUID().toString())).isEmpty();
        assertThat(PredictionIds.timeOf("not-an-id")).isEmpty();
        assertThat(PredictionIds.timeOf(PredictionIds.next(Instant.EPOCH).toUpperCase())).isEmpty();
    }

    @Test
    void theFormsVigilIssuedAreVersion7AndBeforeItVersions4And3OfTheRfcVariantOnly() {
        String version7 = PredictionIds.next(Instant.parse("2026-12-01T10:15:30Z"));
        assertThat(PredictionIds.formOf(version7)).isEqualTo(PredictionIds.Form.VERSION_7);
        assertThat(PredictionIds.formOf(version7.toUpperCase())).isEqualTo(PredictionIds.Form.VERSION_7);
        assertThat(PredictionIds.formOf(UUID.randomUUID().toString())).isEqualTo(PredictionIds.Form.EARLIER_VERSION);
        assertThat(PredictionIds.formOf(UUID.nameUUIDFromBytes(new byte[] {1}).toString()))
                .isEqualTo(PredictionIds.Form.EARLIER_VERSION);
        // RFC 9562's own examples of versions 1, 6 and 8, and a version 5 (SHA-1 name-based) id.
        for (String other : List.of("c232ab00-9414-11ec-b3c8-9f6bdeced846", "000003e8-9414-21ec-b3c8-9f6bdeced846",
                "4ebd0208-8328-5d69-8c44-ec50939c0967", "1ec9414c-232a-6b00-b3c8-9f6bdeced846",
                "2489e9ad-2ee2-8e00-8ec9-32d5f69181c0", "00000000-0000-0000-8000-000000000000")) {
            assertThat(PredictionIds.formOf(other)).as(other).isEqualTo(PredictionIds.Form.OTHER_VERSION);
        }
        // The variant is the top bits of the fourth group's first digit: 0-7 (NCS), c-d (Microsoft), e-f (reserved).
        for (char variant : "01234567cdef".toCharArray()) {
            String id = version7.substring(0, 19) + variant + version7.substring(20);
            assertThat(PredictionIds.formOf(id)).as(id).isEqualTo(PredictionIds.Form.OTHER_VARIANT);
        }
        assertThat(PredictionIds.formOf("ffffffff-ffff-ffff-ffff-ffffffffffff")).isEqualTo(PredictionIds.Form.OTHER_VARIANT);
        assertThat(PredictionIds.formOf("00000000-0000-0000-0000-000000000000")).isEqualTo(PredictionIds.Form.NIL);
        // UUID.fromString reads shortened groups; an id is the whole 8-4-4-4-12 form.
        for (String text : List.of("1-1-1-1-1", "MRN-1234", "", " " + version7, version7.replace("-", ""))) {
            assertThat(PredictionIds.formOf(text)).as(text).isEqualTo(PredictionIds.Form.NOT_A_UUID);
        }
        assertThat(PredictionIds.formOf(null)).isEqualTo(PredictionIds.Form.NOT_A_UUID);
    }
}
