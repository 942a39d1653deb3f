package health.vigil.scoring.batch;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/** A batch row's prediction id must not change between releases: a resumed run finds earlier rows by it. */
class PredictionIdTest {
    @Test
    void aRowsPredictionIdIsTheNameBasedUuidOfTheJobAndRow() {
        String job = "4f1c2a7e-9b3d-4c1e-8f00-123456789abc";
        for (long row : new long[] {1, 2, 9, 10, 2_048, 1_000_000, Long.MAX_VALUE}) {
            UUID expected = UUID.nameUUIDFromBytes(("batch:" + job + ":row:" + row).getBytes(StandardCharsets.UTF_8));
            assertThat(ChunkScorer.predictionId(job, row)).as("row %d", row).isEqualTo(expected.toString());
        }
        assertThat(ChunkScorer.predictionId(job, 1)).isNotEqualTo(ChunkScorer.predictionId(job, 2));
    }
}
