package health.vigil.adapter.azure;

import java.util.Locale;
import java.util.logging.Filter;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Keeps one warning of the Azure SDK's JDK HttpClient adapter out of the log: "The header is restricted by
 * 'java.net.http.HttpClient' and will be ignored", logged for the {@code Content-Length} the SDK sets on every request
 * with a body (each blob upload and block), some 2,000 lines in 15 minutes of {@code vigil up --azure-emulators}.
 * <p>
 * Nothing is lost with that header: the adapter gives the JDK a body publisher of the header's length, and the JDK
 * sends {@code Content-Length} from it. Allowing the header instead ({@code jdk.httpclient.allowRestrictedHeaders})
 * would be a JVM-wide setting, read once when the JDK client first loads, that lets every caller of every
 * {@code java.net.http.HttpClient} in the process set a length of its own beside the one the JDK computes; it buys
 * nothing here. So only that record is dropped: the same warning for another header (a request that would really go
 * out without it), and everything else the logger says, still shows.
 * <p>
 * The SDK logs through SLF4J, which the command line routes into {@code java.util.logging}; where SLF4J has no such
 * route the SDK's own fallback logger logs nothing unless {@code AZURE_LOG_LEVEL} asks for it.
 */
final class JdkHttpClientLogging {
    /** The logger the adapter's request headers are filtered under (its {@code JdkHttpClient}'s). */
    static final String LOGGER = "com.azure.core.http.jdk.httpclient.JdkHttpClient";
    private static final String RESTRICTED = "restricted by 'java.net.http.HttpClient'";
    /** Held so that the log manager, which keeps loggers weakly, does not drop the filter with the logger. */
    private static final Logger HELD = Logger.getLogger(LOGGER);

    static {
        Filter previous = HELD.getFilter();
        HELD.setFilter(record -> !isContentLengthDropped(record) && (previous == null || previous.isLoggable(record)));
    }

    private JdkHttpClientLogging() {}

    /** Installs the filter (once per JVM, when this class loads). */
    static void quietTheDroppedContentLength() {
        // The static initialiser does the work.
    }

    static boolean isContentLengthDropped(LogRecord record) {
        String message = record.getMessage();
        return message != null && message.contains(RESTRICTED)
                && message.toLowerCase(Locale.ROOT).contains("content-length");
    }
}
