package health.vigil.training.retrain;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import health.vigil.error.ValidationException;
import health.vigil.hash.Sha256;
import health.vigil.json.Json;
import health.vigil.model.Manifest;
import health.vigil.model.Provenance;
import health.vigil.model.Stage;
import health.vigil.model.VersionRecord;
import health.vigil.port.Retrainer;
import health.vigil.privacy.Pseudonymizer;
import health.vigil.training.Algorithm;
import health.vigil.training.ClinicalModel;
import health.vigil.training.TrainedModel;
import health.vigil.training.TrainingFixtures;
import health.vigil.training.TrainingProgress;
import health.vigil.training.TrainingSettings;
import health.vigil.training.data.Dataset;
import health.vigil.training.data.DatasetFile;
import health.vigil.training.data.FeatureMatrix;
import health.vigil.training.gbt.GbtSettings;
import health.vigil.training.linear.LogisticRegressionTrainer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;

/**
 * A successor is trained with the settings its parent was trained with, every one of them as the parent's provenance
 * records them, not with the defaults; a recorded setting that cannot be read back is refused, never replaced.
 */
class PipelineRetrainerTest {
    private static final ClinicalModel MODEL = ClinicalModel.READMISSION;
    /** None of them the default. */
    private static final GbtSettings PARENTS_GBT = new GbtSettings(20, 0.1, 3, 2.0, 0.9, 0.7, 2.5, 2);
    private static final Pseudonymizer PSEUDONYMS = new Pseudonymizer("a test key of thirty-two bytes or more"
            .getBytes(StandardCharsets.UTF_8));

    @Test
    void aSuccessorIsTrainedWithEverySettingOfItsParentsLearner() throws IOException {
        Dataset data = MODEL.synthetic(3_000, 5).dataset();
        TrainedModel parent = TrainingFixtures.training().train(MODEL, data,
                TrainingSettings.defaults().withGbt(PARENTS_GBT).withSeed(11), TrainingProgress.NONE);
        Map<String, String> parentGbt = settingsOf(parent.manifest().provenance().parameters(), "gbt.");
        assertThat(parentGbt).containsEntry("gbt.rounds", "20").containsEntry("gbt.maxDepth", "3");

        byte[] successor = new PipelineRetrainer(TrainingFixtures.training()).retrain(new Retrainer.Request(
                version(parent.manifest()), new ByteArrayInputStream(DatasetFile.bytes(MODEL.pipeline().rawSchema(),
                        data)), productionRows(), PSEUDONYMS, Map.of()));

        JsonNode provenance = manifest(successor).path("provenance");
        Map<String, String> successorGbt = new TreeMap<>();
        provenance.path("parameters").fields()
                .forEachRemaining(e -> successorGbt.put(e.getKey(), e.getValue().asText()));
        assertThat(settingsOf(successorGbt, "gbt.")).isEqualTo(parentGbt);
        assertThat(successorGbt).containsEntry("gbt.rounds", "20").containsEntry("algorithm", "gbt");
        assertThat(provenance.path("seed").asLong()).isEqualTo(11);
    }

    @Test
    void aPatientOfTheTrainingDatasetScoredAgainHasAllOfItsRowsInOnePartOfTheSplit() throws IOException {
        Dataset data = MODEL.synthetic(2_000, 5).dataset();
        TrainingSettings settings = TrainingSettings.defaults().withAlgorithm(Algorithm.LOGISTIC).withSeed(5);
        TrainedModel parent = TrainingFixtures.training().train(MODEL, data, settings, TrainingProgress.NONE);
        // Every patient of the dataset scored again, under the identifier its dataset key is: each row comes back as
        // a production row with the pseudonym scoring gave that identifier.
        FeatureMatrix x = FeatureMatrix.of(MODEL.pipeline(), data.records());
        List<String> pseudonyms = data.patientKeys().stream().map(PSEUDONYMS::pseudonym).toList();
        Retrainer.ProductionRows again = new Retrainer.ProductionRows(x.values(), x.rows(), x.width(), data.labels(),
                pseudonyms, Sha256.hex("the same patients scored again"));

        byte[] successor = new PipelineRetrainer(TrainingFixtures.training()).retrain(new Retrainer.Request(
                version(parent.manifest()), new ByteArrayInputStream(DatasetFile.bytes(MODEL.pipeline().rawSchema(),
                        data)), again, PSEUDONYMS, Map.of()));

        // A patient's production rows go where its dataset rows went: each part holds twice the parent's rows.
        JsonNode after = evaluation(successor);
        assertThat(after.at("/validation/rows").asLong()).isEqualTo(2 * parent.evaluation().validation().rows());
        assertThat(after.at("/test/rows").asLong()).isEqualTo(2 * parent.evaluation().test().rows());
    }

    @Test
    void aLogisticParentsSettingsAreReadBackAsTrained() {
        TrainedModel parent = TrainingFixtures.training().train(MODEL, MODEL.synthetic(2_000, 6).dataset(),
                TrainingSettings.defaults().withAlgorithm(Algorithm.LOGISTIC)
                        .withLogistic(new LogisticRegressionTrainer(3.0, 40, 1e-7)).withSeed(12),
                TrainingProgress.NONE);

        TrainingSettings settings = PipelineRetrainer.settings(parent.manifest().provenance());

        assertThat(settings.algorithm()).isEqualTo(Algorithm.LOGISTIC);
        assertThat(settings.seed()).isEqualTo(12);
        assertThat(settings.logistic().describe())
                .isEqualTo(settingsOf(parent.manifest().provenance().parameters(), "logistic."));
    }

    @Test
    void aRecordedSettingThatCannotBeReadBackIsRefusedByName() {
        Map<String, String> recorded = new LinkedHashMap<>(Map.of("algorithm", "gbt"));
        recorded.putAll(PARENTS_GBT.describe());
        assertThat(PipelineRetrainer.settings(provenance(recorded)).gbt()).isEqualTo(PARENTS_GBT);

        assertRefused(recorded, "gbt.maxDepth", "deep", "gbt.maxDepth as something other than a whole number");
        assertRefused(recorded, "gbt.learningRate", "fast", "gbt.learningRate as something other than a number");
        assertRefused(recorded, "gbt.learningRate", "1.5", "cannot be trained with");
        assertRefused(recorded, "gbt.rounds", null, "does not record its setting gbt.rounds");
        assertRefused(recorded, "gbt.treeMethod", "exact", "gbt.treeMethod otherwise than this trainer can train it");
        assertRefused(recorded, "gbt.monotoneConstraints", "(1,0)", "gbt.monotoneConstraints otherwise");
        assertRefused(recorded, "algorithm", "forest", "a learner this trainer does not have");
    }

    private static void assertRefused(Map<String, String> recorded, String key, String value, String reason) {
        Map<String, String> changed = new LinkedHashMap<>(recorded);
        if (value == null) {
            changed.remove(key);
        } else {
            changed.put(key, value);
        }
        assertThatThrownBy(() -> PipelineRetrainer.settings(provenance(changed))).as(key + " = " + value)
                .isInstanceOf(ValidationException.class).hasMessageContaining(reason);
    }

    private static Provenance provenance(Map<String, String> parameters) {
        return new Provenance("a".repeat(64), 100, null, "0".repeat(40), false, "test", 3L, parameters, Map.of(),
                null, null, null);
    }

    private static Map<String, String> settingsOf(Map<String, String> parameters, String prefix) {
        Map<String, String> settings = new TreeMap<>();
        parameters.forEach((key, value) -> {
            if (key.startsWith(prefix)) {
                settings.put(key, value);
            }
        });
        return settings;
    }

    private static VersionRecord version(Manifest manifest) {
        Instant at = Instant.parse("2025-01-02T00:00:00Z");
        return new VersionRecord(manifest.name(), 1, manifest, "b".repeat(64), "c".repeat(64), "packages/b.zip", 1,
                Stage.PRODUCTION, "data-scientist", at, "event-1", at, null);
    }

    /** Labelled production rows of other synthetic patients, as the prediction log keeps them (model inputs). */
    private static Retrainer.ProductionRows productionRows() {
        Dataset production = MODEL.synthetic(300, 8).dataset();
        FeatureMatrix x = FeatureMatrix.of(MODEL.pipeline(), production.records());
        List<String> pseudonyms = IntStream.range(0, x.rows()).mapToObj(i -> "pseudonym-" + i).toList();
        return new Retrainer.ProductionRows(x.values(), x.rows(), x.width(), production.labels(), pseudonyms,
                Sha256.hex("production rows"));
    }

    private static JsonNode manifest(byte[] zip) throws IOException {
        return entry(zip, "manifest.json");
    }

    private static JsonNode evaluation(byte[] zip) throws IOException {
        return entry(zip, "evaluation.json");
    }

    private static JsonNode entry(byte[] zip, String name) throws IOException {
        try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(zip))) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                if (entry.getName().equals(name)) {
                    return Json.readTree(name, in.readAllBytes());
                }
            }
        }
        throw new AssertionError("the package has no " + name);
    }
}
