package dev.prism.http;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

/** Jetty's own refusals (a body over the limit, a request while shutting down, bad HTTP) as {"error": ...}. */
final class JsonErrors extends ErrorHandler {
    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause,
                                    Callback callback) {
        String text = message != null ? message : cause != null && cause.getMessage() != null ? cause.getMessage()
                : "HTTP " + code;
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Exchange.JSON);
        String body = GatewayJson.error(text);
        response.write(true, ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8)), callback);
    }
}
