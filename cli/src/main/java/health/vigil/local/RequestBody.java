package health.vigil.local;

import health.vigil.error.ErrorCode;
import health.vigil.error.ValidationException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;

/** Reads a request body up to a limit; beyond it the request is refused with 413 before the body is buffered. */
final class RequestBody {
    private RequestBody() {}

    static byte[] read(Request request, int maxBytes) throws IOException {
        long declared = request.getHeaders().getLongField(HttpHeader.CONTENT_LENGTH);
        if (declared > maxBytes) {
            throw tooLarge(maxBytes);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(declared > 0 ? (int) declared : 256);
        byte[] buffer = new byte[16 * 1024];
        try (InputStream in = Request.asInputStream(request)) {
            for (int n; (n = in.read(buffer)) > 0; ) {
                if (out.size() + n > maxBytes) {
                    throw tooLarge(maxBytes);
                }
                out.write(buffer, 0, n);
            }
        }
        return out.toByteArray();
    }

    private static ValidationException tooLarge(int maxBytes) {
        return new ValidationException(ErrorCode.PAYLOAD_TOO_LARGE,
                "the request body is larger than the limit of " + maxBytes + " bytes; send a smaller body or raise the limit");
    }
}
