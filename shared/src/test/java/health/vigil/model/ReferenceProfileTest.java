package health.vigil.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import health.vigil.error.ValidationException;
import health.vigil.json.Json;
import health.vigil.model.ReferenceProfile.FeatureProfile;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ReferenceProfileTest {

    @Test
    void theMeanIsWrittenWhenKnownAndOmittedOtherwise() {
        ReferenceProfile profile = new ReferenceProfile(10, List.of(
                new FeatureProfile("age", List.of(18.0, 60.0, 90.0), List.of(0.5, 0.5), null, 0.1, 58.25),
                new FeatureProfile("sex", null, null, Map.of("F", 0.4, "M", 0.6), 0.0)), null);
        String json = Json.write(profile);
        assertThat(json).contains("\"mean\":58.25").containsOnlyOnce("\"mean\"");
        ReferenceProfile read = Json.read("reference.json", json.getBytes(StandardCharsets.UTF_8), ReferenceProfile.class);
        assertThat(read).isEqualTo(profile);
        assertThat(read.features().get(1).mean()).isNull();
    }

    @Test
    void aProfileWrittenBeforeMeansExistedStillReads() {
        String older = "{\"rows\":5,\"features\":[{\"name\":\"age\",\"binEdges\":[1.0,2.0],\"proportions\":[1.0],"
                + "\"missingRate\":0.0}]}";
        ReferenceProfile read = Json.read("reference.json", older.getBytes(StandardCharsets.UTF_8), ReferenceProfile.class);
        assertThat(read.features().get(0).mean()).isNull();
    }

    @Test
    void aMeanThatIsNotAFiniteNumberIsRejected() {
        assertThatThrownBy(() -> new FeatureProfile("age", List.of(1.0, 2.0), List.of(1.0), null, 0.0, Double.NaN))
                .isInstanceOf(ValidationException.class).hasMessageContaining("'age' has a mean that is not a finite");
    }
}
