package health.vigil.host;

import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * Where Jetty hands every request. It declares itself non-blocking, so Jetty calls it on the selector thread that read
 * the request. A scoring request that the inline rule names, from a known caller allowed to call its function, runs
 * right there, its body gathered as it arrives ({@link HttpFunctionHandler#handleInline}), as does one the when-alone
 * rule names while its connection is the only one on its selector; everything else (pages, the control API, webhooks,
 * probes, explained scores sharing a selector) goes to the pool, where it may wait on disks, databases and clients as
 * before (docs/adr/0026, 0027).
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
            HttpFunctionHandler.write(request, response, callback, HttpFunctionHandler.poolRefused());
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
