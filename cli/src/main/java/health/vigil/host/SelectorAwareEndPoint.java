package health.vigil.host;

import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import org.eclipse.jetty.io.ManagedSelector;
import org.eclipse.jetty.io.SocketChannelEndPoint;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * A connection's socket end point that remembers its selector, so that the host can ask, on that selector's
 * thread, whether any other connection is waiting on it (docs/adr/0027). Jetty keeps the selector to itself.
 */
final class SelectorAwareEndPoint extends SocketChannelEndPoint {
    private final ManagedSelector selector;

    SelectorAwareEndPoint(SocketChannel channel, ManagedSelector selector, SelectionKey key, Scheduler scheduler) {
        super(channel, selector, key, scheduler);
        this.selector = selector;
    }

    /**
     * Whether this is the only connection its selector serves. Meant for the selector's own thread, which is the
     * one that registers and drops connections; elsewhere the answer may be a moment old. A connection closed since
     * the last select still counts, which only errs towards "not alone".
     */
    boolean aloneOnSelector() {
        return selector.size() <= 1;
    }
}
