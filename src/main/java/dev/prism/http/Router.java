package dev.prism.http;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

/**
 * The gateway's routes: a method and a path pattern each, whose named groups are the path's parts.
 * A path no route has is left to the next handler (the page, then 404); a path whose routes take
 * other methods is 405 with Allow. Handlers
 * block on their gRPC calls, which Jetty allows a blocking handler.
 */
final class Router extends Handler.Abstract {
    interface Endpoint {
        void answer(Exchange exchange) throws Exception;
    }

    private record Route(String method, Pattern path, Exchange.ErrorStyle style, Endpoint endpoint) {}

    private final List<Route> routes = new ArrayList<>();
    private final HttpGateway.Rules rules;

    Router(HttpGateway.Rules rules) {
        super(InvocationType.BLOCKING);
        this.rules = rules;
    }

    Router add(String method, String pathRegex, Exchange.ErrorStyle style, Endpoint endpoint) {
        routes.add(new Route(method, Pattern.compile(pathRegex), style, endpoint));
        return this;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
        String path = request.getHttpURI().getDecodedPath();
        Set<String> allowed = new TreeSet<>();
        for (Route r : routes) {
            Matcher m = r.path().matcher(path);
            if (!m.matches()) {
                continue;
            }
            allowed.add(r.method());
            if (r.method().equals(request.getMethod())) {
                Exchange exchange = new Exchange(request, response, callback, m, r.style(), rules);
                try {
                    r.endpoint().answer(exchange);
                } catch (Throwable t) {
                    if (response.isCommitted()) {
                        callback.failed(t);
                    } else {
                        exchange.fail(t);
                    }
                }
                return true;
            }
        }
        if (allowed.isEmpty()) {
            // Not an API path: the page's files are next (see HttpGateway).
            return false;
        } else {
            response.getHeaders().put(HttpHeader.ALLOW, String.join(", ", allowed));
            plain(response, callback, 405, request.getMethod() + " is not allowed on " + path + "; use "
                    + String.join(" or ", allowed));
        }
        return true;
    }

    static void plain(Response response, Callback callback, int status, String message) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, Exchange.JSON);
        response.write(true, java.nio.ByteBuffer.wrap(GatewayJson.error(message)
                .getBytes(java.nio.charset.StandardCharsets.UTF_8)), callback);
    }
}
