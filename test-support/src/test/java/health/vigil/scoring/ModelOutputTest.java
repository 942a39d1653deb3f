package health.vigil.scoring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import health.vigil.config.VigilConfig;
import health.vigil.error.ErrorCode;
import health.vigil.model.ModelName;
import health.vigil.model.ModelVersion;
import health.vigil.model.PredictionRecord;
import health.vigil.platform.VigilPlatform;
import health.vigil.security.Principal;
import health.vigil.testing.governance.SetUpApproval;
import health.vigil.testing.governance.SetUpRegistration;
import health.vigil.testing.samples.SampleModels;
import health.vigil.testing.samples.SamplePackage;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Deployed versions whose output is not a probability for some patients, scored through the platform's real stores
 * and ONNX Runtime: the request is answered {@code MODEL_OUTPUT_INVALID} (502) naming the version, the row and the
 * output, never a feature value or the patient, and nothing of it is logged.
 */
class ModelOutputTest {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    @TempDir
    Path home;

    @Test
    void anOutputAboveOneFailsTheRequestWithTheRowAndTheOutputNamedAndLogsNothing() {
        try (VigilPlatform platform = deployed(SampleModels.readmissionLinearRisk())) {
            ModelName model = ModelName.of(SampleModels.READMISSION_NAME);

            assertThatThrownBy(() -> platform.scoring().score(new ScoreRequest(model, null, List.of(
                    patient("MRN-0417", 63, 2), patient("MRN-0418", 47, 40), patient("MRN-0419", 71, 45)))))
                    .isInstanceOfSatisfying(ModelOutputException.class, e -> {
                        assertThat(e.code()).isEqualTo(ErrorCode.MODEL_OUTPUT_INVALID);
                        assertThat(e.httpStatus()).isEqualTo(502);
                    })
                    // 0.003 x 47 + 0.03 x 40 prior stays = 1.341, in ONNX Runtime's float arithmetic
                    .hasMessageStartingWith(SampleModels.READMISSION_NAME + ":1 produced an output that is not a"
                            + " probability for row 2 of the request (1.34")
                    .hasMessageContaining(", above 1): the request is valid")
                    .message().doesNotContain("MRN").doesNotContain("47").doesNotContain("8.4");
            assertThat(logged(platform, model)).isEmpty();

            ScoreResult scored = platform.scoring().score(new ScoreRequest(model, null, List.of(
                    patient("MRN-0417", 63, 2))));
            assertThat(scored.row(0).score()).isCloseTo(0.003 * 63 + 0.03 * 2, within(1e-6));
            assertThat(logged(platform, model)).hasSize(1);
        }
    }

    @Test
    void aNaNOutputFailsTheRequestWithItsOwnCode() {
        try (VigilPlatform platform = deployed(SampleModels.readmissionWithoutImputation())) {
            ModelName model = ModelName.of(SampleModels.READMISSION_NAME);
            Map<String, JsonNode> stillInHospital = new LinkedHashMap<>(patient("MRN-0420", 58, 1).features());
            stillInHospital.remove("length_of_stay_days");

            assertThatThrownBy(() -> platform.scoring().score(new ScoreRequest(model, null, List.of(
                    new PatientRow("MRN-0420", stillInHospital)))))
                    .isInstanceOfSatisfying(ModelOutputException.class,
                            e -> assertThat(e.code()).isEqualTo(ErrorCode.MODEL_OUTPUT_INVALID))
                    .hasMessageContaining("for row 1 of the request (NaN)");
            assertThat(logged(platform, model)).isEmpty();
        }
    }

    private VigilPlatform deployed(SamplePackage sample) {
        VigilPlatform platform = VigilPlatform.builder(VigilConfig.local(home)).eventPublisher(event -> { }).build();
        ModelName model = SetUpRegistration.register(platform, sample, "model.zip");
        SetUpApproval.approve(platform, new ModelVersion(model, 1));
        platform.deployments().deploy(model, 1, Principal.SYSTEM);
        return platform;
    }

    private static PatientRow patient(String id, int age, int priorStays) {
        Map<String, JsonNode> features = new LinkedHashMap<>();
        features.put("age", NODES.numberNode(age));
        features.put("prior_inpatient_stays", NODES.numberNode(priorStays));
        features.put("hba1c", NODES.numberNode(8.4));
        features.put("on_insulin", NODES.booleanNode(true));
        features.put("admission_type", NODES.textNode("emergency"));
        features.put("length_of_stay_days", NODES.numberNode(5));
        return new PatientRow(id, features);
    }

    private static List<PredictionRecord> logged(VigilPlatform platform, ModelName model) {
        List<PredictionRecord> records = new ArrayList<>();
        platform.predictionLog().scan(model, Instant.EPOCH, Instant.now().plusSeconds(60), records::add);
        return records;
    }
}
