package dev.prism.http;

import dev.prism.api.v1.ExplainRequest;
import inference.OpenInferenceGrpc.InferParameter;
import io.grpc.Channel;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.server.handler.ResourceHandler;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.resource.Resource;
import org.eclipse.jetty.util.resource.ResourceFactory;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Prism over HTTP/JSON: Prism's own API (with Server-Sent Events for a streamed explanation),
 * KServe's V1 protocol and the Open Inference Protocol's REST binding, on Jetty. Every route is a
 * translation: the JSON becomes the gRPC request, sent through {@code channel} to the server's own
 * services in process, whose answer or status becomes the JSON reply. So tokens, admission, limits,
 * metrics and errors are exactly gRPC's; the bearer token travels as the call's authorization
 * metadata and {@value Exchange#TIMEOUT_HEADER} as its deadline.
 */
public final class HttpGateway implements AutoCloseable {
    /** How long requests that still run when the gateway closes get before their connections go. */
    private static final long STOP_MILLIS = 2000;
    /** Where the build puts the page in the jar. */
    private static final String PAGE_FOLDER = "web/";

    /** What the gateway takes from the server besides its services. */
    public interface Rules {
        /** The status the gRPC services answer for a failure: the server's one status mapping. */
        com.google.rpc.Status status(Throwable failure);

        /** An Explain request for the named method, its options set by field name as the OIP's parameters do. */
        ExplainRequest.Builder explainRequest(String method, String methodField, Map<String, InferParameter> options,
                                              String optionsField);
    }

    private final Server jetty;
    private final ServerConnector connector;
    private final GracefulHandler graceful;

    private HttpGateway(Server jetty, ServerConnector connector, GracefulHandler graceful) {
        this.jetty = jetty;
        this.connector = connector;
        this.graceful = graceful;
    }

    public static HttpGateway start(HttpSettings settings, Channel channel, Rules rules) throws IOException {
        QueuedThreadPool threads = new QueuedThreadPool();
        threads.setName("prism-http");
        threads.setDaemon(true);
        Server jetty = new Server(threads);
        HttpConfiguration config = new HttpConfiguration();
        config.setSendServerVersion(false);
        ServerConnector connector = settings.tls() == null
                ? new ServerConnector(jetty, new HttpConnectionFactory(config))
                : new ServerConnector(jetty, ssl(settings.tls()), new HttpConnectionFactory(config));
        connector.setHost(settings.host());
        connector.setPort(settings.port());
        jetty.addConnector(connector);
        Router router = new Router(rules);
        new PrismApi(channel).routes(router);
        new KServeV1(channel, rules).routes(router);
        new OipRest(channel).routes(router);
        SizeLimitHandler limit = new SizeLimitHandler(settings.maxBodyBytes(), -1);
        limit.setHandler(new Handler.Sequence(router, page(jetty), new NotFound()));
        GracefulHandler graceful = new GracefulHandler(limit);
        jetty.setHandler(graceful);
        jetty.setErrorHandler(new JsonErrors());
        jetty.setStopTimeout(STOP_MILLIS);
        try {
            jetty.start();
        } catch (Exception e) {
            try {
                jetty.stop();
            } catch (Exception ignored) {
                // already failing; the start's error is the one to report
            }
            throw new IOException("cannot serve HTTP on port " + settings.port() + ": " + e.getMessage(), e);
        }
        return new HttpGateway(jetty, connector, graceful);
    }

    /**
     * The page at {@code /}: the files the build put under {@code web/} in the jar, read from the
     * class path. A build without them (-Dweb.skip) answers {@code /} with a 404 that says so.
     */
    private static Handler page(Server jetty) {
        Resource files = ResourceFactory.of(jetty).newClassLoaderResource(PAGE_FOLDER, false);
        if (files == null || !files.exists()) {
            return new Handler.Abstract() {
                @Override
                public boolean handle(Request request, Response response, Callback callback) {
                    if (!request.getHttpURI().getDecodedPath().equals("/")) {
                        return false;
                    }
                    Router.plain(response, callback, 404, "this build of Prism has no page (it was built with"
                            + " -Dweb.skip=true)");
                    return true;
                }
            };
        }
        ResourceHandler handler = new ResourceHandler();
        handler.setBaseResource(files);
        handler.setWelcomeFiles(List.of("index.html"));
        handler.setDirAllowed(false);
        handler.setServer(jetty);
        return new Handler.Wrapper(handler) {
            @Override
            public boolean handle(Request request, Response response, Callback callback) throws Exception {
                String method = request.getMethod();
                if (!method.equals("GET") && !method.equals("HEAD")) {
                    return false;
                }
                // The page runs only its own bundled code and talks only to this server.
                response.getHeaders().put("Content-Security-Policy", "default-src 'self'; img-src 'self' data:;"
                        + " style-src 'self' 'unsafe-inline'; frame-ancestors 'none'");
                response.getHeaders().put("X-Content-Type-Options", "nosniff");
                return super.handle(request, response, callback);
            }
        };
    }

    /** Neither an API route nor a file of the page. */
    private static final class NotFound extends Handler.Abstract {
        @Override
        public boolean handle(Request request, Response response, Callback callback) {
            Router.plain(response, callback, 404, "no route for " + request.getHttpURI().getDecodedPath());
            return true;
        }
    }

    private static SslContextFactory.Server ssl(HttpSettings.Tls tls) {
        SslContextFactory.Server ssl = new SslContextFactory.Server();
        ssl.setKeyStore(tls.keys());
        ssl.setKeyStorePassword(new String(tls.keyPassword()));
        ssl.setKeyManagerPassword(new String(tls.keyPassword()));
        if (tls.trustedClients() != null) {
            ssl.setTrustStore(tls.trustedClients());
            ssl.setNeedClientAuth(true);
        }
        return ssl;
    }

    public int port() {
        return connector.getLocalPort();
    }

    /** New connections and new requests are refused (503); requests already running go on. */
    public void refuseNew() {
        graceful.shutdown();
        connector.shutdown();
    }

    @Override
    public void close() {
        try {
            jetty.stop();
        } catch (Exception e) {
            System.getLogger(HttpGateway.class.getName()).log(System.Logger.Level.WARNING,
                    "the HTTP server did not stop cleanly: " + e.getMessage());
        }
    }
}
