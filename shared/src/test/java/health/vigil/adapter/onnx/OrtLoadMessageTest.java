package health.vigil.adapter.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** What of ONNX Runtime's load error reaches the data scientist: the reason, not its source line and C++ signature. */
class OrtLoadMessageTest {
    @Test
    void theReasonIsKeptAndTheSourceLocationAndSignatureAreNot() {
        String opset = "Load model from memory failed:/onnxruntime_src/onnxruntime/core/graph/model_load_utils.h:46 void"
                + " onnxruntime::model_load_utils::ValidateOpsetForDomain(const std::unordered_map<std::basic_string<char>,"
                + " int>&, const onnxruntime::logging::Logger*, bool, const string&, int) ONNX Runtime only *guarantees*"
                + " support for models stamped with official released onnx opset versions. Opset 99 is under development"
                + " and support for this is limited.\nsecond line";

        String reason = OrtModelRuntime.firstLine(opset);

        assertThat(reason).startsWith("Load model from memory failed: ONNX Runtime only *guarantees* support")
                .contains("Opset 99").doesNotContain("onnxruntime_src").doesNotContain("std::")
                .doesNotContain("second line");
        assertThat(reason.length()).isLessThanOrEqualTo(303);
    }

    @Test
    void aMessageWithoutASourceLocationIsItsFirstLineCut() {
        assertThat(OrtModelRuntime.firstLine("Invalid model. Node 'mystery' has no such op\nmore")).isEqualTo(
                "Invalid model. Node 'mystery' has no such op");
        assertThat(OrtModelRuntime.firstLine("x".repeat(400))).hasSize(303).endsWith("...");
        assertThat(OrtModelRuntime.firstLine(null)).isEqualTo("no detail");
    }
}
