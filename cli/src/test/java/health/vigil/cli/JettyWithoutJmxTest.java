package health.vigil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.util.MemoryUtils;
import org.junit.jupiter.api.Test;

/**
 * {@code cli/jvm.options} tells Jetty how many references a cache line holds, so that starting the local host does not
 * load the platform MBean server to ask the JVM; the number given must be the one Jetty would work out itself.
 */
class JettyWithoutJmxTest {
    private static final Path OPTIONS = Path.of("jvm.options").toAbsolutePath();
    private static final String PROPERTY = "org.eclipse.jetty.util.referencesPerCacheLine";
    private static final String MBEAN_SERVER = "com.sun.jmx.mbeanserver.JmxMBeanServer ";

    @Test
    void theReferencesPerCacheLineGivenToJettyAreTheOnesItWorksOutInThisJvm() throws IOException {
        assertThat(System.getProperty(PROPERTY)).as("this JVM must let Jetty work the number out").isNull();

        assertThat(Files.readAllLines(OPTIONS)).contains("-D" + PROPERTY + "=" + MemoryUtils.getReferencesPerCacheLine());
    }

    @Test
    void jettyStartsWithoutThePlatformMBeanServerUnderTheOptionsAndWithItOtherwise() throws Exception {
        assertThat(classesLoadedByAServerStartedWith(List.of("@" + OPTIONS))).doesNotContain(MBEAN_SERVER);
        // The same start without the options: what the first run would show if the option stopped working.
        assertThat(classesLoadedByAServerStartedWith(List.of())).contains(MBEAN_SERVER);
    }

    /** The class loading log of a JVM that starts and stops a Jetty server on a free port. */
    private static String classesLoadedByAServerStartedWith(List<String> options) throws Exception {
        return ClassLoadLog.of(options, StartAndStop.class);
    }

    /** Starts a Jetty server on a free loopback port and stops it. */
    public static final class StartAndStop {
        public static void main(String[] args) throws Exception {
            Server server = new Server(new java.net.InetSocketAddress("127.0.0.1", 0));
            server.start();
            server.stop();
        }
    }
}
