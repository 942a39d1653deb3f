package health.vigil.host;

import java.util.UUID;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Where Jetty hands every request. It declares itself non-blocking, so Jetty calls it on the selector thread that
 * read the request. A scoring request whose caller is known and whose body is all in runs right there
 * ({@link HttpFunctionHandler#handleInline}); everything else (pages, the control API, webhooks, probes, a body still
 * arriving) goes to the pool, where it may wait on disks, databases and clients as before (docs/adr/0026).
 */
final class HostFront extends Handler.Wrapper {
    private final HttpFunctionHandler functions;
    private final Executor pool;

    /**
     * @param functions the functions, for the requests run inline
     * @param everything what answers every request on the pool (the pages, then the functions)
     * @param pool the threads that may block
     */
    HostFront(HttpFunctionHandler functions, Handler everything, Executor pool) {
        super(everything);
        this.functions = functions;
        this.pool = pool;
    }

    /** Non-blocking whatever the handlers it wraps are: only what it runs inline runs on the selector. */
    @Override
    public InvocationType getInvocationType() {
        return InvocationType.NON_BLOCKING;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        if (functions.handleInline(request, response, callback, pool)) {
            return true;
        }
        try {
            pool.execute(() -> runOnPool(request, response, callback));
        } catch (RejectedExecutionException e) {
            HttpFunctionHandler.write(request, response, callback, HostReply.error(503,
                    health.vigil.error.ErrorCode.SERVER_BUSY, "every worker is busy; retry in a second",
                    UUID.randomUUID().toString(), java.util.Map.of("Retry-After", "1", "Connection", "close")));
        }
        return true;
    }

    private void runOnPool(Request request, Response response, Callback callback) {
        try {
            if (!getHandler().handle(request, response, callback)) {
                Response.writeError(request, response, callback, 404);
            }
        } catch (Throwable t) {
            Response.writeError(request, response, callback, t);
        }
    }
}
