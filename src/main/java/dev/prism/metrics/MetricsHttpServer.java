package dev.prism.metrics;

import com.sun.net.httpserver.HttpServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.util.concurrent.Executors;

/** Serves the registry in Prometheus text format at {@code GET /metrics} (see {@link PrometheusMeters}). */
public final class MetricsHttpServer implements AutoCloseable {
    private final HttpServer server;

    /** @param host the address to bind, e.g. 127.0.0.1 for this machine only; null binds every interface */
    public MetricsHttpServer(PrometheusMeterRegistry registry, String host, int port) throws IOException {
        InetSocketAddress address = host == null ? new InetSocketAddress(port) : new InetSocketAddress(host, port);
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("metrics host '" + host + "' does not resolve to an address");
        }
        server = HttpServer.create(address, 0);
        server.createContext("/metrics", exchange -> {
            try (exchange) {
                if (!exchange.getRequestMethod().equals("GET")) {
                    exchange.sendResponseHeaders(405, -1);
                    return;
                }
                ByteArrayOutputStream body = new ByteArrayOutputStream();
                PrometheusMeters.scrape(registry, body);
                exchange.getResponseHeaders().set("Content-Type", PrometheusMeters.contentType());
                exchange.sendResponseHeaders(200, body.size());
                try (OutputStream out = exchange.getResponseBody()) {
                    body.writeTo(out);
                }
            }
        });
        server.setExecutor(Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "prism-metrics-http");
            t.setDaemon(true);
            return t;
        }));
        server.start();
    }

    /** The bound port (useful when started on port 0). */
    public int port() {
        return server.getAddress().getPort();
    }

    /** The bound address. */
    public InetSocketAddress address() {
        return server.getAddress();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
