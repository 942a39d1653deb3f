package health.vigil.scoring.batch;

import static org.assertj.core.api.Assertions.assertThat;

import health.vigil.model.PredictionIds;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * A batch row's prediction id is found by the id alone, like any prediction's (it carries its logging time), and is
 * fixed by job, row and that time: a resumed run finds earlier rows by it. Ids of earlier releases stay computable.
 */
class PredictionIdTest {
    private static final String JOB = "4f1c2a7e-9b3d-4c1e-8f00-123456789abc";

    @Test
    void aRowsPredictionIdIsAVersion7IdCarryingItsLoggingTime() {
        Instant at = Instant.parse("2026-12-03T10:15:30.123456789Z");
        Set<String> ids = new HashSet<>();
        for (long row : new long[] {1, 2, 9, 10, 2_048, 1_000_000, Long.MAX_VALUE}) {
            String id = ChunkScorer.predictionId(JOB, row, at);
            assertThat(PredictionIds.timeOf(id)).as("row %d", row).contains(Instant.parse("2026-12-03T10:15:30.123Z"));
            assertThat(UUID.fromString(id).version()).isEqualTo(7);
            assertThat(ChunkScorer.predictionId(JOB, row, at)).as("the same on every attempt").isEqualTo(id);
            ids.add(id);
        }
        assertThat(ids).hasSize(7);
        assertThat(ChunkScorer.predictionId(JOB, 1, at))
                .isNotEqualTo(ChunkScorer.predictionId("5f1c2a7e-9b3d-4c1e-8f00-123456789abc", 1, at))
                .isNotEqualTo(ChunkScorer.predictionId(JOB, 1, at.plusMillis(1)));
    }

    @Test
    void mixedIdsAreVersion7IdsCarryingTheirTimeAndNoTwoRowsOfAJobShareOne() {
        Instant at = Instant.parse("2026-12-06T10:15:30.123456789Z");
        Set<String> ids = new HashSet<>();
        for (long row = 1; row <= 1_000_000; row++) {
            ids.add(ChunkScorer.predictionId(PredictionIdForm.MIXED, JOB, row, at));
        }
        long[] edges = {0, -1, Long.MAX_VALUE, Long.MIN_VALUE, 1L << 52, (1L << 52) + 1};
        for (long row : edges) {
            ids.add(ChunkScorer.predictionId(PredictionIdForm.MIXED, JOB, row, at));
        }
        assertThat(ids).hasSize(1_000_000 + edges.length);
        for (long row : new long[] {1, 2_048, 1_000_000, Long.MAX_VALUE}) {
            String id = ChunkScorer.predictionId(PredictionIdForm.MIXED, JOB, row, at);
            assertThat(UUID.fromString(id).version()).isEqualTo(7);
            assertThat(UUID.fromString(id).variant()).isEqualTo(2);
            assertThat(PredictionIds.timeOf(id)).as("row %d", row).contains(Instant.parse("2026-12-06T10:15:30.123Z"));
            assertThat(ChunkScorer.predictionId(PredictionIdForm.MIXED, JOB, row, at)).as("the same on every attempt")
                    .isEqualTo(id);
            assertThat(id).as("not the digested form").isNotEqualTo(ChunkScorer.predictionId(JOB, row, at));
        }
        assertThat(ChunkScorer.predictionId(PredictionIdForm.MIXED, JOB, 1, at))
                .isNotEqualTo(ChunkScorer.predictionId(PredictionIdForm.MIXED, "5f1c2a7e-9b3d-4c1e-8f00-123456789abc",
                        1, at))
                .isNotEqualTo(ChunkScorer.predictionId(PredictionIdForm.MIXED, JOB, 1, at.plusMillis(1)));
        assertThat(ChunkScorer.predictionId(PredictionIdForm.DIGESTED, JOB, 9, at))
                .isEqualTo(ChunkScorer.predictionId(JOB, 9, at));
    }

    @Test
    void theIdsOfEarlierReleasesAreTheNameBasedUuidsOfTheJobAndRow() {
        for (long row : new long[] {1, 2, 9, 10, 2_048, 1_000_000, Long.MAX_VALUE}) {
            UUID expected = UUID.nameUUIDFromBytes(("batch:" + JOB + ":row:" + row).getBytes(StandardCharsets.UTF_8));
            assertThat(ChunkScorer.legacyPredictionId(JOB, row)).as("row %d", row).isEqualTo(expected.toString());
        }
    }
}
