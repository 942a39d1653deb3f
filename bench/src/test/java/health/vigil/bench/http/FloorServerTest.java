package health.vigil.bench.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@code FloorServer} refuses arguments it cannot run with before it loads the model or binds a port. */
class FloorServerTest {
    @TempDir
    Path dir;

    /**
     * Each argument is checked before any work, with its name and range. Before, a missing argument ended in an
     * index out of bounds, a port or width that is not a number in a bare number format error, and a port out of
     * range, a width of 0 or a missing model file only once ONNX Runtime had started.
     */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "''|MODEL.onnx is missing and must be an ONNX model file",
        "model.onnx|PORT is missing and must be a whole number from 0 to 65535",
        "model.onnx http|PORT is \"http\" and must be a whole number from 0 to 65535",
        "model.onnx 70000|PORT is 70000 and must be from 0 to 65535",
        "model.onnx -1 30|PORT is -1 and must be from 0 to 65535",
        "model.onnx 18081|FEATURES is missing and must be a whole number of at least 1",
        "model.onnx 18081 0|FEATURES is 0 and must be at least 1",
        "model.onnx 18081 wide|FEATURES is \"wide\" and must be a whole number of at least 1",
        "absent.onnx 18081 30|MODEL.onnx is \"{dir}/absent.onnx\" and must be an ONNX model file"})
    void anArgumentMissingOrOutOfItsRangeIsRefusedUpFrontWithItsNameAndRange(String arguments, String message)
            throws Exception {
        Files.write(dir.resolve("model.onnx"), new byte[] {1});
        String[] args = arguments.isEmpty() ? new String[0] : arguments.split(" ");
        if (args.length > 0) {
            args[0] = dir.resolve(args[0]).toString();
        }
        assertThatThrownBy(() -> FloorServer.main(args))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("usage: FloorServer MODEL.onnx PORT FEATURES; " + message.replace("{dir}", dir.toString()));
    }

    @Test
    void theArgumentsRunScriptsPassAreRead() throws Exception {
        Path model = Files.write(dir.resolve("model.onnx"), new byte[] {1});
        assertThat(FloorServer.parse(new String[] {model.toString(), "18081", "30"}))
                .isEqualTo(new FloorServer.Settings(model, 18081, 30));
    }
}
