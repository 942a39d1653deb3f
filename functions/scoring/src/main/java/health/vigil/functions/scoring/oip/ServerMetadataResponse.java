package health.vigil.functions.scoring.oip;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Properties;

/**
 * The Open Inference Protocol v2 server metadata: the server's name, its version, and the protocol extensions it
 * supports (none: tensors travel as JSON, and there is no model repository, statistics or shared-memory API).
 */
public record ServerMetadataResponse(String name, String version, List<String> extensions) {
    public static final String NAME = "vigil";

    public ServerMetadataResponse {
        extensions = List.copyOf(extensions);
    }

    /** This build's server metadata. */
    public static ServerMetadataResponse current() {
        return new ServerMetadataResponse(NAME, BuildVersion.VALUE, List.of());
    }

    /** Read once from the resource the build fills in with the project's version. */
    private static final class BuildVersion {
        static final String VALUE = read();

        private static String read() {
            Properties properties = new Properties();
            try (InputStream in = ServerMetadataResponse.class.getResourceAsStream("server.properties")) {
                if (in == null) {
                    throw new IllegalStateException("server.properties is missing from the scoring app's build");
                }
                properties.load(in);
            } catch (IOException e) {
                throw new UncheckedIOException("server.properties cannot be read", e);
            }
            return properties.getProperty("version");
        }
    }
}
