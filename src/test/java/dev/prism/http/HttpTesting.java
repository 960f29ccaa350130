package dev.prism.http;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.util.JsonFormat;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.stream.Stream;

/** A client of the HTTP/JSON port, and a model repository copied from the bundled models. */
final class HttpTesting {
    private HttpTesting() {}

    static Path repository(Path dir, String... names) {
        try {
            Path repo = Files.createDirectories(dir.resolve("repo"));
            for (String name : names) {
                Path target = Files.createDirectories(repo.resolve(name));
                try (Stream<Path> files = Files.list(Path.of("models", name))) {
                    for (Path f : files.toList()) {
                        Files.copy(f, target.resolve(f.getFileName()));
                    }
                }
            }
            return repo;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    record Client(HttpClient http, String base) {
        Client(int port) {
            this(HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build(), "http://127.0.0.1:" + port);
        }

        HttpResponse<String> get(String path, String... headers) throws Exception {
            HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30)).GET();
            if (headers.length > 0) {
                r.headers(headers);
            }
            return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> post(String path, String body, String... headers) throws Exception {
            HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(30))
                    .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
            if (headers.length > 0) {
                r.headers(headers);
            }
            return http.send(r.build(), HttpResponse.BodyHandlers.ofString());
        }

        HttpResponse<String> post(String path, Message message, String... headers) throws Exception {
            return post(path, JsonFormat.printer().print(message), headers);
        }
    }

    static <B extends Message.Builder> B parse(String json, B builder) throws InvalidProtocolBufferException {
        JsonFormat.parser().merge(json, builder);
        return builder;
    }

    static JsonObject object(String json) {
        return JsonParser.parseString(json).getAsJsonObject();
    }

    /** A google.rpc.Status written by Prism's API, with its details. */
    static com.google.rpc.Status status(String json) throws InvalidProtocolBufferException {
        com.google.rpc.Status.Builder s = com.google.rpc.Status.newBuilder();
        JsonFormat.parser().usingTypeRegistry(JsonFormat.TypeRegistry.newBuilder()
                .add(com.google.rpc.ErrorInfo.getDescriptor()).add(com.google.rpc.BadRequest.getDescriptor())
                .add(com.google.rpc.RetryInfo.getDescriptor()).build()).merge(json, s);
        return s.build();
    }

    static String reason(com.google.rpc.Status status) throws InvalidProtocolBufferException {
        for (com.google.protobuf.Any d : status.getDetailsList()) {
            if (d.is(com.google.rpc.ErrorInfo.class)) {
                return d.unpack(com.google.rpc.ErrorInfo.class).getReason();
            }
        }
        return null;
    }

    static com.google.rpc.BadRequest badRequest(com.google.rpc.Status status) throws InvalidProtocolBufferException {
        for (com.google.protobuf.Any d : status.getDetailsList()) {
            if (d.is(com.google.rpc.BadRequest.class)) {
                return d.unpack(com.google.rpc.BadRequest.class);
            }
        }
        return null;
    }
}
