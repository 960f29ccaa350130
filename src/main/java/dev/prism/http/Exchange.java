package dev.prism.http;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.gson.Strictness;
import com.google.gson.stream.JsonReader;
import dev.prism.error.PrismException;
import dev.prism.error.Reason;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.StringReader;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import org.eclipse.jetty.http.HttpException;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Blocker;
import org.eclipse.jetty.util.Callback;

/**
 * One HTTP request being answered: its path's parts, its body as JSON, the gRPC stubs that carry
 * its token and deadline, and its answer or its error in the style of its API.
 */
final class Exchange {
    /** The request header whose value, in seconds, becomes the gRPC call's deadline. */
    static final String TIMEOUT_HEADER = "Prism-Timeout-Seconds";
    static final String JSON = "application/json";
    private static final System.Logger LOG = System.getLogger(Exchange.class.getName());
    private static final Metadata.Key<String> AUTHORIZATION =
            Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

    /** How an API writes its errors. */
    enum ErrorStyle {
        /** Prism's own API: the google.rpc.Status as canonical JSON, with its details. */
        STATUS,
        /** KServe V1 and Open Inference Protocol REST: {"error": message, "status": the same Status}. */
        ERROR_FIELD
    }

    final Request request;
    final Response response;
    final Callback callback;
    private final Matcher path;
    private final ErrorStyle style;
    private final HttpGateway.Rules rules;

    Exchange(Request request, Response response, Callback callback, Matcher path, ErrorStyle style,
             HttpGateway.Rules rules) {
        this.request = request;
        this.response = response;
        this.callback = callback;
        this.path = path;
        this.style = style;
        this.rules = rules;
    }

    /** A part of the path, by its group's name in the route. */
    String path(String group) {
        String v = path.group(group);
        return v == null ? "" : v;
    }

    /** The query parameters set as fields of the request (see {@link QueryFields}). */
    <B extends Message.Builder> B query(B builder) {
        Map<String, String> query = new LinkedHashMap<>();
        Request.extractQueryParameters(request, StandardCharsets.UTF_8)
                .forEach(f -> query.put(f.getName(), f.getValue()));
        return QueryFields.apply(query, builder);
    }

    /** The stub with the request's bearer token as metadata and its deadline, if it gave one. */
    <S extends AbstractStub<S>> S stub(S stub) {
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        if (authorization != null) {
            Metadata headers = new Metadata();
            headers.put(AUTHORIZATION, authorization);
            stub = stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(headers));
        }
        String timeout = request.getHeaders().get(TIMEOUT_HEADER);
        if (timeout != null) {
            double seconds;
            try {
                seconds = Double.parseDouble(timeout.trim());
            } catch (NumberFormatException e) {
                seconds = Double.NaN;
            }
            if (!(seconds > 0 && seconds <= 86_400)) {
                throw PrismException.invalid(Reason.INVALID_PARAMS, TIMEOUT_HEADER,
                        "must be a number of seconds in (0, 86400]");
            }
            stub = stub.withDeadlineAfter((long) Math.ceil(seconds * 1e9), TimeUnit.NANOSECONDS);
        }
        return stub;
    }

    /** The body as the message's canonical JSON; anything else is MALFORMED_REQUEST. */
    <B extends Message.Builder> B body(B builder) throws IOException {
        String json = text();
        try {
            return GatewayJson.parse(json, builder);
        } catch (InvalidProtocolBufferException | RuntimeException e) {
            throw malformed(e);
        }
    }

    /** The body as a JSON object of any fields, read strictly; anything else is MALFORMED_REQUEST. */
    JsonObject object() throws IOException {
        String json = text();
        try {
            JsonReader reader = new JsonReader(new StringReader(json));
            reader.setStrictness(Strictness.STRICT);
            JsonElement e = JsonParser.parseReader(reader);
            if (!e.isJsonObject()) {
                throw new IllegalArgumentException("the body must be a JSON object");
            }
            return e.getAsJsonObject();
        } catch (RuntimeException e) {
            throw malformed(e);
        }
    }

    private String text() throws IOException {
        return Content.Source.asString(request, StandardCharsets.UTF_8);
    }

    private PrismException malformed(Exception e) {
        String what = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        LOG.log(Level.INFO, "malformed JSON body on " + request.getMethod() + " "
                + request.getHttpURI().getPath() + ": " + what);
        return new PrismException(Reason.MALFORMED_REQUEST, "the body is not valid JSON for this request: " + what);
    }

    void send(MessageOrBuilder message) {
        send(200, GatewayJson.print(message));
    }

    void send(JsonObject object) {
        send(200, GatewayJson.GSON.toJson(object));
    }

    void send(int status, String json) {
        response.setStatus(status);
        response.getHeaders().put(HttpHeader.CONTENT_TYPE, JSON);
        response.write(true, ByteBuffer.wrap(json.getBytes(StandardCharsets.UTF_8)), callback);
    }

    /** Writes a part of a streamed answer and waits until it is written; a client gone away throws. */
    void write(String text) throws IOException {
        try (Blocker.Callback written = Blocker.callback()) {
            response.write(false, ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)), written);
            written.block();
        }
    }

    /** Ends a streamed answer. */
    void end() {
        response.write(true, null, callback);
    }

    /** The failure as the status the gRPC services give for it. */
    com.google.rpc.Status status(Throwable failure) {
        if (failure instanceof StatusRuntimeException e) {
            com.google.rpc.Status s = StatusProto.fromThrowable(e);
            if (s != null) {
                return s;
            }
            return com.google.rpc.Status.newBuilder().setCode(e.getStatus().getCode().value())
                    .setMessage(e.getStatus().getDescription() == null ? e.getStatus().getCode().name()
                            : e.getStatus().getDescription()).build();
        }
        return rules.status(failure);
    }

    /** Answers the failure: its HTTP status, Retry-After when the status says when, the API's error body. */
    void fail(Throwable failure) {
        HttpException http = httpException(failure);
        if (http != null) {
            // Jetty's own refusal, e.g. a body over the size limit (413).
            send(http.getCode(), GatewayJson.error(((Throwable) http).getMessage()));
            return;
        }
        com.google.rpc.Status status = status(failure);
        HttpStatuses.retryAfterSeconds(status).ifPresent(s -> response.getHeaders().put(HttpHeader.RETRY_AFTER, s));
        String body = style == ErrorStyle.STATUS ? GatewayJson.print(status) : GatewayJson.error(status);
        send(HttpStatuses.http(status.getCode()), body);
    }

    private static HttpException httpException(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof HttpException h) {
                return h;
            }
        }
        return null;
    }
}
