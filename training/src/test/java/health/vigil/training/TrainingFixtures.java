package health.vigil.training;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;

/** A training library with a fixed clock and code version, for tests in any package. */
public final class TrainingFixtures {
    private TrainingFixtures() {}

    public static ModelTraining training() {
        return new ModelTraining(new CodeVersion("0".repeat(40), false),
                Clock.fixed(Instant.parse("2025-01-01T00:00:00Z"), ZoneOffset.UTC));
    }
}
