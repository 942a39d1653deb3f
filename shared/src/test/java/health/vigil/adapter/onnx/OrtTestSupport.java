package health.vigil.adapter.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.Map;

/** Runs an ONNX model directly on ONNX Runtime, bypassing Vigil's runtime, to check what ORT itself computes. */
final class OrtTestSupport {
    private OrtTestSupport() {}

    /** The float output {@code output} of {@code onnx} for row-major {@code rows}, as [rows][columns]. */
    static float[][] run(byte[] onnx, float[] rows, int width, String output) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                OrtSession session = env.createSession(onnx, options);
                OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(rows), new long[] {rows.length / width, width});
                OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), input))) {
            return (float[][]) result.get(output).orElseThrow().getValue();
        } catch (OrtException e) {
            throw new AssertionError("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    static long[] labels(byte[] onnx, float[] rows, int width) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions();
                OrtSession session = env.createSession(onnx, options);
                OnnxTensor input = OnnxTensor.createTensor(env, FloatBuffer.wrap(rows), new long[] {rows.length / width, width});
                OrtSession.Result result = session.run(Map.of(session.getInputNames().iterator().next(), input))) {
            return (long[]) result.get(OnnxModelWriter.LABEL).orElseThrow().getValue();
        } catch (OrtException e) {
            throw new AssertionError("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }
}
