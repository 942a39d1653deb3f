package health.vigil.host;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;
import org.eclipse.jetty.io.Connection;
import org.eclipse.jetty.io.EndPoint;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.internal.HttpConnection;
import org.eclipse.jetty.util.thread.Scheduler;

/**
 * HTTP/1.1 connections whose request head (request line and headers) must be complete within a time of its first
 * byte, or the connection is closed. The idle timeout alone does not bound a head: each byte starts it again, so a
 * client sending a header byte every few seconds would keep its connection, and its place on a selector, for ever.
 * Jetty 12 has no such limit of its own. A body is not concerned: once the head is complete the deadline is gone, and
 * the body is bounded by the idle timeout, the minimum data rate and the time for a body ({@link RequestBody}).
 *
 * <p>The connection is closed without an answer, as Jetty closes one whose head goes silent: no request exists yet
 * to answer through, and a 408 written beside Jetty's own parser could meet a response of Jetty's on the wire.
 */
final class HeadDeadline extends HttpConnectionFactory {
    private static final Logger LOG = Logger.getLogger(HeadDeadline.class.getName());

    private final long limitNanos;

    HeadDeadline(HttpConfiguration config, Duration limit) {
        super(config);
        this.limitNanos = limit.toNanos();
    }

    @Override
    public Connection newConnection(Connector connector, EndPoint endPoint) {
        // As HttpConnectionFactory's own, with the deadline.
        Timed connection = new Timed(getHttpConfiguration(), connector, endPoint, limitNanos);
        connection.setTransferEncodingChunkMaxLength(getTransferEncodingChunkMaxLength());
        return configure(connection, connector, endPoint);
    }

    /**
     * Jetty's HTTP/1.1 connection plus the deadline. Heads are read in {@link #onFillable}: one that receives bytes of
     * a head and returns with the head still incomplete starts the timer (a head read whole in one go never starts
     * one); the parser's {@code headerComplete} stops it.
     */
    static final class Timed extends HttpConnection {
        private final long limitNanos;
        private final Object lock = new Object();
        /** Heads completed on this connection, so a timer knows whether its head is still the one arriving. */
        private long heads;
        private Scheduler.Task timer;

        Timed(HttpConfiguration config, Connector connector, EndPoint endPoint, long limitNanos) {
            super(config, connector, endPoint);
            this.limitNanos = limitNanos;
        }

        @Override
        public void onFillable() {
            boolean awaitingHead = getParser().inHeaderState();
            long bytesBefore = getBytesIn();
            long headsBefore;
            synchronized (lock) {
                headsBefore = heads;
            }
            super.onFillable();
            if (!awaitingHead || getBytesIn() == bytesBefore) {
                return;
            }
            synchronized (lock) {
                if (heads == headsBefore && timer == null && getEndPoint().isOpen()) {
                    timer = getConnector().getScheduler().schedule(() -> expire(headsBefore), limitNanos,
                            TimeUnit.NANOSECONDS);
                }
            }
        }

        private void expire(long head) {
            synchronized (lock) {
                if (heads != head || timer == null) {
                    return;
                }
                timer = null;
            }
            LOG.fine(() -> "closed a connection whose request head was not complete "
                    + TimeUnit.NANOSECONDS.toMillis(limitNanos) + " ms after its first byte");
            getEndPoint().close(new TimeoutException("request head not complete in time"));
        }

        private void headDone() {
            synchronized (lock) {
                heads++;
                if (timer != null) {
                    timer.cancel();
                    timer = null;
                }
            }
        }

        @Override
        protected RequestHandler newRequestHandler() {
            return new RequestHandler() {
                @Override
                public boolean headerComplete() {
                    headDone();
                    return super.headerComplete();
                }

                @Override
                public void badMessage(org.eclipse.jetty.http.HttpException failure) {
                    headDone();
                    super.badMessage(failure);
                }
            };
        }

        @Override
        public void onClose(Throwable cause) {
            headDone();
            super.onClose(cause);
        }
    }
}
