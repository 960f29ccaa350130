package dev.prism.http;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.MessageOrBuilder;
import com.google.protobuf.util.JsonFormat;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import com.google.rpc.RetryInfo;

/**
 * The proto canonical JSON mapping, as the gateway reads and writes it: one line, and the error
 * details a status carries (ErrorInfo, BadRequest, RetryInfo) written out rather than refused.
 */
final class GatewayJson {
    private static final JsonFormat.TypeRegistry DETAILS = JsonFormat.TypeRegistry.newBuilder()
            .add(ErrorInfo.getDescriptor()).add(BadRequest.getDescriptor()).add(RetryInfo.getDescriptor()).build();
    private static final JsonFormat.Printer PRINTER =
            JsonFormat.printer().usingTypeRegistry(DETAILS).omittingInsignificantWhitespace();
    private static final JsonFormat.Parser PARSER = JsonFormat.parser();
    /** For free-form JSON (KServe V1, OIP REST): NaN and infinities written as JavaScript does. */
    static final Gson GSON = new GsonBuilder().serializeSpecialFloatingPointValues().disableHtmlEscaping().create();

    private GatewayJson() {}

    static String print(MessageOrBuilder message) {
        try {
            return PRINTER.print(message);
        } catch (InvalidProtocolBufferException e) {
            // Only an Any of a type outside the registry fails, and the server sends none.
            throw new IllegalStateException("cannot write " + message.getClass().getSimpleName() + " as JSON", e);
        }
    }

    /** The body parsed into the builder; a body that is not the message's JSON throws. */
    static <B extends Message.Builder> B parse(String json, B builder) throws InvalidProtocolBufferException {
        PARSER.merge(json, builder);
        return builder;
    }


    /** The error body of KServe V1 and the Open Inference Protocol: {"error": message}. */
    static String error(String message) {
        JsonObject body = new JsonObject();
        body.addProperty("error", message == null ? "" : message);
        return GSON.toJson(body);
    }

    /** {"error": the status's message, "status": the google.rpc.Status as Prism's API writes it}. */
    static String error(com.google.rpc.Status status) {
        JsonObject body = new JsonObject();
        body.addProperty("error", status.getMessage());
        body.add("status", JsonParser.parseString(print(status)));
        return GSON.toJson(body);
    }
}
